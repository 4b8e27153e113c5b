//! Webhook endpoints and their deliveries.

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use time::Duration;

use super::{DISABLE_AFTER, WebhookSecret, retry_delay};
use crate::event::EventType;
use crate::ids::{DeliveryId, EventId, WebhookEndpointId};
use crate::instance::Description;
use crate::strict_json::{Members, boolean, list_of, text};
use crate::violation::{Rule, Violation, Violations};
use crate::{Timestamp, WorkspaceId};

/// Where deliveries go: an absolute `https` URL (`http` only where the operator allows it)
/// with a host name or IPv4 address, an optional port and path, no user part, no fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    text: String,
    host: String,
    port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookUrlError {
    #[error(
        "must be an absolute http(s) URL: a host name or IPv4 address, an optional port and path; no user part, fragment, white space or control character; at most 2,048 characters"
    )]
    Malformed,
    #[error("must be an https URL")]
    NotHttps,
}

impl Rule for WebhookUrlError {
    fn code(&self) -> &'static str {
        match self {
            WebhookUrlError::Malformed => "invalid_url",
            WebhookUrlError::NotHttps => "https_required",
        }
    }
}

impl WebhookUrl {
    pub const MAX_LEN: usize = 2_048;

    /// The syntax as a regular expression (whether `http` is allowed is the operator's).
    pub const PATTERN: &str =
        r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?][!-\x22$-~]*)?$";

    pub fn parse(candidate: &str, allow_http: bool) -> Result<Self, WebhookUrlError> {
        let malformed = WebhookUrlError::Malformed;
        if candidate.len() > Self::MAX_LEN
            || !candidate.bytes().all(|b| (b'!'..=b'~').contains(&b))
            || candidate.contains('#')
        {
            return Err(malformed);
        }
        let (scheme, rest) = candidate.split_once("://").ok_or(malformed.clone())?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return Err(malformed),
        };
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => {
                let valid =
                    (1..=5).contains(&port.len()) && port.bytes().all(|b| b.is_ascii_digit());
                let port: u16 = port
                    .parse()
                    .ok()
                    .filter(|port| valid && *port > 0)
                    .ok_or(malformed.clone())?;
                (host, port)
            }
            None => (authority, if https { 443 } else { 80 }),
        };
        let host_ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !host_ok {
            return Err(malformed);
        }
        if !https && !allow_http {
            return Err(WebhookUrlError::NotHttps);
        }
        Ok(Self {
            text: candidate.to_owned(),
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The host name or IPv4 address, lowercase.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

/// Which events an endpoint receives: `None` is every type.
pub type EventTypes = Option<BTreeSet<EventType>>;

fn event_type(text: &str) -> Result<EventType, crate::event::UnknownEventType> {
    text.parse()
}

fn event_types(
    value: Value,
    pointer: &str,
    violations: &mut Violations,
) -> Option<BTreeSet<EventType>> {
    list_of(EventType::ALL.len(), |item, at, violations| {
        text(event_type)(item, at, violations)
    })(value, pointer, violations)
    .map(|types| types.into_iter().collect())
}

/// What a client sends to create an endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointDraft {
    pub url: WebhookUrl,
    pub event_types: EventTypes,
    pub description: Option<Description>,
}

const WRITABLE: [&str; 4] = ["url", "eventTypes", "description", "disabled"];
const READ_ONLY: [&str; 5] = ["id", "workspaceId", "secret", "createdAt", "updatedAt"];

impl EndpointDraft {
    /// Reads `{ url, eventTypes?, description? }`; `null` for an optional member is absent.
    pub fn from_json(members: Map<String, Value>, allow_http: bool) -> Result<Self, Violations> {
        let mut read = Members::new(members, "", &WRITABLE[..3], &READ_ONLY);
        let url = read.read("url", text(|t| WebhookUrl::parse(t, allow_http)));
        let url = read.required("url", url);
        let event_types = read.read("eventTypes", event_types).optional();
        let description = read
            .read("description", text(Description::parse))
            .optional();
        read.finish(())?;
        // `required` recorded the violation already when there is no url.
        let url =
            url.ok_or_else(|| Violations::from(Violation::new("/url", "required", "is required")))?;
        Ok(EndpointDraft {
            url,
            event_types,
            description,
        })
    }
}

/// A merge patch of an endpoint: `url`, `eventTypes` (`null`: every type), `description`
/// (`null` clears), `disabled`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EndpointPatch {
    pub url: Option<WebhookUrl>,
    pub event_types: Option<EventTypes>,
    pub description: Option<Option<Description>>,
    pub disabled: Option<bool>,
}

