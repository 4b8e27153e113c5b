//! What the platform operator does from the command line: tenants, catalog, keys. These
//! calls are trusted (whoever runs them owns the database) and take no principal.

use domain::{
    ApiKeyId, Description, Grant, Name, Program, ProgramId, Slug, Timestamp, Violation, Visibility,
    Workspace, WorkspaceId,
};
use ports::{StoreError, StoredKey};

use crate::auth::generate_key;
use crate::{ApiKeySecret, AppError, Application, Conflict};

/// A key to mint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRequest {
    pub workspace_id: WorkspaceId,
    pub name: Option<String>,
    pub grant: Grant,
    pub expires_at: Option<Timestamp>,
}

/// A catalog program to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramRequest {
    pub id: Option<ProgramId>,
    pub slug: Slug,
    pub name: Name,
    pub description: Option<Description>,
    pub visibility: Visibility,
}

/// How many fresh prefixes to try when one collides with an existing key's.
const PREFIX_ATTEMPTS: usize = 3;

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

    /// Mints a key; the secret is returned here and never again.
    pub fn create_key(&self, request: KeyRequest) -> Result<(StoredKey, ApiKeySecret), AppError> {
        let now = self.ports.clock.now();
        if request.expires_at.is_some_and(|expiry| expiry <= now) {
            return Err(AppError::Invalid(
                Violation::new(
                    "/expiresAt",
                    "in_the_past",
                    "expiresAt must be in the future",
                )
                .into(),
            ));
        }
        let id = ApiKeyId::parse(&self.ports.ids.new_id())
            .map_err(|error| AppError::Internal(Box::new(error)))?;
        for _ in 0..PREFIX_ATTEMPTS {
            let (secret, prefix, secret_hash) = generate_key()?;
            let key = StoredKey {
                id: id.clone(),
                workspace_id: request.workspace_id.clone(),
                name: request.name.clone(),
                prefix,
                secret_hash,
                grant: request.grant.clone(),
                expires_at: request.expires_at,
                revoked_at: None,
                created_at: now,
            };
            match self.ports.keys.insert(&key) {
                Ok(()) => return Ok((key, secret)),
                Err(StoreError::Duplicate) => continue,
                Err(StoreError::NotFound) => return Err(AppError::NotFound("workspace")),
                Err(other) => return Err(other.into()),
            }
        }
        Err(AppError::Conflict(Conflict::AlreadyExists("key")))
    }

    /// Revokes a key: at once in this process, within the key cache's TTL elsewhere.
    pub fn revoke_key(
        &self,
        workspace: Option<&WorkspaceId>,
        id: &ApiKeyId,
    ) -> Result<StoredKey, AppError> {
        let revoked = match self
            .ports
            .keys
            .revoke(workspace, id, self.ports.clock.now())
        {
            Ok(key) => key,
            Err(StoreError::NotFound) => return Err(AppError::NotFound("key")),
            Err(other) => return Err(other.into()),
        };
        self.authenticator.forget(id);
        Ok(revoked)
    }
}
