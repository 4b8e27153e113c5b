//! The hosted enrollment page: `GET` and `POST /enroll/{workspaceId}/{slug}`, server-rendered
//! HTML through the same use cases as the API. It needs no key, works without JavaScript,
//! and shows nothing of other workspaces: an unknown, archived or foreign slug is one 404
//! page. Everything the instance supplies is escaped by the templates.

mod fields;
mod form_body;
mod pages;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{self, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use application::{AppError, Application, Conflict, FormToken, UnreadableToken};
use domain::{ProgramInstance, Slug, Timestamp, Violation, Violations, WorkspaceId};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::fields::Submitted;
use crate::pages::Page;

/// The largest form body taken.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// How many submissions one client address may make at once, and how fast that refills.
#[derive(Debug, Clone, Copy)]
pub struct SubmissionLimits {
    pub burst: NonZeroU32,
    pub per_minute: NonZeroU32,
}

impl Default for SubmissionLimits {
    fn default() -> Self {
        Self {
            // 20 at once, 10 a minute.
            burst: NonZeroU32::MIN.saturating_add(19),
            per_minute: NonZeroU32::MIN.saturating_add(9),
        }
    }
}

/// What the page's handlers share.
pub struct WebState {
    app: Arc<Application>,
    submissions: DefaultKeyedRateLimiter<IpAddr>,
}

impl std::fmt::Debug for WebState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebState").finish_non_exhaustive()
    }
}

impl WebState {
    pub fn new(app: Arc<Application>, limits: SubmissionLimits) -> Self {
        let quota = Quota::per_minute(limits.per_minute).allow_burst(limits.burst);
        Self {
            app,
            submissions: RateLimiter::keyed(quota),
        }
    }

    /// Forgets addresses whose allowance is full again.
    pub fn upkeep(&self) {
        self.submissions.retain_recent();
    }
}

/// Adds the page's routes (and its state) to an app.
pub fn configure(config: &mut web::ServiceConfig, state: Data<WebState>) {
    config
        .app_data(state)
        .route("/enroll/assets/style.css", web::get().to(stylesheet))
        .service(
            web::resource("/enroll/{workspaceId}/{slug}")
                .route(web::get().to(show))
                .route(web::post().to(submit))
                .default_service(web::to(|| async {
                    respond(StatusCode::METHOD_NOT_ALLOWED, Page::method_not_allowed())
                })),
        );
}

const STYLESHEET: &str = include_str!("../assets/style.css");

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(STYLESHEET)
}

