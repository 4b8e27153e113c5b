use domain::{ApiKeyId, Grant, InstanceId, Scope, WorkspaceId};

use crate::AppError;

/// Who is calling: the key's workspace, the key, and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub workspace_id: WorkspaceId,
    pub key_id: ApiKeyId,
    pub grant: Grant,
}

impl Principal {
    /// # Errors
    /// `MissingScope` naming the scope when the key lacks it.
    pub fn require(&self, scope: Scope) -> Result<(), AppError> {
        if self.grant.allows(scope) {
            Ok(())
        } else {
            Err(AppError::MissingScope(scope))
        }
    }

    /// Parses an instance id from a path and checks that this key may see it; an invisible
    /// or malformed id is indistinguishable from a missing one.
    pub fn visible_instance(&self, id: &str) -> Result<InstanceId, AppError> {
        InstanceId::parse(id)
            .ok()
            .filter(|id| self.grant.can_see(id))
            .ok_or(AppError::NotFound("program instance"))
    }
}
