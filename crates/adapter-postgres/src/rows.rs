//! Row structs and their mapping to and from domain types. No row leaves this crate.

use diesel::prelude::*;
use domain::{
    ApiKeyId, CustomTerms, Description, EligibilityCriteria, FormConfig, Grant, InstanceId,
    InstanceParts, LogoUrl, Metadata, Name, Program, ProgramId, ProgramInstance, Scope, Slug,
    Timestamp, Visibility, Workspace, WorkspaceId,
};
use ports::{StoreError, StoredKey};
use serde_json::Value;
use time::OffsetDateTime;

use crate::failure::corrupt;
use crate::schema::{api_keys, program_instances, programs, workspaces};

fn stamp(value: OffsetDateTime) -> Timestamp {
    Timestamp::from_datetime(value)
}

fn parsed<T, E: std::fmt::Display>(what: &str, result: Result<T, E>) -> Result<T, StoreError> {
    result.map_err(|error| corrupt(what, error))
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = program_instances, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
pub(crate) struct InstanceRow {
    pub workspace_id: String,
    pub id: String,
    pub program_id: String,
    pub name: String,
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

impl InstanceRow {
    pub(crate) fn from_domain(instance: &ProgramInstance) -> Self {
        Self {
            workspace_id: instance.workspace_id().to_string(),
            id: instance.id().to_string(),
            program_id: instance.program_id().to_string(),
            name: instance.name().to_string(),
            description: instance.description().map(|text| text.as_str().to_owned()),
            slug: instance.slug().to_string(),
            logo_url: instance.logo_url().map(|url| url.as_str().to_owned()),
            eligibility_criteria: instance
                .eligibility_criteria()
                .map(EligibilityCriteria::to_json),
            custom_terms: instance.custom_terms().map(|text| text.as_str().to_owned()),
            form_config: instance.form_config().map(FormConfig::to_json),
            start_date: instance.schedule().start().map(|t| t.as_datetime()),
            end_date: instance.schedule().end().map(|t| t.as_datetime()),
            status: instance.status().as_str().to_owned(),
            metadata: instance.metadata().map(Metadata::to_json),
            version: instance.version(),
            created_at: instance.created_at().as_datetime(),
            updated_at: instance.updated_at().as_datetime(),
        }
    }

    pub(crate) fn into_domain(self) -> Result<ProgramInstance, StoreError> {
        let what = "program instance";
        let parts = InstanceParts {
            id: parsed(what, InstanceId::parse(&self.id))?,
            program_id: parsed(what, ProgramId::parse(&self.program_id))?,
            workspace_id: parsed(what, WorkspaceId::parse(&self.workspace_id))?,
            name: parsed(what, Name::parse(&self.name))?,
            description: parsed(
                what,
                self.description
                    .as_deref()
                    .map(Description::parse)
                    .transpose(),
            )?,
            slug: parsed(what, Slug::parse(&self.slug))?,
            logo_url: parsed(
                what,
                self.logo_url.as_deref().map(LogoUrl::parse).transpose(),
            )?,
            eligibility_criteria: parsed(
                what,
                self.eligibility_criteria
                    .map(EligibilityCriteria::from_json)
                    .transpose(),
            )?,
            custom_terms: parsed(
                what,
                self.custom_terms
                    .as_deref()
                    .map(CustomTerms::parse)
                    .transpose(),
            )?,
            form_config: parsed(
                what,
                self.form_config.map(FormConfig::from_json).transpose(),
            )?,
            start_date: self.start_date.map(stamp),
            end_date: self.end_date.map(stamp),
            status: parsed(what, self.status.parse())?,
            metadata: parsed(what, self.metadata.map(Metadata::from_json).transpose())?,
            version: self.version,
            created_at: stamp(self.created_at),
            updated_at: stamp(self.updated_at),
        };
        parsed(what, ProgramInstance::from_parts(parts))
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = workspaces, check_for_backend(diesel::pg::Pg))]
pub(crate) struct WorkspaceRow {
    pub id: String,
    pub name: String,
    pub created_at: OffsetDateTime,
}

impl WorkspaceRow {
    pub(crate) fn from_domain(workspace: &Workspace) -> Self {
        Self {
            id: workspace.id.to_string(),
            name: workspace.name.to_string(),
            created_at: workspace.created_at.as_datetime(),
        }
    }

    pub(crate) fn into_domain(self) -> Result<Workspace, StoreError> {
        Ok(Workspace {
            id: parsed("workspace", WorkspaceId::parse(&self.id))?,
            name: parsed("workspace", Name::parse(&self.name))?,
            created_at: stamp(self.created_at),
        })
    }
}

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
            created_at: program.created_at.as_datetime(),
        }
    }

    /// `shared_with` lists the workspaces of a private program; it is ignored for public ones.
    pub(crate) fn into_domain(self, shared_with: Vec<String>) -> Result<Program, StoreError> {
        let what = "program";
        let visibility = match self.visibility.as_str() {
            "public" => Visibility::Public,
            "private" => Visibility::Private {
                shared_with: shared_with
                    .iter()
                    .map(|id| WorkspaceId::parse(id))
                    .collect::<Result<_, _>>()
                    .map_err(|e| corrupt(what, e))?,
            },
            other => return Err(corrupt(what, format!("visibility {other}"))),
        };
        Ok(Program {
            id: parsed(what, ProgramId::parse(&self.id))?,
            slug: parsed(what, Slug::parse(&self.slug))?,
            name: parsed(what, Name::parse(&self.name))?,
            description: parsed(
                what,
                self.description
                    .as_deref()
                    .map(Description::parse)
                    .transpose(),
            )?,
            visibility,
            created_at: stamp(self.created_at),
        })
    }
}

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

