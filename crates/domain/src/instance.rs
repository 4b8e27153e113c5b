//! The program instance: one workspace's deployment of a catalog program.

mod body;
mod fields;
mod season;
mod status;

pub use body::{READ_ONLY_FIELDS, WRITABLE_FIELDS};

pub use fields::{
    BoundedText, CustomTerms, Description, LogoUrl, Metadata, Name, Schedule, ScheduleError, Slug,
    SlugError, TextError, UrlError,
};
pub use season::{
    DueFlips, EnrollmentFlip, EnrollmentWindow, InvalidDay, MAX_SEASONS, MonthDay,
    OverlappingSeasons, SeasonWindow, Seasons, UnknownTimeZone, Zone,
};
pub use status::{LifecycleError, Status, UnknownStatus};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::eligibility::EligibilityCriteria;
use crate::form::FormConfig;
use crate::ids::{InstanceId, ProgramId, WorkspaceId};
use crate::json_merge::merge_patch;
use crate::timestamp::Timestamp;
use crate::violation::{Violation, Violations};

/// What a workspace chooses when it deploys a program; everything else is decided here.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InstanceDraft {
    pub name: Option<Name>,
    /// Derived from the name when absent.
    pub slug: Option<Slug>,
    pub description: Option<Description>,
    pub logo_url: Option<LogoUrl>,
    pub eligibility_criteria: Option<EligibilityCriteria>,
    pub custom_terms: Option<CustomTerms>,
    pub form_config: Option<FormConfig>,
    pub start_date: Option<Timestamp>,
    pub end_date: Option<Timestamp>,
    /// `active` when absent; `inactive` is the configuration stage; never `archived`.
    pub status: Option<Status>,
    pub metadata: Option<Metadata>,
    /// `UTC` when absent.
    pub time_zone: Option<Zone>,
    pub seasons: Option<Seasons>,
}

impl InstanceDraft {
    /// The rules of a draft that no single field decides: the schedule's order, and a new
    /// instance never being archived.
    fn cross_field_violations(&self) -> Vec<Violation> {
        let mut found = Vec::new();
        if let Err(violation) = checked_schedule(self.start_date, self.end_date) {
            found.push(violation);
        }
        if self.status == Some(Status::Archived) {
            found.push(Violation::new(
                "/status",
                "invalid_initial_status",
                "a new instance is active or inactive, never archived",
            ));
        }
        found
    }
}

/// The schedule of `start` and `end`, or the violation at `/endDate` when they are out of
/// order.
fn checked_schedule(
    start: Option<Timestamp>,
    end: Option<Timestamp>,
) -> Result<Schedule, Violation> {
    Schedule::new(start, end).map_err(|error| Violation::of("/endDate", &error))
}

/// Every stored field of an instance, for storage adapters to rebuild one.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceParts {
    pub id: InstanceId,
    pub program_id: ProgramId,
    pub workspace_id: WorkspaceId,
    pub name: Name,
    pub description: Option<Description>,
    pub slug: Slug,
    pub logo_url: Option<LogoUrl>,
    pub eligibility_criteria: Option<EligibilityCriteria>,
    pub custom_terms: Option<CustomTerms>,
    pub form_config: Option<FormConfig>,
    pub start_date: Option<Timestamp>,
    pub end_date: Option<Timestamp>,
    pub status: Status,
    pub metadata: Option<Metadata>,
    pub time_zone: Zone,
    pub seasons: Option<Seasons>,
    pub revision: i64,
    pub copied_from: Option<InstanceId>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProgramInstance {
    id: InstanceId,
    program_id: ProgramId,
    workspace_id: WorkspaceId,
    name: Name,
    description: Option<Description>,
    slug: Slug,
    logo_url: Option<LogoUrl>,
    eligibility_criteria: Option<EligibilityCriteria>,
    custom_terms: Option<CustomTerms>,
    form_config: Option<FormConfig>,
    schedule: Schedule,
    status: Status,
    metadata: Option<Metadata>,
    time_zone: Zone,
    seasons: Option<Seasons>,
    /// The design customers see and are judged by: +1 with each change of one of
    /// `CUSTOMER_FACING_FIELDS`.
    revision: i64,
    copied_from: Option<InstanceId>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

/// The fields whose change is a new revision: what customers see or are judged by.
pub const CUSTOMER_FACING_FIELDS: [&str; 6] = [
    "name",
    "description",
    "logoUrl",
    "eligibilityCriteria",
    "customTerms",
    "formConfig",
];

/// A fact about an instance's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum InstanceEvent {
    Created,
    /// Changes of fields other than `status`.
    Updated {
        changes: Vec<FieldChange>,
    },
    StatusChanged {
        from: Status,
        to: Status,
    },
}

