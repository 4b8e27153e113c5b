//! Workspaces: an organisation's tenant.

use serde::Serialize;

use crate::ids::WorkspaceId;
use crate::instance::Name;
use crate::timestamp::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: Name,
    pub created_at: Timestamp,
}
