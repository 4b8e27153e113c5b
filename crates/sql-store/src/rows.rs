//! Row structs and the one mapping between rows and domain values. A stored value is
//! re-validated on the way back (a row that no longer satisfies the domain's rules is
//! reported as corrupt, never served). No row leaves this crate.

use std::collections::BTreeSet;

use diesel::prelude::*;
use domain::eligibility::Evaluation;
use domain::enrollment::{Customer, Device};
use domain::participation::decision_bucket;
use domain::{
    ApiKey, ApiKeyId, CustomTerms, Description, Enrollment, EnrollmentId, Grant, InstanceId,
    InstanceParts, LogoUrl, Name, Program, ProgramId, ProgramInstance, Schedule, Scope, Seasons,
    Slug, Visibility, Workspace, WorkspaceId, Zone,
};
use ports::{InstanceSnapshot, StoreError};
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::column_types::{At, JsonText};
use crate::connection::MultiBackend;
use crate::schema::{api_keys, enrollments, program_instances, programs, workspaces};
use crate::search::fold_case;

/// A stored value that no longer satisfies the domain's rules.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::unexpected(format!("stored {what} is invalid: {detail}"))
}

pub(crate) fn parsed<T, E: std::fmt::Display>(
    what: &str,
    result: Result<T, E>,
) -> Result<T, StoreError> {
    result.map_err(|error| corrupt(what, error))
}

/// A stored document read into a typed value.
pub(crate) fn read_json<T: DeserializeOwned>(what: &str, text: &JsonText) -> Result<T, StoreError> {
    parsed(what, serde_json::from_str(&text.0))
}

/// A stored document, read on the trusted path: it was checked when it was written, so it
/// is deserialised straight into its type, without a JSON tree and without the checks.
fn document<T: DeserializeOwned>(
    what: &str,
    text: Option<JsonText>,
) -> Result<Option<T>, StoreError> {
    text.map(|text| read_json(what, &text)).transpose()
}

fn optional<T, E: std::fmt::Display>(
    what: &str,
    text: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Option<T>, StoreError> {
    parsed(what, text.map(parse).transpose())
}

fn json_of(value: &Value) -> JsonText {
    JsonText(value.to_string())
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = program_instances, check_for_backend(MultiBackend), treat_none_as_null = true)]
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
    pub eligibility_criteria: Option<JsonText>,
    pub custom_terms: Option<String>,
    pub form_config: Option<JsonText>,
    pub start_date: Option<At>,
    pub end_date: Option<At>,
    pub status: String,
    pub metadata: Option<JsonText>,
    pub version: i64,
    pub created_at: At,
    pub updated_at: At,
    pub time_zone: String,
    pub seasons: Option<JsonText>,
    /// Derived from `seasons`, for the `activeAt` filter (`Seasons::day_map`).
    pub season_days: Option<String>,
    /// The next flip of `acceptingEnrollments` by time not yet logged (`LockedInstance`).
    pub next_flip_at: Option<At>,
    pub revision: i64,
    pub copied_from: Option<String>,
}

/// Stored seasons, read back through their rules.
fn seasons(what: &str, text: Option<&JsonText>) -> Result<Option<Seasons>, StoreError> {
    text.map(|text| {
        let value: Value = read_json(what, text)?;
        parsed(what, Seasons::from_json(value))
    })
    .transpose()
}

fn copied_from(what: &str, id: Option<&str>) -> Result<Option<InstanceId>, StoreError> {
    id.map(|id| parsed(what, InstanceId::parse(id))).transpose()
}

