//! Row structs: the shared records of `ports::records` with PostgreSQL's column types
//! (`timestamptz`, `jsonb`). No row leaves this crate.

use diesel::prelude::*;
use ports::records::{EnrollmentRecord, InstanceRecord, KeyRecord, ProgramRecord, WorkspaceRecord};
use serde_json::Value;
use time::OffsetDateTime;

use crate::schema::{api_keys, enrollments, program_instances, programs, workspaces};

pub(crate) type Instance = InstanceRecord<OffsetDateTime, Value>;
pub(crate) type Key = KeyRecord<OffsetDateTime, Value>;
pub(crate) type ProgramEntry = ProgramRecord<OffsetDateTime>;
pub(crate) type WorkspaceEntry = WorkspaceRecord<OffsetDateTime>;
pub(crate) type EnrollmentEntry = EnrollmentRecord<OffsetDateTime, Value>;

/// Moves every field between a row struct and its record, both ways.
macro_rules! same_fields {
    ($row:ident, $record:ty, [$($field:ident),* $(,)?]) => {
        impl From<$record> for $row {
            fn from(record: $record) -> Self {
                Self { $($field: record.$field),* }
            }
        }
        impl From<$row> for $record {
            fn from(row: $row) -> Self {
                Self { $($field: row.$field),* }
            }
        }
    };
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = program_instances, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
#[diesel(primary_key(workspace_id, id))]
pub(crate) struct InstanceRow {
    pub workspace_id: String,
    pub id: String,
    pub program_id: String,
    pub name: String,
    pub name_folded: String,
    pub description: Option<String>,
    pub slug: String,
    pub logo_url: Option<String>,
    pub eligibility_criteria: Option<Value>,
    pub custom_terms: Option<String>,
    pub form_config: Option<Value>,
    pub start_date: Option<OffsetDateTime>,
    pub end_date: Option<OffsetDateTime>,
    pub status: String,
    pub metadata: Option<Value>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

same_fields!(
    InstanceRow,
    Instance,
    [
        workspace_id,
        id,
        program_id,
        name,
        name_folded,
        description,
        slug,
        logo_url,
        eligibility_criteria,
        custom_terms,
        form_config,
        start_date,
        end_date,
        status,
        metadata,
        version,
        created_at,
        updated_at,
    ]
);

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = workspaces, check_for_backend(diesel::pg::Pg))]
pub(crate) struct WorkspaceRow {
    pub id: String,
    pub name: String,
    pub created_at: OffsetDateTime,
}

same_fields!(WorkspaceRow, WorkspaceEntry, [id, name, created_at]);

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = programs, check_for_backend(diesel::pg::Pg))]
pub(crate) struct ProgramRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub visibility: String,
    pub created_at: OffsetDateTime,
}

same_fields!(
    ProgramRow,
    ProgramEntry,
    [id, slug, name, description, visibility, created_at]
);

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
pub(crate) struct KeyRow {
    pub workspace_id: String,
    pub id: String,
    pub name: Option<String>,
    pub prefix: String,
    pub secret_hash: String,
    pub scopes: Value,
    pub instance_ids: Option<Value>,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

same_fields!(
    KeyRow,
    Key,
    [
        workspace_id,
        id,
        name,
        prefix,
        secret_hash,
        scopes,
        instance_ids,
        expires_at,
        revoked_at,
        created_at,
        last_used_at,
    ]
);

impl InstanceRow {
    pub(crate) fn from_domain(instance: &domain::ProgramInstance) -> Self {
        Instance::from_domain(instance).into()
    }

    pub(crate) fn into_domain(self) -> Result<domain::ProgramInstance, ports::StoreError> {
        Instance::from(self).into_domain()
    }
}

impl WorkspaceRow {
    pub(crate) fn from_domain(workspace: &domain::Workspace) -> Self {
        WorkspaceEntry::from_domain(workspace).into()
    }

    pub(crate) fn into_domain(self) -> Result<domain::Workspace, ports::StoreError> {
        WorkspaceEntry::from(self).into_domain()
    }
}

impl ProgramRow {
    pub(crate) fn from_domain(program: &domain::Program) -> Self {
        ProgramEntry::from_domain(program).into()
    }

    pub(crate) fn into_domain(
        self,
        shared_with: &[String],
    ) -> Result<domain::Program, ports::StoreError> {
        ProgramEntry::from(self).into_domain(shared_with)
    }
}

impl KeyRow {
    pub(crate) fn from_domain(key: &ports::StoredKey) -> Self {
        Key::from_domain(key).into()
    }

    pub(crate) fn into_domain(self) -> Result<ports::StoredKey, ports::StoreError> {
        Key::from(self).into_domain()
    }
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = enrollments, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
#[diesel(primary_key(workspace_id, id))]
pub(crate) struct EnrollmentRow {
    pub workspace_id: String,
    pub id: String,
    pub instance_id: String,
    pub status: String,
    pub customer: Value,
    pub device: Value,
    pub form_data: Value,
    pub eligibility: Value,
    pub status_reason: Option<String>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

same_fields!(
    EnrollmentRow,
    EnrollmentEntry,
    [
        workspace_id,
        id,
        instance_id,
        status,
        customer,
        device,
        form_data,
        eligibility,
        status_reason,
        version,
        created_at,
        updated_at,
    ]
);

impl EnrollmentRow {
    pub(crate) fn from_domain(enrollment: &domain::Enrollment) -> Self {
        EnrollmentEntry::from_domain(enrollment).into()
    }

    pub(crate) fn into_domain(self) -> Result<domain::Enrollment, ports::StoreError> {
        EnrollmentEntry::from(self).into_domain()
    }
}
