//! Webhook endpoints (managed by keys with `webhooks:manage`) and the delivery of the event
//! log to them (run by the dispatcher inside `serve`).

use domain::webhook::endpoint::{
    AttemptResult, Backoff, Delivery, EndpointDraft, EndpointPatch, WebhookEndpoint,
};
use domain::webhook::{WebhookSecret, signature_header};
use domain::{DeliveryId, EventId, EventType, Scope, Timestamp, Violation, WebhookEndpointId};
use ports::{
    ClaimLimits, ClaimedDelivery, DeliveryCursor, EndpointStreak, Event, LockedEndpoint, Page,
    RecordedAttempt, StoreError, WebhookRequest,
};
use serde_json::Value;
use time::Duration;

use crate::{AppError, Application, Conflict, Principal};

/// The operator's webhook settings.
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    /// Whether endpoint URLs may be plain `http`.
    pub allow_http: bool,
    /// Multiplies every retry delay and the time before a failing endpoint is disabled.
    pub backoff_scale: f64,
    /// At most this many endpoints per workspace.
    pub endpoints_per_workspace: usize,
    /// How long a claimed delivery is held by its process before another may claim it.
    pub lease: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_http: false,
            backoff_scale: 1.0,
            endpoints_per_workspace: 16,
            lease: Duration::seconds(60),
        }
    }
}

/// Deliveries claimed for attempts, each with its request, signed and ready to send.
#[derive(Debug, Default)]
pub struct ClaimedRound {
    /// How many newly logged events became deliveries first.
    pub dispatched_events: usize,
    pub deliveries: Vec<OutgoingDelivery>,
}

/// A claimed delivery and the request that attempts it.
#[derive(Debug, Clone)]
pub struct OutgoingDelivery {
    pub claim: ClaimedDelivery,
    pub request: WebhookRequest,
}

/// An attempt made: what was claimed, and how the attempt went.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    pub claim: ClaimedDelivery,
    pub result: AttemptResult,
}

fn internal(error: impl std::error::Error + Send + Sync + 'static) -> AppError {
    AppError::Internal(Box::new(error))
}

fn random_secret() -> Result<WebhookSecret, AppError> {
    let mut bytes = [0u8; WebhookSecret::RANDOM_BYTES];
    getrandom::getrandom(&mut bytes).map_err(internal)?;
    WebhookSecret::from_bytes(&bytes).ok_or_else(|| internal(RandomFailed))
}

#[derive(Debug, thiserror::Error)]
#[error("no random bytes for a secret")]
struct RandomFailed;

/// A number in [0, 1) for the jitter of retry delays.
fn jitter() -> f64 {
    let mut bytes = [0u8; 2];
    match getrandom::getrandom(&mut bytes) {
        Ok(()) => f64::from(u16::from_le_bytes(bytes)) / 65_536.0,
        // Without randomness the delay is merely not spread: nothing is lost.
        Err(_) => 0.5,
    }
}

impl Application {
    fn manager(&self, who: &Principal) -> Result<(), AppError> {
        who.require(Scope::WebhooksManage)?;
        if who.grant.is_restricted() {
            // An endpoint receives every event of the workspace.
            return Err(AppError::Forbidden(
                "a key restricted to some instances cannot manage webhook endpoints",
            ));
        }
        Ok(())
    }

    fn destination_checked(
        &self,
        endpoint_url: &domain::webhook::endpoint::WebhookUrl,
    ) -> Result<(), AppError> {
        self.ports
            .webhook_sender
            .check_destination(endpoint_url)
            .map_err(|refused| {
                AppError::Invalid(
                    Violation::new("/url", "destination_not_allowed", refused.0).into(),
                )
            })
    }

