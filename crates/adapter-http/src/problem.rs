//! The one translation of errors into `application/problem+json` (RFC 9457) responses.
//!
//! A problem is built here, as a typed document without `requestId`; a response that
//! carries one has its status and headers, and the document waiting in its extensions. The
//! envelope middleware, which knows the request's id, writes every problem body
//! (`Problem::body_for`), once; errors of actix's own (a 404 of the router, a 413 of a
//! payload limit) get the problem of their status there too.

use std::fmt;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use application::{AppError, Conflict, error_chain};
use domain::Violations;
use serde_json::{Map, Value, json};

pub const PROBLEM_JSON: &str = "application/problem+json";
const TYPE_BASE: &str = "https://program-instances.dev/problems/";

/// Everything a request can fail with, at the HTTP edge.
#[derive(Debug)]
pub enum ApiError {
    App(AppError),
    MalformedJson(String),
    UnsupportedMediaType(&'static str),
    /// Bad query parameters; the violations' pointers name parameters (`/limit`).
    InvalidQuery(Violations),
    InvalidHeader {
        name: &'static str,
        message: &'static str,
    },
    /// `Authorization` and `Texture-Api-Key` name different keys.
    ConflictingKeys,
    RouteNotFound,
    MethodNotAllowed(&'static [Method]),
    /// The client's address failed to authenticate too often; it may retry after this many
    /// seconds.
    TooManyFailedAuthentications {
        retry_after: u64,
    },
    /// The process cannot serve now (it is stopping, or its database is slow to answer).
    NotReady(&'static str),
    /// A request that actix refused before any handler saw it, answered with this status
    /// (a payload over the limit, say).
    Refused(StatusCode),
    /// A failure of the HTTP machinery itself; the cause goes to the log only.
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(error.into())
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError::App(error)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.status())
    }
}

/// A problem document, complete but for the `requestId` of the request it answers: ready
/// to send, or to keep for idempotent replay.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: ProblemBody,
}

/// A problem document's members but `requestId`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemBody(pub Map<String, Value>);

