//! Reading request bodies: media type, JSON syntax, and strict object members.

use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest};
use application::AppError;
use domain::{Violation, Violations};
use serde_json::{Map, Value};

use crate::problem::ApiError;

pub const JSON: &str = "application/json";
pub const MERGE_PATCH_JSON: &str = "application/merge-patch+json";

/// The body as a JSON object, when sent with one of the `accepted` media types.
pub fn json_object(
    req: &HttpRequest,
    body: &Bytes,
    accepted: &'static [&'static str],
) -> Result<Map<String, Value>, ApiError> {
    // A type that does not parse is no accepted type either.
    let media_type = req.mime_type().ok().flatten();
    if !media_type.is_some_and(|media| accepted.contains(&media.essence_str())) {
        return Err(ApiError::UnsupportedMediaType(
            accepted.first().copied().unwrap_or(JSON),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(members)) => Ok(members),
        Ok(_) => Err(ApiError::App(AppError::Invalid(
            Violation::new("", "invalid_type", "the body must be a JSON object").into(),
        ))),
        Err(error) => Err(ApiError::MalformedJson(error.to_string())),
    }
}

/// A body's violations, as the 422 that lists them.
pub fn invalid(violations: Violations) -> ApiError {
    ApiError::App(AppError::Invalid(violations))
}
