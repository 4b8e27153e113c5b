//! Sends webhook deliveries: the `WebhookSender` port over HTTP(S).
//!
//! The destination's host is resolved by this crate's resolver, which refuses the
//! connection unless every address it resolves to is allowed (public, or private where the
//! operator allows it): the check happens on the addresses actually connected to, so a name
//! that resolves elsewhere after the endpoint was created is still refused. Redirects are
//! not followed; the whole attempt has a time limit.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use domain::webhook::AddressClass;
use domain::webhook::endpoint::{AttemptResult, WebhookUrl};
use ports::{DestinationRefused, WebhookRequest, WebhookSender};

/// The sender's settings.
#[derive(Debug, Clone, Copy)]
pub struct SenderSettings {
    /// Whether loopback, private and link-local destinations are allowed (development and
    /// tests).
    pub allow_private: bool,
    /// The longest an attempt may take, connecting included.
    pub timeout: Duration,
}

impl Default for SenderSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: Duration::from_secs(10),
        }
    }
}

/// `host:port` resolved, every address checked.
fn resolve_checked(netloc: &str, allow_private: bool) -> io::Result<Vec<SocketAddr>> {
    let addresses: Vec<SocketAddr> = netloc.to_socket_addrs()?.collect();
    if addresses.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "the host has no address",
        ));
    }
    if let Some(refused) = addresses
        .iter()
        .find(|address| !AddressClass::of(address.ip()).allowed(allow_private))
    {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "the host resolves to {} ({:?}), where deliveries may not go",
                refused.ip(),
                AddressClass::of(refused.ip())
            ),
        ));
    }
    Ok(addresses)
}

/// Deliveries over HTTP(S) with `ureq`.
#[derive(Debug)]
pub struct HttpSender {
    agent: ureq::Agent,
    settings: SenderSettings,
}

impl HttpSender {
    pub fn new(settings: SenderSettings) -> Self {
        let allow_private = settings.allow_private;
        let agent = ureq::AgentBuilder::new()
            .resolver(move |netloc: &str| resolve_checked(netloc, allow_private))
            .redirects(0)
            .timeout(settings.timeout)
            .user_agent("program-instances-webhooks/1")
            .build();
        Self { agent, settings }
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl WebhookSender for HttpSender {
    fn check_destination(&self, url: &WebhookUrl) -> Result<(), DestinationRefused> {
        resolve_checked(
            &format!("{}:{}", url.host(), url.port()),
            self.settings.allow_private,
        )
        .map(drop)
        .map_err(|error| DestinationRefused(error.to_string()))
    }

    fn send(&self, request: &WebhookRequest<'_>) -> AttemptResult {
        let started = Instant::now();
        let mut call = self.agent.post(request.url.as_str());
        for (name, value) in &request.headers {
            call = call.set(name, value);
        }
        match call.send_string(request.body) {
            Ok(response) if (200..300).contains(&response.status()) => AttemptResult {
                status: Some(response.status()),
                error: None,
                duration_ms: elapsed_ms(started),
            },
            Ok(response) => AttemptResult {
                status: Some(response.status()),
                error: Some(format!(
                    "answered {} (redirects are not followed)",
                    response.status()
                )),
                duration_ms: elapsed_ms(started),
            },
            Err(ureq::Error::Status(status, _)) => AttemptResult {
                status: Some(status),
                error: Some(format!("answered {status}")),
                duration_ms: elapsed_ms(started),
            },
            Err(ureq::Error::Transport(transport)) => {
                tracing::debug!(error = %transport, url = request.url.as_str(), "a webhook delivery failed");
                AttemptResult {
                    status: None,
                    error: Some(transport.to_string()),
                    duration_ms: elapsed_ms(started),
                }
            }
        }
    }
}
