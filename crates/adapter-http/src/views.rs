//! JSON representations of domain values, as the API shows them.

use domain::{Enrollment, EnrollmentStatus, Program, ProgramInstance, Timestamp, Workspace};
use ports::{StoredEvent, StoredKey};
use serde_json::{Value, json};

fn optional<T: serde::Serialize>(value: Option<T>) -> Value {
    value
        .map(|v| serde_json::to_value(v).unwrap_or(Value::Null))
        .unwrap_or(Value::Null)
}

pub fn instance(instance: &ProgramInstance, now: Timestamp) -> Value {
    json!({
        "id": instance.id(),
        "programId": instance.program_id(),
        "workspaceId": instance.workspace_id(),
        "name": instance.name(),
        "description": optional(instance.description()),
        "slug": instance.slug(),
        "logoUrl": optional(instance.logo_url()),
        "eligibilityCriteria": optional(instance.eligibility_criteria()),
        "customTerms": optional(instance.custom_terms()),
        "formConfig": optional(instance.form_config()),
        "startDate": optional(instance.schedule().start()),
        "endDate": optional(instance.schedule().end()),
        "status": instance.status(),
        "metadata": optional(instance.metadata()),
        "version": instance.version(),
        "acceptingEnrollments": instance.accepting_enrollments(now),
        "createdAt": instance.created_at(),
        "updatedAt": instance.updated_at(),
    })
}

pub fn program(program: &Program) -> Value {
    json!({
        "id": program.id,
        "slug": program.slug,
        "name": program.name,
        "description": optional(program.description.as_ref()),
        "visibility": program.visibility.as_str(),
        "createdAt": program.created_at,
    })
}

pub fn event(instance_id: &str, event: &StoredEvent) -> Value {
    let mut view = json!({
        "id": event.sequence.to_string(),
        "instanceId": instance_id,
        "type": event.kind,
        "actorKeyId": event.actor,
        "occurredAt": event.occurred_at,
    });
    if let (Value::Object(view), Value::Object(data)) = (&mut view, &event.data) {
        for (key, value) in data.iter().filter(|(key, _)| key.as_str() != "type") {
            view.insert(key.clone(), value.clone());
        }
    }
    view
}

/// A page of a list: `{ data, hasMore, nextCursor }`.
pub fn page(data: Vec<Value>, has_more: bool, next_cursor: Option<String>) -> Value {
    json!({ "data": data, "hasMore": has_more, "nextCursor": next_cursor })
}

pub fn workspace(workspace: &Workspace) -> Value {
    json!({ "id": workspace.id, "name": workspace.name, "createdAt": workspace.created_at })
}

/// A key record: never its secret or hash, only the prefix that tells keys apart.
pub fn key(key: &StoredKey) -> Value {
    json!({
        "id": key.id,
        "workspaceId": key.workspace_id,
        "name": key.name,
        "prefix": application::display_prefix(key),
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