/// How a field of an instance shows as JSON.
type FieldJson = fn(&ProgramInstance) -> Value;

/// The fields an `updated` event can name (every writable field but `status`), each with
/// its value as the API shows it.
const CHANGEABLE_FIELDS: [(&str, FieldJson); 12] = [
    ("name", |i| text(Some(i.name.as_str()))),
    ("slug", |i| text(Some(i.slug.as_str()))),
    ("description", |i| {
        text(i.description.as_ref().map(|d| d.as_str()))
    }),
    ("logoUrl", |i| {
        text(i.logo_url.as_ref().map(LogoUrl::as_str))
    }),
    ("eligibilityCriteria", |i| {
        document(
            i.eligibility_criteria.as_ref(),
            EligibilityCriteria::to_json,
        )
    }),
    ("customTerms", |i| {
        text(i.custom_terms.as_ref().map(|t| t.as_str()))
    }),
    ("formConfig", |i| {
        document(i.form_config.as_ref(), FormConfig::to_json)
    }),
    ("startDate", |i| instant(i.schedule.start())),
    ("endDate", |i| instant(i.schedule.end())),
    ("metadata", |i| {
        document(i.metadata.as_ref(), Metadata::to_json)
    }),
    ("timeZone", |i| text(Some(i.time_zone.as_str()))),
    ("seasons", |i| {
        document(i.seasons.as_ref(), Seasons::to_json)
    }),
];

fn text(value: Option<&str>) -> Value {
    value.map_or(Value::Null, Value::from)
}

fn instant(value: Option<Timestamp>) -> Value {
    value.map_or(Value::Null, |at| Value::String(at.to_rfc3339()))
}

fn document<T>(value: Option<&T>, to_json: fn(&T) -> Value) -> Value {
    value.map_or(Value::Null, to_json)
}

/// A field change as read back: its field is then matched to one of `CHANGEABLE_FIELDS`.
#[derive(Deserialize)]
struct NamedChange {
    field: String,
    before: Value,
    after: Value,
}

// By hand: a derive would tie the deserializer's lifetime to the `'static` field name.
impl<'de> Deserialize<'de> for FieldChange {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let change = NamedChange::deserialize(deserializer)?;
        let field = CHANGEABLE_FIELDS
            .into_iter()
            .map(|(field, _)| field)
            .find(|field| *field == change.field)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "{} is not a field an update can change",
                    change.field
                ))
            })?;
        Ok(Self {
            field,
            before: change.before,
            after: change.after,
        })
    }
}

impl InstanceEvent {
    /// The values before the change of the fields it changed, as the API shows them:
    /// `previous` in the event log.
    pub fn previous(&self) -> Value {
        match self {
            InstanceEvent::Created => Value::Null,
            InstanceEvent::Updated { changes } => Value::Object(
                changes
                    .iter()
                    .map(|change| (change.field.to_owned(), change.before.clone()))
                    .collect(),
            ),
            InstanceEvent::StatusChanged { from, .. } => {
                serde_json::json!({ "status": from.as_str() })
            }
        }
    }

    /// The change a logged event of an instance tells of, from its `object` (the instance
    /// after) and `previous` (the changed fields before); `None` when `kind` is not an
    /// instance history type or the documents do not fit it.
    pub fn from_logged(kind: crate::EventType, object: &Value, previous: &Value) -> Option<Self> {
        use crate::EventType;
        match kind {
            EventType::InstanceCreated => Some(InstanceEvent::Created),
            EventType::InstanceUpdated => {
                let previous = previous.as_object()?;
                let changes = CHANGEABLE_FIELDS
                    .into_iter()
                    .filter_map(|(field, _)| {
                        previous.get(field).map(|before| FieldChange {
                            field,
                            before: before.clone(),
                            after: object.get(field).cloned().unwrap_or(Value::Null),
                        })
                    })
                    .collect();
                Some(InstanceEvent::Updated { changes })
            }
            EventType::InstanceStatusChanged => {
                let status = |document: &Value| {
                    document
                        .get("status")
                        .and_then(Value::as_str)
                        .and_then(|text| text.parse::<Status>().ok())
                };
                Some(InstanceEvent::StatusChanged {
                    from: status(previous)?,
                    to: status(object)?,
                })
            }
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            InstanceEvent::Created => "created",
            InstanceEvent::Updated { .. } => "updated",
            InstanceEvent::StatusChanged { .. } => "statusChanged",
        }
    }
}

