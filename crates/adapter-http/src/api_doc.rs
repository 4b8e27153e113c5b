//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` annotations,
//! the views and the request schemas. What every operation shares is added here, from what
//! the operation declares: a key (400 for disagreeing key headers, 401, 403, 429), path
//! parameters (404), query parameters (422), a body (400, 413, 415, 422), storage (500,
//! 503); and `X-Request-Id` on every response. Operations declare only what is their own
//! (success, 409, 412).

use std::sync::LazyLock;

use serde_json::{Map, Value, json};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr};
use utoipa::{OpenApi, ToSchema};

use crate::problem::PROBLEM_JSON;
use crate::routes;
use crate::schemas::{self, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Program Instances API",
        description = "Utility and energy program instances: a workspace deploys programs from a \
            catalog as its own instances, and customers enroll in them. Every error is \
            `application/problem+json` (RFC 9457). Outside PATCH, `null` for an optional member \
            means absent and for a required member is 422; in PATCH, JSON Merge Patch (RFC 7396) \
            applies. Text holding NUL (U+0000) is 422 `invalid_character` in every member.",
        license(name = "Apache-2.0")
    ),
    tags(
        (name = "programs", description = "The catalog of programs visible to the workspace."),
        (name = "programInstances", description = "The workspace's deployments of programs."),
        (name = "enrollments", description = "Eligibility checks and customers' enrollments."),
        (name = "apiKeys", description = "Keys of the caller's workspace."),
        (name = "webhooks", description = "Endpoints that receive the workspace's events, signed as Standard Webhooks."),
        (name = "reports", description = "Figures across the workspace's instances: the participation report."),
        (name = "events", description = "The workspace's event log: every change of its instances and enrollments."),
        (name = "operations", description = "Health, readiness, metrics and this document; no key.")
    ),
    security(("bearer" = [])),
    // Named in parameters only, which do not register what they name.
    components(schemas(schemas::SearchText, schemas::IdempotencyKey, schemas::EventId, schemas::EventType, schemas::WindowBound))
)]
struct Described;

/// The document, built once.
pub fn document() -> &'static Document {
    static DOCUMENT: LazyLock<Document> = LazyLock::new(|| {
        let mut document = Described::openapi();
        document.merge(routes::Operations::openapi());
        complete(&mut document);
        document
    });
    &DOCUMENT
}

/// The document as served.
pub fn document_json() -> &'static str {
    static TEXT: LazyLock<String> = LazyLock::new(|| {
        let served = serde_json::to_value(document()).and_then(|mut value| {
            add_links(&mut value);
            serde_json::to_string_pretty(&value)
        });
        served.unwrap_or_else(|error| {
            tracing::error!(%error, "the OpenAPI document cannot be serialised");
            String::from("{}")
        })
    });
    &TEXT
}

/// The operations of a path item, with their methods.
pub fn operations_of(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("GET", &mut item.get),
        ("POST", &mut item.post),
        ("PUT", &mut item.put),
        ("PATCH", &mut item.patch),
        ("DELETE", &mut item.delete),
        ("HEAD", &mut item.head),
        ("OPTIONS", &mut item.options),
        ("TRACE", &mut item.trace),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_mut().map(|operation| (method, operation)))
    .collect()
}

/// A response several operations share: a problem of one status.
struct SharedError {
    status: u16,
    /// Its name under `components/responses`.
    name: &'static str,
    description: &'static str,
    /// Headers besides `X-Request-Id`: name and description.
    headers: &'static [(&'static str, &'static str)],
}

