//! Reading request bodies: media type, JSON syntax, and strict object members.

use actix_web::HttpRequest;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::Bytes;
use application::AppError;
use domain::violation::{Rule, pointer_token};
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
    let media_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    if !media_type.is_some_and(|media| accepted.contains(&media.as_str())) {
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

/// A member of a merge-patch or creation body.
#[derive(Debug, Clone, PartialEq)]
pub enum Member<T> {
    Absent,
    Null,
    Present(T),
    /// Present but wrong; the violation is recorded.
    Invalid,
}

impl<T> Member<T> {
    /// For creation: absent and `null` both mean "not set".
    pub fn into_option(self) -> Option<T> {
        match self {
            Member::Present(value) => Some(value),
            _ => None,
        }
    }

    /// For a merge patch of an optional field: `Some(None)` clears it.
    pub fn into_patch(self) -> Option<Option<T>> {
        match self {
            Member::Absent | Member::Invalid => None,
            Member::Null => Some(None),
            Member::Present(value) => Some(Some(value)),
        }
    }
}

/// Reads an object's members one by one, recording every violation, and rejects members
/// nobody asked for.
#[derive(Debug)]
pub struct Members {
    members: Map<String, Value>,
    pub violations: Violations,
}

impl Members {
    /// Records read-only members (`read_only`) and unknown ones (neither `writable` nor
    /// read-only) as violations.
    pub fn new(members: Map<String, Value>, writable: &[&str], read_only: &[&str]) -> Self {
        let mut violations = Violations::new();
        for key in members.keys() {
            let pointer = format!("/{}", pointer_token(key));
            if read_only.contains(&key.as_str()) {
                violations.push(Violation::new(
                    pointer,
                    "read_only",
                    format!("{key} is read-only"),
                ));
            } else if !writable.contains(&key.as_str()) {
                violations.push(Violation::new(
                    pointer,
                    "unknown_field",
                    format!(
                        "unknown field; the writable fields are {}",
                        writable.join(", ")
                    ),
                ));
            }
        }
        Self {
            members,
            violations,
        }
    }

    pub fn raw(&mut self, key: &str) -> Member<Value> {
        match self.members.remove(key) {
            None => Member::Absent,
            Some(Value::Null) => Member::Null,
            Some(value) => Member::Present(value),
        }
    }

    /// A string member parsed by a value-type constructor.
    pub fn text<T, E: Rule>(
        &mut self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Member<T> {
        match self.raw(key) {
            Member::Present(Value::String(text)) => match parse(&text) {
                Ok(value) => Member::Present(value),
                Err(error) => {
                    self.violations
                        .push(Violation::of(format!("/{key}"), &error));
                    Member::Invalid
                }
            },
            Member::Present(_) => {
                self.violations.push(Violation::new(
                    format!("/{key}"),
                    "invalid_type",
                    "must be a string",
                ));
                Member::Invalid
            }
            Member::Absent => Member::Absent,
            Member::Null => Member::Null,
            Member::Invalid => Member::Invalid,
        }
    }

    /// A JSON document member parsed by a domain constructor whose violations are relative.
    pub fn document<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(Value) -> Result<T, Violations>,
    ) -> Member<T> {
        match self.raw(key) {
            Member::Present(value) => match parse(value) {
                Ok(parsed) => Member::Present(parsed),
                Err(violations) => {
                    self.violations
                        .extend(violations.nested_in(&format!("/{key}")));
                    Member::Invalid
                }
            },
            Member::Absent => Member::Absent,
            Member::Null => Member::Null,
            Member::Invalid => Member::Invalid,
        }
    }

    /// A required member in a merge patch: it may be left out, but not set to `null`.
    pub fn non_null<T>(&mut self, key: &str, member: Member<T>) -> Option<T> {
        match member {
            Member::Null => {
                self.violations.push(Violation::new(
                    format!("/{key}"),
                    "required",
                    format!("{key} cannot be null"),
                ));
                None
            }
            other => other.into_option(),
        }
    }

    /// A required member at creation: it must be given, and not as `null`.
    pub fn required<T>(&mut self, key: &str, member: Member<T>) -> Option<T> {
        match member {
            Member::Absent | Member::Null => {
                self.violations.push(Violation::new(
                    format!("/{key}"),
                    "required",
                    format!("{key} is required"),
                ));
                None
            }
            other => other.into_option(),
        }
    }

    pub fn finish<T>(self, value: T) -> Result<T, ApiError> {
        self.violations
            .into_result(value)
            .map_err(|violations| ApiError::App(AppError::Invalid(violations)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Name;
    use serde_json::json;

    fn members(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(members) => members,
            _ => panic!("object expected"),
        }
    }

    #[test]
    fn unknown_and_read_only_members_are_named() {
        let reader = Members::new(
            members(json!({"nme": "x", "id": "y", "name": "z"})),
            &["name"],
            &["id"],
        );
        let found: Vec<_> = reader
            .violations
            .iter()
            .map(|v| (v.pointer.as_str(), v.code))
            .collect();
        assert_eq!(found, [("/id", "read_only"), ("/nme", "unknown_field")]);
    }

    #[test]
    fn members_distinguish_absent_null_and_invalid() {
        let mut reader = Members::new(
            members(json!({"a": null, "b": 3, "c": " ok "})),
            &["a", "b", "c"],
            &[],
        );
        assert_eq!(reader.text("a", Name::parse), Member::Null);
        assert_eq!(reader.text("b", Name::parse), Member::Invalid);
        assert_eq!(
            reader.text("c", Name::parse),
            Member::Present(Name::parse("ok").unwrap())
        );
        assert_eq!(reader.text("d", Name::parse), Member::Absent);
        assert_eq!(
            reader.violations.iter().map(|v| v.code).collect::<Vec<_>>(),
            ["invalid_type"]
        );
    }
}
