//! The program catalog as a workspace sees it.

use domain::{Program, Scope, Slug};

use crate::{AppError, Application, Principal};

impl Application {
    pub fn list_programs(&self, who: &Principal) -> Result<Vec<Program>, AppError> {
        who.require(Scope::ProgramsRead)?;
        Ok(self.ports.catalog.list_visible(&who.workspace_id)?)
    }

    pub fn get_program(&self, who: &Principal, slug: &str) -> Result<Program, AppError> {
        who.require(Scope::ProgramsRead)?;
        let slug = Slug::parse(slug).map_err(|_| AppError::NotFound("program"))?;
        self.ports
            .catalog
            .find_visible(&who.workspace_id, &slug)?
            .ok_or(AppError::NotFound("program"))
    }
}