fn violations_json(violations: &Violations, location: &str) -> Value {
    violations
        .iter()
        .map(|violation| {
            let place = if location == "parameter" {
                Value::String(violation.pointer.trim_start_matches('/').to_owned())
            } else {
                Value::String(violation.pointer.clone())
            };
            json!({ location: place, "code": violation.code, "message": violation.message })
        })
        .collect()
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::App(error) => match error {
                AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
                AppError::MissingScope(_)
                | AppError::Forbidden(_)
                | AppError::GrantExceedsCaller { .. } => StatusCode::FORBIDDEN,
                AppError::NotFound(_) => StatusCode::NOT_FOUND,
                AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                AppError::Conflict(_) => StatusCode::CONFLICT,
                AppError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
                AppError::IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
                AppError::IdempotencyInProgress => StatusCode::CONFLICT,
                // A replay is answered before it could become a problem; one that does not is
                // a fault of this adapter.
                AppError::Replay(_) => StatusCode::INTERNAL_SERVER_ERROR,
                AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::MalformedJson(_) | ApiError::ConflictingKeys => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::InvalidQuery(_) | ApiError::InvalidHeader { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooManyFailedAuthentications { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotReady(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Refused(status) => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::App(error) => match error {
                AppError::Unauthenticated => "unauthenticated",
                AppError::MissingScope(_) => "missing_scope",
                AppError::Forbidden(_) => "forbidden",
                AppError::GrantExceedsCaller { .. } => "grant_exceeds_caller",
                AppError::NotFound(_) => "not_found",
                AppError::Invalid(_) => "validation_failed",
                AppError::Conflict(conflict) => match conflict {
                    Conflict::SlugTaken(_) => "slug_taken",
                    Conflict::TooManyEndpoints(_) => "too_many_endpoints",
                    Conflict::Archived => "archived",
                    Conflict::InvalidTransition { .. } => "invalid_transition",
                    Conflict::CannotActivate { .. } => "cannot_activate",
                    Conflict::HasEnrollments => "has_enrollments",
                    Conflict::NotAcceptingEnrollments => "not_accepting_enrollments",
                    Conflict::InvalidEnrollmentTransition(_) => "invalid_transition",
                    Conflict::AlreadyExists(_) => "already_exists",
                    Conflict::PublicProgram => "public_program",
                },
                AppError::PreconditionFailed => "precondition_failed",
                AppError::IdempotencyMismatch => "idempotency_mismatch",
                AppError::IdempotencyInProgress => "idempotency_in_progress",
                AppError::Replay(_) => "internal",
                AppError::Unavailable(_) => "unavailable",
                AppError::Internal(_) => "internal",
            },
            ApiError::MalformedJson(_) => "invalid_json",
            ApiError::ConflictingKeys => "conflicting_keys",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::InvalidQuery(_) => "invalid_query",
            ApiError::InvalidHeader { .. } => "invalid_header",
            ApiError::RouteNotFound => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::TooManyFailedAuthentications { .. } => "too_many_failed_authentications",
            ApiError::NotReady(_) => "unavailable",
            ApiError::Refused(status) => match *status {
                StatusCode::BAD_REQUEST => "bad_request",
                StatusCode::NOT_FOUND => "not_found",
                StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
                StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                StatusCode::URI_TOO_LONG => "uri_too_long",
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "headers_too_large",
                status if status.is_server_error() => "internal",
                _ => "error",
            },
            ApiError::Internal(_) => "internal",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::App(AppError::Unavailable(_)) => {
                "the service is temporarily unavailable; retry shortly".to_owned()
            }
            ApiError::NotReady(reason) => format!("not ready: {reason}"),
            ApiError::App(AppError::Internal(_) | AppError::Replay(_)) | ApiError::Internal(_) => {
                "an unexpected error occurred; it has been logged".to_owned()
            }
            ApiError::App(error) => error.to_string(),
            ApiError::MalformedJson(reason) => format!("the body is not valid JSON: {reason}"),
            ApiError::UnsupportedMediaType(expected) => {
                format!("the body must be sent with Content-Type: {expected}")
            }
            ApiError::InvalidQuery(violations) => {
                let count = violations.len();
                format!(
                    "{count} query parameter{} invalid",
                    if count == 1 { " is" } else { "s are" }
                )
            }
            ApiError::InvalidHeader { name, message } => format!("{name}: {message}"),
            ApiError::ConflictingKeys => {
                "Authorization and Texture-Api-Key name different keys; send one".to_owned()
            }
            ApiError::RouteNotFound => "no resource lives at this path".to_owned(),
            ApiError::TooManyFailedAuthentications { retry_after } => {
                format!(
                    "too many failed authentications from this address; retry in {retry_after} s"
                )
            }
            ApiError::MethodNotAllowed(allowed) => {
                let names: Vec<_> = allowed.iter().map(Method::as_str).collect();
                format!("this resource allows {}", names.join(", "))
            }
            ApiError::Refused(status) => match *status {
                StatusCode::PAYLOAD_TOO_LARGE => {
                    "the body is larger than the 1 MiB limit".to_owned()
                }
                StatusCode::BAD_REQUEST => "the request cannot be read".to_owned(),
                status if status.is_server_error() => {
                    "an unexpected error occurred; it has been logged".to_owned()
                }
                status => status.canonical_reason().unwrap_or("error").to_owned(),
            },
        }
    }

    /// The problem document and the headers that go with it.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let code = self.code();
        let mut body = Map::new();
        body.insert(
            "type".into(),
            Value::String(format!("{TYPE_BASE}{}", code.replace('_', "-"))),
        );
        body.insert(
            "title".into(),
            Value::String(status.canonical_reason().unwrap_or("Error").to_owned()),
        );
        body.insert("status".into(), Value::from(status.as_u16()));
        body.insert("detail".into(), Value::String(self.detail()));
        body.insert("code".into(), Value::String(code.to_owned()));
        let mut headers = Vec::new();
        match self {
            ApiError::App(AppError::Invalid(violations)) => {
                body.insert("title".into(), Value::String("Request is invalid".into()));
                body.insert("errors".into(), violations_json(violations, "pointer"));
            }
            ApiError::InvalidQuery(violations) => {
                body.insert("title".into(), Value::String("Request is invalid".into()));
                body.insert("errors".into(), violations_json(violations, "parameter"));
            }
            ApiError::App(AppError::MissingScope(scope)) => {
                body.insert(
                    "requiredScope".into(),
                    Value::String(scope.as_str().to_owned()),
                );
            }
            ApiError::App(AppError::Conflict(Conflict::InvalidTransition {
                from,
                to,
                allowed,
            })) => {
                let allowed = allowed.iter().map(|s| s.as_str()).collect();
                describe_transition(&mut body, from.as_str(), to.as_str(), allowed);
            }
            ApiError::App(AppError::Conflict(Conflict::InvalidEnrollmentTransition(refused))) => {
                let allowed = refused.allowed.iter().map(|s| s.as_str()).collect();
                describe_transition(
                    &mut body,
                    refused.from.as_str(),
                    refused.to.as_str(),
                    allowed,
                );
            }
            ApiError::App(AppError::Unauthenticated) => {
                headers.push((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            ApiError::App(AppError::Unavailable(_)) | ApiError::NotReady(_) => {
                headers.push((header::RETRY_AFTER, HeaderValue::from_static("1")));
            }
            ApiError::MethodNotAllowed(allowed) => {
                let names: Vec<_> = allowed.iter().map(Method::as_str).collect();
                if let Ok(value) = HeaderValue::from_str(&names.join(", ")) {
                    headers.push((header::ALLOW, value));
                }
            }
            ApiError::TooManyFailedAuthentications { retry_after } => {
                headers.push((header::RETRY_AFTER, HeaderValue::from(*retry_after)));
            }
            _ => {}
        }
        Problem {
            status,
            headers,
            body: ProblemBody(body),
        }
    }

    pub(crate) fn log(&self) {
        match self {
            ApiError::App(error) => error.log(),
            ApiError::NotReady(reason) => tracing::warn!(reason, "not ready"),
            ApiError::Internal(source) => {
                tracing::error!(error = %error_chain(source.as_ref()), "request failed");
            }
            _ => {}
        }
    }
}

/// `from`, `to` and the `allowed` targets of a refused status change.
fn describe_transition(body: &mut Map<String, Value>, from: &str, to: &str, allowed: Vec<&str>) {
    body.insert("from".into(), Value::String(from.to_owned()));
    body.insert("to".into(), Value::String(to.to_owned()));
    body.insert("allowed".into(), allowed.into());
}

impl Problem {
    /// The response carrying this problem: its status and headers, and the document, whose
    /// body the envelope writes with the request's id.
    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        for (name, value) in self.headers {
            response.insert_header((name, value));
        }
        let mut response = response.finish();
        response.extensions_mut().insert(self.body);
        response
    }
}

impl ProblemBody {
    /// The document as sent in answer to the request `request_id`.
    pub fn body_for(mut self, request_id: &str) -> String {
        self.0
            .insert("requestId".into(), Value::String(request_id.to_owned()));
        Value::Object(self.0).to_string()
    }

    /// The document as kept for idempotent replay (without `requestId`).
    pub fn to_stored(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        self.problem().into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{Scope, Status, Violation};

    fn status_and_code(error: ApiError) -> (u16, &'static str) {
        (error.status().as_u16(), error.code())
    }

    #[test]
    fn app_errors_map_to_their_statuses() {
        assert_eq!(
            status_and_code(AppError::Unauthenticated.into()),
            (401, "unauthenticated")
        );
        assert_eq!(
            status_and_code(AppError::MissingScope(Scope::ProgramsRead).into()),
            (403, "missing_scope")
        );
        assert_eq!(
            status_and_code(AppError::NotFound("program").into()),
            (404, "not_found")
        );
        assert_eq!(
            status_and_code(AppError::Invalid(Violations::new()).into()),
            (422, "validation_failed")
        );
        assert_eq!(
            status_and_code(AppError::PreconditionFailed.into()),
            (412, "precondition_failed")
        );
        assert_eq!(
            status_and_code(AppError::Conflict(Conflict::Archived).into()),
            (409, "archived")
        );
        assert_eq!(
            status_and_code(AppError::Conflict(Conflict::HasEnrollments).into()),
            (409, "has_enrollments")
        );
        assert_eq!(
            status_and_code(AppError::Conflict(Conflict::SlugTaken("a".into())).into()),
            (409, "slug_taken")
        );
        assert_eq!(
            status_and_code(AppError::Internal("boom".into()).into()),
            (500, "internal")
        );
    }

    #[test]
    fn server_faults_never_leak_their_cause() {
        let problem = ApiError::App(AppError::Internal(
            "relation \"secret_table\" does not exist".into(),
        ))
        .problem();
        assert!(!problem.body.to_stored().contains("secret_table"));
    }

    #[test]
    fn unauthenticated_carries_the_bearer_challenge() {
        let problem = ApiError::App(AppError::Unauthenticated).problem();
        assert_eq!(
            problem.headers,
            [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))]
        );
    }

    #[test]
    fn validation_problems_list_pointers_and_parameters() {
        let violations: Violations = Violation::new(
            "/endDate",
            "before_start",
            "endDate must be after startDate",
        )
        .into();
        let body = ApiError::App(AppError::Invalid(violations.clone()))
            .problem()
            .body
            .0;
        assert_eq!(body["errors"][0]["pointer"], "/endDate");
        assert_eq!(body["detail"], "1 field is invalid");
        let query = ApiError::InvalidQuery(violations).problem().body.0;
        assert_eq!(query["errors"][0]["parameter"], "endDate");
    }

    #[test]
    fn invalid_transitions_list_the_allowed_targets() {
        let conflict = Conflict::InvalidTransition {
            from: Status::Active,
            to: Status::Active,
            allowed: &[Status::Inactive],
        };
        let body = ApiError::App(AppError::Conflict(conflict)).problem().body.0;
        assert_eq!(body["allowed"], json!(["inactive"]));
    }

    #[test]
    fn a_body_is_written_with_the_request_id_and_kept_without_it() {
        let body = ApiError::RouteNotFound.problem().body;
        let sent: Value = serde_json::from_str(&body.clone().body_for("req-1")).unwrap();
        assert_eq!(sent["requestId"], "req-1");
        assert_eq!(sent["status"], 404);
        let kept: Value = serde_json::from_str(&body.to_stored()).unwrap();
        assert_eq!(kept.get("requestId"), None);
        assert_eq!(kept["code"], "not_found");
    }

    #[test]
    fn refusals_of_actix_get_the_problem_of_their_status() {
        let problem = ApiError::Refused(StatusCode::PAYLOAD_TOO_LARGE).problem();
        assert_eq!(problem.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(problem.body.0["code"], "payload_too_large");
        assert!(problem.body.0["detail"].as_str().unwrap().contains("1 MiB"));
    }

    #[test]
    fn method_not_allowed_names_the_allowed_methods() {
        let problem = ApiError::MethodNotAllowed(&[Method::GET, Method::PATCH]).problem();
        assert_eq!(
            problem.headers,
            [(header::ALLOW, HeaderValue::from_static("GET, PATCH"))]
        );
    }
}
