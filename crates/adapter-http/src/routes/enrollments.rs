//! Eligibility checks, enrollments and their statistics.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use application::{EnrollmentCursor, IdempotencyKey, Idempotent};
use domain::{Enrollment, EnrollmentId, EnrollmentStatus, Timestamp};
use serde_json::json;
use validator::Validate;

use crate::HttpState;
use crate::auth::Caller;
use crate::body::{JSON, MERGE_PATCH_JSON, json_object};
use crate::enrollment_body::{applicant_from, application_from, status_change_from};
use crate::idempotency::{Answered, idempotent};
use crate::path::{found, instance_id};
use crate::problem::ApiError;
use crate::query::QueryParams;
use crate::reply::{RenderError, Reply, kept};
use crate::{cursor, views};

fn created_reply(enrollment: &Enrollment) -> Result<Reply, RenderError> {
    Reply::json(StatusCode::CREATED, &views::enrollment(enrollment))?
        .with_header(LOCATION, &format!("/enrollments/{}", enrollment.id))
}

fn enrollment_id(raw: &str) -> Result<EnrollmentId, ApiError> {
    found(EnrollmentId::parse(raw), "enrollment")
}

pub async fn check_eligibility(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    id: Path<String>,
    body: Bytes,
) -> HttpResponse {
    let handle = |_: Option<IdempotencyKey>| async {
        let id = instance_id(&id)?;
        let applicant = applicant_from(json_object(&req, &body, &[JSON])?)?;
        let principal = caller.0.clone();
        let check = state
            .call(move |app| app.check_eligibility(&principal, &id, &applicant))
            .await?;
        let body = json!({
            "eligible": check.evaluation.eligible,
            "acceptingEnrollments": check.accepting_enrollments,
            "results": check.evaluation.results,
        });
        Ok(Answered {
            reply: Reply::json(StatusCode::OK, &body)?,
            kept: false,
        })
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
    let handle = |key: Option<IdempotencyKey>| async {
        let id = instance_id(&id)?;
        let application = application_from(json_object(&req, &body, &[JSON])?)?;
        let principal = caller.0.clone();
        let kept_with_change = key.is_some();
        let enrollment = state
            .call(move |app| {
                let respond = |enrollment: &Enrollment| kept(created_reply(enrollment));
                let idempotent = key.as_ref().map(|key| Idempotent {
                    key,
                    respond: &respond,
                });
                app.enroll(&principal, &id, application, idempotent)
            })
            .await?;
        Ok(Answered {
            reply: created_reply(&enrollment)?,
            kept: kept_with_change,
        })
    };
    idempotent(state.clone(), &caller, &req, &body, handle).await
}

pub async fn get(
    state: Data<HttpState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = enrollment_id(&id)?;
    let enrollment = state
        .call(move |app| app.get_enrollment(&caller.0, &id))
        .await?;
    Ok(Reply::json(StatusCode::OK, &views::enrollment(&enrollment))?.into_response())
}

pub async fn update(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    id: Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = enrollment_id(&id)?;
    let (status, reason) =
        status_change_from(json_object(&req, &body, &[MERGE_PATCH_JSON, JSON])?)?;
    let enrollment = state
        .call(move |app| app.update_enrollment_status(&caller.0, &id, status, reason))
        .await?;
    Ok(Reply::json(StatusCode::OK, &views::enrollment(&enrollment))?.into_response())
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
    let id = instance_id(&id)?;
    let mut params = QueryParams::parse(req.query_string())?;
    let wanted = params.parsed("status", statuses);
    let after = params.cursor(enrollment_cursor);
    let bounds = PageBounds {
        limit: params.number("limit"),
    };
    let limit = params.finish(bounds)?.limit.unwrap_or(20) as usize;
    let page = state
        .call(move |app| app.list_enrollments(&caller.0, &id, wanted, after, limit))
        .await?;
    let view = views::page(&page, views::enrollment, |last| {
        cursor::encode(&[&last.created_at.unix_micros().to_string(), last.id.as_str()])
    });
    Ok(Reply::json(StatusCode::OK, &view)?.into_response())
}

pub async fn stats(
    state: Data<HttpState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = instance_id(&id)?;
    let (instance, counts) = state
        .call(move |app| app.enrollment_stats(&caller.0, &id))
        .await?;
    Ok(Reply::json(StatusCode::OK, &views::stats(instance.as_str(), &counts))?.into_response())
}
