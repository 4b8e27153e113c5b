//! JSON representations of domain values, as the API shows them.

use application::{InstanceSnapshot, Page, StoredEvent};
use domain::{
    ApiKey, ApiKeyId, Enrollment, EnrollmentStatus, InstanceEvent, InstanceId, Program, ProgramId,
    Status, Timestamp, Workspace, WorkspaceId,
};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// An instance as the API shows it: every field, `null` when unset. Serialised straight
/// from the snapshot, its documents copied as stored (lists render twenty at a time).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceView<'a> {
    id: &'a InstanceId,
    program_id: &'a ProgramId,
    workspace_id: &'a WorkspaceId,
    name: &'a str,
    description: Option<&'a str>,
    slug: &'a str,
    logo_url: Option<&'a str>,
    eligibility_criteria: Option<&'a RawValue>,
    custom_terms: Option<&'a str>,
    form_config: Option<&'a RawValue>,
    start_date: Option<Timestamp>,
    end_date: Option<Timestamp>,
    status: Status,
    metadata: Option<&'a RawValue>,
    version: i64,
    accepting_enrollments: bool,
    created_at: Timestamp,
    updated_at: Timestamp,
}

pub fn instance(instance: &InstanceSnapshot, now: Timestamp) -> InstanceView<'_> {
    InstanceView {
        id: &instance.id,
        program_id: &instance.program_id,
        workspace_id: &instance.workspace_id,
        name: &instance.name,
        description: instance.description.as_deref(),
        slug: &instance.slug,
        logo_url: instance.logo_url.as_deref(),
        eligibility_criteria: instance.eligibility_criteria.as_deref(),
        custom_terms: instance.custom_terms.as_deref(),
        form_config: instance.form_config.as_deref(),
        start_date: instance.schedule.start(),
        end_date: instance.schedule.end(),
        status: instance.status,
        metadata: instance.metadata.as_deref(),
        version: instance.version,
        accepting_enrollments: instance.accepting_enrollments(now),
        created_at: instance.created_at,
        updated_at: instance.updated_at,
    }
}

pub fn program(program: &Program) -> Value {
    json!({
        "id": program.id,
        "slug": program.slug,
        "name": program.name,
        "description": program.description,
        "visibility": program.visibility.as_str(),
        "createdAt": program.created_at,
    })
}

/// An entry of an instance's history: `type` and what the event carries (`changes`, or
/// `from` and `to`), beside who did it and when.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventView<'a> {
    id: String,
    instance_id: &'a InstanceId,
    #[serde(flatten)]
    event: &'a InstanceEvent,
    actor_key_id: Option<&'a ApiKeyId>,
    occurred_at: Timestamp,
}

pub fn event<'a>(instance_id: &'a InstanceId, stored: &'a StoredEvent) -> EventView<'a> {
    EventView {
        id: stored.sequence.to_string(),
        instance_id,
        event: &stored.record.event,
        actor_key_id: stored.record.actor.as_ref(),
        occurred_at: stored.record.occurred_at,
    }
}

/// A page of a list: `{ data, hasMore, nextCursor }`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageView<T> {
    data: Vec<T>,
    has_more: bool,
    next_cursor: Option<String>,
}

/// A page of `items` rendered by `render`, with the cursor of its last item when more
/// follow.
pub fn page<'a, T, V: Serialize>(
    page: &'a Page<T>,
    render: impl Fn(&'a T) -> V,
    cursor_of: impl Fn(&T) -> String,
) -> PageView<V> {
    PageView {
        data: page.items.iter().map(render).collect(),
        has_more: page.has_more,
        next_cursor: page.items.last().filter(|_| page.has_more).map(cursor_of),
    }
}

/// A list that always fits one page.
pub fn whole<V: Serialize>(data: Vec<V>) -> PageView<V> {
    PageView {
        data,
        has_more: false,
        next_cursor: None,
    }
}

pub fn workspace(workspace: &Workspace) -> Value {
    json!({ "id": workspace.id, "name": workspace.name, "createdAt": workspace.created_at })
}

/// A key record: never its secret or hash, only the prefix that tells keys apart.
pub fn key(key: &ApiKey) -> Value {
    json!({
        "id": key.id,
        "workspaceId": key.workspace_id,
        "name": key.name,
        "prefix": key.display_prefix(),
        "scopes": key.grant.scopes(),
        "instances": key.grant.instances(),
        "expiresAt": key.expires_at,
        "revokedAt": key.revoked_at,
        "lastUsedAt": key.last_used_at,
        "createdAt": key.created_at,
    })
}

pub fn enrollment(enrollment: &Enrollment) -> Value {
    json!({
        "id": enrollment.id,
        "instanceId": enrollment.instance_id,
        "workspaceId": enrollment.workspace_id,
        "status": enrollment.status,
        "statusReason": enrollment.status_reason,
        "customer": enrollment.customer,
        "device": enrollment.device,
        "formData": enrollment.form_data,
        "eligibility": enrollment.eligibility,
        "version": enrollment.version,
        "createdAt": enrollment.created_at,
        "updatedAt": enrollment.updated_at,
    })
}

/// Every status with its count, and the total.
pub fn stats(instance_id: &str, counts: &[(EnrollmentStatus, u64)]) -> Value {
    let by_status: serde_json::Map<String, Value> = counts
        .iter()
        .map(|(status, count)| (status.as_str().to_owned(), Value::from(*count)))
        .collect();
    json!({ "instanceId": instance_id, "total": counts.iter().map(|(_, n)| n).sum::<u64>(), "counts": by_status })
}
