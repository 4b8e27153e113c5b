//! Blocking work (storage, argon2) off the async workers, inside the request's span.

use actix_web::web;
use application::AppError;

use crate::problem::ApiError;

pub async fn run_blocking<T, F>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    web::block(move || span.in_scope(work))
        .await
        .map_err(|error| ApiError::Internal(format!("blocking task failed: {error}")))?
        .map_err(ApiError::from)
}