impl InstanceRow {
    pub(crate) fn from_domain(instance: &ProgramInstance) -> Result<Self, StoreError> {
        Ok(Self {
            workspace_id: instance.workspace_id().to_string(),
            id: instance.id().to_string(),
            program_id: instance.program_id().to_string(),
            name: instance.name().to_string(),
            name_folded: fold_case(instance.name().as_str()),
            description: instance.description().map(|text| text.as_str().to_owned()),
            slug: instance.slug().to_string(),
            logo_url: instance.logo_url().map(|url| url.as_str().to_owned()),
            eligibility_criteria: instance
                .eligibility_criteria()
                .map(JsonText::of)
                .transpose()?,
            custom_terms: instance.custom_terms().map(|text| text.as_str().to_owned()),
            form_config: instance.form_config().map(JsonText::of).transpose()?,
            start_date: instance.schedule().start().map(At),
            end_date: instance.schedule().end().map(At),
            status: instance.status().as_str().to_owned(),
            metadata: instance.metadata().map(JsonText::of).transpose()?,
            version: instance.version(),
            created_at: At(instance.created_at()),
            updated_at: At(instance.updated_at()),
            time_zone: instance.time_zone().as_str().to_owned(),
            seasons: instance
                .seasons()
                .map(|seasons| json_of(&seasons.to_json())),
            season_days: instance.seasons().map(Seasons::day_map),
            next_flip_at: instance.next_change_at(instance.updated_at()).map(At),
            revision: instance.revision(),
            copied_from: instance.copied_from().map(InstanceId::to_string),
        })
    }

    pub(crate) fn into_domain(self) -> Result<ProgramInstance, StoreError> {
        let what = "program instance";
        let parts = InstanceParts {
            id: parsed(what, InstanceId::parse(&self.id))?,
            program_id: parsed(what, ProgramId::parse(&self.program_id))?,
            workspace_id: parsed(what, WorkspaceId::parse(&self.workspace_id))?,
            name: parsed(what, Name::parse(&self.name))?,
            description: optional(what, self.description.as_deref(), Description::parse)?,
            slug: parsed(what, Slug::parse(&self.slug))?,
            logo_url: optional(what, self.logo_url.as_deref(), LogoUrl::parse)?,
            eligibility_criteria: document(what, self.eligibility_criteria)?,
            custom_terms: optional(what, self.custom_terms.as_deref(), CustomTerms::parse)?,
            form_config: document(what, self.form_config)?,
            start_date: self.start_date.map(|at| at.0),
            end_date: self.end_date.map(|at| at.0),
            status: parsed(what, self.status.parse())?,
            metadata: document(what, self.metadata)?,
            time_zone: parsed(what, Zone::parse(&self.time_zone))?,
            seasons: seasons(what, self.seasons.as_ref())?,
            revision: self.revision,
            copied_from: copied_from(what, self.copied_from.as_deref())?,
            version: self.version,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        };
        parsed(what, ProgramInstance::from_parts(parts))
    }
}

