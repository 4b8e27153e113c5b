//! `/programs/{programSlug}/instances` and `/programInstances…`.

use actix_web::http::StatusCode;
use actix_web::http::header::{ETAG, IF_MATCH, LOCATION};
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use application::{
    IdempotencyKey, Idempotent, InstanceCursor, InstanceFilter, InstanceSnapshot, ListRequest,
};
use domain::{
    Description, InstanceDraft, InstanceId, InstancePatch, ProgramId, ProgramInstance, Slug,
    Status, Timestamp,
};
use validator::Validate;

use crate::HttpState;
use crate::auth::Caller;
use crate::body::{JSON, MERGE_PATCH_JSON, invalid, json_object};
use crate::idempotency::{Answered, idempotent};
use crate::path::{found, instance_id};
use crate::problem::ApiError;
use crate::query::QueryParams;
use crate::reply::{RenderError, Reply, kept};
use crate::schemas::{IdempotencyKeyHeader, InstanceIdParam};
use crate::{cursor, schemas, views};

fn instance_reply(
    status: StatusCode,
    instance: &InstanceSnapshot,
    now: Timestamp,
) -> Result<Reply, RenderError> {
    let etag = format!("\"{}\"", instance.version);
    Reply::json(status, &views::instance(instance, now))?.with_header(ETAG, &etag)
}

/// The reply for an instance just written.
fn written_reply(
    status: StatusCode,
    instance: &ProgramInstance,
    now: Timestamp,
) -> Result<Reply, RenderError> {
    instance_reply(status, &InstanceSnapshot::of(instance)?, now)
}

/// The 201 of a new instance, as at its creation (so that its replay says the same).
fn created_reply(instance: &ProgramInstance) -> Result<Reply, RenderError> {
    let location = format!("/programInstances/{}", instance.id());
    written_reply(StatusCode::CREATED, instance, instance.created_at())?
        .with_header(LOCATION, &location)
}