impl EndpointPatch {
    pub fn from_json(members: Map<String, Value>, allow_http: bool) -> Result<Self, Violations> {
        let mut read = Members::new(members, "", &WRITABLE, &READ_ONLY);
        let url = read.read("url", text(|t| WebhookUrl::parse(t, allow_http)));
        let url = read.non_null("url", url);
        let event_types = read.read("eventTypes", event_types).clearable();
        let description = read
            .read("description", text(Description::parse))
            .clearable();
        let disabled = read.read("disabled", boolean);
        let disabled = read.non_null("disabled", disabled);
        let patch = EndpointPatch {
            url,
            event_types,
            description,
            disabled,
        };
        read.finish(patch)
    }
}

/// A destination for a workspace's events.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub workspace_id: WorkspaceId,
    pub url: WebhookUrl,
    pub event_types: EventTypes,
    pub description: Option<Description>,
    pub disabled: bool,
    pub secret: WebhookSecret,
    /// The secret before the last rotation, and until when it still signs.
    pub previous_secret: Option<(WebhookSecret, Timestamp)>,
    /// Since when every attempt has failed; `None` after a success.
    pub failing_since: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// How long a rotated-out secret keeps signing beside the new one.
pub const ROTATION_OVERLAP: Duration = Duration::hours(24);

impl WebhookEndpoint {
    pub fn new(
        id: WebhookEndpointId,
        workspace_id: WorkspaceId,
        draft: EndpointDraft,
        secret: WebhookSecret,
        now: Timestamp,
    ) -> Self {
        Self {
            id,
            workspace_id,
            url: draft.url,
            event_types: draft.event_types,
            description: draft.description,
            disabled: false,
            secret,
            previous_secret: None,
            failing_since: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// The endpoint with the patch applied; re-enabling forgets past failures.
    pub fn patched(&self, patch: EndpointPatch, now: Timestamp) -> Self {
        let mut next = self.clone();
        if let Some(url) = patch.url {
            next.url = url;
        }
        if let Some(types) = patch.event_types {
            next.event_types = types;
        }
        if let Some(description) = patch.description {
            next.description = description;
        }
        if let Some(disabled) = patch.disabled {
            if self.disabled && !disabled {
                next.failing_since = None;
            }
            next.disabled = disabled;
        }
        next.updated_at = now;
        next
    }

    /// A new secret; the current one keeps signing beside it for `ROTATION_OVERLAP`.
    pub fn rotated(&self, secret: WebhookSecret, now: Timestamp) -> Self {
        let mut next = self.clone();
        let until = now.checked_add(ROTATION_OVERLAP).unwrap_or(now);
        next.previous_secret = Some((std::mem::replace(&mut next.secret, secret), until));
        next.updated_at = now;
        next
    }

    /// The secrets that sign a delivery at `now`: the current one, and the previous one
    /// during its overlap.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<&WebhookSecret> {
        let mut secrets = vec![&self.secret];
        if let Some((previous, until)) = &self.previous_secret
            && now < *until
        {
            secrets.push(previous);
        }
        secrets
    }

    pub fn subscribes_to(&self, kind: EventType) -> bool {
        self.event_types
            .as_ref()
            .is_none_or(|types| types.contains(&kind))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Succeeded,
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Succeeded => "succeeded",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|state| state.as_str() == text)
    }
}

/// One event on its way to one endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub workspace_id: WorkspaceId,
    pub endpoint_id: WebhookEndpointId,
    pub event_id: EventId,
    pub event_type: EventType,
    pub state: DeliveryState,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub last_duration_ms: Option<u64>,
    pub next_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What one attempt got.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptResult {
    /// The response's status, when one came.
    pub status: Option<u16>,
    /// Why it failed, when it did (a non-2xx status, a timeout, a refused destination).
    pub error: Option<String>,
    pub duration_ms: u64,
}