const SHARED: [SharedError; 10] = [
    SharedError {
        status: 400,
        name: "BadRequest",
        description: "The body is not JSON, or `Authorization` and `Texture-Api-Key` name different keys.",
        headers: &[],
    },
    SharedError {
        status: 401,
        name: "Unauthenticated",
        description: "No key, or a malformed, unknown, revoked or expired one (one body for every case).",
        headers: &[("WWW-Authenticate", "`Bearer`.")],
    },
    SharedError {
        status: 403,
        name: "Forbidden",
        description: "The key lacks the scope (`missing_scope`, naming it in `requiredScope`) or may not do \
         this (`forbidden`, `grant_exceeds_caller`).",
        headers: &[],
    },
    SharedError {
        status: 404,
        name: "NotFound",
        description: "Nothing the key may see lives here: another workspace's resources answer the same.",
        headers: &[],
    },
    SharedError {
        status: 413,
        name: "PayloadTooLarge",
        description: "The body is larger than 1 MiB.",
        headers: &[],
    },
    SharedError {
        status: 415,
        name: "UnsupportedMediaType",
        description: "The body is not sent as `application/json` (PATCH also takes \
         `application/merge-patch+json`).",
        headers: &[],
    },
    SharedError {
        status: 422,
        name: "Invalid",
        description: "Invalid members or query parameters, every one listed in `errors` (cross-field rules \
         included); for a repeated `Idempotency-Key` with another body, `idempotency_mismatch`; \
         for a malformed `Idempotency-Key` or `If-Match`, `invalid_header`.",
        headers: &[],
    },
    SharedError {
        status: 429,
        name: "TooManyRequests",
        description: "Too many failed authentications from this client address; retry after `Retry-After`.",
        headers: &[("Retry-After", "Seconds to wait.")],
    },
    SharedError {
        status: 500,
        name: "Internal",
        description: "An unexpected fault; logged under the request id, never detailed in the answer.",
        headers: &[],
    },
    SharedError {
        status: 503,
        name: "Unavailable",
        description: "The database is unavailable or too slow to answer in time, or the process is \
         stopping; retry after `Retry-After`.",
        headers: &[("Retry-After", "Seconds to wait.")],
    },
];

fn request_id_header() -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::String))
        .description(Some(
            "The request's id: the client's own when it sent an acceptable one (1 to 128 \
             letters, digits, `-`, `_`, `.` or `:`), else generated.",
        ))
        .build()
}

fn problem_response(description: &str, headers: &[(&str, &str)]) -> Response {
    let mut response = ResponseBuilder::new().description(description).content(
        PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(Problem::name())))
            .build(),
    );
    for (name, description) in headers {
        response = response.header(
            *name,
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::String))
                .description(Some(*description))
                .build(),
        );
    }
    response.header("X-Request-Id", request_id_header()).build()
}

/// Which shared errors an operation can answer, from what it declares.
fn shared_statuses(path: &str, operation: &Operation) -> Vec<u16> {
    let public = operation.security.is_some();
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| {
        parameters
            .iter()
            .any(|parameter| parameter.parameter_in == place)
    };
    let mut statuses = Vec::new();
    if !public {
        statuses.extend([400, 401, 403, 429]);
    }
    if has(ParameterIn::Path) {
        statuses.push(404);
    }
    if operation.request_body.is_some() {
        statuses.extend([400, 413, 415, 422]);
    }
    // Query parameters, and headers (`Idempotency-Key`, `If-Match`), are refused with 422.
    if has(ParameterIn::Query) || has(ParameterIn::Header) {
        statuses.push(422);
    }
    match path {
        "/healthz" | "/metrics" | "/openapi.json" => {}
        "/readyz" => statuses.extend([500, 503]),
        _ => statuses.extend([500, 503]),
    }
    statuses.sort_unstable();
    statuses.dedup();
    statuses
}

/// Where a response's value can be used next, for the stateful phase of contract testing.
struct LinkSet {
    /// The operation and response status the value comes from.
    from: (&'static str, &'static str),
    /// A runtime expression for the value.
    value: &'static str,
    /// The parameter it fills in each target operation.
    parameter: &'static str,
    /// Link names and target operations.
    targets: &'static [(&'static str, &'static str)],
}

const LINKS: [LinkSet; 4] = [
    LinkSet {
        from: ("createInstance", "201"),
        value: "$response.body#/id",
        parameter: "id",
        targets: &[
            ("GetInstance", "getInstance"),
            ("UpdateInstance", "updateInstance"),
            ("DeleteInstance", "deleteInstance"),
            ("ListInstanceEvents", "listInstanceEvents"),
            ("CheckEligibility", "checkEligibility"),
            ("Enroll", "enroll"),
            ("ListEnrollments", "listEnrollments"),
            ("GetEnrollmentStats", "getEnrollmentStats"),
        ],
    },
    LinkSet {
        from: ("enroll", "201"),
        value: "$response.body#/id",
        parameter: "id",
        targets: &[
            ("GetEnrollment", "getEnrollment"),
            ("UpdateEnrollmentStatus", "updateEnrollmentStatus"),
        ],
    },
    LinkSet {
        from: ("createApiKey", "201"),
        value: "$response.body#/id",
        parameter: "id",
        targets: &[("RevokeApiKey", "revokeApiKey")],
    },
    LinkSet {
        from: ("getProgram", "200"),
        value: "$response.body#/slug",
        parameter: "programSlug",
        targets: &[("CreateInstance", "createInstance")],
    },
];