/// One field's value before and after a change, as JSON (`null` when unset).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// One of `CHANGEABLE_FIELDS`.
    pub field: &'static str,
    pub before: Value,
    pub after: Value,
}

/// A JSON Merge Patch (RFC 7396) of an instance, already parsed at its edges.
///
/// `None` leaves a field unchanged. For optional scalar fields, `Some(None)` clears them. The
/// object-valued fields carry the raw merge document: it is merged into the current value
/// and the result validated, so nested `null`s remove keys as RFC 7396 says.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InstancePatch {
    pub name: Option<Name>,
    pub slug: Option<Slug>,
    pub description: Option<Option<Description>>,
    pub logo_url: Option<Option<LogoUrl>>,
    pub eligibility_criteria: Option<Value>,
    pub custom_terms: Option<Option<CustomTerms>>,
    pub form_config: Option<Value>,
    pub start_date: Option<Option<Timestamp>>,
    pub end_date: Option<Option<Timestamp>>,
    pub status: Option<Status>,
    pub metadata: Option<Value>,
    pub time_zone: Option<Zone>,
    /// Replaced whole (a merge patch replaces arrays); `Some(None)` removes the limit.
    pub seasons: Option<Option<Seasons>>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PatchError {
    #[error("{0}")]
    Invalid(Violations),
    #[error(transparent)]
    Lifecycle(LifecycleError),
}

/// The result of applying a patch: the new state and what happened. No events means nothing
/// changed, and the instance is returned as it was (same version).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOutcome {
    pub instance: ProgramInstance,
    pub events: Vec<InstanceEvent>,
    /// How the change turned `acceptingEnrollments` at the time it was made, if it did.
    pub flip: Option<EnrollmentFlip>,
}

impl PatchOutcome {
    pub fn changed(&self) -> bool {
        !self.events.is_empty()
    }
}