    fn locked_endpoint(
        &self,
        who: &Principal,
        id: &WebhookEndpointId,
    ) -> Result<Box<dyn LockedEndpoint + '_>, AppError> {
        self.manager(who)?;
        self.ports
            .webhooks
            .lock_endpoint(&who.workspace_id, id)?
            .ok_or(AppError::NotFound("webhook endpoint"))
    }

    /// A new endpoint with a fresh secret (shown in the answer only).
    pub fn create_endpoint(
        &self,
        who: &Principal,
        body: serde_json::Map<String, Value>,
    ) -> Result<WebhookEndpoint, AppError> {
        self.manager(who)?;
        let draft = EndpointDraft::from_json(body, self.webhook_settings.allow_http)
            .map_err(AppError::Invalid)?;
        self.destination_checked(&draft.url)?;
        let id = WebhookEndpointId::parse(&self.ports.ids.new_id()).map_err(internal)?;
        let endpoint = WebhookEndpoint::new(
            id,
            who.workspace_id.clone(),
            draft,
            random_secret()?,
            self.ports.clock.now(),
        );
        let limit = self.webhook_settings.endpoints_per_workspace;
        match self.ports.webhooks.insert_endpoint(&endpoint, limit) {
            Ok(()) => Ok(endpoint),
            Err(StoreError::LimitReached) => {
                Err(AppError::Conflict(Conflict::TooManyEndpoints(limit)))
            }
            Err(other) => Err(other.into()),
        }
    }

    pub fn list_endpoints(&self, who: &Principal) -> Result<Vec<WebhookEndpoint>, AppError> {
        self.manager(who)?;
        Ok(self.ports.webhooks.endpoints(&who.workspace_id)?)
    }

    pub fn get_endpoint(
        &self,
        who: &Principal,
        id: &WebhookEndpointId,
    ) -> Result<WebhookEndpoint, AppError> {
        self.manager(who)?;
        self.ports
            .webhooks
            .endpoint(&who.workspace_id, id)?
            .ok_or(AppError::NotFound("webhook endpoint"))
    }

    pub fn update_endpoint(
        &self,
        who: &Principal,
        id: &WebhookEndpointId,
        body: serde_json::Map<String, Value>,
    ) -> Result<WebhookEndpoint, AppError> {
        self.manager(who)?;
        let patch = EndpointPatch::from_json(body, self.webhook_settings.allow_http)
            .map_err(AppError::Invalid)?;
        if let Some(url) = &patch.url {
            self.destination_checked(url)?;
        }
        let locked = self.locked_endpoint(who, id)?;
        let next = locked.current().patched(patch, self.ports.clock.now());
        locked.save(&next)?;
        Ok(next)
    }

    pub fn delete_endpoint(&self, who: &Principal, id: &WebhookEndpointId) -> Result<(), AppError> {
        Ok(self.locked_endpoint(who, id)?.delete()?)
    }

    /// A new secret (shown in the answer only); the old one signs beside it for 24 hours.
    pub fn rotate_endpoint_secret(
        &self,
        who: &Principal,
        id: &WebhookEndpointId,
    ) -> Result<WebhookEndpoint, AppError> {
        let locked = self.locked_endpoint(who, id)?;
        let next = locked
            .current()
            .rotated(random_secret()?, self.ports.clock.now());
        locked.save(&next)?;
        Ok(next)
    }

    pub fn list_deliveries(
        &self,
        who: &Principal,
        endpoint: &WebhookEndpointId,
        after: Option<DeliveryCursor>,
        limit: usize,
    ) -> Result<Page<Delivery>, AppError> {
        let endpoint = self.get_endpoint(who, endpoint)?;
        Ok(self.ports.webhooks.deliveries(
            &who.workspace_id,
            &endpoint.id,
            after.as_ref(),
            limit,
        )?)
    }

    /// Makes a delivery due again at once.
    pub fn retry_delivery(
        &self,
        who: &Principal,
        endpoint: &WebhookEndpointId,
        id: &DeliveryId,
    ) -> Result<Delivery, AppError> {
        self.manager(who)?;
        self.ports
            .webhooks
            .retry_delivery(&who.workspace_id, endpoint, id, self.ports.clock.now())?
            .ok_or(AppError::NotFound("delivery"))
    }

    /// The dispatcher's claim: turns newly logged events into deliveries, then claims due
    /// deliveries within `limits` and signs a request for each (Standard Webhooks), to be
    /// sent by the caller and recorded with `record_webhook_attempts`.
    pub fn claim_webhook_deliveries(&self, limits: &ClaimLimits) -> Result<ClaimedRound, AppError> {
        let now = self.ports.clock.now();
        let new_id = || DeliveryId::parse(&self.ports.ids.new_id()).map_err(StoreError::unexpected);
        let dispatched_events = self.ports.webhooks.dispatch_events(now, 500, &new_id)?;
        let lease_until = now.checked_add(self.webhook_settings.lease).unwrap_or(now);
        let claimed = self.ports.webhooks.claim_due(now, lease_until, limits)?;
        let timestamp = now.unix_micros().div_euclid(1_000_000);
        let deliveries = claimed
            .into_iter()
            .map(|claim| {
                let body = self
                    .ports
                    .representations
                    .event(&claim.event)
                    .map_err(internal)?;
                let id = claim.event.id.as_str().to_owned();
                let signature = signature_header(
                    &claim.endpoint.signing_secrets(now),
                    &id,
                    timestamp,
                    body.as_bytes(),
                );
                let request = WebhookRequest {
                    url: claim.endpoint.url.clone(),
                    headers: vec![
                        ("webhook-id", id),
                        ("webhook-timestamp", timestamp.to_string()),
                        ("webhook-signature", signature),
                        ("content-type", "application/json".to_owned()),
                    ],
                    body,
                };
                Ok(OutgoingDelivery { claim, request })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok(ClaimedRound {
            dispatched_events,
            deliveries,
        })
    }

    /// Records the outcomes of attempts (in one transaction): each delivery's next state
    /// by the retry schedule, and what it tells of its endpoint.
    pub fn record_webhook_attempts(&self, outcomes: &[AttemptOutcome]) -> Result<(), AppError> {
        let now = self.ports.clock.now();
        let recorded = outcomes
            .iter()
            .map(|outcome| {
                self.recorded(
                    &outcome.claim.delivery,
                    &outcome.claim.endpoint,
                    &outcome.result,
                    now,
                )
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok(self.ports.webhooks.record_attempts(&recorded)?)
    }

    fn recorded(
        &self,
        delivery: &Delivery,
        endpoint: &WebhookEndpoint,
        result: &AttemptResult,
        now: Timestamp,
    ) -> Result<RecordedAttempt, AppError> {
        let backoff = Backoff {
            scale: self.webhook_settings.backoff_scale,
            jitter: jitter(),
        };
        let after = delivery.after_attempt(result, now, backoff);
        let streak = if result.succeeded() {
            EndpointStreak::Answered
        } else {
            let threshold = now.checked_add(-backoff.disable_after()).unwrap_or(now);
            let mut disabled = endpoint.clone();
            disabled.disabled = true;
            disabled.updated_at = now;
            EndpointStreak::Failed {
                at: now,
                disable_if_failing_since: threshold,
                disabled: self.endpoint_disabled_event(&disabled, now)?,
            }
        };
        Ok(RecordedAttempt {
            delivery: after,
            streak,
        })
    }

    fn endpoint_disabled_event(
        &self,
        endpoint: &WebhookEndpoint,
        at: Timestamp,
    ) -> Result<Event, AppError> {
        let object = self
            .ports
            .representations
            .endpoint(endpoint)
            .map_err(internal)?;
        let object: Value = serde_json::from_str(object.get()).map_err(internal)?;
        let data = serde_json::value::to_raw_value(&serde_json::json!({ "object": object }))
            .map_err(internal)?;
        let id = EventId::parse(&format!("evt_{}", self.ports.ids.new_id())).map_err(internal)?;
        Ok(Event {
            id,
            kind: EventType::WebhookEndpointDisabled,
            workspace_id: endpoint.workspace_id.clone(),
            instance_id: None,
            actor: None,
            created_at: at,
            data,
        })
    }

    /// How long the oldest undelivered delivery has waited, for the metrics.
    pub fn oldest_undelivered_age(&self) -> Result<Option<Duration>, AppError> {
        let now = self.ports.clock.now();
        Ok(self
            .ports
            .webhooks
            .oldest_pending()?
            .map(|since| now.as_datetime() - since.as_datetime()))
    }
}
