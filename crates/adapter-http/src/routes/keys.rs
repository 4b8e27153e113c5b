//! `/apiKeys`: key management for keys with `apiKeys:manage`.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use application::{IdempotencyKey, Idempotent};
use domain::{ApiKey, ApiKeyId};
use validator::Validate;

use crate::HttpState;
use crate::auth::Caller;
use crate::body::{JSON, json_object};
use crate::idempotency::{Answered, idempotent};
use crate::key_body::key_from;
use crate::path::found;
use crate::problem::ApiError;
use crate::query::QueryParams;
use crate::reply::{RenderError, Reply, kept};
use crate::schemas::{IdempotencyKeyHeader, KeyIdParam};
use crate::views::Shown;
use crate::{cursor, schemas, views};

/// The 201 of a new key: the record, and its secret when it is shown (`"key": null` when not).
fn created_reply(key: &ApiKey, secret: Shown<'_>) -> Result<Reply, RenderError> {
    Reply::json(StatusCode::CREATED, &views::key(key, secret))?
        .with_header(LOCATION, &format!("/apiKeys/{}", key.id))
}

/// Create a key for the caller's workspace
///
/// Its secret `key` is in this answer only; a replay of it (same `Idempotency-Key`) says
/// `"key": null`.
#[utoipa::path(
    post, path = "/apiKeys", operation_id = "createApiKey", tag = "apiKeys",
    params(IdempotencyKeyHeader),
    request_body(content = schemas::NewApiKey, content_type = "application/json"),
    responses(
        (status = 201, description = "Created.", body = views::CreatedApiKey,
            headers(("Location" = String, description = "`/apiKeys/{id}`."),
                ("Idempotent-Replayed" = String, description = "`true` on a replayed answer."))),
        (status = 409, description = "A request with the same `Idempotency-Key` is still running (`idempotency_in_progress`).", body = schemas::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    body: Bytes,
) -> HttpResponse {
    let handle = |idempotency: Option<IdempotencyKey>| async {
        let body = key_from(json_object(&req, &body, &[JSON])?)?;
        let principal = caller.0.clone();
        let kept_with_change = idempotency.is_some();
        let (key, secret) = state
            .call(move |app| {
                // A replay must not reveal the secret: it is never kept, not even for replay.
                let respond = |key: &ApiKey| kept(created_reply(key, Shown::Withheld));
                let idempotent = idempotency.as_ref().map(|key| Idempotent {
                    key,
                    respond: &respond,
                });
                app.create_key_as(
                    &principal,
                    body.name,
                    body.grant,
                    body.expires_at,
                    idempotent,
                )
            })
            .await?;
        Ok(Answered {
            reply: created_reply(&key, Shown::Secret(secret.expose()))?,
            kept: kept_with_change,
        })
    };
    idempotent(state.clone(), &caller, &req, &body, handle).await
}

#[derive(Debug, Validate)]
struct KeyPage {
    #[validate(range(min = 1, max = 100))]
    limit: Option<u32>,
}

/// The workspace's keys, without secrets or hashes
#[utoipa::path(
    get, path = "/apiKeys", operation_id = "listApiKeys", tag = "apiKeys",
    params(schemas::PageQuery),
    responses((status = 200, description = "A page of keys.", body = views::KeyPage))
)]
pub async fn list(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut params = QueryParams::parse(req.query_string())?;
    let after = params.cursor(|fields| ApiKeyId::parse(fields.first()?).ok());
    let page = KeyPage {
        limit: params.number("limit"),
    };
    let limit = params.finish(page)?.limit.unwrap_or(20) as usize;
    let page = state
        .call(move |app| app.list_keys(&caller.0, after, limit))
        .await?;
    let view = views::page(
        &page,
        |key| views::key(key, Shown::Absent),
        |last| cursor::encode(&[last.id.as_str()]),
    );
    Ok(Reply::json(StatusCode::OK, &view)?.into_response())
}

/// Revoke a key, at once
#[utoipa::path(
    delete, path = "/apiKeys/{id}", operation_id = "revokeApiKey", tag = "apiKeys",
    params(KeyIdParam),
    responses((status = 204, description = "Revoked (revoking a revoked key changes nothing)."))
)]
pub async fn revoke(
    state: Data<HttpState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = found(ApiKeyId::parse(&id), "key")?;
    state
        .call(move |app| app.revoke_key_as(&caller.0, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
