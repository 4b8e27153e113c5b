use domain::{ApiKeyId, EventId, EventType, InstanceId, Timestamp, WorkspaceId};

use crate::{Document, Page, StoreError};

/// An event as it is written, in the same transaction as the change it tells of.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: EventId,
    pub kind: EventType,
    pub workspace_id: WorkspaceId,
    /// The instance the event concerns (an enrollment's instance for enrollment events).
    pub instance_id: Option<InstanceId>,
    /// The key that acted; `None` for the operator and the public enrollment page.
    pub actor: Option<ApiKeyId>,
    pub created_at: Timestamp,
    /// `{ "object": …, "previous"?: …, "reason"?: … }`, rendered as the API shows it.
    pub data: Document,
}

/// An event as it is read back, at its place in the log.
#[derive(Debug, Clone)]
pub struct LoggedEvent {
    /// Where the event is in the log: positions only grow, in commit order, and a position
    /// once read is never given to a later commit.
    pub position: i64,
    pub event: Event,
}

/// Which events of one workspace to read. Every set field must match.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventFilter {
    /// Any of these types; `None` means every type.
    pub types: Option<Vec<EventType>>,
    pub instance_id: Option<InstanceId>,
    /// Only events of these instances (the caller's key is restricted to them).
    pub only_instances: Option<Vec<InstanceId>>,
}

/// The workspace-wide event log. Events are appended by the other stores' writes (each in
/// the transaction of its change); this reads them.
pub trait EventLog: Send + Sync {
    /// At most `limit` events matching `filter`, in log order, at positions after `after`.
    ///
    /// A reader that keeps passing the last position it read sees every event exactly once:
    /// the store MUST NOT show an event at a position lower than one it has shown before
    /// (a transaction that commits later gets a later position), even while many writers
    /// commit concurrently.
    fn events(
        &self,
        workspace: &WorkspaceId,
        filter: &EventFilter,
        after: i64,
        limit: usize,
    ) -> Result<Page<LoggedEvent>, StoreError>;

    /// The event with this id in this workspace.
    fn event(
        &self,
        workspace: &WorkspaceId,
        id: &EventId,
    ) -> Result<Option<LoggedEvent>, StoreError>;
}

/// How resources are shown, for the events that carry them: the inbound adapter that shows
/// resources renders them, so an event's `object` is exactly what a read of it gives.
pub trait Representations: Send + Sync {
    /// The instance as a read at `at` shows it.
    fn instance(
        &self,
        instance: &crate::InstanceSnapshot,
        at: Timestamp,
    ) -> Result<Document, serde_json::Error>;

    fn enrollment(&self, enrollment: &domain::Enrollment) -> Result<Document, serde_json::Error>;

    /// The endpoint as `GET /webhookEndpoints/{id}` shows it (never its secret).
    fn endpoint(
        &self,
        endpoint: &domain::webhook::endpoint::WebhookEndpoint,
    ) -> Result<Document, serde_json::Error>;

    /// The event as `GET /events/{id}` shows it: the body of its webhook deliveries.
    fn event(&self, event: &Event) -> Result<String, serde_json::Error>;
}
