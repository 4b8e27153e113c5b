//! The key extractor. A key verified recently is answered from the in-process cache without
//! leaving the async worker; otherwise verification (a storage read and at most one argon2
//! computation) runs on the blocking pool, unless the client's address has started too
//! many verifications lately (429, see `auth_limiter`).

use std::future::{Future, Ready, ready};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use application::{AppError, Principal};

use crate::problem::ApiError;
use crate::{HttpState, metrics};

/// The caller, authenticated by `Authorization: Bearer <key>` or `Texture-Api-Key: <key>`.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

const TEXTURE_API_KEY: &str = "texture-api-key";

/// The key the request presents, if any: the bearer token, or the `Texture-Api-Key` header
/// (the header Texture's own API uses). Both may be sent, naming the same key.
fn presented_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let bearer = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            let token = token.trim();
            (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
        });
    let texture = req
        .headers()
        .get(TEXTURE_API_KEY)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|token| !token.is_empty());
    match (bearer, texture) {
        (Some(bearer), Some(texture)) if bearer != texture => Err(ApiError::ConflictingKeys),
        (Some(token), _) | (None, Some(token)) => Ok(Some(token.to_owned())),
        (None, None) => Ok(None),
    }
}

pub enum CallerFuture {
    Ready(Ready<Result<Caller, ApiError>>),
    Pending(Pin<Box<dyn Future<Output = Result<Caller, ApiError>>>>),
}

impl Future for CallerFuture {
    type Output = Result<Caller, ApiError>;
    fn poll(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        match self.get_mut() {
            CallerFuture::Ready(ready) => Pin::new(ready).poll(cx),
            CallerFuture::Pending(pending) => pending.as_mut().poll(cx),
        }
    }
}

/// Who a request acted as, kept on the request for its log line.
#[derive(Debug, Clone)]
pub struct Acting {
    pub workspace_id: String,
    pub key_id: String,
}

fn authenticated(req: &HttpRequest, principal: Principal) -> Caller {
    req.extensions_mut().insert(Acting {
        workspace_id: principal.workspace_id.to_string(),
        key_id: principal.key_id.to_string(),
    });
    Caller(principal)
}

fn refused(error: ApiError) -> CallerFuture {
    if matches!(error, ApiError::App(AppError::Unauthenticated)) {
        metrics::authentication_failed();
    }
    CallerFuture::Ready(ready(Err(error)))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = CallerFuture;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<HttpState>>().cloned() else {
            return CallerFuture::Ready(ready(Err(ApiError::internal("HTTP state missing"))));
        };
        let token = match presented_key(req) {
            Ok(Some(token)) => token,
            Ok(None) => return refused(ApiError::App(AppError::Unauthenticated)),
            Err(conflict) => return refused(conflict),
        };
        if let Some(principal) = state.app.cached_principal(&token) {
            metrics::key_cache(true);
            return CallerFuture::Ready(ready(Ok(authenticated(req, principal))));
        }
        metrics::key_cache(false);
        let address = state.auth_failures.client_of(req);
        if let Some(address) = address
            && let Err(wait) = state.auth_failures.check(address)
        {
            metrics::authentication_limited();
            let retry_after = wait.as_secs().max(1);
            return CallerFuture::Ready(ready(Err(ApiError::TooManyFailedAuthentications {
                retry_after,
            })));
        }
        let req = req.clone();
        CallerFuture::Pending(Box::pin(async move {
            let outcome = state.call(move |app| app.authenticate(&token)).await;
            if matches!(outcome, Err(ApiError::App(AppError::Unauthenticated))) {
                metrics::authentication_failed();
                if let Some(address) = address {
                    state.auth_failures.failed(address);
                }
            }
            outcome.map(|principal| authenticated(&req, principal))
        }))
    }
}
