//! The use cases of the service. Each public method is one business operation: it checks
//! who is asking (workspace, scopes, instance restriction), loads what it needs through the
//! ports, lets the domain decide, and persists the outcome in one atomic port call.
//!
//! Methods block (storage, argon2): call them from a blocking context.

mod auth;
mod catalog;
mod enrollments;
mod error;
mod events;
mod idempotency;
mod instances;
mod keys;
mod operator;
mod principal;
mod public_page;
mod reports;
mod system;
mod webhooks;

use std::sync::Arc;

pub use auth::{ApiKeySecret, KeyCacheSettings};
pub use enrollments::EligibilityCheck;
pub use error::{AppError, Conflict, error_chain};
pub use events::{EventsRequest, HistoryEntry};
pub use idempotency::{IdempotencyKey, Idempotent, Respond};
pub use instances::ListRequest;
pub use keys::KeyRequest;
pub use operator::ProgramRequest;
pub use principal::Principal;
pub use public_page::{FormToken, PageSubmission, UnreadableToken};
pub use reports::{InstanceRow, Participation, ParticipationReport, ParticipationRequest};
pub use system::{CuidGenerator, SystemClock};
pub use webhooks::{AttemptOutcome, ClaimedRound, OutgoingDelivery, WebhookSettings};

/// What inbound adapters read from the results of use cases and hand back to them.
pub use ports::{
    ClaimLimits, DeliveryCursor, DestinationRefused, Document, EnrollmentCursor, Event,
    EventFilter, InstanceCursor, InstanceFilter, InstanceSnapshot, LoggedEvent, Page,
    ReportGrouping, ReportScope, Representations, RevisionSpan, StoredResponse, WebhookRequest,
    WebhookSender,
};

use auth::Authenticator;
use ports::{
    Clock, EnrollmentStore, EventLog, IdGenerator, IdempotencyStore, InstanceStore, KeyStore,
    ProgramCatalog, ReportStore, WebhookStore, WorkspaceDirectory,
};

/// The adapters the application runs on.
#[derive(Clone)]
pub struct Ports {
    pub instances: Arc<dyn InstanceStore>,
    pub enrollments: Arc<dyn EnrollmentStore>,
    pub reports: Arc<dyn ReportStore>,
    pub catalog: Arc<dyn ProgramCatalog>,
    pub workspaces: Arc<dyn WorkspaceDirectory>,
    pub keys: Arc<dyn KeyStore>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub events: Arc<dyn EventLog>,
    pub webhooks: Arc<dyn WebhookStore>,
    pub webhook_sender: Arc<dyn WebhookSender>,
    /// How resources are shown, for the events that carry them.
    pub representations: Arc<dyn Representations>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub struct Application {
    ports: Ports,
    authenticator: Authenticator,
    program_ids: catalog::ProgramIds,
    webhook_settings: WebhookSettings,
}

impl Application {
    pub fn new(ports: Ports, key_cache: KeyCacheSettings) -> Self {
        Self {
            authenticator: Authenticator::new(key_cache),
            ports,
            program_ids: catalog::ProgramIds::default(),
            webhook_settings: WebhookSettings::default(),
        }
    }

    pub fn with_webhook_settings(mut self, settings: WebhookSettings) -> Self {
        self.webhook_settings = settings;
        self
    }

    pub fn now(&self) -> domain::Timestamp {
        self.ports.clock.now()
    }

    /// Succeeds when storage answers.
    pub fn check_ready(&self) -> Result<(), AppError> {
        self.ports.instances.ping().map_err(AppError::from)
    }
}
