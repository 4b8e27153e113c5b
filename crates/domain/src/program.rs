//! Catalog programs, created by the platform operator and deployed by workspaces as instances.

use serde::Serialize;

use crate::ids::{ProgramId, WorkspaceId};
use crate::instance::{Description, Name, Slug};
use crate::timestamp::Timestamp;

/// Who may see a program and deploy it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Every workspace.
    Public,
    /// Only the listed workspaces.
    Private { shared_with: Vec<WorkspaceId> },
}

impl Visibility {
    pub fn as_str(&self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private { .. } => "private",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Program {
    pub id: ProgramId,
    pub slug: Slug,
    pub name: Name,
    pub description: Option<Description>,
    #[serde(skip)]
    pub visibility: Visibility,
    pub created_at: Timestamp,
}

impl Program {
    pub fn is_visible_to(&self, workspace: &WorkspaceId) -> bool {
        match &self.visibility {
            Visibility::Public => true,
            Visibility::Private { shared_with } => shared_with.contains(workspace),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(visibility: Visibility) -> Program {
        Program {
            id: ProgramId::parse("prog_battery_rebate").unwrap(),
            slug: Slug::parse("battery-rebate").unwrap(),
            name: Name::parse("Battery Rebate Program").unwrap(),
            description: None,
            visibility,
            created_at: Timestamp::from_unix_micros(0).unwrap(),
        }
    }

    #[test]
    fn public_programs_are_visible_to_every_workspace() {
        let ws = WorkspaceId::parse("ws_a").unwrap();
        assert!(program(Visibility::Public).is_visible_to(&ws));
    }

    #[test]
    fn private_programs_are_visible_only_to_listed_workspaces() {
        let a = WorkspaceId::parse("ws_a").unwrap();
        let b = WorkspaceId::parse("ws_b").unwrap();
        let private = program(Visibility::Private {
            shared_with: vec![a.clone()],
        });
        assert!(private.is_visible_to(&a));
        assert!(!private.is_visible_to(&b));
    }
}
