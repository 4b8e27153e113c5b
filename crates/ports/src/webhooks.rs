use domain::webhook::endpoint::{Delivery, WebhookEndpoint};
use domain::{DeliveryId, Timestamp, WebhookEndpointId, WorkspaceId};

use crate::{Event, Page, StoreError};

/// A position in the newest-first order of an endpoint's deliveries: strictly after this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryCursor {
    pub created_at: Timestamp,
    pub id: DeliveryId,
}

/// An endpoint locked for a change, inside one write transaction (see `LockedInstance`).
pub trait LockedEndpoint {
    fn current(&self) -> &WebhookEndpoint;

    fn save(self: Box<Self>, next: &WebhookEndpoint) -> Result<(), StoreError>;

    /// Deletes the endpoint and its deliveries.
    fn delete(self: Box<Self>) -> Result<(), StoreError>;
}

/// A delivery claimed for one attempt, with what the attempt needs.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub delivery: Delivery,
    pub endpoint: WebhookEndpoint,
    pub event: Event,
}

/// What an attempt tells of its endpoint.
#[derive(Debug, Clone)]
pub enum EndpointStreak {
    /// It answered: its failures, if any, are over.
    Answered,
    /// It failed at `at`: it has been failing since then unless since earlier, and when that
    /// is at or before `disable_if_failing_since`, it is disabled and `disabled` logged.
    Failed {
        at: Timestamp,
        disable_if_failing_since: Timestamp,
        disabled: Event,
    },
}

/// How much one claim takes: at most `limit` deliveries, at most `per_endpoint` of any one
/// endpoint, and none of the endpoints in `busy` (those with as many attempts in flight as
/// the caller allows), so that one endpoint's backlog never fills a claim.
#[derive(Debug, Clone, Default)]
pub struct ClaimLimits {
    pub limit: usize,
    pub per_endpoint: usize,
    pub busy: Vec<WebhookEndpointId>,
}

/// An attempt's outcome to record: the delivery after it, and what it tells of the endpoint.
#[derive(Debug, Clone)]
pub struct RecordedAttempt {
    pub delivery: Delivery,
    pub streak: EndpointStreak,
}

/// Webhook endpoints and the outbox of their deliveries.
pub trait WebhookStore: Send + Sync {
    /// Stores a new endpoint.
    ///
    /// # Errors
    /// MUST return `LimitReached` when the workspace has `limit` endpoints already
    /// (nothing stored), counting atomically with concurrent inserts.
    fn insert_endpoint(&self, endpoint: &WebhookEndpoint, limit: usize) -> Result<(), StoreError>;

    fn endpoint(
        &self,
        workspace: &WorkspaceId,
        id: &WebhookEndpointId,
    ) -> Result<Option<WebhookEndpoint>, StoreError>;

    /// Every endpoint of the workspace, oldest first.
    fn endpoints(&self, workspace: &WorkspaceId) -> Result<Vec<WebhookEndpoint>, StoreError>;

    fn lock_endpoint<'s>(
        &'s self,
        workspace: &WorkspaceId,
        id: &WebhookEndpointId,
    ) -> Result<Option<Box<dyn LockedEndpoint + 's>>, StoreError>;

    /// The endpoint's deliveries, newest first, after `after`.
    fn deliveries(
        &self,
        workspace: &WorkspaceId,
        endpoint: &WebhookEndpointId,
        after: Option<&DeliveryCursor>,
        limit: usize,
    ) -> Result<Page<Delivery>, StoreError>;

    fn delivery(
        &self,
        workspace: &WorkspaceId,
        endpoint: &WebhookEndpointId,
        id: &DeliveryId,
    ) -> Result<Option<Delivery>, StoreError>;

    /// Makes the delivery due at once (a manual retry); `None` when there is none.
    fn retry_delivery(
        &self,
        workspace: &WorkspaceId,
        endpoint: &WebhookEndpointId,
        id: &DeliveryId,
        now: Timestamp,
    ) -> Result<Option<Delivery>, StoreError>;

    /// Turns up to `limit` logged events not yet dispatched into deliveries, one per
    /// enabled endpoint of the event's workspace that subscribes to its type and existed
    /// when it happened, each due at `now`; `new_id` names them. Exactly once per event,
    /// whatever number of processes call it. Returns how many events it dispatched.
    fn dispatch_events(
        &self,
        now: Timestamp,
        limit: usize,
        new_id: &(dyn Fn() -> Result<DeliveryId, StoreError> + Sync),
    ) -> Result<usize, StoreError>;

    /// Claims pending deliveries due at `now` of enabled endpoints, oldest due first, within
    /// `limits`, each with its endpoint and event (read with the claim, not one by one):
    /// each is held (not due) until `lease_until`, so no other process claims it meanwhile,
    /// and a claim whose process dies is claimed again once the lease is over.
    fn claim_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limits: &ClaimLimits,
    ) -> Result<Vec<ClaimedDelivery>, StoreError>;

    /// Records attempts, in order: each delivery, its endpoint's streak and the event that
    /// logs a disabling, all in one transaction.
    fn record_attempts(&self, attempts: &[RecordedAttempt]) -> Result<(), StoreError>;

    /// When the oldest pending delivery was created; `None` when none is pending.
    fn oldest_pending(&self) -> Result<Option<Timestamp>, StoreError>;
}

/// A delivery's request: a POST of `body` with `headers` to `url`.
#[derive(Debug, Clone)]
pub struct WebhookRequest {
    pub url: domain::webhook::endpoint::WebhookUrl,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// Why a destination is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DestinationRefused(pub String);

/// Where webhook deliveries may go. (Sending them is the dispatcher's, in `serve`: it runs
/// many attempts at once, which a blocking port would not.)
pub trait WebhookSender: Send + Sync {
    /// Whether deliveries may go to the URL's host as it resolves now (private, loopback and
    /// link-local addresses only where the operator allows them).
    fn check_destination(
        &self,
        url: &domain::webhook::endpoint::WebhookUrl,
    ) -> Result<(), DestinationRefused>;
}
