//! The REST API over actix-web. Handlers are short: parse the request into domain values,
//! run one use case on the blocking pool, render the result. Every error becomes one
//! `application/problem+json` document (see `problem`).

mod auth;
mod auth_limiter;
mod blocking;
mod body;
mod cursor;
mod enrollment_body;
mod envelope;
mod idempotency;
mod instance_body;
mod key_body;
pub mod metrics;
mod path;
mod problem;
mod query;
mod reply;
mod routes;
pub mod views;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use application::Application;

pub use auth_limiter::FailureLimits;
pub use idempotency::request_fingerprint;
pub use metrics::Metrics;
use problem::ApiError;

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
    pub fn new(
        app: Arc<Application>,
        metrics: Metrics,
        failure_limits: FailureLimits,
        blocking_slots: usize,
    ) -> Self {
        Self {
            app,
            metrics,
            auth_failures: auth_limiter::FailureLimiter::new(failure_limits),
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
}

/// The application with its routes and middleware, for a server or a test.
pub fn build_app(
    state: web::Data<HttpState>,
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
        .default_service(web::to(|| async {
            Err::<HttpResponse, _>(ApiError::RouteNotFound)
        }))
}

/// Serves the API on `listener` with `workers` async workers. The server does not watch
/// for signals: whoever runs it drains (`HttpState::start_draining`) and then stops it,
/// which lets requests in flight finish for up to `finish_within`.
pub fn serve(
    listener: TcpListener,
    state: web::Data<HttpState>,
    workers: usize,
    finish_within: Duration,
) -> std::io::Result<Server> {
    let server = HttpServer::new(move || build_app(state.clone()))
        .workers(workers)
        .disable_signals()
        .shutdown_timeout(finish_within.as_secs().max(1))
        .listen(listener)?
        .run();
    Ok(server)
}
