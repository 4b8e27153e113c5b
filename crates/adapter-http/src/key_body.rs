//! The body of `POST /apiKeys`.

use std::collections::{BTreeSet, HashSet};

use domain::{Grant, InstanceId, Name, Scope, ScopeSet, Timestamp, Violation};
use serde_json::{Map, Value};

use crate::body::{Member, Members};
use crate::problem::ApiError;

const WRITABLE: [&str; 4] = ["name", "scopes", "instances", "expiresAt"];
const READ_ONLY: [&str; 7] = [
    "id",
    "workspaceId",
    "prefix",
    "key",
    "createdAt",
    "revokedAt",
    "lastUsedAt",
];
const MAX_INSTANCES: usize = 1_000;

#[derive(Debug)]
pub struct KeyBody {
    pub name: Option<String>,
    pub grant: Grant,
    pub expires_at: Option<Timestamp>,
}

/// A non-empty list of distinct strings, each parsed; violations at `/{key}/{index}`.
fn list_of<T: Ord>(
    read: &mut Members,
    key: &str,
    max: usize,
    parse: impl Fn(&str) -> Option<T>,
    invalid: (&'static str, &'static str),
) -> Member<BTreeSet<T>> {
    let items = match read.raw(key) {
        Member::Present(Value::Array(items)) => items,
        Member::Present(_) => {
            read.violations.push(Violation::new(
                format!("/{key}"),
                "invalid_type",
                "must be a list of strings",
            ));
            return Member::Invalid;
        }
        Member::Absent => return Member::Absent,
        Member::Null => return Member::Null,
        Member::Invalid => return Member::Invalid,
    };
    if items.is_empty() || items.len() > max {
        let message = format!("must list 1 to {max} items");
        read.violations.push(Violation::new(
            format!("/{key}"),
            if items.is_empty() {
                "empty"
            } else {
                "too_many_items"
            },
            message,
        ));
        return Member::Invalid;
    }
    let before = read.violations.len();
    let mut seen = HashSet::new();
    let mut parsed = BTreeSet::new();
    for (index, item) in items.iter().enumerate() {
        let pointer = format!("/{key}/{index}");
        match item.as_str().and_then(|text| Some((text, parse(text)?))) {
            Some((text, value)) => {
                if !seen.insert(text.to_owned()) {
                    read.violations
                        .push(Violation::new(pointer, "duplicate", "listed twice"));
                }
                parsed.insert(value);
            }
            None => read
                .violations
                .push(Violation::new(pointer, invalid.0, invalid.1)),
        }
    }
    if read.violations.len() == before {
        Member::Present(parsed)
    } else {
        Member::Invalid
    }
}

pub fn key_from(members: Map<String, Value>) -> Result<KeyBody, ApiError> {
    let mut read = Members::new(members, &WRITABLE, &READ_ONLY);
    let name = read.text("name", Name::parse);
    let name = read.required("name", name).map(|name| name.to_string());
    let scopes = list_of(
        &mut read,
        "scopes",
        Scope::ALL.len(),
        |text| text.parse::<Scope>().ok(),
        (
            "invalid_scope",
            "unknown scope; the scopes are programs:read, programInstances:read, programInstances:write, enrollments:read, enrollments:write, apiKeys:manage",
        ),
    );
    let scopes: Option<ScopeSet> = read
        .required("scopes", scopes)
        .map(|set| set.into_iter().collect());
    let instances = list_of(
        &mut read,
        "instances",
        MAX_INSTANCES,
        |text| InstanceId::parse(text).ok(),
        ("invalid_id", "must be a program instance id"),
    )
    .into_option();
    let expires_at = read.text("expiresAt", Timestamp::parse).into_option();
    let body = scopes.map(|scopes| KeyBody {
        name,
        grant: Grant::new(scopes, instances),
        expires_at,
    });
    read.finish(body)?
        .ok_or_else(|| ApiError::internal("scopes were checked as required"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use application::AppError;
    use serde_json::json;

    fn violations(body: Value) -> Vec<(String, &'static str)> {
        match key_from(body.as_object().cloned().unwrap()) {
            Err(ApiError::App(AppError::Invalid(found))) => {
                found.into_iter().map(|v| (v.pointer, v.code)).collect()
            }
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn a_scoped_restricted_key_request_parses() {
        let body = json!({"name": "ci", "scopes": ["programInstances:read"], "instances": ["cllgn0u4r000008l7eazybfbo"],
            "expiresAt": "2099-01-01T00:00:00Z"});
        let key = key_from(body.as_object().cloned().unwrap()).unwrap();
        assert!(
            key.grant.allows(Scope::ProgramInstancesRead) && !key.grant.allows(Scope::ProgramsRead)
        );
        assert_eq!(key.grant.instances().map(|ids| ids.len()), Some(1));
        assert!(key.expires_at.is_some());
    }

    #[test]
    fn every_problem_is_named() {
        assert_eq!(
            violations(json!({})),
            [
                ("/name".to_owned(), "required"),
                ("/scopes".to_owned(), "required")
            ]
        );
        assert_eq!(
            violations(json!({"name": "x", "scopes": []})),
            [("/scopes".to_owned(), "empty")]
        );
        assert_eq!(
            violations(json!({"name": "x", "scopes": ["programs:read", "admin", "programs:read"]})),
            [
                ("/scopes/1".to_owned(), "invalid_scope"),
                ("/scopes/2".to_owned(), "duplicate")
            ]
        );
        assert_eq!(
            violations(
                json!({"name": "x", "scopes": ["programs:read"], "instances": ["nope"], "key": "pik_x"})
            ),
            [
                ("/key".to_owned(), "read_only"),
                ("/instances/0".to_owned(), "invalid_id")
            ]
        );
    }
}
