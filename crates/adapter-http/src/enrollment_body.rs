//! The body of an enrollment's status change.

use domain::strict_json::{Members, text};
use domain::{Enrollment, EnrollmentStatus};
use serde_json::{Map, Value};

use crate::body::invalid;
use crate::problem::ApiError;

/// `PATCH /enrollments/{id}`: `{ status, reason? }`.
pub fn status_change_from(
    members: Map<String, Value>,
) -> Result<(EnrollmentStatus, Option<String>), ApiError> {
    let mut read = Members::new(
        members,
        "",
        &["status", "reason"],
        &["id", "instanceId", "eligibility", "createdAt", "updatedAt"],
    );
    let status = read.read("status", text(|text| text.parse::<EnrollmentStatus>()));
    let status = read.required("status", status);
    let reason = read
        .read("reason", text(Enrollment::parse_reason))
        .optional();
    let change = read.finish(status.map(|status| (status, reason)));
    change
        .map_err(invalid)?
        .ok_or_else(|| ApiError::internal("status checked as required"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use application::AppError;
    use serde_json::json;

    fn codes(body: Value) -> Vec<(String, &'static str)> {
        match status_change_from(body.as_object().cloned().unwrap()) {
            Err(ApiError::App(AppError::Invalid(found))) => {
                found.into_iter().map(|v| (v.pointer, v.code)).collect()
            }
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn a_nul_in_the_reason_is_an_invalid_character() {
        assert_eq!(
            codes(json!({"status": "approved", "reason": "a\u{0}b"})),
            [("/reason".to_owned(), "invalid_character")]
        );
        assert_eq!(
            codes(json!({"status": null, "reason": " "})),
            [
                ("/status".to_owned(), "required"),
                ("/reason".to_owned(), "blank")
            ]
        );
    }

    #[test]
    fn null_reason_is_no_reason() {
        let (status, reason) = status_change_from(
            json!({"status": "approved", "reason": null})
                .as_object()
                .cloned()
                .unwrap(),
        )
        .unwrap();
        assert_eq!((status, reason), (EnrollmentStatus::Approved, None));
    }
}
