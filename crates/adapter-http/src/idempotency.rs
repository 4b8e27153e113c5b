//! `Idempotency-Key` on POST, at the HTTP edge: the header, the request's fingerprint, and
//! the order of things: a known answer is replayed before anything runs; a use case that
//! writes keeps its answer with its change; any other answer but a server fault is kept
//! after it is made. The rules are the application's (see `application::idempotency`).

use std::future::Future;

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use application::{AppError, IdempotencyKey};
use blake2::{Blake2s256, Digest};
use serde_json::Value;

use crate::HttpState;
use crate::auth::Caller;
use crate::problem::ApiError;
use crate::reply::Reply;

const HEADER: &str = "idempotency-key";

/// What a POST handler answered, and whether that answer was kept with its change (a use
/// case that writes keeps it in the same transaction; otherwise it is kept afterwards).
#[derive(Debug)]
pub struct Answered {
    pub reply: Reply,
    pub kept: bool,
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    let text = value.to_str().ok().filter(|text| {
        (1..=255).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic())
    });
    text.map(|text| Some(text.to_owned()))
        .ok_or(ApiError::InvalidHeader {
            name: "Idempotency-Key",
            message: "must be 1 to 255 visible ASCII characters",
        })
}

/// What makes two requests "the same": method, path, and the body (as canonical JSON when
/// it is JSON, so formatting and member order do not matter).
fn request_fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let canonical = serde_json::from_slice::<Value>(body)
        .map(|value| value.to_string().into_bytes())
        .unwrap_or_else(|_| body.to_vec());
    let digest = Blake2s256::new()
        .chain_update(method)
        .chain_update(b" ")
        .chain_update(path)
        .chain_update(b"\n")
        .chain_update(&canonical)
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn send(reply: Result<Reply, ApiError>) -> HttpResponse {
    match reply {
        Ok(reply) => reply.into_response(),
        Err(error) => Reply::from_error(&error).into_response(),
    }
}

fn replay(stored: application::StoredResponse) -> HttpResponse {
    crate::metrics::idempotent_replay();
    send(Reply::replayed(stored).map_err(ApiError::from))
}

/// Whether a refusal is the request's answer, to keep: not a server fault (a retry may
/// succeed), nor a refusal that is about the key rather than the request.
fn is_an_answer(error: &ApiError) -> bool {
    !error.status().is_server_error()
        && !matches!(
            error,
            ApiError::App(AppError::IdempotencyMismatch | AppError::IdempotencyInProgress)
        )
}

/// Runs `handle` at most once per idempotency key and replays its answer to retries.
pub async fn idempotent<F, Fut>(
    state: web::Data<HttpState>,
    caller: &Caller,
    req: &HttpRequest,
    body: &Bytes,
    handle: F,
) -> HttpResponse
where
    F: FnOnce(Option<IdempotencyKey>) -> Fut,
    Fut: Future<Output = Result<Answered, ApiError>>,
{
    let key = match idempotency_key(req) {
        Ok(Some(key)) => key,
        Ok(None) => return send(handle(None).await.map(|answered| answered.reply)),
        Err(error) => return send(Err(error)),
    };
    let key = IdempotencyKey::new(
        key,
        request_fingerprint(req.method().as_str(), req.path(), body),
    );
    let known = {
        let (principal, key) = (caller.0.clone(), key.clone());
        state
            .call(move |app| app.idempotent_answer(&principal, &key))
            .await
    };
    match known {
        Ok(Some(stored)) => return replay(stored),
        Ok(None) => {}
        Err(error) => return send(Err(error)),
    }
    let reply = match handle(Some(key.clone())).await {
        Ok(Answered { reply, kept: true }) => return reply.into_response(),
        Ok(Answered { reply, kept: false }) => reply,
        Err(ApiError::App(AppError::Replay(stored))) => return replay(stored),
        Err(error) if is_an_answer(&error) => Reply::from_error(&error),
        Err(error) => return send(Err(error)),
    };
    let principal = caller.0.clone();
    let stored = reply.to_stored();
    let kept = state
        .call(move |app| app.keep_idempotent_answer(&principal, &key, stored))
        .await;
    match kept {
        Ok(()) => reply.into_response(),
        // A twin of this request was answered first: its answer is the one.
        Err(ApiError::App(AppError::Replay(stored))) => replay(stored),
        Err(error) => {
            // The answer stands; only its replay is lost, and this request changed nothing,
            // so a retry may run it again.
            tracing::warn!(error = %error, "could not keep the idempotent answer");
            reply.into_response()
        }
    }
}
