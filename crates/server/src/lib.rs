//! Configuration, wiring and the operator command line of `program-instances`. No business
//! rules live here: it chooses adapters and plugs them into the application.

pub mod cli;
pub mod config;
pub mod storage;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use adapter_http::{HttpState, Metrics};
use application::Application;

use crate::config::Settings;
use crate::storage::Storage;

/// The application over `storage` (already migrated).
pub fn application(storage: &Storage, settings: &Settings) -> Arc<Application> {
    Arc::new(Application::new(storage.ports(), settings.key_cache))
}

/// Starts the API for `app` on `listener`.
pub fn start_server(
    listener: TcpListener,
    app: Arc<Application>,
    storage: &Storage,
    settings: &Settings,
) -> std::io::Result<Server> {
    let metrics = Metrics::with_gauges(storage.gauges());
    // Up to eight requests queue per connection inside blocking threads; more wait without one.
    let slots = usize::try_from(settings.pool_size)
        .unwrap_or(usize::MAX)
        .saturating_mul(8);
    let state = HttpState::new(app, metrics, settings.auth_failures, slots);
    adapter_http::serve(listener, state, settings.workers)
}
