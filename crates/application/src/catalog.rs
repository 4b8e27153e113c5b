//! The program catalog as a workspace sees it.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use domain::{Program, ProgramId, Scope, Slug};

use crate::{AppError, Application, Principal};

/// Program ids by slug. A program keeps both for ever, so remembering them is always right;
/// visibility is never remembered (the store checks it as it writes).
#[derive(Debug, Default)]
pub(crate) struct ProgramIds(Mutex<HashMap<Slug, ProgramId>>);

impl ProgramIds {
    fn remembered(&self) -> MutexGuard<'_, HashMap<Slug, ProgramId>> {
        // A panic while holding the lock cannot leave the map inconsistent: keep using it.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Slugs remembered at most: more than any catalog holds, and a bound all the same.
const REMEMBERED: usize = 4_096;

impl Application {
    /// The id of the program with this slug, visible or not.
    pub(crate) fn program_id(&self, slug: &Slug) -> Result<Option<ProgramId>, AppError> {
        if let Some(id) = self.program_ids.remembered().get(slug) {
            return Ok(Some(id.clone()));
        }
        let found = self.ports.catalog.id_of(slug)?;
        if let Some(id) = &found {
            let mut ids = self.program_ids.remembered();
            if ids.len() >= REMEMBERED {
                ids.clear();
            }
            ids.insert(slug.clone(), id.clone());
        }
        Ok(found)
    }

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
