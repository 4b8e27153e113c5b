//! The REST API over actix-web. Handlers are short: parse the request into domain values,
//! run one use case on the blocking pool, render the result. Every error becomes one
//! `application/problem+json` document (see `problem`).

mod api_doc;
mod auth;
mod auth_limiter;
mod blocking;
mod body;
mod cursor;
mod enrollment_body;
mod envelope;
mod idempotency;
mod key_body;
pub mod metrics;
mod path;
mod problem;
mod query;
mod reply;
mod report_formats;
mod routes;
mod schemas;
pub mod views;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_http::{HttpService, Protocol};
use actix_service::{IntoServiceFactory, ServiceFactoryExt, fn_service, map_config};
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::rt::net::TcpStream;
use actix_web::{App, HttpResponse, web};
use application::Application;

pub use api_doc::document_json as openapi_document;
pub use auth_limiter::{FailureLimits, TrustedNetwork};
pub use metrics::Metrics;
use problem::ApiError;
pub use views::ApiRepresentations;

/// Bodies above this are refused with 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler shares.
#[derive(Debug)]
pub struct HttpState {
    pub app: Arc<Application>,
    pub metrics: Metrics,
    auth_failures: auth_limiter::FailureLimiter,
    blocking_slots: tokio::sync::Semaphore,
    /// Set when the process is about to stop: responses close their connections and
    /// `/readyz` answers 503, so clients and load balancers move elsewhere.
    draining: AtomicBool,
}

impl HttpState {
    /// `blocking_slots`: how much blocking work may run at once (the connection pool's size).
    /// `trusted_proxies`: the networks whose `X-Forwarded-For` names the client.
    pub fn new(
        app: Arc<Application>,
        metrics: Metrics,
        failure_limits: FailureLimits,
        trusted_proxies: Vec<TrustedNetwork>,
        blocking_slots: usize,
    ) -> Self {
        Self {
            app,
            metrics,
            auth_failures: auth_limiter::FailureLimiter::new(failure_limits, trusted_proxies),
            blocking_slots: tokio::sync::Semaphore::new(blocking_slots.max(1)),
            draining: AtomicBool::new(false),
        }
    }

    /// From now on, until the process stops: every response closes its connection and
    /// `/readyz` answers 503.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// Housekeeping to run every few seconds: drains the metrics recorder's buffers and
    /// forgets client addresses the limiter no longer holds back.
    pub fn upkeep(&self) {
        self.metrics.upkeep();
        self.auth_failures.forget_idle();
    }
}

/// The application with its routes and middleware, for a server or a test; `pages` adds
/// routes served beside the API (the enrollment pages), inside the same middleware.
pub fn build_app(
    state: web::Data<HttpState>,
    pages: impl FnOnce(&mut web::ServiceConfig),
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .wrap(from_fn(envelope::envelope))
        .configure(routes::configure)
        .configure(pages)
        .default_service(web::to(|| async {
            Err::<HttpResponse, _>(ApiError::RouteNotFound)
        }))
}

/// How long a client has to send a request's head before 408.
const REQUEST_HEAD_WITHIN: Duration = Duration::from_secs(5);
/// How long an idle keep-alive connection stays open.
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// Serves the API on `listener` with `workers` async workers. The server does not watch
/// for signals: whoever runs it drains (`HttpState::start_draining`) and then stops it,
/// which lets requests in flight finish for up to `finish_within`.
///
/// A request that is not readable as HTTP (a header holding NUL, a head too large or never
/// finished) is refused by actix-http itself with a bare 400, 431 or 408 and a closed
/// connection, before any of this service's code runs.
pub fn serve(
    listener: TcpListener,
    state: web::Data<HttpState>,
    workers: usize,
    finish_within: Duration,
    pages: impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
) -> std::io::Result<Server> {
    let server = Server::build()
        .workers(workers)
        .disable_signals()
        .shutdown_timeout(finish_within.as_secs().max(1))
        .listen("api", listener, move || {
            let app = build_app(state.clone(), pages.clone())
                .into_factory()
                .map_err(|error: actix_web::Error| error.error_response());
            let http = HttpService::build()
                .keep_alive(KEEP_ALIVE)
                .client_request_timeout(REQUEST_HEAD_WITHIN)
                .finish(map_config(app, |_| AppConfig::default()));
            fn_service(|stream: TcpStream| async move {
                let _ = stream.set_nodelay(true);
                let peer = stream.peer_addr().ok();
                Ok((stream, Protocol::Http1, peer))
            })
            .and_then(http)
        })?
        .run();
    Ok(server)
}
