use super::*;
use proptest::prelude::*;
use serde_json::json;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn draft() -> InstanceDraft {
    InstanceDraft {
        name: Some(Name::parse("NYC Battery Rebate Program 2023").unwrap()),
        slug: Some(Slug::parse("battery-rebate-nyc-2023").unwrap()),
        eligibility_criteria: Some(
            EligibilityCriteria::from_json(
                json!({"regions": ["NY"], "deviceTypes": ["battery"], "minimumCapacity": 5.0}),
            )
            .unwrap(),
        ),
        start_date: Some(at("2023-01-01T00:00:00Z")),
        end_date: Some(at("2023-12-31T23:59:59Z")),
        ..InstanceDraft::default()
    }
}

fn create(draft: InstanceDraft) -> Result<ProgramInstance, Violations> {
    ProgramInstance::create(
        InstanceId::parse("cllgn0u4r000008l7eazybfbo").unwrap(),
        ProgramId::parse("prog_battery_rebate").unwrap(),
        WorkspaceId::parse("ws_123456").unwrap(),
        draft,
        at("2022-12-15T10:30:00Z"),
    )
    .map(|(instance, _)| instance)
}

const NOW: &str = "2026-06-01T00:00:00Z";

#[test]
fn creation_starts_active_at_version_one_even_with_past_dates() {
    let instance = create(draft()).unwrap();
    assert_eq!(instance.status(), Status::Active);
    assert_eq!(instance.version(), 1);
    assert_eq!(instance.created_at(), instance.updated_at());
    assert!(!instance.accepting_enrollments(at(NOW)));
    assert!(instance.accepting_enrollments(at("2023-06-01T00:00:00Z")));
}

#[test]
fn creation_derives_the_slug_and_reports_every_problem() {
    let derived = create(InstanceDraft {
        slug: None,
        ..draft()
    })
    .unwrap();
    assert_eq!(derived.slug().as_str(), "nyc-battery-rebate-program-2023");

    let broken = InstanceDraft {
        name: None,
        slug: None,
        start_date: Some(at("2024-01-01T00:00:00Z")),
        end_date: Some(at("2023-01-01T00:00:00Z")),
        status: Some(Status::Archived),
        ..InstanceDraft::default()
    };
    let pointers: Vec<_> = create(broken)
        .unwrap_err()
        .into_iter()
        .map(|v| (v.pointer, v.code))
        .collect();
    assert_eq!(
        pointers,
        [
            ("/endDate".to_owned(), "before_start"),
            ("/status".to_owned(), "invalid_initial_status"),
            ("/name".to_owned(), "required"),
        ]
    );
}

#[test]
fn an_empty_patch_changes_nothing() {
    let instance = create(draft()).unwrap();
    let outcome = instance.apply(InstancePatch::default(), at(NOW)).unwrap();
    assert!(!outcome.changed());
    assert_eq!(outcome.instance, instance);
}

#[test]
fn setting_the_same_values_changes_nothing() {
    let instance = create(draft()).unwrap();
    let patch = InstancePatch {
        name: Some(instance.name().clone()),
        status: Some(Status::Active),
        eligibility_criteria: Some(json!({"regions": ["NY"]})),
        ..InstancePatch::default()
    };
    let outcome = instance.apply(patch, at(NOW)).unwrap();
    assert!(!outcome.changed());
    assert_eq!(outcome.instance.version(), 1);
}

#[test]
fn field_changes_bump_the_version_and_record_before_and_after() {
    let instance = create(draft()).unwrap();
    let patch = InstancePatch {
        description: Some(Some(Description::parse("For NYC").unwrap())),
        ..InstancePatch::default()
    };
    let outcome = instance.apply(patch, at(NOW)).unwrap();
    assert_eq!(outcome.instance.version(), 2);
    assert_eq!(outcome.instance.updated_at(), at(NOW));
    assert_eq!(
        outcome.events,
        [InstanceEvent::Updated {
            changes: vec![FieldChange {
                field: "description",
                before: Value::Null,
                after: json!("For NYC")
            }]
        }]
    );
}

#[test]
fn a_status_only_patch_gives_one_status_event() {
    let instance = create(draft()).unwrap();
    let patch = InstancePatch {
        status: Some(Status::Inactive),
        ..InstancePatch::default()
    };
    let outcome = instance.apply(patch, at(NOW)).unwrap();
    assert_eq!(
        outcome.events,
        [InstanceEvent::StatusChanged {
            from: Status::Active,
            to: Status::Inactive
        }]
    );
    assert_eq!(outcome.instance.status(), Status::Inactive);
}

