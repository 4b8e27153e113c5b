//! `/webhookEndpoints`: where the workspace's events are delivered, for keys with
//! `webhooks:manage`.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use application::{DeliveryCursor, IdempotencyKey};
use domain::webhook::endpoint::WebhookEndpoint;
use domain::{DeliveryId, Timestamp, WebhookEndpointId};
use validator::Validate;

use crate::HttpState;
use crate::auth::Caller;
use crate::body::{JSON, MERGE_PATCH_JSON, json_object};
use crate::idempotency::{Answered, idempotent};
use crate::path::found;
use crate::problem::ApiError;
use crate::query::QueryParams;
use crate::reply::Reply;
use crate::schemas::{DeliveryPathParams, EndpointIdParam, IdempotencyKeyHeader};
use crate::views::Shown;
use crate::{cursor, schemas, views};

fn endpoint_id(raw: &str) -> Result<WebhookEndpointId, ApiError> {
    found(WebhookEndpointId::parse(raw), "webhook endpoint")
}

fn with_secret(status: StatusCode, endpoint: &WebhookEndpoint) -> Result<Reply, ApiError> {
    let secret = endpoint.secret.expose();
    Ok(Reply::json(
        status,
        &views::endpoint(endpoint, Shown::Secret(&secret)),
    )?)
}

/// Create a webhook endpoint
///
/// Its `secret` is in this answer only. At most 16 endpoints per workspace (409
/// `too_many_endpoints`).
#[utoipa::path(
    post, path = "/webhookEndpoints", operation_id = "createWebhookEndpoint", tag = "webhooks",
    params(IdempotencyKeyHeader),
    request_body(content = schemas::NewWebhookEndpoint, content_type = "application/json"),
    responses(
        (status = 201, description = "Created.", body = views::EndpointWithSecret,
            headers(("Location" = String, description = "`/webhookEndpoints/{id}`."),
                ("Idempotent-Replayed" = String, description = "`true` on a replayed answer."))),
        (status = 409, description = "The workspace has 16 endpoints (`too_many_endpoints`), or a request with the same `Idempotency-Key` is still running (`idempotency_in_progress`).", body = schemas::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    body: Bytes,
) -> HttpResponse {
    let handle = |_: Option<IdempotencyKey>| async {
        let members = json_object(&req, &body, &[JSON])?;
        let principal = caller.0.clone();
        let endpoint = state
            .call(move |app| app.create_endpoint(&principal, members))
            .await?;
        let reply = with_secret(StatusCode::CREATED, &endpoint)?
            .with_header(LOCATION, &format!("/webhookEndpoints/{}", endpoint.id))?;
        Ok(Answered { reply, kept: false })
    };
    idempotent(state.clone(), &caller, &req, &body, handle).await
}

/// The workspace's webhook endpoints, oldest first
#[utoipa::path(
    get, path = "/webhookEndpoints", operation_id = "listWebhookEndpoints", tag = "webhooks",
    responses((status = 200, description = "Every endpoint (secrets are never shown).", body = views::EndpointPage))
)]
pub async fn list(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(req.query_string())?.finish(NoParams)?;
    let endpoints = state.call(move |app| app.list_endpoints(&caller.0)).await?;
    let view = views::whole(
        endpoints
            .iter()
            .map(|endpoint| views::endpoint(endpoint, Shown::Absent))
            .collect(),
    );
    Ok(Reply::json(StatusCode::OK, &view)?.into_response())
}

/// A list that takes no parameters: any given is unknown.
#[derive(Debug)]
struct NoParams;

impl Validate for NoParams {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

/// One webhook endpoint
#[utoipa::path(
    get, path = "/webhookEndpoints/{id}", operation_id = "getWebhookEndpoint", tag = "webhooks",
    params(EndpointIdParam),
    responses((status = 200, description = "The endpoint.", body = views::EndpointView))
)]
pub async fn get(
    state: Data<HttpState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = endpoint_id(&id)?;
    let endpoint = state
        .call(move |app| app.get_endpoint(&caller.0, &id))
        .await?;
    Ok(Reply::json(StatusCode::OK, &views::endpoint(&endpoint, Shown::Absent))?.into_response())
}

/// Change a webhook endpoint
///
/// JSON Merge Patch of `url`, `eventTypes`, `description`, `disabled`. Enabling a disabled
/// endpoint forgets its past failures.
#[utoipa::path(
    patch, path = "/webhookEndpoints/{id}", operation_id = "updateWebhookEndpoint", tag = "webhooks",
    params(EndpointIdParam),
    request_body(content = schemas::WebhookEndpointChanges, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The endpoint after the change.", body = views::EndpointView))
)]
pub async fn update(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    id: Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = endpoint_id(&id)?;
    let members = json_object(&req, &body, &[MERGE_PATCH_JSON, JSON])?;
    let endpoint = state
        .call(move |app| app.update_endpoint(&caller.0, &id, members))
        .await?;
    Ok(Reply::json(StatusCode::OK, &views::endpoint(&endpoint, Shown::Absent))?.into_response())
}

