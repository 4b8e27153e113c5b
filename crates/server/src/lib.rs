//! Configuration, wiring and the operator command line of `program-instances`. No business
//! rules live here: it chooses adapters and plugs them into the application.

pub mod cli;
pub mod config;
pub mod dispatcher;
pub mod flips;
pub mod storage;

use std::net::TcpListener;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::web;
use adapter_http::{HttpState, Metrics};
use adapter_web::WebState;
use adapter_webhooks::DestinationCheck;
use application::Application;

use crate::config::Settings;
use crate::storage::Storage;

/// The application over `storage` (already migrated).
pub fn application(storage: &Storage, settings: &Settings) -> Arc<Application> {
    let sender = Arc::new(DestinationCheck::new(settings.webhook_dispatch.sender));
    Arc::new(
        Application::new(storage.ports(sender), settings.key_cache)
            .with_webhook_settings(settings.webhooks),
    )
}

/// A running API: the server to await, and its state, to drain before stopping it.
pub struct Started {
    pub server: Server,
    pub state: web::Data<HttpState>,
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Started").finish_non_exhaustive()
    }
}

/// How often the metrics recorder is drained and the limiter's table trimmed.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// How long requests in flight may take to finish once the server stops.
const FINISH_WITHIN: Duration = Duration::from_secs(30);

/// Starts the API for `app` on `listener`.
pub fn start_server(
    listener: TcpListener,
    app: Arc<Application>,
    storage: &Storage,
    settings: &Settings,
) -> std::io::Result<Started> {
    let metrics = Metrics::with_gauges(storage.gauges());
    // Up to eight requests queue per connection inside blocking threads; more wait without one.
    let slots = usize::try_from(settings.pool_size)
        .unwrap_or(usize::MAX)
        .saturating_mul(8);
    dispatcher::start(&app, settings.webhook_dispatch);
    flips::start(&app);
    let state = web::Data::new(HttpState::new(
        app,
        metrics,
        settings.auth_failures,
        settings.trusted_proxies.clone(),
        slots,
    ));
    let pages = web::Data::new(WebState::new(state.app.clone(), settings.page_submissions));
    let server = adapter_http::serve(listener, state.clone(), settings.workers, FINISH_WITHIN, {
        let pages = pages.clone();
        move |config: &mut web::ServiceConfig| adapter_web::configure(config, pages.clone())
    })?;
    let housekeeping = state.clone();
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(UPKEEP_EVERY);
        loop {
            every.tick().await;
            housekeeping.upkeep();
            pages.upkeep();
        }
    });
    Ok(Started { server, state })
}

/// Serves until SIGTERM or SIGINT, then drains for `drain` (every response closes its
/// connection, `/readyz` answers 503) so that load balancers and keep-alive clients move
/// away before the server stops taking requests; requests in flight then finish.
pub async fn serve_until_signalled(started: Started, drain: Duration) -> std::io::Result<()> {
    use actix_web::rt::signal::unix::{SignalKind, signal};

    let Started { server, state } = started;
    let handle = server.handle();
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    actix_web::rt::spawn(async move {
        let received = std::future::poll_fn(|cx| {
            if terminate.poll_recv(cx).is_ready() {
                Poll::Ready("SIGTERM")
            } else if interrupt.poll_recv(cx).is_ready() {
                Poll::Ready("SIGINT")
            } else {
                Poll::Pending
            }
        })
        .await;
        tracing::info!(
            signal = received,
            drain_ms = drain.as_millis() as u64,
            "draining"
        );
        state.start_draining();
        actix_web::rt::time::sleep(drain).await;
        handle.stop(true).await;
    });
    server.await
}
