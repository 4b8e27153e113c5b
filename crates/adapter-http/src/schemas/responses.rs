//! The documents of answers that are not resource views: problems and health.

use utoipa::ToSchema;

use super::*;

/// One invalid member of a body (`pointer`, a JSON Pointer) or query (`parameter`).
#[derive(Debug, ToSchema)]
pub struct InvalidField {
    pointer: Option<String>,
    parameter: Option<String>,
    /// Stable and machine-readable, e.g. `too_long`, `required`, `before_start`.
    code: String,
    message: String,
}

/// An error, as RFC 9457 describes it (`application/problem+json`).
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    r#type: String,
    title: String,
    status: u16,
    detail: String,
    /// Stable and machine-readable, e.g. `validation_failed`, `slug_taken`.
    code: String,
    /// Equals the response's `X-Request-Id`.
    request_id: String,
    /// Every invalid member at once (422).
    errors: Option<Vec<InvalidField>>,
    /// The scope the key lacks (403 `missing_scope`).
    required_scope: Option<Scope>,
    /// A refused status change (409 `invalid_transition`): from, to, and the allowed targets.
    from: Option<String>,
    to: Option<String>,
    allowed: Option<Vec<String>>,
}

/// Whether the process is up, or ready.
#[derive(Debug, ToSchema)]
pub struct Health {
    /// `ok` (`/healthz`) or `ready` (`/readyz`).
    status: String,
}
