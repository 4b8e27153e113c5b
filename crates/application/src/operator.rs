//! What the platform operator does from the command line: tenants and the catalog. These
//! calls are trusted (whoever runs them owns the database) and take no principal.

use domain::{Description, Name, Program, ProgramId, Slug, Visibility, Workspace, WorkspaceId};
use ports::StoreError;

use crate::{AppError, Application, Conflict};

/// A catalog program to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramRequest {
    pub id: Option<ProgramId>,
    pub slug: Slug,
    pub name: Name,
    pub description: Option<Description>,
    pub visibility: Visibility,
}

impl Application {
    pub fn create_workspace(
        &self,
        name: Name,
        id: Option<WorkspaceId>,
    ) -> Result<Workspace, AppError> {
        let id = match id {
            Some(id) => id,
            None => WorkspaceId::parse(&self.ports.ids.new_id())
                .map_err(|error| AppError::Internal(Box::new(error)))?,
        };
        let workspace = Workspace {
            id,
            name,
            created_at: self.ports.clock.now(),
        };
        match self.ports.workspaces.insert(&workspace) {
            Ok(()) => Ok(workspace),
            Err(StoreError::Duplicate) => {
                Err(AppError::Conflict(Conflict::AlreadyExists("workspace")))
            }
            Err(other) => Err(other.into()),
        }
    }

    pub fn find_workspace(&self, id: &WorkspaceId) -> Result<Option<Workspace>, AppError> {
        Ok(self.ports.workspaces.get(id)?)
    }

    pub fn create_program(&self, request: ProgramRequest) -> Result<Program, AppError> {
        let id = match request.id {
            Some(id) => id,
            None => ProgramId::parse(&self.ports.ids.new_id())
                .map_err(|error| AppError::Internal(Box::new(error)))?,
        };
        let program = Program {
            id,
            slug: request.slug,
            name: request.name,
            description: request.description,
            visibility: request.visibility,
            created_at: self.ports.clock.now(),
        };
        match self.ports.catalog.insert(&program) {
            Ok(()) => Ok(program),
            Err(StoreError::Duplicate) => {
                Err(AppError::Conflict(Conflict::AlreadyExists("program")))
            }
            Err(StoreError::NotFound) => Err(AppError::NotFound("workspace")),
            Err(other) => Err(other.into()),
        }
    }
}
