//! The JSON forms of a draft and of a merge patch, as an API receives them: every member
//! read through [`Members`], so every field, cross-field and `null` rule is reported in one
//! pass.

use serde_json::{Map, Value};

use super::{
    CustomTerms, Description, InstanceDraft, InstancePatch, LogoUrl, Metadata, Name, Seasons, Slug,
    Status, Zone,
};
use crate::eligibility::EligibilityCriteria;
use crate::form::FormConfig;
use crate::strict_json::{Member, Members, document, text};
use crate::timestamp::Timestamp;
use crate::violation::Violations;

/// The members a client may write.
pub const WRITABLE_FIELDS: [&str; 13] = [
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
    "timeZone",
    "seasons",
];

/// The members the server decides; naming one in a body is a violation, not a no-op.
pub const READ_ONLY_FIELDS: [&str; 10] = [
    "id",
    "programId",
    "workspaceId",
    "revision",
    "copiedFrom",
    "version",
    "acceptingEnrollments",
    "nextChangeAt",
    "createdAt",
    "updatedAt",
];

fn status(text: &str) -> Result<Status, super::UnknownStatus> {
    text.parse()
}

impl InstanceDraft {
    /// Reads a creation body: `name` is required; every other member is optional, `null`
    /// meaning absent. Pointers are relative to the body.
    pub fn from_json(members: Map<String, Value>) -> Result<Self, Violations> {
        let mut read = Members::new(members, "", &WRITABLE_FIELDS, &READ_ONLY_FIELDS);
        let name = read.read("name", text(Name::parse));
        let draft = InstanceDraft {
            name: read.required("name", name),
            slug: read.read("slug", text(Slug::parse)).optional(),
            description: read
                .read("description", text(Description::parse))
                .optional(),
            logo_url: read.read("logoUrl", text(LogoUrl::parse)).optional(),
            eligibility_criteria: read
                .read(
                    "eligibilityCriteria",
                    document(EligibilityCriteria::from_json),
                )
                .optional(),
            custom_terms: read
                .read("customTerms", text(CustomTerms::parse))
                .optional(),
            form_config: read
                .read("formConfig", document(FormConfig::from_json))
                .optional(),
            start_date: read.read("startDate", text(Timestamp::parse)).optional(),
            end_date: read.read("endDate", text(Timestamp::parse)).optional(),
            status: read.read("status", text(status)).optional(),
            metadata: read
                .read("metadata", document(Metadata::from_json))
                .optional(),
            time_zone: read.read("timeZone", text(Zone::parse)).optional(),
            seasons: read
                .read("seasons", document(Seasons::from_json))
                .optional(),
        };
        for violation in draft.cross_field_violations() {
            read.violate(violation);
        }
        read.finish(draft)
    }
}

/// An object-valued member of a merge patch: `null` clears it; anything else is merged into
/// the current value, and the result validated then. What the patch sets is checked here
/// already, by `check`, since it must be valid whatever it is merged into.
fn merge_document(
    read: &mut Members,
    key: &str,
    check: fn(Value) -> Result<(), Violations>,
) -> Option<Value> {
    let member = read.read(key, |value, pointer, violations| {
        match check(value.clone()) {
            Ok(()) => Some(value),
            Err(found) => {
                violations.extend(found.nested_in(pointer));
                None
            }
        }
    });
    match member {
        Member::Absent | Member::Invalid => None,
        Member::Null => Some(Value::Null),
        Member::Present(value) => Some(value),
    }
}

