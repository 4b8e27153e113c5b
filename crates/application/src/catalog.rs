//! The program catalog as a workspace sees it.

use domain::{Program, Scope, Slug};

use crate::{AppError, Application, Principal};

impl Application {
    pub fn list_programs(&self, who: &Principal) -> Result<Vec<Program>, AppError> {
        who.require(Scope::ProgramsRead)?;
        Ok(self.ports.catalog.list_visible(&who.workspace_id)?)
    }

    pub fn get_program(&self, who: &Principal, slug: &Slug) -> Result<Program, AppError> {
        who.require(Scope::ProgramsRead)?;
        self.ports
            .catalog
            .find_visible(&who.workspace_id, slug)?
            .ok_or(AppError::NotFound("program"))
    }
}
