//! Eligibility checks, enrollments and their statistics.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use domain::{EnrollmentId, EnrollmentStatus, Timestamp};
use ports::EnrollmentCursor;
use serde_json::json;
use validator::Validate;

use crate::HttpState;
use crate::auth::Caller;
use crate::blocking::run_blocking;
use crate::body::{JSON, MERGE_PATCH_JSON, json_object};
use crate::enrollment_body::{applicant_from, application_from, status_change_from};
use crate::idempotency::{Reply, idempotent};
use crate::problem::ApiError;
use crate::query::QueryParams;
use crate::{cursor, views};

pub async fn check_eligibility(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    id: Path<String>,
    body: Bytes,
) -> HttpResponse {
    let handle = || async {
        let applicant = applicant_from(json_object(&req, &body, &[JSON])?)?;
        let app = state.app.clone();
        let principal = caller.0.clone();
        let check = run_blocking(&state, move || {
            app.check_eligibility(&principal, &id, &applicant)
        })
        .await?;
        let body = json!({
            "eligible": check.evaluation.eligible,
            "acceptingEnrollments": check.accepting_enrollments,
            "results": check.evaluation.results,
        });
        Ok(Reply::json(StatusCode::OK, &body))
    };
    idempotent(state.clone(), &caller, &req, &body, handle).await
}

pub async fn enroll(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    id: Path<String>,
    body: Bytes,
) -> HttpResponse {
    let handle = || async {
        let application = application_from(json_object(&req, &body, &[JSON])?)?;
        let app = state.app.clone();
        let principal = caller.0.clone();
        let enrollment =
            run_blocking(&state, move || app.enroll(&principal, &id, application)).await?;
        Ok(
            Reply::json(StatusCode::CREATED, &views::enrollment(&enrollment))
                .with_header(LOCATION, &format!("/enrollments/{}", enrollment.id)),
        )
    };
    idempotent(state.clone(), &caller, &req, &body, handle).await
}

pub async fn get(
    state: Data<HttpState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let app = state.app.clone();
    let enrollment = run_blocking(&state, move || app.get_enrollment(&caller.0, &id)).await?;
    Ok(Reply::json(StatusCode::OK, &views::enrollment(&enrollment)).into_response())
}

pub async fn update(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    id: Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let (status, reason) =
        status_change_from(json_object(&req, &body, &[MERGE_PATCH_JSON, JSON])?)?;
    let app = state.app.clone();
    let enrollment = run_blocking(&state, move || {
        app.update_enrollment_status(&caller.0, &id, status, reason)
    })
    .await?;
    Ok(Reply::json(StatusCode::OK, &views::enrollment(&enrollment)).into_response())
}

#[derive(Debug, Validate)]
struct PageBounds {
    #[validate(range(min = 1, max = 100))]
    limit: Option<u32>,
}

fn statuses(
    text: &str,
) -> Result<Vec<EnrollmentStatus>, domain::enrollment::UnknownEnrollmentStatus> {
    text.split(',').map(|s| s.trim().parse()).collect()
}

fn enrollment_cursor(fields: Vec<String>) -> Option<EnrollmentCursor> {
    let [micros, id] = fields.as_slice() else {
        return None;
    };
    Some(EnrollmentCursor {
        created_at: Timestamp::from_unix_micros(micros.parse().ok()?)?,
        id: EnrollmentId::parse(id).ok()?,
    })
}

pub async fn list(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut params = QueryParams::parse(req.query_string())?;
    let wanted = params.parsed("status", statuses);
    let after = params.cursor(enrollment_cursor);
    let bounds = PageBounds {
        limit: params.number("limit"),
    };
    let limit = params.finish(bounds)?.limit.unwrap_or(20) as usize;
    let app = state.app.clone();
    let page = run_blocking(&state, move || {
        app.list_enrollments(&caller.0, &id, wanted, after, limit)
    })
    .await?;
    let view = views::page(&page, views::enrollment, |last| {
        cursor::encode(&[&last.created_at.unix_micros().to_string(), last.id.as_str()])
    });
    Ok(Reply::json(StatusCode::OK, &view).into_response())
}

pub async fn stats(
    state: Data<HttpState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let app = state.app.clone();
    let (instance, counts) =
        run_blocking(&state, move || app.enrollment_stats(&caller.0, &id)).await?;
    Ok(Reply::json(StatusCode::OK, &views::stats(instance.as_str(), &counts)).into_response())
}
