//! The bearer-key extractor. A key verified recently is answered from the in-process
//! cache without leaving the async worker; otherwise verification (a storage read and at
//! most one argon2 computation) runs on the blocking pool, unless the client's address has
//! failed too often lately (429).

use std::future::{Future, Ready, ready};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use application::{AppError, Principal};

use crate::HttpState;
use crate::problem::ApiError;

/// The caller, authenticated by `Authorization: Bearer <key>`.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
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

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = CallerFuture;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let unauthenticated =
            || CallerFuture::Ready(ready(Err(ApiError::App(AppError::Unauthenticated))));
        let Some(state) = req.app_data::<web::Data<HttpState>>().cloned() else {
            return CallerFuture::Ready(ready(Err(ApiError::internal("HTTP state missing"))));
        };
        let Some(token) = bearer_token(req) else {
            return unauthenticated();
        };
        if let Some(principal) = state.app.cached_principal(&token) {
            return CallerFuture::Ready(ready(Ok(Caller(principal))));
        }
        let address = req.peer_addr().map(|peer| peer.ip());
        if let Some(wait) = address.and_then(|address| state.auth_failures.wait_for(address)) {
            let retry_after = wait.as_secs().max(1);
            return CallerFuture::Ready(ready(Err(ApiError::TooManyFailedAuthentications {
                retry_after,
            })));
        }
        CallerFuture::Pending(Box::pin(async move {
            let outcome = state.call(move |app| app.authenticate(&token)).await;
            if let (Err(ApiError::App(AppError::Unauthenticated)), Some(address)) =
                (&outcome, address)
            {
                state.auth_failures.record_failure(address);
            }
            outcome.map(Caller)
        }))
    }
}
