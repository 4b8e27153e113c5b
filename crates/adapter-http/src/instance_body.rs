//! The request bodies of program instances and their translation into domain values.

use domain::{
    CustomTerms, Description, EligibilityCriteria, FormConfig, InstanceDraft, InstancePatch,
    LogoUrl, Metadata, Name, Slug, Status, Timestamp,
};
use serde_json::{Map, Value};

use crate::body::{Member, Members};

use crate::problem::ApiError;

const WRITABLE: [&str; 11] = [
    "name",
    "description",
    "slug",
    "logoUrl",
    "eligibilityCriteria",
    "customTerms",
    "formConfig",
    "startDate",
    "endDate",
    "status",
    "metadata",
];
const READ_ONLY: [&str; 7] = [
    "id",
    "programId",
    "workspaceId",
    "version",
    "acceptingEnrollments",
    "createdAt",
    "updatedAt",
];

fn status(text: &str) -> Result<Status, domain::instance::UnknownStatus> {
    text.parse()
}

/// The body of `POST /programs/{programSlug}/instances`.
pub fn draft_from(members: Map<String, Value>) -> Result<InstanceDraft, ApiError> {
    let mut read = Members::new(members, &WRITABLE, &READ_ONLY);
    let name = read.text("name", Name::parse);
    let draft = InstanceDraft {
        name: read.required("name", name),
        slug: read.text("slug", Slug::parse).into_option(),
        description: read.text("description", Description::parse).into_option(),
        logo_url: read.text("logoUrl", LogoUrl::parse).into_option(),
        eligibility_criteria: read
            .document("eligibilityCriteria", EligibilityCriteria::from_json)
            .into_option(),
        custom_terms: read.text("customTerms", CustomTerms::parse).into_option(),
        form_config: read
            .document("formConfig", FormConfig::from_json)
            .into_option(),
        start_date: read.text("startDate", Timestamp::parse).into_option(),
        end_date: read.text("endDate", Timestamp::parse).into_option(),
        status: read.text("status", status).into_option(),
        metadata: read.document("metadata", Metadata::from_json).into_option(),
    };
    read.finish(draft)
}

/// The body of `PATCH /programInstances/{id}` (JSON Merge Patch).
pub fn patch_from(members: Map<String, Value>) -> Result<InstancePatch, ApiError> {
    let mut read = Members::new(members, &WRITABLE, &READ_ONLY);
    let name = read.text("name", Name::parse);
    let slug = read.text("slug", Slug::parse);
    let status_member = read.text("status", status);
    let patch = InstancePatch {
        name: read.non_null("name", name),
        slug: read.non_null("slug", slug),
        status: read.non_null("status", status_member),
        description: read.text("description", Description::parse).into_patch(),
        logo_url: read.text("logoUrl", LogoUrl::parse).into_patch(),
        custom_terms: read.text("customTerms", CustomTerms::parse).into_patch(),
        start_date: read.text("startDate", Timestamp::parse).into_patch(),
        end_date: read.text("endDate", Timestamp::parse).into_patch(),
        eligibility_criteria: merge_document(read.raw("eligibilityCriteria")),
        form_config: merge_document(read.raw("formConfig")),
        metadata: merge_document(read.raw("metadata")),
    };
    read.finish(patch)
}

/// A merge document for an object field: `null` clears it, anything else is merged and
/// then validated by the domain.
fn merge_document(member: Member<Value>) -> Option<Value> {
    match member {
        Member::Absent | Member::Invalid => None,
        Member::Null => Some(Value::Null),
        Member::Present(value) => Some(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use application::AppError;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    fn violations(error: ApiError) -> Vec<(String, &'static str)> {
        match error {
            ApiError::App(AppError::Invalid(violations)) => violations
                .into_iter()
                .map(|v| (v.pointer, v.code))
                .collect(),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn the_documented_creation_body_is_accepted() {
        let body = json!({
            "name": "NYC Battery Rebate Program 2023",
            "description": "Battery rebate program for NYC residents",
            "slug": "battery-rebate-nyc-2023",
            "logoUrl": "https://example.com/logos/nyc-rebate.png",
            "eligibilityCriteria": { "regions": ["NY"], "deviceTypes": ["battery"], "minimumCapacity": 5.0 },
            "customTerms": "Participants must be NYC residents with proof of purchase...",
            "startDate": "2023-01-01T00:00:00Z",
            "endDate": "2023-12-31T23:59:59Z"
        });
        let draft = draft_from(object(body)).unwrap();
        assert_eq!(draft.slug.unwrap().as_str(), "battery-rebate-nyc-2023");
    }

    #[test]
    fn typos_and_read_only_fields_are_named() {
        let error =
            draft_from(object(json!({"name": "x", "nmae": "y", "version": 3}))).unwrap_err();
        assert_eq!(
            violations(error),
            [
                ("/nmae".to_owned(), "unknown_field"),
                ("/version".to_owned(), "read_only")
            ]
        );
        let error = draft_from(object(json!({"name": "x", "programSlug": "y"}))).unwrap_err();
        assert_eq!(
            violations(error),
            [("/programSlug".to_owned(), "unknown_field")]
        );
    }

    #[test]
    fn every_bad_member_is_reported_at_once() {
        let body = json!({"name": "", "slug": "Bad Slug", "logoUrl": "ftp://x", "startDate": "soon",
            "eligibilityCriteria": {"regions": []}, "status": "paused"});
        let found = violations(draft_from(object(body)).unwrap_err());
        let pointers: Vec<_> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/name",
                "/slug",
                "/logoUrl",
                "/eligibilityCriteria/regions",
                "/startDate",
                "/status"
            ]
        );
    }

    #[test]
    fn null_on_a_required_field_is_refused_in_a_patch() {
        let found =
            violations(patch_from(object(json!({"name": null, "status": null}))).unwrap_err());
        assert_eq!(
            found,
            [
                ("/name".to_owned(), "required"),
                ("/status".to_owned(), "required")
            ]
        );
    }

    #[test]
    fn null_clears_optional_fields_in_a_patch() {
        let patch = patch_from(object(
            json!({"description": null, "metadata": null, "endDate": null}),
        ))
        .unwrap();
        assert_eq!(patch.description, Some(None));
        assert_eq!(patch.end_date, Some(None));
        assert_eq!(patch.metadata, Some(Value::Null));
        assert_eq!(patch.name, None);
    }
}
