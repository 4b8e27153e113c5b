//! `/healthz`, `/readyz`, `/metrics`, `/openapi.json`: for load balancers, monitoring and
//! clients, without a key.

use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::web::{self, Data};
use serde_json::json;

use crate::HttpState;
use crate::api_doc;
use crate::problem::ApiError;
use crate::schemas::Health;

/// Whether the process is up
#[utoipa::path(
    get, path = "/healthz", operation_id = "checkHealth", tag = "operations", security(()),
    responses((status = 200, description = "The process is up: `{\"status\": \"ok\"}`.", body = Health))
)]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `/readyz` answers within this, whatever the database or the pool are doing.
const READY_WITHIN: Duration = Duration::from_millis(800);

/// Whether the process can serve: its database answers
///
/// Answered within a second on a connection of its own; 503 while the process is stopping.
#[utoipa::path(
    get, path = "/readyz", operation_id = "checkReadiness", tag = "operations", security(()),
    responses((status = 200, description = "The database answers: `{\"status\": \"ready\"}`.", body = Health))
)]
pub async fn readyz(state: Data<HttpState>) -> Result<HttpResponse, ApiError> {
    if state.is_draining() {
        return Err(ApiError::NotReady("the process is shutting down"));
    }
    let app = state.app.clone();
    match actix_web::rt::time::timeout(READY_WITHIN, web::block(move || app.check_ready())).await {
        Err(_) => Err(ApiError::NotReady("the database did not answer in time")),
        Ok(checked) => {
            checked.map_err(ApiError::internal)??;
            Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
        }
    }
}

/// This document
#[utoipa::path(
    get, path = "/openapi.json", operation_id = "getOpenApiDocument", tag = "operations", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of this API.", content_type = "application/json", body = Object))
)]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(api_doc::document_json())
}

/// Metrics in the Prometheus text format
#[utoipa::path(
    get, path = "/metrics", operation_id = "getMetrics", tag = "operations", security(()),
    responses((status = 200, description = "Request counts and latencies by route and status, pool usage, authentication failures, idempotent replays and key-cache use.", content_type = "text/plain", body = String))
)]
pub async fn metrics(state: Data<HttpState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
