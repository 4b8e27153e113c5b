//! The flat forms in which storage adapters keep entities, and the one mapping between them
//! and domain values. Each adapter picks its column types for instants (`TimeColumn`) and
//! JSON documents (`JsonColumn`); everything else — which field goes where, how a stored
//! value is re-validated, what a corrupt record reports — is decided here, once.

use std::collections::BTreeSet;

use domain::eligibility::Evaluation;
use domain::enrollment::{Customer, Device};
use domain::{
    ApiKeyId, CustomTerms, Description, EligibilityCriteria, Enrollment, EnrollmentId, FormConfig,
    Grant, InstanceId, InstanceParts, LogoUrl, Metadata, Name, Program, ProgramId, ProgramInstance,
    Scope, Slug, Timestamp, Visibility, Workspace, WorkspaceId,
};
use serde_json::Value;
use time::OffsetDateTime;

use crate::{StoreError, StoredKey};

/// A stored value that no longer satisfies the domain's rules.
pub fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::unexpected(format!("stored {what} is invalid: {detail}"))
}

fn parsed<T, E: std::fmt::Display>(what: &str, result: Result<T, E>) -> Result<T, StoreError> {
    result.map_err(|error| corrupt(what, error))
}

/// How an adapter stores an instant.
pub trait TimeColumn: Sized {
    fn from_timestamp(stamp: Timestamp) -> Self;
    fn into_timestamp(self) -> Result<Timestamp, StoreError>;
}

/// `timestamptz` and the like.
impl TimeColumn for OffsetDateTime {
    fn from_timestamp(stamp: Timestamp) -> Self {
        stamp.as_datetime()
    }
    fn into_timestamp(self) -> Result<Timestamp, StoreError> {
        Ok(Timestamp::from_datetime(self))
    }
}

/// Microseconds since the Unix epoch, for engines without a time type.
impl TimeColumn for i64 {
    fn from_timestamp(stamp: Timestamp) -> Self {
        stamp.unix_micros()
    }
    fn into_timestamp(self) -> Result<Timestamp, StoreError> {
        Timestamp::from_unix_micros(self).ok_or_else(|| corrupt("instant", self))
    }
}

/// How an adapter stores a JSON document.
pub trait JsonColumn: Sized {
    fn from_json(value: Value) -> Self;
    fn into_json(self) -> Result<Value, StoreError>;
}

/// `jsonb` and the like.
impl JsonColumn for Value {
    fn from_json(value: Value) -> Self {
        value
    }
    fn into_json(self) -> Result<Value, StoreError> {
        Ok(self)
    }
}

/// JSON as text.
impl JsonColumn for String {
    fn from_json(value: Value) -> Self {
        value.to_string()
    }
    fn into_json(self) -> Result<Value, StoreError> {
        serde_json::from_str(&self).map_err(|error| corrupt("JSON document", error))
    }
}

fn time_of<T: TimeColumn>(value: Option<T>) -> Result<Option<Timestamp>, StoreError> {
    value.map(T::into_timestamp).transpose()
}

fn json_of<J: JsonColumn>(value: Option<J>) -> Result<Option<Value>, StoreError> {
    value.map(J::into_json).transpose()
}

/// The search form of a name: case-folded, so that every engine matches substrings alike.
pub fn fold_case(text: &str) -> String {
    text.to_lowercase()
}

