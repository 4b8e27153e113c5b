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

    /// # Errors
    /// `NotFound` when this key may not see the instance: an invisible instance is
    /// indistinguishable from a missing one.
    pub fn check_visible(&self, id: &InstanceId) -> Result<(), AppError> {
        if self.grant.can_see(id) {
            Ok(())
        } else {
            Err(AppError::NotFound("program instance"))
        }
    }
}
