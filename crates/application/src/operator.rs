//! What the platform operator does from the command line: tenants and the catalog. These
//! calls are trusted (whoever runs them owns the database) and take no principal.

use domain::{
    ApiKey, Description, Name, Program, ProgramId, Slug, Visibility, Workspace, WorkspaceId,
};
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

    /// Every workspace, oldest first.
    pub fn list_workspaces(&self) -> Result<Vec<Workspace>, AppError> {
        Ok(self.ports.workspaces.list()?)
    }

    /// Every key of a workspace, newest first (records only: secrets are never kept).
    pub fn list_keys_of(&self, workspace: &WorkspaceId) -> Result<Vec<ApiKey>, AppError> {
        if self.ports.workspaces.get(workspace)?.is_none() {
            return Err(AppError::NotFound("workspace"));
        }
        let mut keys = Vec::new();
        loop {
            let page =
                self.ports
                    .keys
                    .list(workspace, keys.last().map(|key: &ApiKey| &key.id), 100)?;
            keys.extend(page.items);
            if !page.has_more {
                return Ok(keys);
            }
        }
    }

    /// The whole catalog, private programs with whom they are shared.
    pub fn list_all_programs(&self) -> Result<Vec<Program>, AppError> {
        Ok(self.ports.catalog.list_all()?)
    }

    /// Shares a private program with more workspaces (those it is shared with already stay).
    pub fn share_program(&self, slug: &Slug, with: &[WorkspaceId]) -> Result<Program, AppError> {
        self.change_shares(slug, |shared| {
            for workspace in with {
                if !shared.contains(workspace) {
                    shared.push(workspace.clone());
                }
            }
        })
    }

    /// Stops sharing a private program with these workspaces.
    pub fn unshare_program(&self, slug: &Slug, from: &[WorkspaceId]) -> Result<Program, AppError> {
        self.change_shares(slug, |shared| {
            shared.retain(|workspace| !from.contains(workspace))
        })
    }

    fn change_shares(
        &self,
        slug: &Slug,
        change: impl FnOnce(&mut Vec<WorkspaceId>),
    ) -> Result<Program, AppError> {
        let mut program = self
            .ports
            .catalog
            .find_any(slug)?
            .ok_or(AppError::NotFound("program"))?;
        let Visibility::Private { shared_with } = &mut program.visibility else {
            return Err(AppError::Conflict(Conflict::PublicProgram));
        };
        change(shared_with);
        match self.ports.catalog.set_shares(&program) {
            Ok(()) => Ok(program),
            Err(StoreError::NotFound) => Err(AppError::NotFound("workspace")),
            Err(other) => Err(other.into()),
        }
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
