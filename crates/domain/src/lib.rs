//! The pure core of program instances: entities, value types, the lifecycle state machine,
//! eligibility criteria and form configuration.
//!
//! Nothing here performs I/O or reads the clock: the current time is always an argument, so
//! every rule is deterministic and can be reused by any Rust service without a server or a
//! database.

pub mod api_key;
pub mod eligibility;
pub mod enrollment;
pub mod event;
pub mod form;
pub mod form_schema;
pub mod ids;
pub mod instance;
pub mod json_merge;
pub mod participation;
pub mod program;
pub mod scope;
pub mod strict_json;
pub mod timestamp;
pub mod violation;
pub mod webhook;
pub mod workspace;

pub use api_key::ApiKey;
pub use eligibility::EligibilityCriteria;
pub use enrollment::{Enrollment, EnrollmentStatus};
pub use event::EventType;
pub use form::FormConfig;
pub use ids::{
    ApiKeyId, DeliveryId, EnrollmentId, EventId, IdError, InstanceId, ProgramId, WebhookEndpointId,
    WorkspaceId,
};
pub use instance::{
    CustomTerms, Description, DueFlips, EnrollmentFlip, FieldChange, InstanceDraft, InstanceEvent,
    InstanceParts, InstancePatch, LifecycleError, LogoUrl, Metadata, Name, PatchError,
    PatchOutcome, ProgramInstance, Schedule, Seasons, Slug, Status, Zone,
};
pub use program::{Program, Visibility};
pub use scope::{Grant, Scope, ScopeSet};
pub use timestamp::Timestamp;
pub use violation::{Violation, Violations};
pub use webhook::verify_webhook;
pub use workspace::Workspace;
