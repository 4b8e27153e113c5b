//! Webhook delivery over HTTP(S): where deliveries may go (the `WebhookSender` port), and
//! the client that sends them.
//!
//! A destination's host is resolved by this crate's resolver, which refuses the connection
//! unless every address it resolves to is allowed (public, or private where the operator
//! allows it): the check happens on the addresses actually connected to, so a name that
//! resolves elsewhere after the endpoint was created is still refused. Connections are kept
//! alive per destination and reused only for the address that was checked when they
//! opened. Redirects are not followed; the whole attempt has a time limit.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_rt::net::TcpStream;
use actix_service::Service;
use actix_tls::connect::{ConnectError, ConnectInfo, Connection, Resolver};
use awc::http::Uri;
use domain::webhook::AddressClass;
use domain::webhook::endpoint::{AttemptResult, WebhookUrl};
use futures_core::future::LocalBoxFuture;
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

/// How much of an answer's body is read (and dropped) so that its connection can carry the
/// next request; a longer body closes the connection instead.
const ANSWER_READ: usize = 64 * 1024;

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

/// Where deliveries may go, checked as the destination resolves now: the port the
/// application asks when an endpoint is created or changed.
#[derive(Debug, Clone, Copy)]
pub struct DestinationCheck {
    allow_private: bool,
}

impl DestinationCheck {
    pub fn new(settings: SenderSettings) -> Self {
        Self {
            allow_private: settings.allow_private,
        }
    }
}

impl WebhookSender for DestinationCheck {
    fn check_destination(&self, url: &WebhookUrl) -> Result<(), DestinationRefused> {
        resolve_checked(
            &format!("{}:{}", url.host(), url.port()),
            self.allow_private,
        )
        .map(drop)
        .map_err(|error| DestinationRefused(error.to_string()))
    }
}

/// The client's TCP connector: resolves the destination itself (off the client's thread),
/// checks every address, then connects to those only. (The stock resolver passes IP
/// literals through unchecked, so the check cannot live in a resolver.)
#[derive(Clone)]
struct CheckedConnector<S> {
    inner: S,
    allow_private: bool,
}

impl<S> Service<ConnectInfo<Uri>> for CheckedConnector<S>
where
    S: Service<ConnectInfo<Uri>, Response = Connection<Uri, TcpStream>, Error = ConnectError>
        + Clone
        + 'static,
{
    type Response = Connection<Uri, TcpStream>;
    type Error = ConnectError;
    type Future = LocalBoxFuture<'static, Result<Self::Response, ConnectError>>;

    actix_service::forward_ready!(inner);

    fn call(&self, request: ConnectInfo<Uri>) -> Self::Future {
        let inner = self.inner.clone();
        let allow_private = self.allow_private;
        let netloc = format!("{}:{}", request.hostname(), request.port());
        Box::pin(async move {
            // Resolving may block for seconds: never on the thread running every attempt.
            let addresses =
                actix_rt::task::spawn_blocking(move || resolve_checked(&netloc, allow_private))
                    .await
                    .map_err(|stopped| ConnectError::Io(io::Error::other(stopped.to_string())))?
                    .map_err(|refused| ConnectError::Resolver(Box::new(refused)))?;
            inner.call(request.set_addrs(addresses)).await
        })
    }
}

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("the webhook client's TLS configuration: {0}")]
pub struct ClientError(#[from] rustls::Error);

/// Sends deliveries, any number at once on the thread that owns it (an actix runtime's),
/// keeping connections alive per destination.
pub struct Deliverer {
    client: awc::Client,
    timeout: Duration,
}

impl std::fmt::Debug for Deliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliverer")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Deliverer {
    /// A client for up to `connections` connections at once.
    pub fn new(settings: SenderSettings, connections: usize) -> Result<Self, ClientError> {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let tcp = CheckedConnector {
            inner: actix_tls::connect::Connector::new(Resolver::default()).service(),
            allow_private: settings.allow_private,
        };
        let connector = awc::Connector::new()
            .connector(tcp)
            .rustls_0_23(Arc::new(tls))
            .timeout(settings.timeout)
            .limit(connections);
        let client = awc::Client::builder()
            .connector(connector)
            .disable_redirects()
            // The attempt's own limit below covers connecting, sending and the answer.
            .disable_timeout()
            .add_default_header(("user-agent", "program-instances-webhooks/1"))
            .finish();
        Ok(Self {
            client,
            timeout: settings.timeout,
        })
    }

    /// Posts the request and reads the answer's status. A refused destination, a timeout
    /// or a lost connection are failed attempts, not errors.
    pub async fn send(&self, request: &WebhookRequest) -> AttemptResult {
        let started = Instant::now();
        let mut call = self.client.post(request.url.as_str());
        for (name, value) in &request.headers {
            call = call.insert_header((*name, value.as_str()));
        }
        let attempt = async {
            let mut response = call.send_body(request.body.clone()).await?;
            let status = response.status().as_u16();
            // What it says does not matter; reading it lets the connection be reused.
            let _ = response.body().limit(ANSWER_READ).await;
            Ok::<u16, awc::error::SendRequestError>(status)
        };
        let outcome = actix_rt::time::timeout(self.timeout, attempt).await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (status, error) = match outcome {
            Ok(Ok(status)) if (200..300).contains(&status) => (Some(status), None),
            Ok(Ok(status)) if (300..400).contains(&status) => (
                Some(status),
                Some(format!("answered {status} (redirects are not followed)")),
            ),
            Ok(Ok(status)) => (Some(status), Some(format!("answered {status}"))),
            Ok(Err(error)) => {
                tracing::debug!(%error, url = request.url.as_str(), "a webhook delivery failed");
                (None, Some(error.to_string()))
            }
            Err(_) => (
                None,
                Some(format!("no answer within {} ms", self.timeout.as_millis())),
            ),
        };
        AttemptResult {
            status,
            error,
            duration_ms,
        }
    }
}
