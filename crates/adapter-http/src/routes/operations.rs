//! `/healthz`, `/readyz`, `/metrics`: for load balancers and monitoring, without a key.

use actix_web::HttpResponse;
use actix_web::web::Data;
use serde_json::json;

use crate::HttpState;
use crate::problem::ApiError;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(state: Data<HttpState>) -> Result<HttpResponse, ApiError> {
    state.call(|app| app.check_ready()).await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
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