impl KeyRow {
    pub(crate) fn from_domain(key: &StoredKey) -> Self {
        let scopes: Vec<&str> = key.grant.scopes().iter().map(Scope::as_str).collect();
        let instance_ids = key
            .grant
            .instances()
            .map(|ids| Value::Array(ids.iter().map(|id| Value::String(id.to_string())).collect()));
        Self {
            workspace_id: key.workspace_id.to_string(),
            id: key.id.to_string(),
            name: key.name.clone(),
            prefix: key.prefix.clone(),
            secret_hash: key.secret_hash.clone(),
            scopes: Value::from(scopes),
            instance_ids,
            expires_at: key.expires_at.map(|t| t.as_datetime()),
            revoked_at: key.revoked_at.map(|t| t.as_datetime()),
            created_at: key.created_at.as_datetime(),
            last_used_at: key.last_used_at.map(|t| t.as_datetime()),
        }
    }

    pub(crate) fn into_domain(self) -> Result<StoredKey, StoreError> {
        let what = "api key";
        let strings = |value: &Value| -> Result<Vec<String>, StoreError> {
            serde_json::from_value(value.clone()).map_err(|e| corrupt(what, e))
        };
        let scopes = strings(&self.scopes)?
            .iter()
            .map(|name| name.parse::<Scope>())
            .collect::<Result<_, _>>()
            .map_err(|e| corrupt(what, e))?;
        let instances = match &self.instance_ids {
            None => None,
            Some(value) => Some(
                strings(value)?
                    .iter()
                    .map(|id| InstanceId::parse(id))
                    .collect::<Result<_, _>>()
                    .map_err(|e| corrupt(what, e))?,
            ),
        };
        Ok(StoredKey {
            id: parsed(what, ApiKeyId::parse(&self.id))?,
            workspace_id: parsed(what, WorkspaceId::parse(&self.workspace_id))?,
            name: self.name,
            prefix: self.prefix,
            secret_hash: self.secret_hash,
            grant: Grant::new(scopes, instances),
            expires_at: self.expires_at.map(stamp),
            revoked_at: self.revoked_at.map(stamp),
            created_at: stamp(self.created_at),
            last_used_at: self.last_used_at.map(stamp),
        })
    }
}
