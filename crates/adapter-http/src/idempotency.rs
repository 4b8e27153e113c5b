//! `Idempotency-Key` on POST: the first response for a (workspace, key) is stored for 24 h
//! and replayed for retries of the same request; records live in the database, so this
//! holds across server processes.

use std::future::Future;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use blake2::{Blake2s256, Digest};
use ports::{IdempotencyClaim, StoredResponse};
use serde_json::Value;
use time::Duration;

use crate::HttpState;
use crate::auth::Caller;
use crate::blocking::run_blocking;
use crate::problem::{ApiError, PROBLEM_JSON};

const HEADER: &str = "idempotency-key";
const RETENTION: Duration = Duration::hours(24);
/// A claim not completed within this time belongs to a process that died; it is retaken.
const LEASE: Duration = Duration::minutes(1);

/// A response in a form that can be both sent and stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: String,
    /// What a replay shows instead of `body`, when the body holds a secret that must never
    /// be stored (a new key's).
    replay_body: Option<String>,
}

impl Reply {
    pub fn json(status: StatusCode, body: &impl serde::Serialize) -> Self {
        Self {
            status,
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            // Serialising plain data to a string cannot fail; an empty object is the fallback.
            body: serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned()),
            replay_body: None,
        }
    }

    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((name, value));
        }
        self
    }

    pub fn from_error(error: &ApiError) -> Self {
        let problem = error.problem();
        let mut headers = vec![(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))];
        headers.extend(problem.headers);
        Self {
            status: problem.status,
            headers,
            body: problem.body.to_string(),
            replay_body: None,
        }
    }

    pub fn with_replay_body(mut self, body: &Value) -> Self {
        self.replay_body = Some(body.to_string());
        self
    }

    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        for (name, value) in self.headers {
            response.insert_header((name, value));
        }
        response.body(self.body)
    }

    fn to_stored(&self) -> StoredResponse {
        StoredResponse {
            status: self.status.as_u16(),
            body: self
                .replay_body
                .clone()
                .unwrap_or_else(|| self.body.clone()),
            headers: self
                .headers
                .iter()
                .filter_map(|(name, value)| {
                    value
                        .to_str()
                        .ok()
                        .map(|v| (name.as_str().to_owned(), v.to_owned()))
                })
                .collect(),
        }
    }

    fn from_stored(stored: StoredResponse) -> Self {
        Self {
            status: StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK),
            headers: stored
                .headers
                .iter()
                .filter_map(|(name, value)| {
                    Some((
                        HeaderName::try_from(name.as_str()).ok()?,
                        HeaderValue::from_str(value).ok()?,
                    ))
                })
                .collect(),
            body: stored.body,
            replay_body: None,
        }
    }
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
pub fn request_fingerprint(method: &str, path: &str, body: &[u8]) -> String {
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

/// Runs `handle` at most once per idempotency key and replays its reply to retries.
pub async fn idempotent<F, Fut>(
    state: web::Data<HttpState>,
    caller: &Caller,
    req: &HttpRequest,
    body: &Bytes,
    handle: F,
) -> HttpResponse
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Reply, ApiError>>,
{
    let key = match idempotency_key(req) {
        Ok(Some(key)) => key,
        Ok(None) => {
            return handle()
                .await
                .unwrap_or_else(|error| Reply::from_error(&error))
                .into_response();
        }
        Err(error) => return Reply::from_error(&error).into_response(),
    };
    let workspace = caller.0.workspace_id.clone();
    let print = request_fingerprint(req.method().as_str(), req.path(), body);
    let claim = {
        let (app, workspace, key) = (state.app.clone(), workspace.clone(), key.clone());
        run_blocking(&state, move || {
            let now = app.now();
            app.idempotency()
                .claim(&workspace, &key, &print, now, LEASE, RETENTION)
                .map_err(Into::into)
        })
        .await
    };
    match claim {
        Err(error) => Reply::from_error(&error).into_response(),
        Ok(IdempotencyClaim::Replay(stored)) => Reply::from_stored(stored).into_response(),
        Ok(IdempotencyClaim::InProgress) => {
            Reply::from_error(&ApiError::IdempotencyInProgress).into_response()
        }
        Ok(IdempotencyClaim::Mismatch) => {
            Reply::from_error(&ApiError::IdempotencyMismatch).into_response()
        }
        Ok(IdempotencyClaim::Claimed) => {
            let reply = handle()
                .await
                .unwrap_or_else(|error| Reply::from_error(&error));
            let app = state.app.clone();
            let stored = reply.to_stored();
            let server_fault = reply.status.is_server_error();
            let recorded = run_blocking(&state, move || {
                let store = app.idempotency();
                // A server fault is not an answer: let a retry run the request again.
                if server_fault {
                    store.release(&workspace, &key)
                } else {
                    store.complete(&workspace, &key, &stored)
                }
                .map_err(Into::into)
            })
            .await;
            if let Err(error) = recorded {
                tracing::error!(error = %error, "could not record the idempotent response");
            }
            reply.into_response()
        }
    }
}