/// The members a merge document sets: its `null` members remove, so they are not checked.
fn set_members(value: Value) -> Value {
    match value {
        Value::Object(members) => {
            Value::Object(members.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
}

fn check_criteria(patch: Value) -> Result<(), Violations> {
    EligibilityCriteria::from_json(set_members(patch)).map(drop)
}

/// `fields` replaces the whole list when given (and cannot be removed); other members are
/// unknown.
fn check_form(patch: Value) -> Result<(), Violations> {
    let patch = match patch {
        Value::Object(mut members) => {
            members
                .entry("fields")
                .or_insert_with(|| Value::Array(Vec::new()));
            Value::Object(members)
        }
        other => other,
    };
    FormConfig::from_json(patch).map(drop)
}

fn check_metadata(patch: Value) -> Result<(), Violations> {
    Metadata::from_json(set_members(patch)).map(drop)
}

impl InstancePatch {
    /// Reads a JSON Merge Patch (RFC 7396): an absent member is unchanged, `null` clears an
    /// optional member and is a violation on `name`, `slug` and `status`.
    pub fn from_json(members: Map<String, Value>) -> Result<Self, Violations> {
        let mut read = Members::new(members, "", &WRITABLE_FIELDS, &READ_ONLY_FIELDS);
        let name = read.read("name", text(Name::parse));
        let slug = read.read("slug", text(Slug::parse));
        let status = read.read("status", text(status));
        let time_zone = read.read("timeZone", text(Zone::parse));
        let patch = InstancePatch {
            name: read.non_null("name", name),
            slug: read.non_null("slug", slug),
            status: read.non_null("status", status),
            time_zone: read.non_null("timeZone", time_zone),
            seasons: read
                .read("seasons", document(Seasons::from_json))
                .clearable(),
            description: read
                .read("description", text(Description::parse))
                .clearable(),
            logo_url: read.read("logoUrl", text(LogoUrl::parse)).clearable(),
            custom_terms: read
                .read("customTerms", text(CustomTerms::parse))
                .clearable(),
            start_date: read.read("startDate", text(Timestamp::parse)).clearable(),
            end_date: read.read("endDate", text(Timestamp::parse)).clearable(),
            eligibility_criteria: merge_document(&mut read, "eligibilityCriteria", check_criteria),
            form_config: merge_document(&mut read, "formConfig", check_form),
            metadata: merge_document(&mut read, "metadata", check_metadata),
        };
        if let (Some(Some(start)), Some(Some(end))) = (patch.start_date, patch.end_date)
            && let Err(violation) = super::checked_schedule(Some(start), Some(end))
        {
            read.violate(violation);
        }
        read.finish(patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    fn codes(found: Violations) -> Vec<(String, &'static str)> {
        found.into_iter().map(|v| (v.pointer, v.code)).collect()
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
        let draft = InstanceDraft::from_json(object(body)).unwrap();
        assert_eq!(draft.slug.unwrap().as_str(), "battery-rebate-nyc-2023");
    }

    #[test]
    fn typos_and_read_only_fields_are_named() {
        let found =
            InstanceDraft::from_json(object(json!({"name": "x", "nmae": "y", "version": 3})));
        assert_eq!(
            codes(found.unwrap_err()),
            [
                ("/nmae".to_owned(), "unknown_field"),
                ("/version".to_owned(), "read_only")
            ]
        );
    }

    #[test]
    fn every_bad_member_is_reported_at_once_with_the_cross_field_rules() {
        let body = json!({"name": "", "slug": "Bad Slug", "logoUrl": "ftp://x",
            "startDate": "2024-01-02T00:00:00Z", "endDate": "2024-01-01T00:00:00Z",
            "eligibilityCriteria": {"regions": []}, "status": "archived"});
        let found = codes(InstanceDraft::from_json(object(body)).unwrap_err());
        assert_eq!(
            found,
            [
                ("/name".to_owned(), "blank"),
                ("/slug".to_owned(), "invalid_slug"),
                ("/logoUrl".to_owned(), "invalid_url"),
                ("/eligibilityCriteria/regions".to_owned(), "empty"),
                ("/endDate".to_owned(), "before_start"),
                ("/status".to_owned(), "invalid_initial_status"),
            ]
        );
    }

    #[test]
    fn null_is_absent_at_creation_except_for_the_name() {
        let draft = InstanceDraft::from_json(object(
            json!({"name": "x", "slug": null, "status": null, "metadata": null}),
        ))
        .unwrap();
        assert_eq!(
            (draft.slug, draft.status, draft.metadata),
            (None, None, None)
        );
        let found = InstanceDraft::from_json(object(json!({"name": null})));
        assert_eq!(
            codes(found.unwrap_err()),
            [("/name".to_owned(), "required")]
        );
    }

    #[test]
    fn null_on_a_required_field_is_refused_in_a_patch() {
        let found = InstancePatch::from_json(object(json!({"name": null, "status": null})));
        assert_eq!(
            codes(found.unwrap_err()),
            [
                ("/name".to_owned(), "required"),
                ("/status".to_owned(), "required")
            ]
        );
    }

    #[test]
    fn null_clears_optional_fields_in_a_patch() {
        let patch = InstancePatch::from_json(object(
            json!({"description": null, "metadata": null, "endDate": null}),
        ))
        .unwrap();
        assert_eq!(patch.description, Some(None));
        assert_eq!(patch.end_date, Some(None));
        assert_eq!(patch.metadata, Some(Value::Null));
        assert_eq!(patch.name, None);
    }

    #[test]
    fn what_a_merge_document_sets_is_checked_before_merging() {
        let found = InstancePatch::from_json(object(json!({
            "eligibilityCriteria": {"regions": [], "utilities": null},
            "formConfig": {"fields": null},
            "metadata": "x",
        })));
        assert_eq!(
            codes(found.unwrap_err()),
            [
                ("/eligibilityCriteria/regions".to_owned(), "empty"),
                ("/formConfig/fields".to_owned(), "required"),
                ("/metadata".to_owned(), "invalid_type"),
            ]
        );
        let patch = InstancePatch::from_json(object(json!({
            "eligibilityCriteria": {"minimumCapacity": 3, "regions": null},
            "formConfig": {},
            "metadata": {"a": null},
        })))
        .unwrap();
        assert_eq!(patch.form_config, Some(json!({})));
    }

    #[test]
    fn a_patch_with_both_dates_out_of_order_is_refused_with_its_other_errors() {
        let found = InstancePatch::from_json(object(json!({"slug": "Bad",
            "startDate": "2024-01-02T00:00:00Z", "endDate": "2024-01-01T00:00:00Z"})));
        assert_eq!(
            codes(found.unwrap_err()),
            [
                ("/slug".to_owned(), "invalid_slug"),
                ("/endDate".to_owned(), "before_start")
            ]
        );
    }
}
