//! `/apiKeys`: key management for keys with `apiKeys:manage`.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use domain::ApiKeyId;
use serde_json::Value;
use validator::Validate;

use crate::HttpState;
use crate::auth::Caller;
use crate::body::{JSON, json_object};
use crate::idempotency::{Reply, idempotent};
use crate::key_body::key_from;
use crate::path::found;
use crate::problem::ApiError;
use crate::query::QueryParams;
use crate::{cursor, views};

pub async fn create(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    body: Bytes,
) -> HttpResponse {
    let handle = || async {
        let key = key_from(json_object(&req, &body, &[JSON])?)?;
        let principal = caller.0.clone();
        let (stored, secret) = state
            .call(move |app| app.create_key_as(&principal, key.name, key.grant, key.expires_at))
            .await?;
        let record = views::key(&stored);
        let mut shown_once = record.clone();
        shown_once["key"] = Value::String(secret.expose().to_owned());
        // A replay must not reveal the secret: it is never stored, not even for replay.
        let mut replayed = record;
        replayed["key"] = Value::Null;
        Ok(Reply::json(StatusCode::CREATED, &shown_once)?
            .with_header(LOCATION, &format!("/apiKeys/{}", stored.id))
            .with_replay_body(&replayed))
    };
    idempotent(state.clone(), &caller, &req, &body, handle).await
}

#[derive(Debug, Validate)]
struct KeyPage {
    #[validate(range(min = 1, max = 100))]
    limit: Option<u32>,
}

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
    let view = views::page(&page, views::key, |last| {
        cursor::encode(&[last.id.as_str()])
    });
    Ok(Reply::json(StatusCode::OK, &view)?.into_response())
}

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
