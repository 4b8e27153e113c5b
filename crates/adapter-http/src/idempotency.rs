//! `Idempotency-Key` on POST, at the HTTP edge: the header read, the request's fingerprint,
//! and responses in a form that can be both sent and stored. Claiming and settling a key
//! are use cases of the application.

use std::future::Future;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use application::{IdempotencyClaim, StoredResponse};
use blake2::{Blake2s256, Digest};
use serde_json::Value;

use crate::HttpState;
use crate::auth::Caller;
use crate::problem::{ApiError, PROBLEM_JSON};

const HEADER: &str = "idempotency-key";

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
    pub fn json(status: StatusCode, body: &impl serde::Serialize) -> Result<Self, ApiError> {
        Ok(Self {
            status,
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body: serde_json::to_string(body).map_err(ApiError::internal)?,
            replay_body: None,
        })
    }

    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((name, value));
        }
        self
    }

    /// The problem document of `error`, whose cause is logged here, once.
    pub fn from_error(error: &ApiError) -> Self {
        error.log();
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

    fn from_stored(stored: StoredResponse) -> Result<Self, ApiError> {
        let headers = stored
            .headers
            .iter()
            .map(|(name, value)| {
                Ok((
                    HeaderName::try_from(name.as_str()).map_err(ApiError::internal)?,
                    HeaderValue::from_str(value).map_err(ApiError::internal)?,
                ))
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(Self {
            status: StatusCode::from_u16(stored.status).map_err(ApiError::internal)?,
            headers,
            body: stored.body,
            replay_body: None,
        })
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
    let answered = |reply: Result<Reply, ApiError>| match reply {
        Ok(reply) => reply.into_response(),
        Err(error) => Reply::from_error(&error).into_response(),
    };
    let key = match idempotency_key(req) {
        Ok(Some(key)) => key,
        Ok(None) => return answered(handle().await),
        Err(error) => return answered(Err(error)),
    };
    let print = request_fingerprint(req.method().as_str(), req.path(), body);
    let claim = {
        let (principal, key) = (caller.0.clone(), key.clone());
        state
            .call(move |app| app.claim_idempotency_key(&principal, &key, &print))
            .await
    };
    match claim {
        Err(error) => answered(Err(error)),
        Ok(IdempotencyClaim::Replay(stored)) => answered(Reply::from_stored(stored)),
        Ok(IdempotencyClaim::InProgress) => answered(Err(ApiError::IdempotencyInProgress)),
        Ok(IdempotencyClaim::Mismatch) => answered(Err(ApiError::IdempotencyMismatch)),
        Ok(IdempotencyClaim::Claimed) => {
            let reply = handle()
                .await
                .unwrap_or_else(|error| Reply::from_error(&error));
            // A server fault is not an answer: a retry runs the request again.
            let answer = (!reply.status.is_server_error()).then(|| reply.to_stored());
            let principal = caller.0.clone();
            let settled = state
                .call(move |app| app.settle_idempotency_key(&principal, &key, answer.as_ref()))
                .await;
            if let Err(error) = settled {
                tracing::error!(error = %error, "could not record the idempotent response");
            }
            reply.into_response()
        }
    }
}
