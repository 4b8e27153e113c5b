//! The middleware every request passes through: it assigns the request id, opens the
//! request's tracing span, writes the body of every problem (the document a handler's
//! error left in the response, or for an error response of actix's own, 404/413/…, the
//! problem of its status) with the request's id, and records metrics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use tracing::Instrument;

use crate::auth::Acting;
use crate::problem::{ApiError, PROBLEM_JSON, ProblemBody};
use crate::{HttpState, metrics};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

fn acceptable_client_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let ok = (1..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| text.to_owned())
}

fn generate_id() -> String {
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or_default();
    let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    format!("{micros:x}-{:x}-{sequence:x}", std::process::id())
}

pub async fn envelope(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(acceptable_client_id)
        .unwrap_or_else(generate_id);
    let state = req.app_data::<web::Data<HttpState>>().cloned();
    let method = req.method().clone();
    let span =
        tracing::info_span!("request", %method, path = %req.path(), request_id = %request_id);

    // Handlers and extractors turn their errors into responses; only a fault of the
    // service chain itself arrives as `Err`, and actix renders that.
    let response = next
        .call(req)
        .instrument(span.clone())
        .await?
        .map_into_boxed_body();
    // The enrollment pages answer their errors as pages of their own.
    let is_page = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let mut response = if response.status().as_u16() >= 400 && !is_page {
        with_problem_body(response, &request_id)
    } else {
        response
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    if state.as_ref().is_some_and(|state| state.is_draining()) {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }

    let status = response.status().as_u16();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let elapsed = started.elapsed();
    metrics::request_served(method.as_str(), &route, status, elapsed);
    let acting = response.request().extensions().get::<Acting>().cloned();
    let duration_ms = elapsed.as_secs_f64() * 1_000.0;
    // One line per request, with everything an operator filters on (the workspace and key
    // once the request is authenticated).
    match acting {
        Some(Acting {
            workspace_id,
            key_id,
        }) => tracing::info!(
            request_id = %request_id,
            method = %method,
            route = %route,
            status,
            duration_ms,
            workspace_id = %workspace_id,
            key_id = %key_id,
            "served"
        ),
        None => tracing::info!(
            request_id = %request_id,
            method = %method,
            route = %route,
            status,
            duration_ms,
            "served"
        ),
    }
    Ok(response)
}

/// An error response with its problem body: the one a handler left in the response's
/// extensions, else (an error of actix's own) the problem of its status.
fn with_problem_body(
    mut response: ServiceResponse<BoxBody>,
    request_id: &str,
) -> ServiceResponse<BoxBody> {
    let status = response.status();
    let problem = response
        .response_mut()
        .extensions_mut()
        .remove::<ProblemBody>()
        .unwrap_or_else(|| ApiError::Refused(status).problem().body);
    let body = problem.body_for(request_id);
    response.map_body(|head, _| {
        head.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        BoxBody::new(body)
    })
}
