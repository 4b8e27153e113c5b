//! `/healthz`, `/readyz`, `/metrics`: for load balancers and monitoring, without a key.

use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::web::{self, Data};
use serde_json::json;

use crate::HttpState;
use crate::problem::ApiError;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `/readyz` answers within this, whatever the database or the pool are doing.
const READY_WITHIN: Duration = Duration::from_millis(800);

/// Not behind the blocking slots other requests queue for: a node whose pool is busy but
/// whose database answers is ready.
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

/// The OpenAPI 3.1 description of every endpoint, kept beside the route table.
pub const OPENAPI: &str = include_str!("../openapi.json");

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}

pub async fn metrics(state: Data<HttpState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
