//! Workspaces and API keys.

use domain::{ApiKey, ApiKeyId, InstanceId, ScopeSet, Timestamp, Workspace, WorkspaceId};
use serde::Serialize;
use std::collections::BTreeSet;
use utoipa::ToSchema;

use crate::schemas;

/// A workspace, as the operator's command line prints it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceView<'a> {
    id: &'a WorkspaceId,
    name: &'a str,
    created_at: Timestamp,
}

pub fn workspace(workspace: &Workspace) -> WorkspaceView<'_> {
    WorkspaceView {
        id: &workspace.id,
        name: workspace.name.as_str(),
        created_at: workspace.created_at,
    }
}

/// An API key's record: never its secret or hash, only the prefix that tells keys apart.
/// `key`, the secret, is given once: in the answer that created the key (`null` in a
/// replay of that answer, and absent elsewhere).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ApiKey)]
pub struct KeyView<'a> {
    #[schema(value_type = schemas::Id)]
    id: &'a ApiKeyId,
    #[schema(value_type = schemas::TenantId)]
    workspace_id: &'a WorkspaceId,
    #[schema(required = true, value_type = Option<schemas::Name>)]
    name: Option<&'a str>,
    /// The start of the secret, to tell keys apart (`pik_` and 8 characters).
    prefix: String,
    #[schema(value_type = BTreeSet<schemas::Scope>)]
    scopes: ScopeSet,
    /// The instances the key is restricted to; `null` when it sees the whole workspace.
    #[schema(required = true, value_type = Option<BTreeSet<schemas::Id>>)]
    instances: Option<&'a BTreeSet<InstanceId>>,
    #[schema(required = true, value_type = Option<schemas::Timestamp>)]
    expires_at: Option<Timestamp>,
    #[schema(required = true, value_type = Option<schemas::Timestamp>)]
    revoked_at: Option<Timestamp>,
    #[schema(required = true, value_type = Option<schemas::Timestamp>)]
    last_used_at: Option<Timestamp>,
    #[schema(value_type = schemas::Timestamp)]
    created_at: Timestamp,
    #[serde(skip_serializing_if = "Shown::is_absent")]
    #[schema(ignore)]
    key: Shown<'a>,
}

/// A key just created: its record and its secret `key`, shown this once (`null` in a replay
/// of the answer, which never keeps the secret).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    record: KeyView<'static>,
    #[schema(required = true)]
    key: Option<String>,
}

/// Whether and how a key's secret is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown<'a> {
    Absent,
    /// Not shown again: `null`.
    Withheld,
    Secret(&'a str),
}

impl Shown<'_> {
    pub(super) fn is_absent(&self) -> bool {
        *self == Shown::Absent
    }
}

impl Serialize for Shown<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Shown::Secret(secret) => serializer.serialize_str(secret),
            Shown::Absent | Shown::Withheld => serializer.serialize_none(),
        }
    }
}

pub fn key<'a>(key: &'a ApiKey, secret: Shown<'a>) -> KeyView<'a> {
    KeyView {
        id: &key.id,
        workspace_id: &key.workspace_id,
        name: key.name.as_deref(),
        prefix: key.display_prefix(),
        scopes: key.grant.scopes(),
        instances: key.grant.instances(),
        expires_at: key.expires_at,
        revoked_at: key.revoked_at,
        last_used_at: key.last_used_at,
        created_at: key.created_at,
        key: secret,
    }
}