/// Every page's security headers: no script at all, styles and forms from here only,
/// images over https only.
fn respond(status: StatusCode, page: Page) -> HttpResponse {
    let (body, rendered) = match page.render() {
        Ok(body) => (body, status),
        Err(error) => {
            tracing::error!(%error, "an enrollment page could not be rendered");
            (
                "<!DOCTYPE html><title>Error</title><p>Something went wrong.".to_owned(),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    };
    HttpResponse::build(rendered)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; img-src https:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            ),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

fn address(path: &Path<(String, String)>) -> Option<(WorkspaceId, Slug)> {
    let (workspace, slug) = path.as_ref();
    Some((WorkspaceId::parse(workspace).ok()?, Slug::parse(slug).ok()?))
}

fn failure(error: &AppError) -> HttpResponse {
    error.log();
    match error {
        AppError::NotFound(_) => respond(StatusCode::NOT_FOUND, Page::not_found()),
        AppError::Unavailable(_) | AppError::IdempotencyInProgress => {
            respond(StatusCode::SERVICE_UNAVAILABLE, Page::unavailable())
        }
        _ => respond(StatusCode::INTERNAL_SERVER_ERROR, Page::unavailable()),
    }
}

/// Runs a use case off the async workers.
async fn call<T: Send + 'static>(
    state: &Data<WebState>,
    work: impl FnOnce(&Application) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let app = state.app.clone();
    web::block(move || work(&app))
        .await
        .map_err(|error| AppError::Internal(Box::new(error)))?
}

async fn show(state: Data<WebState>, path: Path<(String, String)>) -> HttpResponse {
    let Some((workspace, slug)) = address(&path) else {
        return respond(StatusCode::NOT_FOUND, Page::not_found());
    };
    let action = format!("/enroll/{workspace}/{slug}");
    let found = call(&state, move |app| {
        let instance = app.public_instance(&workspace, &slug)?;
        Ok((instance, app.now()))
    })
    .await;
    match found {
        Ok((instance, now)) if !instance.accepting_enrollments(now) => {
            respond(StatusCode::OK, Page::not_accepting(&instance, now))
        }
        Ok((instance, _)) => form_page(
            StatusCode::OK,
            &instance,
            action,
            &Submitted::new(),
            &Violations::new(),
        ),
        Err(error) => failure(&error),
    }
}

/// The form of `instance`, with a fresh one-time token.
fn form_page(
    status: StatusCode,
    instance: &ProgramInstance,
    action: String,
    submitted: &Submitted,
    violations: &Violations,
) -> HttpResponse {
    match FormToken::fresh() {
        Ok(token) => respond(
            status,
            Page::form(instance, action, &token, submitted, violations),
        ),
        Err(error) => failure(&error),
    }
}

async fn submit(
    state: Data<WebState>,
    req: HttpRequest,
    path: Path<(String, String)>,
    payload: web::Payload,
) -> HttpResponse {
    let Some((workspace, slug)) = address(&path) else {
        return respond(StatusCode::NOT_FOUND, Page::not_found());
    };
    let body = match payload.to_bytes_limited(MAX_FORM_BYTES).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => return respond(StatusCode::BAD_REQUEST, Page::unreadable()),
        Err(_) => return respond(StatusCode::PAYLOAD_TOO_LARGE, Page::too_large()),
    };
    if let Some(peer) = req.peer_addr()
        && state.submissions.check_key(&peer.ip()).is_err()
    {
        return respond(StatusCode::TOO_MANY_REQUESTS, Page::too_many());
    }
    let action = format!("/enroll/{workspace}/{slug}");
    let Ok(submitted) = form_body::parse(&body) else {
        return respond(StatusCode::BAD_REQUEST, Page::unreadable());
    };
    let honeypot = submitted
        .get("website")
        .is_some_and(|values| values.iter().any(|v| !v.is_empty()));
    let token = submitted
        .get("token")
        .map_or(Err(UnreadableToken), |values| FormToken::parse(values));
    let outcome = call(&state, move |app| {
        let instance = app.public_instance(&workspace, &slug)?;
        let now = app.now();
        if !instance.accepting_enrollments(now) {
            return Ok((instance, Submission::NotAccepting(now)));
        }
        // A bot filled the field people never see: thank it, store nothing.
        if honeypot {
            return Ok((instance, Submission::Ignored));
        }
        let mut violations = pages::page_violations(&instance, &submitted);
        if let Err(unreadable) = &token {
            violations.push(Violation::of("/token", unreadable));
        }
        let body = fields::enrollment_body(&instance, &submitted);
        // Checked here too, so that every problem of the page shows at once.
        if let Some(serde_json::Value::Object(data)) = body.get("formData")
            && let Err(found) = domain::form::validate_form_data(instance.form_config(), data)
        {
            violations.extend(found.nested_in("/formData"));
        }
        let (application, token) = match (domain::enrollment::Application::from_json(body), token) {
            (Ok(application), Ok(token)) if violations.is_empty() => (application, token),
            (parsed, _) => {
                if let Err(found) = parsed {
                    violations.extend(found);
                }
                return Ok((instance, Submission::Invalid(submitted, violations)));
            }
        };
        let outcome = match app.enroll_on_page(&instance, application, &token) {
            Ok(done) => Submission::Done(Box::new(done)),
            Err(AppError::Invalid(found)) => Submission::Invalid(submitted, found),
            Err(AppError::Conflict(Conflict::NotAcceptingEnrollments)) => {
                Submission::NotAccepting(now)
            }
            Err(other) => return Err(other),
        };
        Ok((instance, outcome))
    })
    .await;
    match outcome {
        Ok((instance, Submission::Done(done))) => respond(
            StatusCode::OK,
            Page::confirmation(&instance, done.enrollment()),
        ),
        Ok((instance, Submission::Ignored)) => respond(StatusCode::OK, Page::thanks(&instance)),
        Ok((instance, Submission::NotAccepting(now))) => {
            respond(StatusCode::CONFLICT, Page::not_accepting(&instance, now))
        }
        Ok((instance, Submission::Invalid(submitted, violations))) => form_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &instance,
            action,
            &submitted,
            &violations,
        ),
        Err(error) => failure(&error),
    }
}

/// What became of a submission.
enum Submission {
    Done(Box<application::PageSubmission>),
    Ignored,
    /// Refused at this instant (the page says when it opens, if it will).
    NotAccepting(Timestamp),
    Invalid(Submitted, Violations),
}