impl ProgramInstance {
    /// A new instance at version 1, with its `created` event.
    pub fn create(
        id: InstanceId,
        program_id: ProgramId,
        workspace_id: WorkspaceId,
        draft: InstanceDraft,
        now: Timestamp,
    ) -> Result<(Self, InstanceEvent), Violations> {
        let mut violations = Violations::new();
        for violation in draft.cross_field_violations() {
            violations.push(violation);
        }
        let name = draft
            .name
            .ok_or_else(|| Violation::new("/name", "required", "name is required"));
        let slug = match (draft.slug, &name) {
            (Some(slug), _) => Some(slug),
            (None, Ok(name)) => {
                Some(Slug::derive_from(name).unwrap_or_else(|| Slug::of_instance(&id)))
            }
            (None, Err(_)) => None,
        };
        let schedule = Schedule::new(draft.start_date, draft.end_date).ok();
        let status = draft.status.unwrap_or(Status::Active);
        let name = name.map_err(|violation| violations.push(violation)).ok();
        let (Some(name), Some(slug), Some(schedule), true) =
            (name, slug, schedule, violations.is_empty())
        else {
            return Err(violations);
        };
        let instance = Self {
            id,
            program_id,
            workspace_id,
            name,
            description: draft.description,
            slug,
            logo_url: draft.logo_url,
            eligibility_criteria: draft.eligibility_criteria,
            custom_terms: draft.custom_terms,
            form_config: draft.form_config,
            schedule,
            status,
            metadata: draft.metadata,
            time_zone: draft.time_zone.unwrap_or_else(Zone::utc),
            seasons: draft.seasons,
            revision: 1,
            copied_from: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        Ok((instance, InstanceEvent::Created))
    }

    /// A new instance of the same program, made from this one: `changes` (members of a
    /// creation body; `slug` required) set the fields they name, `null` clearing one, and
    /// every other writable field is copied. `inactive` unless `changes` says otherwise;
    /// revision 1, version 1, `copied_from` this one. Any instance can be copied, archived
    /// ones too.
    pub fn copy(
        &self,
        id: InstanceId,
        changes: Map<String, Value>,
        now: Timestamp,
    ) -> Result<(Self, InstanceEvent), Violations> {
        // As in a merge patch, `null` clears an optional field and cannot clear one that
        // every instance has.
        let nulled: Vec<Violation> = ["name", "slug", "status", "timeZone"]
            .into_iter()
            .filter(|key| changes.get(*key).is_some_and(Value::is_null))
            .map(|key| {
                Violation::new(
                    format!("/{key}"),
                    "required",
                    format!("{key} cannot be null"),
                )
            })
            .collect();
        let names_a_slug = changes.contains_key("slug");
        let mut body: Map<String, Value> = CHANGEABLE_FIELDS
            .into_iter()
            .map(|(field, json)| (field.to_owned(), json(self)))
            .collect();
        body.insert("status".to_owned(), Value::from(Status::Inactive.as_str()));
        body.extend(changes);
        let draft = InstanceDraft::from_json(body);
        let mut violations = match &draft {
            Ok(_) => Violations::new(),
            Err(found) => found.clone(),
        };
        if !names_a_slug {
            violations.push(Violation::new(
                "/slug",
                "required",
                "a copy needs a slug of its own",
            ));
        }
        for violation in nulled {
            if !violations
                .iter()
                .any(|found| found.pointer == violation.pointer)
            {
                violations.push(violation);
            }
        }
        let draft = match draft {
            Ok(draft) if violations.is_empty() => draft,
            _ => return Err(violations),
        };
        let (mut copy, event) = Self::create(
            id,
            self.program_id.clone(),
            self.workspace_id.clone(),
            draft,
            now,
        )?;
        copy.copied_from = Some(self.id.clone());
        Ok((copy, event))
    }

    /// Rebuilds a stored instance, re-checking the rules that span fields.
    pub fn from_parts(parts: InstanceParts) -> Result<Self, Violations> {
        let schedule = checked_schedule(parts.start_date, parts.end_date)?;
        Ok(Self {
            id: parts.id,
            program_id: parts.program_id,
            workspace_id: parts.workspace_id,
            name: parts.name,
            description: parts.description,
            slug: parts.slug,
            logo_url: parts.logo_url,
            eligibility_criteria: parts.eligibility_criteria,
            custom_terms: parts.custom_terms,
            form_config: parts.form_config,
            schedule,
            status: parts.status,
            metadata: parts.metadata,
            time_zone: parts.time_zone,
            seasons: parts.seasons,
            revision: parts.revision,
            copied_from: parts.copied_from,
            version: parts.version,
            created_at: parts.created_at,
            updated_at: parts.updated_at,
        })
    }

    /// Applies a merge patch: validates the merged state, decides any status transition
    /// against the merged `endDate`, and on change bumps `version` and `updatedAt`.
    pub fn apply(&self, patch: InstancePatch, now: Timestamp) -> Result<PatchOutcome, PatchError> {
        if self.status == Status::Archived {
            return Err(PatchError::Lifecycle(LifecycleError::Archived));
        }
        let mut next = self.clone();
        let mut violations = Violations::new();

        if let Some(name) = patch.name {
            next.name = name;
        }
        if let Some(slug) = patch.slug {
            next.slug = slug;
        }
        if let Some(description) = patch.description {
            next.description = description;
        }
        if let Some(logo_url) = patch.logo_url {
            next.logo_url = logo_url;
        }
        if let Some(custom_terms) = patch.custom_terms {
            next.custom_terms = custom_terms;
        }
        if let Some(time_zone) = patch.time_zone {
            next.time_zone = time_zone;
        }
        if let Some(seasons) = patch.seasons {
            next.seasons = seasons;
        }
        merge_document(
            &mut next.eligibility_criteria,
            patch.eligibility_criteria,
            (EligibilityCriteria::to_json, EligibilityCriteria::from_json),
            "/eligibilityCriteria",
            &mut violations,
        );
        merge_document(
            &mut next.form_config,
            patch.form_config,
            (FormConfig::to_json, FormConfig::from_json),
            "/formConfig",
            &mut violations,
        );
        merge_document(
            &mut next.metadata,
            patch.metadata,
            (Metadata::to_json, Metadata::from_json),
            "/metadata",
            &mut violations,
        );
        let start = patch.start_date.unwrap_or(self.schedule.start());
        let end = patch.end_date.unwrap_or(self.schedule.end());
        match checked_schedule(start, end) {
            Ok(schedule) => next.schedule = schedule,
            Err(violation) => violations.push(violation),
        }
        if !violations.is_empty() {
            return Err(PatchError::Invalid(violations));
        }

        let mut events = Vec::new();
        let changes = self.changes_to(&next);
        if changes
            .iter()
            .any(|change| CUSTOMER_FACING_FIELDS.contains(&change.field))
        {
            next.revision = self.revision + 1;
        }
        if !changes.is_empty() {
            events.push(InstanceEvent::Updated { changes });
        }
        if let Some(target) = patch.status {
            let moved = self
                .status
                .transition(target, next.schedule.end(), now)
                .map_err(PatchError::Lifecycle)?;
            if let Some(to) = moved {
                next.status = to;
                events.push(InstanceEvent::StatusChanged {
                    from: self.status,
                    to,
                });
            }
        }
        if events.is_empty() {
            return Ok(PatchOutcome {
                instance: self.clone(),
                events,
                flip: None,
            });
        }
        next.version = self.version + 1;
        next.updated_at = now;
        let flip = EnrollmentFlip::between(
            self.accepting_enrollments(now),
            next.accepting_enrollments(now),
        );
        Ok(PatchOutcome {
            instance: next,
            events,
            flip,
        })
    }

    fn changes_to(&self, next: &ProgramInstance) -> Vec<FieldChange> {
        CHANGEABLE_FIELDS
            .into_iter()
            .map(|(field, json)| (field, json(self), json(next)))
            .filter(|(_, before, after)| before != after)
            .map(|(field, before, after)| FieldChange {
                field,
                before,
                after,
            })
            .collect()
    }

    /// What decides when it takes enrollments: status, dates, seasons and zone.
    pub fn enrollment_window(&self) -> EnrollmentWindow<'_> {
        EnrollmentWindow {
            status: self.status,
            schedule: self.schedule,
            seasons: self.seasons.as_ref(),
            zone: &self.time_zone,
        }
    }