/// Delete a webhook endpoint and its deliveries
#[utoipa::path(
    delete, path = "/webhookEndpoints/{id}", operation_id = "deleteWebhookEndpoint", tag = "webhooks",
    params(EndpointIdParam),
    responses((status = 204, description = "Deleted."))
)]
pub async fn delete(
    state: Data<HttpState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = endpoint_id(&id)?;
    state
        .call(move |app| app.delete_endpoint(&caller.0, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate an endpoint's secret
///
/// The new `secret` is in this answer only; the old one keeps signing beside it for 24
/// hours, so receivers can switch without losing a delivery.
#[utoipa::path(
    post, path = "/webhookEndpoints/{id}/rotateSecret", operation_id = "rotateWebhookSecret", tag = "webhooks",
    params(EndpointIdParam, IdempotencyKeyHeader),
    responses(
        (status = 200, description = "The endpoint with its new secret.", body = views::EndpointWithSecret,
            headers(("Idempotent-Replayed" = String, description = "`true` on a replayed answer."))),
        (status = 409, description = "A request with the same `Idempotency-Key` is still running (`idempotency_in_progress`).", body = schemas::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn rotate_secret(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    id: Path<String>,
    body: Bytes,
) -> HttpResponse {
    let handle = |_: Option<IdempotencyKey>| async {
        let id = endpoint_id(&id)?;
        let principal = caller.0.clone();
        let endpoint = state
            .call(move |app| app.rotate_endpoint_secret(&principal, &id))
            .await?;
        Ok(Answered {
            reply: with_secret(StatusCode::OK, &endpoint)?,
            kept: false,
        })
    };
    idempotent(state.clone(), &caller, &req, &body, handle).await
}

#[derive(Debug, Validate)]
struct DeliveryBounds {
    #[validate(range(min = 1, max = 100))]
    limit: Option<u32>,
}

fn delivery_cursor(fields: Vec<String>) -> Option<DeliveryCursor> {
    let [micros, id] = fields.as_slice() else {
        return None;
    };
    Some(DeliveryCursor {
        created_at: Timestamp::from_unix_micros(micros.parse().ok()?)?,
        id: DeliveryId::parse(id).ok()?,
    })
}

/// An endpoint's deliveries, newest first
#[utoipa::path(
    get, path = "/webhookEndpoints/{id}/deliveries", operation_id = "listWebhookDeliveries", tag = "webhooks",
    params(EndpointIdParam, schemas::PageQuery),
    responses((status = 200, description = "A page of deliveries.", body = views::DeliveryPage))
)]
pub async fn deliveries(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = endpoint_id(&id)?;
    let mut params = QueryParams::parse(req.query_string())?;
    let after = params.cursor(delivery_cursor);
    let bounds = DeliveryBounds {
        limit: params.number("limit"),
    };
    let bounds = params.finish(bounds)?;
    let limit = bounds.limit.unwrap_or(20) as usize;
    let page = state
        .call(move |app| app.list_deliveries(&caller.0, &id, after, limit))
        .await?;
    let view = views::page(&page, views::delivery, |last| {
        cursor::encode(&[&last.created_at.unix_micros().to_string(), last.id.as_str()])
    });
    Ok(Reply::json(StatusCode::OK, &view)?.into_response())
}

/// Attempt a delivery again, now
///
/// A failed delivery gets one more attempt; a pending one is made due at once.
#[utoipa::path(
    post, path = "/webhookEndpoints/{id}/deliveries/{deliveryId}/retry", operation_id = "retryWebhookDelivery", tag = "webhooks",
    params(DeliveryPathParams, IdempotencyKeyHeader),
    responses(
        (status = 202, description = "Due now; the dispatcher attempts it shortly.", body = views::DeliveryView,
            headers(("Idempotent-Replayed" = String, description = "`true` on a replayed answer."))),
        (status = 409, description = "A request with the same `Idempotency-Key` is still running (`idempotency_in_progress`).", body = schemas::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn retry(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    path: Path<(String, String)>,
    body: Bytes,
) -> HttpResponse {
    let handle = |_: Option<IdempotencyKey>| async {
        let (endpoint, delivery) = path.into_inner();
        let endpoint = endpoint_id(&endpoint)?;
        let delivery = found(DeliveryId::parse(&delivery), "delivery")?;
        let principal = caller.0.clone();
        let retried = state
            .call(move |app| app.retry_delivery(&principal, &endpoint, &delivery))
            .await?;
        Ok(Answered {
            reply: Reply::json(StatusCode::ACCEPTED, &views::delivery(&retried))?,
            kept: false,
        })
    };
    idempotent(state.clone(), &caller, &req, &body, handle).await
}
