//! The ports of the hexagon: what the core needs from storage and from the system, named
//! after use. Each trait documents its contract; every storage adapter must honour it, and
//! the shared contract tests prove that it does.
//!
//! The traits are synchronous: diesel is, and the async boundary belongs to the HTTP adapter.

mod catalog;
#[cfg(feature = "testing")]
pub mod contract;
mod enrollments;
mod error;
mod events;
mod idempotency;
mod instances;
mod keys;
mod reports;
mod snapshot;
mod system;
mod webhooks;

pub use catalog::{ProgramCatalog, WorkspaceDirectory};
pub use enrollments::{EnrollmentCursor, EnrollmentStore, LockedEnrollment};
pub use error::StoreError;
pub use events::{Event, EventFilter, EventLog, LoggedEvent, Representations};
pub use idempotency::{IdempotencyRecord, IdempotencyStore, IdempotentAnswer, StoredResponse};
pub use instances::{InstanceCursor, InstanceFilter, InstanceStore, LockedInstance, Page};
pub use keys::{KeyCredentials, KeyStore, SecretHash};
pub use reports::{
    InstanceParticipation, ParticipationCounts, ReportGrouping, ReportScope, ReportStore,
    RevisionSpan,
};
pub use snapshot::{Document, InstanceSnapshot};
pub use system::{Clock, IdGenerator};
pub use webhooks::{
    ClaimLimits, ClaimedDelivery, DeliveryCursor, DestinationRefused, EndpointStreak,
    LockedEndpoint, RecordedAttempt, WebhookRequest, WebhookSender, WebhookStore,
};