/// A `LIKE … ESCAPE '\'` pattern matching `text` anywhere, with its wildcards literal.
pub fn contains_pattern(text: &str) -> String {
    let escaped = fold_case(text)
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[derive(Debug, Clone, PartialEq)]
pub struct InstanceRecord<T, J> {
    pub workspace_id: String,
    pub id: String,
    pub program_id: String,
    pub name: String,
    /// `fold_case(name)`, for searching.
    pub name_folded: String,
    pub description: Option<String>,
    pub slug: String,
    pub logo_url: Option<String>,
    pub eligibility_criteria: Option<J>,
    pub custom_terms: Option<String>,
    pub form_config: Option<J>,
    pub start_date: Option<T>,
    pub end_date: Option<T>,
    pub status: String,
    pub metadata: Option<J>,
    pub version: i64,
    pub created_at: T,
    pub updated_at: T,
}

impl<T: TimeColumn, J: JsonColumn> InstanceRecord<T, J> {
    pub fn from_domain(instance: &ProgramInstance) -> Self {
        Self {
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
                .map(|c| J::from_json(c.to_json())),
            custom_terms: instance.custom_terms().map(|text| text.as_str().to_owned()),
            form_config: instance
                .form_config()
                .map(|form| J::from_json(form.to_json())),
            start_date: instance.schedule().start().map(T::from_timestamp),
            end_date: instance.schedule().end().map(T::from_timestamp),
            status: instance.status().as_str().to_owned(),
            metadata: instance
                .metadata()
                .map(|metadata| J::from_json(metadata.to_json())),
            version: instance.version(),
            created_at: T::from_timestamp(instance.created_at()),
            updated_at: T::from_timestamp(instance.updated_at()),
        }
    }

    pub fn into_domain(self) -> Result<ProgramInstance, StoreError> {
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
                json_of(self.eligibility_criteria)?
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
                json_of(self.form_config)?
                    .map(FormConfig::from_json)
                    .transpose(),
            )?,
            start_date: time_of(self.start_date)?,
            end_date: time_of(self.end_date)?,
            status: parsed(what, self.status.parse())?,
            metadata: parsed(
                what,
                json_of(self.metadata)?.map(Metadata::from_json).transpose(),
            )?,
            version: self.version,
            created_at: self.created_at.into_timestamp()?,
            updated_at: self.updated_at.into_timestamp()?,
        };
        parsed(what, ProgramInstance::from_parts(parts))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkspaceRecord<T> {
    pub id: String,
    pub name: String,
    pub created_at: T,
}

impl<T: TimeColumn> WorkspaceRecord<T> {
    pub fn from_domain(workspace: &Workspace) -> Self {
        Self {
            id: workspace.id.to_string(),
            name: workspace.name.to_string(),
            created_at: T::from_timestamp(workspace.created_at),
        }
    }

    pub fn into_domain(self) -> Result<Workspace, StoreError> {
        Ok(Workspace {
            id: parsed("workspace", WorkspaceId::parse(&self.id))?,
            name: parsed("workspace", Name::parse(&self.name))?,
            created_at: self.created_at.into_timestamp()?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProgramRecord<T> {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub visibility: String,
    pub created_at: T,
}

impl<T: TimeColumn> ProgramRecord<T> {
    pub fn from_domain(program: &Program) -> Self {
        Self {
            id: program.id.to_string(),
            slug: program.slug.to_string(),
            name: program.name.to_string(),
            description: program
                .description
                .as_ref()
                .map(|text| text.as_str().to_owned()),
            visibility: program.visibility.as_str().to_owned(),
            created_at: T::from_timestamp(program.created_at),
        }
    }

    /// `shared_with` lists the workspaces of a private program; it is ignored for public ones.
    pub fn into_domain(self, shared_with: &[String]) -> Result<Program, StoreError> {
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
            description: parsed(
                what,
                self.description
                    .as_deref()
                    .map(Description::parse)
                    .transpose(),
            )?,
            visibility,
            created_at: self.created_at.into_timestamp()?,
        })
    }
}

/// The workspaces a program is shared with, as rows to store.
pub fn program_shares(program: &Program) -> Vec<(String, String)> {
    match &program.visibility {
        Visibility::Public => Vec::new(),
        Visibility::Private { shared_with } => shared_with
            .iter()
            .map(|workspace| (workspace.to_string(), program.id.to_string()))
            .collect(),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyRecord<T, J> {
    pub workspace_id: String,
    pub id: String,
    pub name: Option<String>,
    pub prefix: String,
    pub secret_hash: String,
    /// A JSON list of scope names.
    pub scopes: J,
    /// A JSON list of instance ids, for a restricted key.
    pub instance_ids: Option<J>,
    pub expires_at: Option<T>,
    pub revoked_at: Option<T>,
    pub created_at: T,
    pub last_used_at: Option<T>,
}

impl<T: TimeColumn, J: JsonColumn> KeyRecord<T, J> {
    pub fn from_domain(key: &StoredKey) -> Self {
        let scopes: Vec<&str> = key.grant.scopes().iter().map(Scope::as_str).collect();
        let instance_ids = key
            .grant
            .instances()
            .map(|ids| ids.iter().map(ToString::to_string).collect::<Vec<_>>());
        Self {
            workspace_id: key.workspace_id.to_string(),
            id: key.id.to_string(),
            name: key.name.clone(),
            prefix: key.prefix.clone(),
            secret_hash: key.secret_hash.clone(),
            scopes: J::from_json(Value::from(scopes)),
            instance_ids: instance_ids.map(|ids| J::from_json(Value::from(ids))),
            expires_at: key.expires_at.map(T::from_timestamp),
            revoked_at: key.revoked_at.map(T::from_timestamp),
            created_at: T::from_timestamp(key.created_at),
            last_used_at: key.last_used_at.map(T::from_timestamp),
        }
    }

    pub fn into_domain(self) -> Result<StoredKey, StoreError> {
        let what = "api key";
        let strings = |column: J| -> Result<Vec<String>, StoreError> {
            parsed(
                what,
                serde_json::from_value::<Vec<String>>(column.into_json()?),
            )
        };
        let scopes = parsed(
            what,
            strings(self.scopes)?
                .iter()
                .map(|name| name.parse::<Scope>())
                .collect(),
        )?;
        let instances = match self.instance_ids {
            None => None,
            Some(column) => Some(parsed(
                what,
                strings(column)?
                    .iter()
                    .map(|id| InstanceId::parse(id))
                    .collect::<Result<BTreeSet<_>, _>>(),
            )?),
        };
        Ok(StoredKey {
            id: parsed(what, ApiKeyId::parse(&self.id))?,
            workspace_id: parsed(what, WorkspaceId::parse(&self.workspace_id))?,
            name: self.name,
            prefix: self.prefix,
            secret_hash: self.secret_hash,
            grant: Grant::new(scopes, instances),
            expires_at: time_of(self.expires_at)?,
            revoked_at: time_of(self.revoked_at)?,
            created_at: self.created_at.into_timestamp()?,
            last_used_at: time_of(self.last_used_at)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnrollmentRecord<T, J> {
    pub workspace_id: String,
    pub id: String,
    pub instance_id: String,
    pub status: String,
    pub customer: J,
    pub device: J,
    pub form_data: J,
    pub eligibility: J,
    pub status_reason: Option<String>,
    pub version: i64,
    pub created_at: T,
    pub updated_at: T,
}

impl<T: TimeColumn, J: JsonColumn> EnrollmentRecord<T, J> {
    pub fn from_domain(enrollment: &Enrollment) -> Self {
        let json =
            |value: Result<Value, serde_json::Error>| J::from_json(value.unwrap_or(Value::Null));
        Self {
            workspace_id: enrollment.workspace_id.to_string(),
            id: enrollment.id.to_string(),
            instance_id: enrollment.instance_id.to_string(),
            status: enrollment.status.as_str().to_owned(),
            customer: json(serde_json::to_value(&enrollment.customer)),
            device: json(serde_json::to_value(&enrollment.device)),
            form_data: J::from_json(Value::Object(enrollment.form_data.clone())),
            eligibility: json(serde_json::to_value(&enrollment.eligibility)),
            status_reason: enrollment.status_reason.clone(),
            version: enrollment.version,
            created_at: T::from_timestamp(enrollment.created_at),
            updated_at: T::from_timestamp(enrollment.updated_at),
        }
    }

    pub fn into_domain(self) -> Result<Enrollment, StoreError> {
        let what = "enrollment";
        let Value::Object(form_data) = self.form_data.into_json()? else {
            return Err(corrupt(what, "form data is not an object"));
        };
        Ok(Enrollment {
            id: parsed(what, EnrollmentId::parse(&self.id))?,
            workspace_id: parsed(what, WorkspaceId::parse(&self.workspace_id))?,
            instance_id: parsed(what, InstanceId::parse(&self.instance_id))?,
            customer: parsed(what, Customer::from_json(&self.customer.into_json()?))?,
            device: parsed(what, Device::from_json(&self.device.into_json()?))?,
            form_data,
            eligibility: parsed(
                what,
                serde_json::from_value::<Evaluation>(self.eligibility.into_json()?),
            )?,
            status: parsed(what, self.status.parse())?,
            status_reason: self.status_reason,
            version: self.version,
            created_at: self.created_at.into_timestamp()?,
            updated_at: self.updated_at.into_timestamp()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_patterns_escape_wildcards_and_fold_case() {
        assert_eq!(contains_pattern("50% OFF_x\\"), "%50\\% off\\_x\\\\%");
    }

    #[test]
    fn micros_and_text_json_round_trip() {
        let stamp = Timestamp::parse("2023-01-01T00:00:00.123456Z").unwrap();
        assert_eq!(i64::from_timestamp(stamp).into_timestamp().unwrap(), stamp);
        let json = serde_json::json!({"a": [1, "x"]});
        assert_eq!(String::from_json(json.clone()).into_json().unwrap(), json);
        assert!("{".to_owned().into_json().is_err());
    }
}