impl AttemptResult {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
            && self
                .status
                .is_some_and(|status| (200..300).contains(&status))
    }
}

/// How retries are spread: `scale` multiplies every delay (the operator's
/// `WEBHOOK_BACKOFF_SCALE`); `jitter` in [0, 1) moves a delay by up to ±10 %.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub scale: f64,
    pub jitter: f64,
}

impl Backoff {
    fn scaled(&self, delay: Duration, with_jitter: bool) -> Duration {
        let factor = if with_jitter {
            0.9 + 0.2 * self.jitter.clamp(0.0, 1.0)
        } else {
            1.0
        };
        Duration::seconds_f64(delay.as_seconds_f64() * self.scale.max(0.0) * factor)
    }

    /// How long an endpoint may fail before it is disabled, scaled like every delay.
    pub fn disable_after(&self) -> Duration {
        self.scaled(DISABLE_AFTER, false)
    }
}

impl Delivery {
    /// The delivery after an attempt at `now`: succeeded, due again after the next delay of
    /// the schedule, or failed once the schedule is over.
    pub fn after_attempt(&self, result: &AttemptResult, now: Timestamp, backoff: Backoff) -> Self {
        let mut next = self.clone();
        next.attempts = self.attempts.saturating_add(1);
        next.last_status = result.status;
        next.last_error = result.error.clone();
        next.last_duration_ms = Some(result.duration_ms);
        next.updated_at = now;
        if result.succeeded() {
            next.state = DeliveryState::Succeeded;
            next.next_attempt_at = None;
        } else {
            match retry_delay(next.attempts) {
                Some(delay) => {
                    next.state = DeliveryState::Pending;
                    next.next_attempt_at =
                        Some(now.checked_add(backoff.scaled(delay, true)).unwrap_or(now));
                }
                None => {
                    next.state = DeliveryState::Failed;
                    next.next_attempt_at = None;
                }
            }
        }
        next
    }

