//! The rows of webhook endpoints and deliveries, and their one mapping to domain values.

use diesel::prelude::*;
use domain::webhook::WebhookSecret;
use domain::webhook::endpoint::{Delivery, DeliveryState, WebhookEndpoint, WebhookUrl};
use domain::{DeliveryId, Description, EventId, EventType, WebhookEndpointId, WorkspaceId};
use ports::StoreError;

use crate::column_types::{At, JsonText};
use crate::connection::MultiBackend;
use crate::rows::{corrupt, parsed, read_json};
use crate::schema::{webhook_deliveries, webhook_endpoints};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = webhook_endpoints, check_for_backend(MultiBackend), treat_none_as_null = true)]
#[diesel(primary_key(workspace_id, id))]
pub(crate) struct EndpointRow {
    pub workspace_id: String,
    pub id: String,
    pub url: String,
    pub event_types: Option<JsonText>,
    pub description: Option<String>,
    pub disabled: bool,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<At>,
    pub failing_since: Option<At>,
    pub created_at: At,
    pub updated_at: At,
}

impl EndpointRow {
    pub(crate) fn from_domain(endpoint: &WebhookEndpoint) -> Result<Self, StoreError> {
        let event_types = endpoint
            .event_types
            .as_ref()
            .map(|types| {
                let names: Vec<&str> = types.iter().map(|kind| kind.as_str()).collect();
                JsonText::of(&names)
            })
            .transpose()?;
        Ok(Self {
            workspace_id: endpoint.workspace_id.to_string(),
            id: endpoint.id.to_string(),
            url: endpoint.url.as_str().to_owned(),
            event_types,
            description: endpoint.description.as_ref().map(|d| d.as_str().to_owned()),
            disabled: endpoint.disabled,
            secret: endpoint.secret.expose(),
            previous_secret: endpoint
                .previous_secret
                .as_ref()
                .map(|(secret, _)| secret.expose()),
            previous_secret_until: endpoint
                .previous_secret
                .as_ref()
                .map(|(_, until)| At(*until)),
            failing_since: endpoint.failing_since.map(At),
            created_at: At(endpoint.created_at),
            updated_at: At(endpoint.updated_at),
        })
    }

    pub(crate) fn into_domain(self) -> Result<WebhookEndpoint, StoreError> {
        let what = "webhook endpoint";
        let event_types = match &self.event_types {
            None => None,
            Some(text) => Some(
                read_json::<Vec<String>>(what, text)?
                    .iter()
                    .map(|name| parsed(what, name.parse::<EventType>()))
                    .collect::<Result<_, _>>()?,
            ),
        };
        let previous_secret = match (self.previous_secret, self.previous_secret_until) {
            (Some(secret), Some(until)) => {
                Some((parsed(what, WebhookSecret::parse(&secret))?, until.0))
            }
            _ => None,
        };
        Ok(WebhookEndpoint {
            id: parsed(what, WebhookEndpointId::parse(&self.id))?,
            workspace_id: parsed(what, WorkspaceId::parse(&self.workspace_id))?,
            // Stored URLs were accepted once; whether http is still allowed is the sender's.
            url: parsed(what, WebhookUrl::parse(&self.url, true))?,
            event_types,
            description: self
                .description
                .map(|text| parsed(what, Description::parse(&text)))
                .transpose()?,
            disabled: self.disabled,
            secret: parsed(what, WebhookSecret::parse(&self.secret))?,
            previous_secret,
            failing_since: self.failing_since.map(|at| at.0),
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = webhook_deliveries, check_for_backend(MultiBackend), treat_none_as_null = true)]
#[diesel(primary_key(workspace_id, id))]
pub(crate) struct DeliveryRow {
    pub workspace_id: String,
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i64>,
    pub next_attempt_at: Option<At>,
    pub created_at: At,
    pub updated_at: At,
}

impl DeliveryRow {
    pub(crate) fn from_domain(delivery: &Delivery) -> Self {
        Self {
            workspace_id: delivery.workspace_id.to_string(),
            id: delivery.id.to_string(),
            endpoint_id: delivery.endpoint_id.to_string(),
            event_id: delivery.event_id.to_string(),
            event_type: delivery.event_type.as_str().to_owned(),
            state: delivery.state.as_str().to_owned(),
            attempts: i32::try_from(delivery.attempts).unwrap_or(i32::MAX),
            last_status: delivery.last_status.map(i32::from),
            last_error: delivery.last_error.clone(),
            last_duration_ms: delivery
                .last_duration_ms
                .map(|ms| i64::try_from(ms).unwrap_or(i64::MAX)),
            next_attempt_at: delivery.next_attempt_at.map(At),
            created_at: At(delivery.created_at),
            updated_at: At(delivery.updated_at),
        }
    }

    pub(crate) fn into_domain(self) -> Result<Delivery, StoreError> {
        let what = "webhook delivery";
        Ok(Delivery {
            id: parsed(what, DeliveryId::parse(&self.id))?,
            workspace_id: parsed(what, WorkspaceId::parse(&self.workspace_id))?,
            endpoint_id: parsed(what, WebhookEndpointId::parse(&self.endpoint_id))?,
            event_id: parsed(what, EventId::parse(&self.event_id))?,
            event_type: parsed(what, self.event_type.parse::<EventType>())?,
            state: DeliveryState::parse(&self.state)
                .ok_or_else(|| corrupt(what, format!("unknown state {}", self.state)))?,
            attempts: parsed(what, u32::try_from(self.attempts))?,
            last_status: self
                .last_status
                .map(|status| parsed(what, u16::try_from(status)))
                .transpose()?,
            last_error: self.last_error,
            last_duration_ms: self
                .last_duration_ms
                .map(|ms| parsed(what, u64::try_from(ms)))
                .transpose()?,
            next_attempt_at: self.next_attempt_at.map(|at| at.0),
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}
