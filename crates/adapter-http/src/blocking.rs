//! Blocking work (storage, argon2) off the async workers, inside the request's span.
//!
//! At most as many pieces of blocking work run at once as the state allows (a few per
//! pooled connection): beyond that, requests wait here, asynchronously and in arrival order,
//! instead of each occupying a thread while it queues for a connection. Measured with
//! `just bench`: one slot per connection starves throughput (6,200 GETs/s against 8,800);
//! eight per connection keeps it and still bounds the threads under overload.

use actix_web::web;
use application::{AppError, Application};

use crate::HttpState;
use crate::problem::ApiError;

impl HttpState {
    /// Runs one use case of the application on the blocking pool: every handler's way in.
    pub async fn call<T, F>(&self, use_case: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Application) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let _turn = self
            .blocking_slots
            .acquire()
            .await
            .map_err(ApiError::internal)?;
        let app = self.app.clone();
        let span = tracing::Span::current();
        web::block(move || span.in_scope(|| use_case(&app)))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::from)
    }
}