/// Adds the links to the serialised document (the model's own `Link` serialises its
/// members in snake case, which OpenAPI does not read).
fn add_links(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for operation in item.values_mut() {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            for set in LINKS.iter().filter(|set| set.from.0 == id) {
                let Some(response) = operation
                    .pointer_mut(&format!("/responses/{}", set.from.1))
                    .and_then(Value::as_object_mut)
                else {
                    continue;
                };
                let links: Map<String, Value> = set
                    .targets
                    .iter()
                    .map(|(name, target)| {
                        let link = json!({
                            "operationId": target,
                            "parameters": { set.parameter: set.value },
                        });
                        ((*name).to_owned(), link)
                    })
                    .collect();
                response.insert("links".into(), Value::Object(links));
            }
        }
    }
}

/// Adds what every operation shares (see the module's documentation).
fn complete(document: &mut Document) {
    let components = document.components.get_or_insert_with(Default::default);
    // `Texture-Api-Key` is described here rather than as a second scheme: a client (or a
    // fuzzer) offered two schemes may send both, with different keys, which is a 400.
    components.security_schemes.insert(
        "bearer".into(),
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "`Authorization: Bearer <key>`. The same key is also accepted as \
                     `Texture-Api-Key: <key>` (the header Texture's own API uses); sending both \
                     with different keys is 400 `conflicting_keys`.",
                ))
                .build(),
        ),
    );
    for shared in &SHARED {
        components.responses.insert(
            shared.name.to_owned(),
            RefOr::T(problem_response(shared.description, shared.headers)),
        );
    }
    for (path, item) in document.paths.paths.iter_mut() {
        for (_, operation) in operations_of(item) {
            for status in shared_statuses(path, operation) {
                let name = SHARED
                    .iter()
                    .find(|shared| shared.status == status)
                    .map_or("Internal", |shared| shared.name);
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| {
                        RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
                    });
            }
            for response in operation.responses.responses.values_mut() {
                if let RefOr::T(response) = response {
                    response
                        .headers
                        .entry("X-Request-Id".into())
                        .or_insert_with(request_id_header);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use domain::eligibility::Applicant;
    use domain::enrollment::Application;
    use domain::webhook::endpoint::{EndpointDraft, EndpointPatch};
    use domain::{InstanceDraft, InstancePatch, Violations};
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::enrollment_body::status_change_from;
    use crate::key_body::key_from;
    use crate::problem::ApiError;

    fn document_value() -> Value {
        serde_json::from_str(document_json()).unwrap()
    }

    fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference.trim_start_matches('#');
                resolve(document, document.pointer(pointer).unwrap_or(&Value::Null))
            }
            None => schema,
        }
    }

    #[test]
    fn every_route_served_is_documented_and_every_documented_one_served() {
        let served: BTreeSet<(String, String)> = routes::SERVED
            .iter()
            .map(|(method, path)| (method.to_string(), path.to_string()))
            .collect();
        let mut documented = BTreeSet::new();
        for (path, item) in document().paths.paths.clone().iter_mut() {
            for (method, _) in operations_of(item) {
                documented.insert((method.to_owned(), path.clone()));
            }
        }
        assert_eq!(served, documented);
    }

    #[test]
    fn every_reference_resolves() {
        let document = document_value();
        let text = document.to_string();
        let references: BTreeSet<&str> = text
            .split("\"$ref\":\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert!(references.len() > 40, "{references:?}");
        for reference in references {
            let pointer = reference.trim_start_matches('#');
            assert!(
                document.pointer(pointer).is_some(),
                "{reference} is not defined"
            );
        }
    }

    #[test]
    fn every_operation_is_named_tagged_and_answers_problems() {
        let mut names = BTreeSet::new();
        for (path, item) in document().paths.paths.clone().iter_mut() {
            for (method, operation) in operations_of(item) {
                let name = operation.operation_id.clone().unwrap_or_default();
                assert!(!name.is_empty(), "{method} {path} has no operationId");
                assert!(
                    names.insert(name),
                    "{method} {path}: operationId used twice"
                );
                assert!(
                    operation.tags.as_ref().is_some_and(|tags| !tags.is_empty()),
                    "{method} {path} has no tag"
                );
                let errors: Vec<_> = operation
                    .responses
                    .responses
                    .keys()
                    .filter(|status| status.as_str() >= "400")
                    .collect();
                if operation.security.is_none() {
                    for status in ["401", "403", "500", "503"] {
                        assert!(
                            errors.iter().any(|s| *s == status),
                            "{method} {path}: {status}"
                        );
                    }
                }
            }
        }
    }

    /// Response objects list their required members, so a generated client does not get
    /// every field optional.
    #[test]
    fn response_objects_list_their_required_members() {
        let document = document_value();
        for name in [
            "ProgramInstance",
            "Program",
            "Enrollment",
            "ApiKey",
            "Problem",
            "InstancePage",
        ] {
            let schema = &document["components"]["schemas"][name];
            let required = schema["required"].as_array().map(Vec::len).unwrap_or(0);
            assert!(required >= 3, "{name} lists {required} required members");
        }
        let instance = &document["components"]["schemas"]["ProgramInstance"];
        let properties = instance["properties"].as_object().unwrap().len();
        assert_eq!(instance["required"].as_array().unwrap().len(), properties);
    }

    /// Reads a body as the operation's handler does.
    fn parse(operation: &str, body: Value) -> Result<(), Violations> {
        let Value::Object(members) = body else {
            panic!("{operation}: not an object")
        };
        let violations = |error: ApiError| match error {
            ApiError::App(application::AppError::Invalid(found)) => found,
            other => panic!("{operation}: {other:?}"),
        };
        match operation {
            "createInstance" => InstanceDraft::from_json(members).map(drop),
            "updateInstance" => InstancePatch::from_json(members).map(drop),
            "copyInstance" => copy_source().copy(copy_id(), members, now()).map(drop),
            "checkEligibility" => Applicant::from_json(Value::Object(members)).map(drop),
            "enroll" => Application::from_json(members).map(drop),
            "updateEnrollmentStatus" => status_change_from(members).map(drop).map_err(violations),
            "createApiKey" => key_from(members).map(drop).map_err(violations),
            "createWebhookEndpoint" => EndpointDraft::from_json(members, true).map(drop),
            "updateWebhookEndpoint" => EndpointPatch::from_json(members, true).map(drop),
            other => panic!("no parser known for {other}: add it here"),
        }
    }

    fn now() -> domain::Timestamp {
        domain::Timestamp::parse("2026-06-01T00:00:00Z").unwrap()
    }

    fn copy_id() -> domain::InstanceId {
        domain::InstanceId::parse("cllgn0u4r000008l7eazybfbz").unwrap()
    }

    /// An instance to copy: only what a create requires.
    fn copy_source() -> domain::ProgramInstance {
        let draft = InstanceDraft {
            name: Some(domain::Name::parse("Source").unwrap()),
            ..InstanceDraft::default()
        };
        domain::ProgramInstance::create(
            domain::InstanceId::parse("cllgn0u4r000008l7eazybfbo").unwrap(),
            domain::ProgramId::parse("prog_battery_rebate").unwrap(),
            domain::WorkspaceId::parse("ws_123456").unwrap(),
            draft,
            now(),
        )
        .unwrap()
        .0
    }

    fn is_nullable(document: &Value, schema: &Value) -> bool {
        let null = |candidate: &Value| {
            candidate["type"] == "null"
                || candidate["type"]
                    .as_array()
                    .is_some_and(|types| types.contains(&json!("null")))
        };
        null(schema)
            || null(resolve(document, schema))
            || schema["oneOf"]
                .as_array()
                .is_some_and(|options| options.iter().any(null))
    }

    /// The members of `schema` (an object), checked one by one against `example`: a required
    /// member left out, and any member set to `null`, are refused exactly when the schema
    /// says so; an unknown member is refused.
    fn check_members(
        document: &Value,
        operation: &str,
        schema: &Value,
        example: &Map<String, Value>,
        at: &[&str],
        checked: &mut usize,
    ) {
        let schema = resolve(document, schema);
        let required: BTreeSet<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let properties = schema["properties"].as_object().unwrap();
        let body_with = |member: &str, value: Option<Value>| {
            let mut nested = example.clone();
            match value {
                Some(value) => nested.insert(member.to_owned(), value),
                None => nested.remove(member),
            };
            let mut body = Value::Object(nested);
            for key in at.iter().rev() {
                let mut outer = parse_example(document, operation);
                let mut slot = &mut outer;
                for step in &at[..at.iter().position(|k| k == key).unwrap()] {
                    slot = &mut slot[*step];
                }
                slot[*key] = body;
                body = outer;
            }
            body
        };
        let pointer = |member: &str| {
            let mut parts: Vec<&str> = at.to_vec();
            parts.push(member);
            format!("/{}", parts.join("/"))
        };
        let refused_at = |body: Value, place: &str| match parse(operation, body) {
            Ok(()) => false,
            Err(found) => found.iter().any(|v| v.pointer == place),
        };
        let unknown = pointer("zzUnknown");
        assert!(refused_at(body_with("zzUnknown", Some(json!(1))), &unknown));
        for (member, property) in properties {
            let place = pointer(member);
            if example.contains_key(member) {
                assert_eq!(
                    refused_at(body_with(member, None), &place),
                    required.contains(member.as_str()),
                    "{operation}: leaving out {place}"
                );
            }
            assert_eq!(
                refused_at(body_with(member, Some(Value::Null)), &place),
                !is_nullable(document, property),
                "{operation}: {place} set to null"
            );
            *checked += 1;
            // Merge patches merge nested documents: their members follow RFC 7396 instead.
            if operation != "updateInstance"
                && let Some(Value::Object(nested)) = example.get(member)
            {
                let inner = property["oneOf"]
                    .as_array()
                    .and_then(|options| options.iter().find(|o| o["type"] != "null"))
                    .unwrap_or(property);
                let mut deeper = at.to_vec();
                deeper.push(member);
                check_members(document, operation, inner, nested, &deeper, checked);
            }
        }
    }

    fn parse_example(document: &Value, operation: &str) -> Value {
        let (_, schema) = request_schema(document, operation);
        resolve(document, schema)["example"].clone()
    }

    fn request_schema<'a>(document: &'a Value, operation: &str) -> (&'a Value, &'a Value) {
        for item in document["paths"].as_object().unwrap().values() {
            for candidate in item.as_object().unwrap().values() {
                if candidate["operationId"] == operation {
                    let content = &candidate["requestBody"]["content"];
                    let media = content
                        .as_object()
                        .and_then(|media| media.values().next())
                        .unwrap();
                    return (candidate, &media["schema"]);
                }
            }
        }
        panic!("no operation {operation}")
    }

    #[test]
    fn the_event_types_are_the_domain_s() {
        let document = document_value();
        let listed: Vec<&str> = document["components"]["schemas"]["EventType"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|kind| kind.as_str().unwrap())
            .collect();
        let known: Vec<&str> = domain::EventType::ALL
            .iter()
            .map(|kind| kind.as_str())
            .collect();
        assert_eq!(listed, known);
    }

    #[test]
    fn bodies_follow_their_schemas() {
        let document = document_value();
        let mut operations = Vec::new();
        for item in document["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                if operation.get("requestBody").is_some() {
                    operations.push(operation["operationId"].as_str().unwrap().to_owned());
                }
            }
        }
        assert_eq!(operations.len(), 9, "{operations:?}");
        for operation in operations {
            let example = parse_example(&document, &operation);
            let members = example.as_object().cloned().unwrap_or_default();
            assert!(!members.is_empty(), "{operation} has no example body");
            parse(&operation, example.clone())
                .unwrap_or_else(|found| panic!("{operation}: its example is refused: {found:?}"));
            let (_, schema) = request_schema(&document, &operation);
            let mut checked = 0;
            check_members(&document, &operation, schema, &members, &[], &mut checked);
            assert!(checked >= 2, "{operation}: {checked} members checked");
        }
    }

    /// Each place that lists the scopes takes them from `domain::Scope`; the hand-written
    /// reference must name each too.
    #[test]
    fn every_scope_is_named_in_the_document_and_the_reference() {
        let names: Vec<&str> = domain::Scope::ALL.map(domain::Scope::as_str).to_vec();
        let document = document_value();
        assert_eq!(
            document["components"]["schemas"]["Scope"]["enum"],
            serde_json::json!(names)
        );
        let reference = include_str!("../../../docs/api.md");
        for name in names {
            assert!(
                reference.contains(&format!("`{name}`")),
                "docs/api.md does not name the scope {name}"
            );
        }
    }
}
