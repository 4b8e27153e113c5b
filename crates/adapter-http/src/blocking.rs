//! Blocking work (storage, argon2) off the async workers, inside the request's span.
//!
//! At most as many pieces of blocking work run at once as the state allows (a few per
//! pooled connection): beyond that, requests wait here, asynchronously and in arrival order,
//! instead of each occupying a thread while it queues for a connection. Measured with
//! `just bench`: one slot per connection starves throughput (6,200 GETs/s against 8,800);
//! eight per connection keeps it and still bounds the threads under overload.

use actix_web::web;
use application::AppError;

use crate::HttpState;
use crate::problem::ApiError;

pub async fn run_blocking<T, F>(state: &HttpState, work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let _turn = state
        .blocking_slots
        .acquire()
        .await
        .map_err(|error| ApiError::Internal(format!("blocking slots closed: {error}")))?;
    let span = tracing::Span::current();
    web::block(move || span.in_scope(work))
        .await
        .map_err(|error| ApiError::Internal(format!("blocking task failed: {error}")))?
        .map_err(ApiError::from)
}
