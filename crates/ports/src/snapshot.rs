//! An instance as it is shown, read without rebuilding the domain value: its documents stay
//! the JSON text they were checked and stored as, and nothing is checked again. Reads that
//! only display (a GET, a list) cost a row's decoding and no more.

use domain::instance::{EnrollmentWindow, Seasons, Zone};
use domain::{InstanceId, ProgramId, ProgramInstance, Schedule, Status, Timestamp, WorkspaceId};
use serde_json::value::RawValue;

/// A JSON document as stored: valid JSON, rendered as it is.
pub type Document = Box<RawValue>;

#[derive(Debug, Clone)]
pub struct InstanceSnapshot {
    pub id: InstanceId,
    pub program_id: ProgramId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub description: Option<String>,
    pub slug: String,
    pub logo_url: Option<String>,
    pub eligibility_criteria: Option<Document>,
    pub custom_terms: Option<String>,
    pub form_config: Option<Document>,
    pub schedule: Schedule,
    pub status: Status,
    pub metadata: Option<Document>,
    pub time_zone: Zone,
    pub seasons: Option<Seasons>,
    pub revision: i64,
    pub copied_from: Option<InstanceId>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn document(value: &impl serde::Serialize) -> Result<Document, serde_json::Error> {
    serde_json::value::to_raw_value(value)
}

impl InstanceSnapshot {
    /// The snapshot of an instance at hand (just written, say), as a read would give it.
    pub fn of(instance: &ProgramInstance) -> Result<Self, serde_json::Error> {
        Ok(Self {
            id: instance.id().clone(),
            program_id: instance.program_id().clone(),
            workspace_id: instance.workspace_id().clone(),
            name: instance.name().to_string(),
            description: instance.description().map(|text| text.as_str().to_owned()),
            slug: instance.slug().to_string(),
            logo_url: instance.logo_url().map(|url| url.as_str().to_owned()),
            eligibility_criteria: instance.eligibility_criteria().map(document).transpose()?,
            custom_terms: instance.custom_terms().map(|text| text.as_str().to_owned()),
            form_config: instance.form_config().map(document).transpose()?,
            schedule: instance.schedule(),
            status: instance.status(),
            metadata: instance.metadata().map(document).transpose()?,
            time_zone: instance.time_zone().clone(),
            seasons: instance.seasons().cloned(),
            revision: instance.revision(),
            copied_from: instance.copied_from().cloned(),
            version: instance.version(),
            created_at: instance.created_at(),
            updated_at: instance.updated_at(),
        })
    }

    fn enrollment_window(&self) -> EnrollmentWindow<'_> {
        EnrollmentWindow {
            status: self.status,
            schedule: self.schedule,
            seasons: self.seasons.as_ref(),
            zone: &self.time_zone,
        }
    }

    pub fn accepting_enrollments(&self, at: Timestamp) -> bool {
        self.enrollment_window().accepting(at)
    }

    /// When `accepting_enrollments` next flips by time alone.
    pub fn next_change_at(&self, now: Timestamp) -> Option<Timestamp> {
        self.enrollment_window().next_change(now)
    }
}

fn same_document(a: &Option<Document>, b: &Option<Document>) -> bool {
    a.as_ref().map(|raw| raw.get()) == b.as_ref().map(|raw| raw.get())
}

/// Equal field by field, documents by their text.
impl PartialEq for InstanceSnapshot {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.program_id == other.program_id
            && self.workspace_id == other.workspace_id
            && self.name == other.name
            && self.description == other.description
            && self.slug == other.slug
            && self.logo_url == other.logo_url
            && same_document(&self.eligibility_criteria, &other.eligibility_criteria)
            && self.custom_terms == other.custom_terms
            && same_document(&self.form_config, &other.form_config)
            && self.schedule == other.schedule
            && self.status == other.status
            && self.time_zone == other.time_zone
            && self.seasons == other.seasons
            && same_document(&self.metadata, &other.metadata)
            && self.version == other.version
            && self.created_at == other.created_at
            && self.updated_at == other.updated_at
    }
}