    /// `status == active`, `at` within [startDate, endDate], and within a season if any.
    pub fn accepting_enrollments(&self, at: Timestamp) -> bool {
        self.enrollment_window().accepting(at)
    }

    /// When `accepting_enrollments` next flips by time alone (`nextChangeAt`).
    pub fn next_change_at(&self, now: Timestamp) -> Option<Timestamp> {
        self.enrollment_window().next_change(now)
    }

    pub fn id(&self) -> &InstanceId {
        &self.id
    }
    pub fn program_id(&self) -> &ProgramId {
        &self.program_id
    }
    pub fn workspace_id(&self) -> &WorkspaceId {
        &self.workspace_id
    }
    pub fn name(&self) -> &Name {
        &self.name
    }
    pub fn description(&self) -> Option<&Description> {
        self.description.as_ref()
    }
    pub fn slug(&self) -> &Slug {
        &self.slug
    }
    pub fn logo_url(&self) -> Option<&LogoUrl> {
        self.logo_url.as_ref()
    }
    pub fn eligibility_criteria(&self) -> Option<&EligibilityCriteria> {
        self.eligibility_criteria.as_ref()
    }
    pub fn custom_terms(&self) -> Option<&CustomTerms> {
        self.custom_terms.as_ref()
    }
    pub fn form_config(&self) -> Option<&FormConfig> {
        self.form_config.as_ref()
    }
    pub fn schedule(&self) -> Schedule {
        self.schedule
    }
    pub fn status(&self) -> Status {
        self.status
    }
    pub fn metadata(&self) -> Option<&Metadata> {
        self.metadata.as_ref()
    }
    pub fn time_zone(&self) -> &Zone {
        &self.time_zone
    }
    pub fn seasons(&self) -> Option<&Seasons> {
        self.seasons.as_ref()
    }
    pub fn version(&self) -> i64 {
        self.version
    }
    pub fn revision(&self) -> i64 {
        self.revision
    }
    pub fn copied_from(&self) -> Option<&InstanceId> {
        self.copied_from.as_ref()
    }
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }
    pub fn updated_at(&self) -> Timestamp {
        self.updated_at
    }
}

/// How an object-valued field converts to JSON and back.
type JsonCodec<T> = (fn(&T) -> Value, fn(Value) -> Result<T, Violations>);

/// Applies a merge document (RFC 7396) to an object-valued field and validates the result;
/// a `null` result clears the field. On violations, recorded under `pointer`, the field is
/// left as it was.
fn merge_document<T>(
    field: &mut Option<T>,
    document: Option<Value>,
    (to_json, from_json): JsonCodec<T>,
    pointer: &str,
    violations: &mut Violations,
) {
    let Some(document) = document else { return };
    let mut target = field.as_ref().map(to_json).unwrap_or(Value::Null);
    merge_patch(&mut target, &document);
    let merged = (!target.is_null()).then_some(target);
    match merged.map(from_json).transpose() {
        Ok(value) => *field = value,
        Err(errors) => violations.extend(errors.nested_in(pointer)),
    }
}

#[cfg(test)]
mod tests;