/// Deploy a program as an instance of the workspace
///
/// Honours `Idempotency-Key`: a retry with the same key and body replays the first answer
/// (with `Idempotent-Replayed: true`).
#[utoipa::path(
    post, path = "/programs/{programSlug}/instances", operation_id = "createInstance", tag = "programInstances",
    params(
        ("programSlug" = schemas::Slug, Path, description = "The catalog program to deploy."),
        IdempotencyKeyHeader,
    ),
    request_body(content = schemas::NewInstance, content_type = "application/json"),
    responses(
        (status = 201, description = "Created.", body = views::InstanceView,
            headers(("Location" = String, description = "`/programInstances/{id}`."), ("ETag" = String, description = "`\"<version>\"`."),
                ("Idempotent-Replayed" = String, description = "`true` on a replayed answer."))),
        (status = 409, description = "The slug is taken in the workspace (`slug_taken`), or a request with the same `Idempotency-Key` is still running (`idempotency_in_progress`).", body = schemas::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    slug: Path<String>,
    body: Bytes,
) -> HttpResponse {
    let handle = |key: Option<IdempotencyKey>| async {
        let slug = found(Slug::parse(&slug), "program")?;
        let draft =
            InstanceDraft::from_json(json_object(&req, &body, &[JSON])?).map_err(invalid)?;
        let principal = caller.0.clone();
        let kept_with_change = key.is_some();
        let instance = state
            .call(move |app| {
                let respond = |instance: &ProgramInstance| kept(created_reply(instance));
                let idempotent = key.as_ref().map(|key| Idempotent {
                    key,
                    respond: &respond,
                });
                app.create_instance(&principal, &slug, draft, idempotent)
            })
            .await?;
        Ok(Answered {
            reply: created_reply(&instance)?,
            kept: kept_with_change,
        })
    };
    idempotent(state.clone(), &caller, &req, &body, handle).await
}

/// Copy an instance as a new one of the same program
///
/// The body sets fields of the copy: `slug` is required, every other writable field is
/// optional (the creation rules apply; `null` clears an optional field). Every field it
/// does not name is copied, `seasons` and `timeZone` included; the copy is `inactive`
/// unless the body says otherwise, at revision 1 and version 1, with `copiedFrom` the
/// source and no enrollments. Archived instances can be copied. Honours `Idempotency-Key`.
#[utoipa::path(
    post, path = "/programInstances/{id}/copies", operation_id = "copyInstance", tag = "programInstances",
    params(InstanceIdParam, IdempotencyKeyHeader),
    request_body(content = schemas::InstanceCopy, content_type = "application/json"),
    responses(
        (status = 201, description = "Created.", body = views::InstanceView,
            headers(("Location" = String, description = "`/programInstances/{id}` of the copy."), ("ETag" = String, description = "`\"<version>\"`."),
                ("Idempotent-Replayed" = String, description = "`true` on a replayed answer."))),
        (status = 409, description = "The slug is taken in the workspace (`slug_taken`), or a request with the same `Idempotency-Key` is still running (`idempotency_in_progress`).", body = schemas::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn copy(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    id: Path<String>,
    body: Bytes,
) -> HttpResponse {
    let handle = |key: Option<IdempotencyKey>| async {
        let source = instance_id(&id)?;
        let changes = json_object(&req, &body, &[JSON])?;
        let principal = caller.0.clone();
        let kept_with_change = key.is_some();
        let instance = state
            .call(move |app| {
                let respond = |instance: &ProgramInstance| kept(created_reply(instance));
                let idempotent = key.as_ref().map(|key| Idempotent {
                    key,
                    respond: &respond,
                });
                app.copy_instance(&principal, &source, changes, idempotent)
            })
            .await?;
        Ok(Answered {
            reply: created_reply(&instance)?,
            kept: kept_with_change,
        })
    };
    idempotent(state.clone(), &caller, &req, &body, handle).await
}

/// One instance of the workspace
#[utoipa::path(
    get, path = "/programInstances/{id}", operation_id = "getInstance", tag = "programInstances",
    params(InstanceIdParam),
    responses((status = 200, description = "The instance.", body = views::InstanceView,
        headers(("ETag" = String, description = "`\"<version>\"`."))))
)]
pub async fn get(
    state: Data<HttpState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = instance_id(&id)?;
    let instance = state
        .call(move |app| app.get_instance(&caller.0, &id))
        .await?;
    Ok(instance_reply(StatusCode::OK, &instance, state.app.now())?.into_response())
}

/// The entity tags of an `If-Match` list, each with whether it is weak; `None` when the
/// value is not such a list.
fn entity_tags(value: &str) -> Option<Vec<(bool, &str)>> {
    let mut tags = Vec::new();
    let mut rest = value.trim_matches([' ', '\t']);
    loop {
        let weak = rest.starts_with("W/");
        let quoted = rest.strip_prefix("W/").unwrap_or(rest).strip_prefix('"')?;
        let end = quoted.find('"')?;
        let opaque = &quoted[..end];
        if !opaque
            .bytes()
            .all(|b| b == b'!' || (b'#'..=b'~').contains(&b))
        {
            return None;
        }
        tags.push((weak, opaque));
        rest = quoted[end + 1..].trim_start_matches([' ', '\t']);
        if rest.is_empty() {
            return Some(tags);
        }
        rest = rest.strip_prefix(',')?.trim_start_matches([' ', '\t']);
    }
}

/// `If-Match`: `None` for no condition (or `*`); otherwise the versions it names. Weak tags
/// never match, as RFC 9110's strong comparison requires; a malformed value is refused.
fn if_match(req: &HttpRequest) -> Result<Option<Vec<i64>>, ApiError> {
    let Some(value) = req.headers().get(IF_MATCH) else {
        return Ok(None);
    };
    let malformed = || ApiError::InvalidHeader {
        name: "If-Match",
        message: "must be * or a comma-separated list of entity tags such as \"3\"",
    };
    let text = value.to_str().map_err(|_| malformed())?;
    // An empty value names no condition, like an absent header.
    if matches!(text.trim_matches([' ', '\t']), "*" | "") {
        return Ok(None);
    }
    let tags = entity_tags(text).ok_or_else(malformed)?;
    Ok(Some(
        tags.into_iter()
            .filter(|(weak, _)| !weak)
            .filter_map(|(_, opaque)| opaque.parse().ok())
            .collect(),
    ))
}

/// Change an instance (JSON Merge Patch)
///
/// Concurrent patches without `If-Match` apply one after another; none is lost. An empty
/// patch, or one that sets what is already there, changes nothing and keeps `version`.
#[utoipa::path(
    patch, path = "/programInstances/{id}", operation_id = "updateInstance", tag = "programInstances",
    params(
        InstanceIdParam,
        ("If-Match" = Option<String>, Header, nullable = false, pattern = r#"^[ \t]*(\*|(W/)?"[!#-~]*"([ \t]*,[ \t]*(W/)?"[!#-~]*")*)?[ \t]*$"#,
            description = "Apply only at these versions: `\"<version>\"` tags as the `ETag` gives them, comma-separated, or `*` (as does an empty value). Weak tags (`W/\"…\"`) never match (RFC 9110 strong comparison): 412. A malformed value is 422 `invalid_header`."),
    ),
    request_body(content(
        (schemas::InstanceChanges = "application/merge-patch+json"),
        (schemas::InstanceChanges = "application/json"),
    )),
    responses(
        (status = 200, description = "The instance as changed.", body = views::InstanceView,
            headers(("ETag" = String, description = "`\"<version>\"`."))),
        (status = 409, description = "The instance is archived (`archived`), the move is not along the lifecycle (`invalid_transition`, listing the `allowed` targets), the slug is taken (`slug_taken`), or activation after its `endDate` (`cannot_activate`).", body = schemas::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` names no current version.", body = schemas::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    id: Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = instance_id(&id)?;
    let patch = InstancePatch::from_json(json_object(&req, &body, &[MERGE_PATCH_JSON, JSON])?)
        .map_err(invalid)?;
    let condition = if_match(&req)?;
    let instance = state
        .call(move |app| app.update_instance(&caller.0, &id, patch, condition.as_deref()))
        .await?;
    Ok(written_reply(StatusCode::OK, &instance, state.app.now())?.into_response())
}

/// Delete an instance without enrollments
#[utoipa::path(
    delete, path = "/programInstances/{id}", operation_id = "deleteInstance", tag = "programInstances",
    params(InstanceIdParam),
    responses(
        (status = 204, description = "Deleted."),
        (status = 409, description = "It has enrollments (`has_enrollments`): archive it instead.", body = schemas::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete(
    state: Data<HttpState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = instance_id(&id)?;
    state
        .call(move |app| app.delete_instance(&caller.0, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Validate)]
struct PageBounds {
    #[validate(range(min = 1, max = 100))]
    limit: Option<u32>,
    #[validate(length(min = 1, max = 200))]
    q: Option<String>,
}

const DEFAULT_LIMIT: u32 = 20;

pub(crate) fn statuses(text: &str) -> Result<Vec<Status>, domain::instance::UnknownStatus> {
    text.split(',').map(|s| s.trim().parse()).collect()
}

fn instance_cursor(fields: Vec<String>) -> Option<InstanceCursor> {
    let [micros, id] = fields.as_slice() else {
        return None;
    };
    Some(InstanceCursor {
        created_at: Timestamp::from_unix_micros(micros.parse().ok()?)?,
        id: InstanceId::parse(id).ok()?,
    })
}

fn list_request(query: &str) -> Result<ListRequest, ApiError> {
    let mut params = QueryParams::parse(query)?;
    let filter = InstanceFilter {
        program_id: params.parsed("programId", ProgramId::parse),
        statuses: params.parsed("status", statuses),
        slug: params
            .parsed("slug", Slug::parse)
            .map(|slug| slug.to_string()),
        name_contains: None,
        active_at: params.parsed("activeAt", Timestamp::parse),
        created_after: params.parsed("createdAfter", Timestamp::parse),
        created_before: params.parsed("createdBefore", Timestamp::parse),
        only_ids: None,
    };
    let after = params.cursor(instance_cursor);
    // A search text follows the rules of stored text (no NUL), or it could match nothing.
    let q = params
        .parsed("q", Description::parse)
        .map(|text| text.as_str().to_owned());
    let bounds = PageBounds {
        limit: params.number("limit"),
        q,
    };
    let bounds = params.finish(bounds)?;
    Ok(ListRequest {
        filter: InstanceFilter {
            name_contains: bounds.q,
            ..filter
        },
        after,
        limit: bounds.limit.unwrap_or(DEFAULT_LIMIT) as usize,
    })
}

/// The workspace's instances, newest first
#[utoipa::path(
    get, path = "/programInstances", operation_id = "listInstances", tag = "programInstances",
    params(schemas::InstanceFilters, schemas::PageQuery),
    responses((status = 200, description = "A page of instances.", body = views::InstancePage))
)]
pub async fn list(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let request = list_request(req.query_string())?;
    let page = state
        .call(move |app| app.list_instances(&caller.0, request))
        .await?;
    let now = state.app.now();
    let view = views::page(
        &page,
        |instance| views::instance(instance, now),
        |last| cursor::encode(&[&last.created_at.unix_micros().to_string(), last.id.as_str()]),
    );
    Ok(Reply::json(StatusCode::OK, &view)?.into_response())
}

#[derive(Debug, Validate)]
struct EventBounds {
    #[validate(range(min = 1, max = 100))]
    limit: Option<u32>,
}

/// An instance's history, oldest first
#[utoipa::path(
    get, path = "/programInstances/{id}/events", operation_id = "listInstanceEvents", tag = "programInstances",
    params(InstanceIdParam, schemas::PageQuery),
    responses((status = 200, description = "A page of the instance's history.", body = views::EventPage))
)]
pub async fn events(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = instance_id(&id)?;
    let mut params = QueryParams::parse(req.query_string())?;
    let after = params.cursor(super::events::cursor_position).unwrap_or(0);
    let bounds = EventBounds {
        limit: params.number("limit"),
    };
    let bounds = params.finish(bounds)?;
    let limit = bounds.limit.unwrap_or(DEFAULT_LIMIT) as usize;
    let page = {
        let id = id.clone();
        state
            .call(move |app| app.instance_history(&caller.0, &id, after, limit))
            .await?
    };
    let view = views::page(
        &page,
        |event| views::event(&id, event),
        |last| super::events::position_cursor(last.position),
    );
    Ok(Reply::json(StatusCode::OK, &view)?.into_response())
}

/// An instance's enrollment form as a JSON Schema
///
/// A JSON Schema (draft 2020-12) document of the `formData` an enrollment takes: one
/// property per field (type, `pattern`, `minLength`/`maxLength`, `minimum`/`maximum`,
/// `enum` for a select, an array of `enum` for a multiselect), the required ones, nothing
/// else. Any front end can render and check the form from it.
#[utoipa::path(
    get, path = "/programInstances/{id}/form", operation_id = "getInstanceForm", tag = "programInstances",
    params(InstanceIdParam),
    responses((status = 200, description = "The form as JSON Schema.", body = Object, content_type = "application/schema+json"))
)]
pub async fn form(
    state: Data<HttpState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = instance_id(&id)?;
    let schema = state
        .call(move |app| app.instance_form(&caller.0, &id))
        .await?;
    Ok(Reply::json(StatusCode::OK, &schema)?
        .with_header(
            actix_web::http::header::CONTENT_TYPE,
            "application/schema+json",
        )?
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `If-Match` (RFC 9110) as the document states it (in `update`'s annotation, which
    /// takes a literal only): empty, `*`, or a comma-separated list of entity tags.
    const IF_MATCH_PATTERN: &str =
        r#"^[ \t]*(\*|(W/)?"[!#-~]*"([ \t]*,[ \t]*(W/)?"[!#-~]*")*)?[ \t]*$"#;

    #[test]
    fn if_match_lists_are_read_as_rfc_9110_writes_them() {
        assert_eq!(
            entity_tags(r#" "3", W/"4" ,"a,b" "#),
            Some(vec![(false, "3"), (true, "4"), (false, "a,b")])
        );
        for malformed in [
            "",
            "3",
            "\"3",
            "null",
            "\"3\",",
            "W/3",
            "\"a\" \"b\"",
            "\"\u{7f}\"",
        ] {
            assert_eq!(entity_tags(malformed), None, "{malformed}");
        }
    }

    /// The pattern the document states accepts exactly what the parser does.
    #[test]
    fn the_documented_if_match_pattern_is_the_parser() {
        let document: serde_json::Value =
            serde_json::from_str(crate::api_doc::document_json()).unwrap();
        let parameters = document["paths"]["/programInstances/{id}"]["patch"]["parameters"]
            .as_array()
            .unwrap();
        let if_match = parameters.iter().find(|p| p["name"] == "If-Match").unwrap();
        assert_eq!(if_match["schema"]["pattern"], IF_MATCH_PATTERN);
        let pattern = regex_lite::Regex::new(IF_MATCH_PATTERN).unwrap();
        let pieces = [
            "\"", "W/", "3", ",", " ", "\t", "*", "a", "\u{7f}", "!", "#",
        ];
        let mut candidates = vec![String::new()];
        for _ in 0..5 {
            let longer: Vec<String> = candidates
                .iter()
                .flat_map(|text| pieces.iter().map(move |piece| format!("{text}{piece}")))
                .collect();
            candidates.extend(longer);
            candidates.sort();
            candidates.dedup();
        }
        for candidate in candidates {
            let documented = pattern.is_match(&candidate);
            let parsed = matches!(candidate.trim_matches([' ', '\t']), "*" | "")
                || entity_tags(&candidate).is_some();
            assert_eq!(documented, parsed, "{candidate:?}");
        }
    }

    fn parameters(error: ApiError) -> Vec<(String, &'static str)> {
        match error {
            ApiError::InvalidQuery(violations) => violations
                .into_iter()
                .map(|v| (v.pointer, v.code))
                .collect(),
            other => panic!("expected an invalid query, got {other:?}"),
        }
    }

    #[test]
    fn list_parameters_are_parsed() {
        let request =
            list_request("status=active,inactive&limit=5&q=nyc&activeAt=2023-06-01T00:00:00Z")
                .unwrap();
        assert_eq!(request.limit, 5);
        assert_eq!(
            request.filter.statuses,
            Some(vec![Status::Active, Status::Inactive])
        );
        assert_eq!(request.filter.name_contains.as_deref(), Some("nyc"));
        assert!(request.filter.active_at.is_some());
        assert_eq!(list_request("").unwrap().limit, 20);
    }

    #[test]
    fn bad_parameters_are_named() {
        let found = parameters(
            list_request("limit=0&status=paused&colour=red&cursor=abc&limit=2").unwrap_err(),
        );
        assert_eq!(
            found,
            [
                ("/status".to_owned(), "invalid_value"),
                ("/cursor".to_owned(), "invalid_cursor"),
                ("/limit".to_owned(), "duplicate_parameter"),
                ("/colour".to_owned(), "unknown_parameter"),
            ]
        );
        assert_eq!(
            parameters(list_request("limit=101").unwrap_err()),
            [("/limit".to_owned(), "out_of_range")]
        );
        assert_eq!(
            parameters(list_request("limit=ten").unwrap_err()),
            [("/limit".to_owned(), "invalid_type")]
        );
    }
}
