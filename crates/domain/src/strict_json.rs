//! Readers for strict JSON documents: each records a violation at the value's pointer when
//! the value has the wrong shape, so one pass reports every problem at once.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::violation::{Violation, Violations, pointer_token};

pub(crate) fn child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", pointer_token(key))
}

pub(crate) fn object<'a>(
    value: &'a Value,
    pointer: &str,
    violations: &mut Violations,
) -> Option<&'a Map<String, Value>> {
    match value {
        Value::Object(members) => Some(members),
        _ => {
            violations.push(Violation::new(pointer, "invalid_type", "must be an object"));
            None
        }
    }
}

/// Records every member whose key is not one of `known`.
pub(crate) fn reject_unknown(
    members: &Map<String, Value>,
    known: &[&str],
    pointer: &str,
    violations: &mut Violations,
) {
    for key in members.keys().filter(|key| !known.contains(&key.as_str())) {
        violations.push(Violation::new(
            child(pointer, key),
            "unknown_field",
            format!("unknown field; expected one of: {}", known.join(", ")),
        ));
    }
}

pub(crate) fn string(
    value: &Value,
    pointer: &str,
    max_chars: usize,
    violations: &mut Violations,
) -> Option<String> {
    checked_string(value, max_chars)
        .map_err(|(code, message)| violations.push(Violation::new(pointer, code, message)))
        .ok()
}

/// A non-blank string of at most `max_chars` without NUL, or why not (code and message):
/// callers build the violation's pointer only when there is one.
fn checked_string(value: &Value, max_chars: usize) -> Result<String, (&'static str, String)> {
    let Value::String(text) = value else {
        return Err(("invalid_type", "must be a string".to_owned()));
    };
    if text.trim().is_empty() {
        Err(("blank", "must not be blank".to_owned()))
    } else if text.contains('\0') {
        Err((
            "invalid_character",
            "must not contain NUL (U+0000)".to_owned(),
        ))
    } else if text.chars().count() > max_chars {
        Err((
            "too_long",
            format!("must be at most {max_chars} characters"),
        ))
    } else {
        Ok(text.clone())
    }
}

pub(crate) fn boolean(value: &Value, pointer: &str, violations: &mut Violations) -> Option<bool> {
    let parsed = value.as_bool();
    if parsed.is_none() {
        violations.push(Violation::new(
            pointer,
            "invalid_type",
            "must be true or false",
        ));
    }
    parsed
}

pub(crate) fn number(value: &Value, pointer: &str, violations: &mut Violations) -> Option<f64> {
    let parsed = value.as_f64().filter(|n| n.is_finite());
    if parsed.is_none() {
        violations.push(Violation::new(pointer, "invalid_type", "must be a number"));
    }
    parsed
}

pub(crate) fn non_negative_number(
    value: &Value,
    pointer: &str,
    violations: &mut Violations,
) -> Option<f64> {
    let parsed = number(value, pointer, violations)?;
    if parsed < 0.0 {
        violations.push(Violation::new(pointer, "negative", "must not be negative"));
        return None;
    }
    Some(parsed)
}

pub(crate) fn count(value: &Value, pointer: &str, violations: &mut Violations) -> Option<u32> {
    let parsed = value.as_u64().and_then(|n| u32::try_from(n).ok());
    if parsed.is_none() {
        violations.push(Violation::new(
            pointer,
            "invalid_type",
            "must be a non-negative integer",
        ));
    }
    parsed
}

/// A non-empty list of distinct (case-insensitively) non-blank strings.
pub(crate) fn string_list(
    value: &Value,
    pointer: &str,
    limits: (usize, usize),
    violations: &mut Violations,
) -> Option<Vec<String>> {
    let (max_items, max_chars) = limits;
    let Value::Array(items) = value else {
        violations.push(Violation::new(
            pointer,
            "invalid_type",
            "must be a list of strings",
        ));
        return None;
    };
    if items.is_empty() {
        violations.push(Violation::new(pointer, "empty", "must not be empty"));
        return None;
    }
    if items.len() > max_items {
        violations.push(Violation::new(
            pointer,
            "too_many_items",
            format!("must have at most {max_items} items"),
        ));
        return None;
    }
    let before = violations.len();
    let mut seen = HashSet::new();
    let mut list = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match checked_string(item, max_chars) {
            Ok(text) => {
                if !seen.insert(text.to_lowercase()) {
                    let message = format!("\"{text}\" is listed twice");
                    violations.push(Violation::new(
                        format!("{pointer}/{index}"),
                        "duplicate",
                        message,
                    ));
                }
                list.push(text);
            }
            Err((code, message)) => {
                violations.push(Violation::new(format!("{pointer}/{index}"), code, message))
            }
        }
    }
    (violations.len() == before).then_some(list)
}
