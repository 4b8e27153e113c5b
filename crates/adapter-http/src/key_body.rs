//! The body of `POST /apiKeys`.

use std::collections::BTreeSet;

use domain::strict_json::{Members, list_of, text};
use domain::{Grant, InstanceId, Name, Scope, ScopeSet, Timestamp, Violation};
use serde_json::{Map, Value};

use crate::body::invalid;
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

/// An item of a list parsed by `parse`, or the `invalid` violation (code and message).
fn item<T>(
    parse: impl Fn(&str) -> Option<T>,
    invalid: (&'static str, &'static str),
) -> impl FnMut(Value, &str, &mut domain::Violations) -> Option<T> {
    move |value, pointer, violations| {
        let parsed = value.as_str().and_then(&parse);
        if parsed.is_none() {
            violations.push(Violation::new(pointer, invalid.0, invalid.1));
        }
        parsed
    }
}

pub fn key_from(members: Map<String, Value>) -> Result<KeyBody, ApiError> {
    let mut read = Members::new(members, "", &WRITABLE, &READ_ONLY);
    let name = read.read("name", text(Name::parse));
    let name = read.required("name", name).map(|name| name.to_string());
    let scopes = read.read(
        "scopes",
        list_of(
            Scope::ALL.len(),
            |value, pointer, violations: &mut domain::Violations| {
                text(str::parse::<Scope>)(value, pointer, violations)
            },
        ),
    );
    let scopes: Option<ScopeSet> = read
        .required("scopes", scopes)
        .map(|scopes| scopes.into_iter().collect());
    let instances = read
        .read(
            "instances",
            list_of(
                MAX_INSTANCES,
                item(
                    |text| InstanceId::parse(text).ok(),
                    ("invalid_id", "must be a program instance id"),
                ),
            ),
        )
        .optional()
        .map(|ids| ids.into_iter().collect::<BTreeSet<_>>());
    let expires_at = read.read("expiresAt", text(Timestamp::parse)).optional();
    let body = scopes.map(|scopes| KeyBody {
        name,
        grant: Grant::new(scopes, instances),
        expires_at,
    });
    read.finish(body)
        .map_err(invalid)?
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
    fn an_unknown_scope_is_refused_naming_every_scope() {
        let body = json!({"name": "x", "scopes": ["admin"]});
        let Err(ApiError::App(AppError::Invalid(found))) =
            key_from(body.as_object().cloned().unwrap())
        else {
            panic!("an unknown scope is refused");
        };
        let message = &found.iter().next().unwrap().message;
        for scope in Scope::ALL {
            assert!(message.contains(scope.as_str()), "{scope}: {message}");
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
