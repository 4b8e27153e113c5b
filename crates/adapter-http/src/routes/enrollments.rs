//! Eligibility checks, enrollments and their statistics.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use application::{EnrollmentCursor, IdempotencyKey, Idempotent};
use domain::eligibility::Applicant;
use domain::enrollment::Application;
use domain::{Enrollment, EnrollmentId, EnrollmentStatus, Timestamp};
use serde_json::Value;
use validator::Validate;

use crate::HttpState;
use crate::auth::Caller;
use crate::body::{JSON, MERGE_PATCH_JSON, invalid, json_object};
use crate::enrollment_body::status_change_from;
use crate::idempotency::{Answered, idempotent};
use crate::path::{found, instance_id};
use crate::problem::ApiError;
use crate::query::QueryParams;
use crate::reply::{RenderError, Reply, kept};
use crate::schemas::{EnrollmentIdParam, IdempotencyKeyHeader, InstanceIdParam};
use crate::{cursor, schemas, views};

fn created_reply(enrollment: &Enrollment) -> Result<Reply, RenderError> {
    Reply::json(StatusCode::CREATED, &views::enrollment(enrollment))?
        .with_header(LOCATION, &format!("/enrollments/{}", enrollment.id))
}

fn enrollment_id(raw: &str) -> Result<EnrollmentId, ApiError> {
    found(EnrollmentId::parse(raw), "enrollment")
}

/// Check an applicant against an instance's criteria
///
/// Nothing is stored. One result per criterion the instance sets.
#[utoipa::path(
    post, path = "/programInstances/{id}/eligibility", operation_id = "checkEligibility", tag = "enrollments",
    params(InstanceIdParam, IdempotencyKeyHeader),
    request_body(content = schemas::Applicant, content_type = "application/json"),
    responses(
        (status = 200, description = "The verdict.", body = views::EligibilityView),
        (status = 409, description = "A request with the same `Idempotency-Key` is still running (`idempotency_in_progress`).", body = schemas::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn check_eligibility(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    id: Path<String>,
    body: Bytes,
) -> HttpResponse {
    let handle = |_: Option<IdempotencyKey>| async {
        let id = instance_id(&id)?;
        let applicant = Applicant::from_json(Value::Object(json_object(&req, &body, &[JSON])?))
            .map_err(invalid)?;
        let principal = caller.0.clone();
        let check = state
            .call(move |app| app.check_eligibility(&principal, &id, &applicant))
            .await?;
        let view = views::eligibility(&check.evaluation, check.accepting_enrollments);
        Ok(Answered {
            reply: Reply::json(StatusCode::OK, &view)?,
            kept: false,
        })
    };
    idempotent(state.clone(), &caller, &req, &body, handle).await
}

/// Enroll a customer in an instance
///
/// Stored as `submitted` when the applicant meets every criterion and `ineligible` when
/// not, with the verdict kept either way. `formData` must satisfy the instance's form.
#[utoipa::path(
    post, path = "/programInstances/{id}/enrollments", operation_id = "enroll", tag = "enrollments",
    params(InstanceIdParam, IdempotencyKeyHeader),
    request_body(content = schemas::NewEnrollment, content_type = "application/json"),
    responses(
        (status = 201, description = "Enrolled.", body = views::EnrollmentView,
            headers(("Location" = String, description = "`/enrollments/{id}`."),
                ("Idempotent-Replayed" = String, description = "`true` on a replayed answer."))),
        (status = 409, description = "The instance is not accepting enrollments now (`not_accepting_enrollments`; nothing is stored), or a request with the same `Idempotency-Key` is still running (`idempotency_in_progress`).", body = schemas::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn enroll(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    id: Path<String>,
    body: Bytes,
) -> HttpResponse {
    let handle = |key: Option<IdempotencyKey>| async {
        let id = instance_id(&id)?;
        let application =
            Application::from_json(json_object(&req, &body, &[JSON])?).map_err(invalid)?;
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

/// One enrollment
#[utoipa::path(
    get, path = "/enrollments/{id}", operation_id = "getEnrollment", tag = "enrollments",
    params(EnrollmentIdParam),
    responses((status = 200, description = "The enrollment.", body = views::EnrollmentView))
)]
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

/// Move an enrollment along its lifecycle
///
/// `submitted` → `approved` or `rejected`; `approved` → `unenrolled`; `ineligible`,
/// `rejected` and `unenrolled` are final. The status it already has is a no-op.
#[utoipa::path(
    patch, path = "/enrollments/{id}", operation_id = "updateEnrollmentStatus", tag = "enrollments",
    params(EnrollmentIdParam),
    request_body(content(
        (schemas::EnrollmentStatusChange = "application/merge-patch+json"),
        (schemas::EnrollmentStatusChange = "application/json"),
    )),
    responses(
        (status = 200, description = "The enrollment as changed.", body = views::EnrollmentView),
        (status = 409, description = "Not a move along the lifecycle (`invalid_transition`, listing the `allowed` targets).", body = schemas::Problem, content_type = "application/problem+json"),
    )
)]
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

/// An instance's enrollments, newest first
#[utoipa::path(
    get, path = "/programInstances/{id}/enrollments", operation_id = "listEnrollments", tag = "enrollments",
    params(InstanceIdParam, schemas::EnrollmentFilters, schemas::PageQuery),
    responses((status = 200, description = "A page of enrollments.", body = views::EnrollmentPage))
)]
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

/// How many of an instance's enrollments are in each status
#[utoipa::path(
    get, path = "/programInstances/{id}/stats", operation_id = "getEnrollmentStats", tag = "enrollments",
    params(InstanceIdParam),
    responses((status = 200, description = "The counts.", body = views::StatsView))
)]
pub async fn stats(
    state: Data<HttpState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = instance_id(&id)?;
    let (instance, counts) = state
        .call(move |app| app.enrollment_stats(&caller.0, &id))
        .await?;
    Ok(Reply::json(StatusCode::OK, &views::stats(&instance, &counts))?.into_response())
}
