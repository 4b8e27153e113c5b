//! Identifiers in paths, parsed before any use case runs: a malformed one names nothing,
//! so it is the same 404 as an id that does not exist.

use application::AppError;
use domain::InstanceId;

use crate::problem::ApiError;

/// The value `parse` makes of a path segment, or a 404 for `what`.
pub fn found<T, E>(parsed: Result<T, E>, what: &'static str) -> Result<T, ApiError> {
    parsed.map_err(|_| ApiError::App(AppError::NotFound(what)))
}

/// The program instance a path names.
pub fn instance_id(raw: &str) -> Result<InstanceId, ApiError> {
    found(InstanceId::parse(raw), "program instance")
}
