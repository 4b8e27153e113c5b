//! Responses in a form that can be both sent and kept for idempotent replay.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use application::{AppError, StoredResponse};

use crate::problem::{ApiError, PROBLEM_JSON, ProblemBody};

/// A response: status, headers and body, sent as it is and kept as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: ReplyBody,
}

/// What a reply carries.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplyBody {
    /// A representation, sent as it is.
    Document(String),
    /// A problem, whose body the envelope writes with each request's own `requestId`.
    Problem(ProblemBody),
}

/// A response that could not be rendered: a fault of this service.
#[derive(Debug, thiserror::Error)]
#[error("the response could not be rendered")]
pub struct RenderError(#[source] Box<dyn std::error::Error + Send + Sync>);

fn render_error(error: impl std::error::Error + Send + Sync + 'static) -> RenderError {
    RenderError(Box::new(error))
}

impl From<serde_json::Error> for RenderError {
    fn from(error: serde_json::Error) -> Self {
        render_error(error)
    }
}

impl From<RenderError> for ApiError {
    fn from(error: RenderError) -> Self {
        ApiError::internal(error)
    }
}

impl From<RenderError> for AppError {
    fn from(error: RenderError) -> Self {
        AppError::Internal(Box::new(error))
    }
}

/// Set on a replayed answer.
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

impl Reply {
    pub fn json(status: StatusCode, body: &impl serde::Serialize) -> Result<Self, RenderError> {
        Ok(Self {
            status,
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body: ReplyBody::Document(serde_json::to_string(body).map_err(render_error)?),
        })
    }

    /// A body of another media type than JSON, made by this service.
    pub fn text(status: StatusCode, content_type: &'static str, body: String) -> Self {
        Self {
            status,
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static(content_type))],
            body: ReplyBody::Document(body),
        }
    }

    /// Adds a header whose value this service made (an id, a version): always valid.
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Result<Self, RenderError> {
        let value = HeaderValue::from_str(value).map_err(render_error)?;
        self.headers.push((name, value));
        Ok(self)
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
            body: ReplyBody::Problem(problem.body),
        }
    }

    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        for (name, value) in self.headers {
            response.insert_header((name, value));
        }
        match self.body {
            ReplyBody::Document(body) => response.body(body),
            ReplyBody::Problem(problem) => {
                let mut response = response.finish();
                response.extensions_mut().insert(problem);
                response
            }
        }
    }

    /// The answer to keep: every header is one this service set, so it reads as text.
    pub fn to_stored(&self) -> StoredResponse {
        StoredResponse {
            status: self.status.as_u16(),
            body: match &self.body {
                ReplyBody::Document(body) => body.clone(),
                ReplyBody::Problem(problem) => problem.to_stored(),
            },
            headers: self
                .headers
                .iter()
                .filter_map(|(name, value)| {
                    Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
                })
                .collect(),
        }
    }

    /// A kept answer, replayed: as it was, marked `Idempotent-Replayed: true`.
    pub fn replayed(stored: StoredResponse) -> Result<Self, RenderError> {
        let mut headers = stored
            .headers
            .iter()
            .map(|(name, value)| {
                Ok((
                    HeaderName::try_from(name.as_str()).map_err(render_error)?,
                    HeaderValue::from_str(value).map_err(render_error)?,
                ))
            })
            .collect::<Result<Vec<_>, RenderError>>()?;
        headers.push((REPLAYED, HeaderValue::from_static("true")));
        let is_problem = headers
            .iter()
            .any(|(name, value)| name == CONTENT_TYPE && value == PROBLEM_JSON);
        // A kept problem is answered with the replaying request's own `requestId`.
        let body = if is_problem {
            ReplyBody::Problem(ProblemBody(
                serde_json::from_str(&stored.body).map_err(render_error)?,
            ))
        } else {
            ReplyBody::Document(stored.body)
        };
        Ok(Self {
            status: StatusCode::from_u16(stored.status).map_err(render_error)?,
            headers,
            body,
        })
    }
}

/// The answer a use case keeps with its change.
pub fn kept(reply: Result<Reply, RenderError>) -> Result<StoredResponse, AppError> {
    Ok(reply?.to_stored())
}