impl InstanceRow {
    /// The instance as it is shown: documents kept as their stored text, nothing checked
    /// again but the shape of identifiers (see `InstanceSnapshot`).
    pub(crate) fn into_snapshot(self) -> Result<InstanceSnapshot, StoreError> {
        let what = "program instance";
        let document = |text: Option<JsonText>| {
            text.map(|text| parsed(what, RawValue::from_string(text.0)))
                .transpose()
        };
        Ok(InstanceSnapshot {
            id: parsed(what, InstanceId::parse(&self.id))?,
            program_id: parsed(what, ProgramId::parse(&self.program_id))?,
            workspace_id: parsed(what, WorkspaceId::parse(&self.workspace_id))?,
            name: self.name,
            description: self.description,
            slug: self.slug,
            logo_url: self.logo_url,
            eligibility_criteria: document(self.eligibility_criteria)?,
            custom_terms: self.custom_terms,
            form_config: document(self.form_config)?,
            schedule: parsed(
                what,
                Schedule::new(self.start_date.map(|at| at.0), self.end_date.map(|at| at.0)),
            )?,
            status: parsed(what, self.status.parse())?,
            metadata: document(self.metadata)?,
            time_zone: parsed(what, Zone::parse(&self.time_zone))?,
            seasons: seasons(what, self.seasons.as_ref())?,
            revision: self.revision,
            copied_from: copied_from(what, self.copied_from.as_deref())?,
            version: self.version,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = workspaces, check_for_backend(MultiBackend))]
pub(crate) struct WorkspaceRow {
    pub id: String,
    pub name: String,
    pub created_at: At,
}

impl WorkspaceRow {
    pub(crate) fn from_domain(workspace: &Workspace) -> Self {
        Self {
            id: workspace.id.to_string(),
            name: workspace.name.to_string(),
            created_at: At(workspace.created_at),
        }
    }

    pub(crate) fn into_domain(self) -> Result<Workspace, StoreError> {
        Ok(Workspace {
            id: parsed("workspace", WorkspaceId::parse(&self.id))?,
            name: parsed("workspace", Name::parse(&self.name))?,
            created_at: self.created_at.0,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = programs, check_for_backend(MultiBackend))]
pub(crate) struct ProgramRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub visibility: String,
    pub created_at: At,
}

impl ProgramRow {
    pub(crate) fn from_domain(program: &Program) -> Self {
        Self {
            id: program.id.to_string(),
            slug: program.slug.to_string(),
            name: program.name.to_string(),
            description: program
                .description
                .as_ref()
                .map(|text| text.as_str().to_owned()),
            visibility: program.visibility.as_str().to_owned(),
            created_at: At(program.created_at),
        }
    }

    /// `shared_with` lists the workspaces of a private program; it is ignored for public ones.
    pub(crate) fn into_domain(self, shared_with: &[String]) -> Result<Program, StoreError> {
        let what = "program";
        let visibility = match self.visibility.as_str() {
            "public" => Visibility::Public,
            "private" => Visibility::Private {
                shared_with: parsed(
                    what,
                    shared_with
                        .iter()
                        .map(|id| WorkspaceId::parse(id))
                        .collect(),
                )?,
            },
            other => return Err(corrupt(what, format!("visibility {other}"))),
        };
        Ok(Program {
            id: parsed(what, ProgramId::parse(&self.id))?,
            slug: parsed(what, Slug::parse(&self.slug))?,
            name: parsed(what, Name::parse(&self.name))?,
            description: optional(what, self.description.as_deref(), Description::parse)?,
            visibility,
            created_at: self.created_at.0,
        })
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = api_keys, check_for_backend(MultiBackend))]
pub(crate) struct KeyRow {
    pub workspace_id: String,
    pub id: String,
    pub name: Option<String>,
    pub prefix: String,
    /// A JSON list of scope names.
    pub scopes: JsonText,
    /// A JSON list of instance ids, for a restricted key.
    pub instance_ids: Option<JsonText>,
    pub expires_at: Option<At>,
    pub revoked_at: Option<At>,
    pub created_at: At,
    pub last_used_at: Option<At>,
}

/// A key to insert: its record and its secret's hash.
#[derive(Debug, Insertable)]
#[diesel(table_name = api_keys, check_for_backend(MultiBackend))]
pub(crate) struct NewKeyRow {
    pub workspace_id: String,
    pub id: String,
    pub name: Option<String>,
    pub prefix: String,
    pub secret_hash: String,
    pub scopes: JsonText,
    pub instance_ids: Option<JsonText>,
    pub expires_at: Option<At>,
    pub revoked_at: Option<At>,
    pub created_at: At,
    pub last_used_at: Option<At>,
}

impl NewKeyRow {
    pub(crate) fn new(key: &ApiKey, secret_hash: &str) -> Self {
        let scopes: Vec<&str> = key.grant.scopes().iter().map(Scope::as_str).collect();
        let instance_ids = key
            .grant
            .instances()
            .map(|ids| ids.iter().map(|id| Value::from(id.as_str())).collect());
        Self {
            workspace_id: key.workspace_id.to_string(),
            id: key.id.to_string(),
            name: key.name.clone(),
            prefix: key.prefix.clone(),
            secret_hash: secret_hash.to_owned(),
            scopes: json_of(&Value::from(scopes)),
            instance_ids: instance_ids.map(|ids| json_of(&Value::Array(ids))),
            expires_at: key.expires_at.map(At),
            revoked_at: key.revoked_at.map(At),
            created_at: At(key.created_at),
            last_used_at: key.last_used_at.map(At),
        }
    }
}

impl KeyRow {
    pub(crate) fn into_domain(self) -> Result<ApiKey, StoreError> {
        let what = "api key";
        let scopes = parsed(
            what,
            read_json::<Vec<String>>(what, &self.scopes)?
                .iter()
                .map(|name| name.parse::<Scope>())
                .collect(),
        )?;
        let instances = match &self.instance_ids {
            None => None,
            Some(column) => Some(parsed(
                what,
                read_json::<Vec<String>>(what, column)?
                    .iter()
                    .map(|id| InstanceId::parse(id))
                    .collect::<Result<BTreeSet<_>, _>>(),
            )?),
        };
        Ok(ApiKey {
            id: parsed(what, ApiKeyId::parse(&self.id))?,
            workspace_id: parsed(what, WorkspaceId::parse(&self.workspace_id))?,
            name: self.name,
            prefix: self.prefix,
            grant: Grant::new(scopes, instances),
            expires_at: self.expires_at.map(|at| at.0),
            revoked_at: self.revoked_at.map(|at| at.0),
            created_at: self.created_at.0,
            last_used_at: self.last_used_at.map(|at| at.0),
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = enrollments, check_for_backend(MultiBackend), treat_none_as_null = true)]
#[diesel(primary_key(workspace_id, id))]
pub(crate) struct EnrollmentRow {
    pub workspace_id: String,
    pub id: String,
    pub instance_id: String,
    pub status: String,
    pub customer: JsonText,
    pub device: JsonText,
    pub form_data: JsonText,
    pub eligibility: JsonText,
    pub status_reason: Option<String>,
    pub version: i64,
    pub created_at: At,
    pub updated_at: At,
    pub decided_at: Option<At>,
    /// `decided_at - created_at`, kept for the report's median to read in order.
    pub decision_micros: Option<i64>,
    /// `decision_bucket(decision_micros)`, the histogram's bucket.
    pub decision_bucket: Option<i64>,
    pub instance_revision: i64,
}

impl EnrollmentRow {
    pub(crate) fn from_domain(enrollment: &Enrollment) -> Result<Self, StoreError> {
        let decision_micros = enrollment
            .decided_at
            .map(|at| at.unix_micros() - enrollment.created_at.unix_micros());
        Ok(Self {
            workspace_id: enrollment.workspace_id.to_string(),
            id: enrollment.id.to_string(),
            instance_id: enrollment.instance_id.to_string(),
            status: enrollment.status.as_str().to_owned(),
            customer: JsonText::of(&enrollment.customer)?,
            device: JsonText::of(&enrollment.device)?,
            form_data: JsonText::of(&enrollment.form_data)?,
            eligibility: JsonText::of(&enrollment.eligibility)?,
            status_reason: enrollment.status_reason.clone(),
            version: enrollment.version,
            created_at: At(enrollment.created_at),
            updated_at: At(enrollment.updated_at),
            decided_at: enrollment.decided_at.map(At),
            decision_micros,
            decision_bucket: decision_micros.map(decision_bucket),
            instance_revision: enrollment.instance_revision,
        })
    }

    pub(crate) fn into_domain(self) -> Result<Enrollment, StoreError> {
        let what = "enrollment";
        Ok(Enrollment {
            id: parsed(what, EnrollmentId::parse(&self.id))?,
            workspace_id: parsed(what, WorkspaceId::parse(&self.workspace_id))?,
            instance_id: parsed(what, InstanceId::parse(&self.instance_id))?,
            instance_revision: self.instance_revision,
            customer: parsed(what, Customer::from_json(read_json(what, &self.customer)?))?,
            device: parsed(what, Device::from_json(read_json(what, &self.device)?))?,
            form_data: read_json(what, &self.form_data)?,
            eligibility: read_json::<Evaluation>(what, &self.eligibility)?,
            status: parsed(what, self.status.parse())?,
            status_reason: self.status_reason,
            version: self.version,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            decided_at: self.decided_at.map(|at| at.0),
        })
    }
}
