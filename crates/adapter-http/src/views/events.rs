//! Events (an instance's history, the workspace's log, the resources events carry) and
//! webhook endpoints with their deliveries.

use application::{Document, HistoryEntry, InstanceSnapshot, LoggedEvent, Page, Representations};
use domain::webhook::endpoint::{Delivery, WebhookEndpoint};
use domain::{
    ApiKeyId, DeliveryId, Enrollment, EventId, EventType, InstanceEvent, InstanceId, Timestamp,
    WebhookEndpointId, WorkspaceId,
};
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::schemas;

use super::*;

/// An entry of an instance's history: `type` and what the event carries (`changes`, or
/// `from` and `to`), beside who did it and when.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = InstanceHistoryEntry)]
pub struct EventView<'a> {
    /// The event's position in the instance's history.
    #[schema(pattern = "^[0-9]+$")]
    id: String,
    #[schema(value_type = schemas::Id)]
    instance_id: &'a InstanceId,
    #[serde(flatten)]
    #[schema(value_type = schemas::InstanceChange)]
    event: &'a InstanceEvent,
    /// The key that acted; `null` for the operator's command line.
    #[schema(required = true, value_type = Option<schemas::Id>)]
    actor_key_id: Option<&'a ApiKeyId>,
    #[schema(value_type = schemas::Timestamp)]
    occurred_at: Timestamp,
}

pub fn event<'a>(instance_id: &'a InstanceId, entry: &'a HistoryEntry) -> EventView<'a> {
    EventView {
        id: entry.position.to_string(),
        instance_id,
        event: &entry.change,
        actor_key_id: entry.actor.as_ref(),
        occurred_at: entry.occurred_at,
    }
}

/// An event of the workspace's log.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Event)]
pub struct LoggedEventView<'a> {
    #[schema(value_type = schemas::EventId)]
    id: &'a EventId,
    #[serde(rename = "type")]
    #[schema(value_type = schemas::EventType)]
    kind: EventType,
    #[schema(value_type = schemas::TenantId)]
    workspace_id: &'a WorkspaceId,
    #[schema(value_type = schemas::Timestamp)]
    created_at: Timestamp,
    /// The key that acted; `null` for the operator's command line and the public
    /// enrollment page.
    #[schema(required = true, value_type = Option<schemas::Id>)]
    actor_key_id: Option<&'a ApiKeyId>,
    #[schema(value_type = schemas::EventData)]
    data: &'a RawValue,
}

pub fn logged_event(logged: &LoggedEvent) -> LoggedEventView<'_> {
    let event = &logged.event;
    LoggedEventView {
        id: &event.id,
        kind: event.kind,
        workspace_id: &event.workspace_id,
        created_at: event.created_at,
        actor_key_id: event.actor.as_ref(),
        data: &event.data,
    }
}

/// A page of the event log: `nextCursor` is always given, so a poller resumes from it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = EventLogPage)]
pub struct EventLogPageView<'a> {
    #[schema(value_type = Vec<LoggedEventView<'static>>)]
    data: Vec<LoggedEventView<'a>>,
    /// Whether more events are available now.
    has_more: bool,
    /// Pass it as `cursor` to read on from here, now or later.
    #[schema(value_type = schemas::Cursor)]
    next_cursor: String,
}

pub fn event_log_page(page: &Page<LoggedEvent>, next_cursor: String) -> EventLogPageView<'_> {
    EventLogPageView {
        data: page.items.iter().map(logged_event).collect(),
        has_more: page.has_more,
        next_cursor,
    }
}

/// Resources rendered as the API shows them, for the events that carry them.
#[derive(Debug, Default)]
pub struct ApiRepresentations;

impl Representations for ApiRepresentations {
    fn instance(
        &self,
        instance: &InstanceSnapshot,
        at: Timestamp,
    ) -> Result<Document, serde_json::Error> {
        serde_json::value::to_raw_value(&self::instance(instance, at))
    }

    fn enrollment(&self, enrollment: &Enrollment) -> Result<Document, serde_json::Error> {
        serde_json::value::to_raw_value(&self::enrollment(enrollment))
    }

    fn endpoint(&self, endpoint: &WebhookEndpoint) -> Result<Document, serde_json::Error> {
        serde_json::value::to_raw_value(&self::endpoint(endpoint, Shown::Absent))
    }