#[test]
fn null_clears_optional_fields_and_nested_merges_follow_rfc_7396() {
    let instance = create(draft()).unwrap();
    let patch = InstancePatch {
        start_date: Some(None),
        eligibility_criteria: Some(json!({"regions": null, "utilities": ["coned"]})),
        ..InstancePatch::default()
    };
    let outcome = instance.apply(patch, at(NOW)).unwrap();
    assert_eq!(outcome.instance.schedule().start(), None);
    assert_eq!(
        outcome
            .instance
            .eligibility_criteria()
            .map(EligibilityCriteria::to_json),
        Some(json!({"deviceTypes": ["battery"], "minimumCapacity": 5.0, "utilities": ["coned"]}))
    );
    let cleared = outcome
        .instance
        .apply(
            InstancePatch {
                eligibility_criteria: Some(Value::Null),
                ..InstancePatch::default()
            },
            at(NOW),
        )
        .unwrap();
    assert_eq!(cleared.instance.eligibility_criteria(), None);
}

#[test]
fn merged_documents_are_validated_at_their_pointer() {
    let instance = create(draft()).unwrap();
    let patch = InstancePatch {
        eligibility_criteria: Some(json!({"maximumCapacity": 1.0})),
        metadata: Some(json!({ "k".repeat(41): 1 })),
        ..InstancePatch::default()
    };
    let PatchError::Invalid(violations) = instance.apply(patch, at(NOW)).unwrap_err() else {
        panic!("expected 422")
    };
    let pointers: Vec<_> = violations.into_iter().map(|v| v.pointer).collect();
    assert_eq!(
        pointers,
        [
            "/eligibilityCriteria/maximumCapacity".to_owned(),
            format!("/metadata/{}", "k".repeat(41))
        ]
    );
}

#[test]
fn schedule_is_checked_after_the_merge() {
    let instance = create(draft()).unwrap();
    let patch = InstancePatch {
        start_date: Some(Some(at("2024-01-01T00:00:00Z"))),
        ..InstancePatch::default()
    };
    let PatchError::Invalid(violations) = instance.apply(patch, at(NOW)).unwrap_err() else {
        panic!("expected 422")
    };
    assert_eq!(
        violations.iter().next().map(|v| v.code),
        Some("before_start")
    );
}

#[test]
fn activation_uses_the_patched_end_date() {
    let inactive = create(InstanceDraft {
        status: Some(Status::Inactive),
        ..draft()
    })
    .unwrap();
    let activate = InstancePatch {
        status: Some(Status::Active),
        ..InstancePatch::default()
    };
    assert!(matches!(
        inactive.apply(activate.clone(), at(NOW)),
        Err(PatchError::Lifecycle(LifecycleError::CannotActivate { .. }))
    ));
    let extended = InstancePatch {
        end_date: Some(Some(at("2027-01-01T00:00:00Z"))),
        ..activate
    };
    let outcome = inactive.apply(extended, at(NOW)).unwrap();
    assert_eq!(outcome.instance.status(), Status::Active);
    assert_eq!(outcome.events.len(), 2);
    assert_eq!(outcome.instance.version(), 2);
}

#[test]
fn archived_instances_refuse_every_patch() {
    let instance = create(draft()).unwrap();
    let archived = instance
        .apply(
            InstancePatch {
                status: Some(Status::Archived),
                ..InstancePatch::default()
            },
            at(NOW),
        )
        .unwrap()
        .instance;
    assert_eq!(
        archived.apply(InstancePatch::default(), at(NOW)),
        Err(PatchError::Lifecycle(LifecycleError::Archived))
    );
}

proptest! {
    #[test]
    fn version_grows_by_one_exactly_when_something_changed(
        description in proptest::option::of("[a-z]{0,5}"),
        status in prop_oneof![Just(None), Just(Some(Status::Active)), Just(Some(Status::Inactive))],
    ) {
        let instance = create(draft()).unwrap();
        let patch = InstancePatch {
            description: description.map(|d| Some(Description::parse(&d).unwrap())),
            status,
            ..InstancePatch::default()
        };
        let outcome = instance.apply(patch, at(NOW)).unwrap();
        let expected = if outcome.changed() { 2 } else { 1 };
        prop_assert_eq!(outcome.instance.version(), expected);
        prop_assert_eq!(outcome.changed(), outcome.instance != instance);
    }
}