    /// Due again now, by hand: a failed delivery gets one more attempt.
    pub fn retried(&self, now: Timestamp) -> Self {
        let mut next = self.clone();
        next.state = DeliveryState::Pending;
        next.next_attempt_at = Some(now);
        next.updated_at = now;
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn urls_follow_the_rules() {
        let url = WebhookUrl::parse("https://Hooks.Example.com/in?x=1", false).unwrap();
        assert_eq!((url.host(), url.port()), ("hooks.example.com", 443));
        let local = WebhookUrl::parse("http://127.0.0.2:8080/hook", true).unwrap();
        assert_eq!((local.host(), local.port()), ("127.0.0.2", 8080));
        assert_eq!(
            WebhookUrl::parse("http://example.com/", false),
            Err(WebhookUrlError::NotHttps)
        );
        for bad in [
            "ftp://example.com",
            "https://",
            "https://user@example.com/",
            "https://example.com/#frag",
            "https://[::1]/",
            "https://example.com:0/",
            "https://example.com:99999/",
            "https://exa mple.com/",
            "example.com",
        ] {
            assert_eq!(
                WebhookUrl::parse(bad, true),
                Err(WebhookUrlError::Malformed),
                "{bad}"
            );
        }
        let rule = regex_lite::Regex::new(WebhookUrl::PATTERN).unwrap();
        for text in [
            "https://a.b/c",
            "http://127.0.0.2:1/",
            "https://x?y",
            "https://x:0",
        ] {
            assert_eq!(
                rule.is_match(text),
                WebhookUrl::parse(text, true).is_ok() || text.ends_with(":0"),
                "{text}"
            );
        }
    }

    fn endpoint() -> WebhookEndpoint {
        let draft = EndpointDraft::from_json(
            json!({"url": "https://example.com/hook", "eventTypes": ["enrollment.created"]})
                .as_object()
                .unwrap()
                .clone(),
            false,
        )
        .unwrap();
        WebhookEndpoint::new(
            WebhookEndpointId::parse("c000000000000000000000001").unwrap(),
            WorkspaceId::parse("ws_a").unwrap(),
            draft,
            WebhookSecret::from_bytes(&[1; 24]).unwrap(),
            at("2026-01-01T00:00:00Z"),
        )
    }

    #[test]
    fn drafts_and_patches_are_read_strictly() {
        let endpoint = endpoint();
        assert!(endpoint.subscribes_to(EventType::EnrollmentCreated));
        assert!(!endpoint.subscribes_to(EventType::InstanceCreated));
        let refused = EndpointDraft::from_json(
            json!({"url": null, "eventTypes": [], "secret": "x", "extra": 1})
                .as_object()
                .unwrap()
                .clone(),
            false,
        )
        .unwrap_err();
        let mut codes: Vec<_> = refused
            .iter()
            .map(|v| (v.pointer.as_str(), v.code))
            .collect();
        codes.sort();
        assert_eq!(
            codes,
            [
                ("/eventTypes", "empty"),
                ("/extra", "unknown_field"),
                ("/secret", "read_only"),
                ("/url", "required")
            ]
        );
        let patch = EndpointPatch::from_json(
            json!({"eventTypes": null, "disabled": true})
                .as_object()
                .unwrap()
                .clone(),
            false,
        )
        .unwrap();
        let patched = endpoint.patched(patch, at("2026-01-02T00:00:00Z"));
        assert!(patched.disabled);
        assert!(patched.subscribes_to(EventType::InstanceCreated));
    }

    #[test]
    fn a_rotated_secret_signs_for_a_day() {
        let endpoint = endpoint();
        let now = at("2026-01-02T00:00:00Z");
        let rotated = endpoint.rotated(WebhookSecret::from_bytes(&[2; 24]).unwrap(), now);
        assert_eq!(rotated.signing_secrets(now).len(), 2);
        assert_eq!(rotated.signing_secrets(now)[1], &endpoint.secret);
        assert_eq!(rotated.signing_secrets(at("2026-01-03T00:00:00Z")).len(), 1);
    }

    #[test]
    fn deliveries_follow_the_schedule_then_fail() {
        let mut delivery = Delivery {
            id: DeliveryId::parse("c000000000000000000000002").unwrap(),
            workspace_id: WorkspaceId::parse("ws_a").unwrap(),
            endpoint_id: WebhookEndpointId::parse("c000000000000000000000001").unwrap(),
            event_id: EventId::parse("evt_c000000000000000000000003").unwrap(),
            event_type: EventType::InstanceCreated,
            state: DeliveryState::Pending,
            attempts: 0,
            last_status: None,
            last_error: None,
            last_duration_ms: None,
            next_attempt_at: Some(at("2026-01-01T00:00:00Z")),
            created_at: at("2026-01-01T00:00:00Z"),
            updated_at: at("2026-01-01T00:00:00Z"),
        };
        let failed = AttemptResult {
            status: Some(500),
            error: Some("answered 500".into()),
            duration_ms: 3,
        };
        let now = at("2026-01-01T00:00:00Z");
        let backoff = Backoff {
            scale: 1.0,
            jitter: 0.5,
        };
        let first = delivery.after_attempt(&failed, now, backoff);
        assert_eq!(first.state, DeliveryState::Pending);
        assert_eq!(first.next_attempt_at, Some(at("2026-01-01T00:00:05Z")));
        for _ in 0..8 {
            delivery = delivery.after_attempt(&failed, now, backoff);
        }
        assert_eq!(
            (delivery.state, delivery.attempts),
            (DeliveryState::Failed, 8)
        );
        let ok = AttemptResult {
            status: Some(204),
            error: None,
            duration_ms: 1,
        };
        let retried = delivery.retried(now).after_attempt(&ok, now, backoff);
        assert_eq!(
            (retried.state, retried.next_attempt_at),
            (DeliveryState::Succeeded, None)
        );
        let fast = Backoff {
            scale: 0.001,
            jitter: 0.0,
        };
        assert_eq!(fast.disable_after(), Duration::seconds(432));
    }
}