    fn event(&self, event: &application::Event) -> Result<String, serde_json::Error> {
        serde_json::to_string(&LoggedEventView {
            id: &event.id,
            kind: event.kind,
            workspace_id: &event.workspace_id,
            created_at: event.created_at,
            actor_key_id: event.actor.as_ref(),
            data: &event.data,
        })
    }
}

/// A webhook endpoint. Its `secret` is shown only when created or rotated.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = WebhookEndpoint)]
pub struct EndpointView<'a> {
    #[schema(value_type = schemas::Id)]
    id: &'a WebhookEndpointId,
    #[schema(value_type = schemas::TenantId)]
    workspace_id: &'a WorkspaceId,
    #[schema(value_type = schemas::WebhookUrl)]
    url: &'a str,
    /// The event types delivered; `null` for every type.
    #[schema(required = true, value_type = Option<Vec<schemas::EventType>>)]
    event_types: Option<Vec<EventType>>,
    #[schema(required = true, value_type = Option<schemas::Description>)]
    description: Option<&'a str>,
    /// No delivery is attempted while disabled (set by hand, or after 5 days of failures).
    disabled: bool,
    #[schema(value_type = schemas::Timestamp)]
    created_at: Timestamp,
    #[schema(value_type = schemas::Timestamp)]
    updated_at: Timestamp,
    #[serde(skip_serializing_if = "Shown::is_absent")]
    #[schema(ignore)]
    secret: Shown<'a>,
}

/// An endpoint just created, or its secret just rotated: `secret` (`whsec_` and base64) is
/// shown in this answer only.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    record: EndpointView<'static>,
    #[schema(required = true, pattern = "^whsec_[A-Za-z0-9+/]+={0,2}$")]
    secret: Option<String>,
}

pub fn endpoint<'a>(endpoint: &'a WebhookEndpoint, secret: Shown<'a>) -> EndpointView<'a> {
    EndpointView {
        id: &endpoint.id,
        workspace_id: &endpoint.workspace_id,
        url: endpoint.url.as_str(),
        event_types: endpoint
            .event_types
            .as_ref()
            .map(|types| types.iter().copied().collect()),
        description: endpoint.description.as_ref().map(|d| d.as_str()),
        disabled: endpoint.disabled,
        created_at: endpoint.created_at,
        updated_at: endpoint.updated_at,
        secret,
    }
}

/// One event on its way to one endpoint.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = WebhookDelivery)]
pub struct DeliveryView<'a> {
    #[schema(value_type = schemas::Id)]
    id: &'a DeliveryId,
    #[schema(value_type = schemas::Id)]
    endpoint_id: &'a WebhookEndpointId,
    #[schema(value_type = schemas::EventId)]
    event_id: &'a EventId,
    #[schema(value_type = schemas::EventType)]
    event_type: EventType,
    #[schema(value_type = schemas::DeliveryState)]
    state: &'static str,
    /// Attempts made so far.
    attempts: u32,
    /// The status of the last attempt's response; `null` when none came.
    #[schema(required = true)]
    last_status: Option<u16>,
    /// Why the last attempt failed; `null` when it did not.
    #[schema(required = true)]
    last_error: Option<&'a str>,
    /// How long the last attempt took.
    #[schema(required = true)]
    last_duration_ms: Option<u64>,
    /// When the next attempt is due; `null` once the delivery is over.
    #[schema(required = true, value_type = Option<schemas::Timestamp>)]
    next_attempt_at: Option<Timestamp>,
    #[schema(value_type = schemas::Timestamp)]
    created_at: Timestamp,
    #[schema(value_type = schemas::Timestamp)]
    updated_at: Timestamp,
}

pub fn delivery(delivery: &Delivery) -> DeliveryView<'_> {
    DeliveryView {
        id: &delivery.id,
        endpoint_id: &delivery.endpoint_id,
        event_id: &delivery.event_id,
        event_type: delivery.event_type,
        state: delivery.state.as_str(),
        attempts: delivery.attempts,
        last_status: delivery.last_status,
        last_error: delivery.last_error.as_deref(),
        last_duration_ms: delivery.last_duration_ms,
        next_attempt_at: delivery.next_attempt_at,
        created_at: delivery.created_at,
        updated_at: delivery.updated_at,
    }
}
