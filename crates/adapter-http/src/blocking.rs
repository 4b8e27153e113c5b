//! Blocking work (storage, argon2) off the async workers, inside the request's span.
//!
//! At most as many pieces of blocking work run at once as the state allows (the size of the
//! connection pool): the rest wait here, asynchronously and in arrival order, instead of
//! occupying a thread each while they queue for a connection. That keeps the tail latency
//! fair and the thread count, and with it memory, small under load.

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
