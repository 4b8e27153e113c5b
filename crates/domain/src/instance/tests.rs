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
fn only_what_customers_see_or_are_judged_by_makes_a_new_revision() {
    let instance = create(draft()).unwrap();
    assert_eq!(instance.revision(), 1);
    let unseen = InstancePatch {
        slug: Some(Slug::parse("renamed-slug").unwrap()),
        end_date: Some(Some(at("2024-06-30T00:00:00Z"))),
        status: Some(Status::Inactive),
        metadata: Some(json!({"crm": "x"})),
        time_zone: Some(Zone::parse("America/New_York").unwrap()),
        ..InstancePatch::default()
    };
    let moved = instance.apply(unseen, at(NOW)).unwrap().instance;
    assert_eq!((moved.version(), moved.revision()), (2, 1));
    let reworded = InstancePatch {
        custom_terms: Some(Some(CustomTerms::parse("New terms").unwrap())),
        form_config: Some(json!({"fields": [{"key": "meter", "label": "Meter", "type": "text"}]})),
        ..InstancePatch::default()
    };
    let redesigned = moved.apply(reworded, at(NOW)).unwrap().instance;
    assert_eq!((redesigned.version(), redesigned.revision()), (3, 2));
}

#[test]
fn a_copy_takes_every_writable_field_but_what_it_sets_and_starts_inactive() {
    let source = create(InstanceDraft {
        time_zone: Some(Zone::parse("America/New_York").unwrap()),
        seasons: Some(Seasons::from_json(json!([{"opens": "05-01", "closes": "09-30"}])).unwrap()),
        ..draft()
    })
    .unwrap();
    let source = source
        .apply(
            InstancePatch {
                status: Some(Status::Archived),
                custom_terms: Some(Some(CustomTerms::parse("Terms").unwrap())),
                ..InstancePatch::default()
            },
            at(NOW),
        )
        .unwrap()
        .instance;
    let id = InstanceId::parse("cllgn0u4r000008l7eazybfbz").unwrap();
    let changes = json!({"slug": "battery-rebate-nyc-2024", "endDate": null, "name": "NYC 2024"});
    let (copy, event) = source
        .copy(id.clone(), changes.as_object().unwrap().clone(), at(NOW))
        .unwrap();
    assert_eq!(event, InstanceEvent::Created);
    assert_eq!(copy.id(), &id);
    assert_eq!(copy.copied_from(), Some(source.id()));
    assert_eq!(copy.program_id(), source.program_id());
    assert_eq!(copy.status(), Status::Inactive);
    assert_eq!((copy.version(), copy.revision()), (1, 1));
    assert_eq!(copy.name().as_str(), "NYC 2024");
    assert_eq!(copy.slug().as_str(), "battery-rebate-nyc-2024");
    assert_eq!(copy.schedule().end(), None, "null clears");
    assert_eq!(copy.schedule().start(), source.schedule().start());
    assert_eq!(copy.eligibility_criteria(), source.eligibility_criteria());
    assert_eq!(copy.custom_terms(), source.custom_terms());
    assert_eq!(copy.time_zone(), source.time_zone());
    assert_eq!(copy.seasons(), source.seasons());
    assert_eq!(copy.created_at(), at(NOW));
}

#[test]
fn a_copy_needs_its_own_slug_and_follows_the_creation_rules() {
    let source = create(draft()).unwrap();
    let id = InstanceId::parse("cllgn0u4r000008l7eazybfbz").unwrap();
    let refused = |changes: Value| {
        let found = source
            .copy(id.clone(), changes.as_object().unwrap().clone(), at(NOW))
            .unwrap_err();
        let mut pointers: Vec<(String, &'static str)> = found
            .iter()
            .map(|violation| (violation.pointer.clone(), violation.code))
            .collect();
        pointers.sort();
        pointers
    };
    assert_eq!(refused(json!({})), [("/slug".to_owned(), "required")]);
    assert_eq!(
        refused(json!({"slug": null, "status": null, "timeZone": null, "name": null})),
        [
            ("/name".to_owned(), "required"),
            ("/slug".to_owned(), "required"),
            ("/status".to_owned(), "required"),
            ("/timeZone".to_owned(), "required")
        ]
    );
    assert_eq!(
        refused(json!({"slug": "ok-slug", "status": "archived", "version": 3})),
        [
            ("/status".to_owned(), "invalid_initial_status"),
            ("/version".to_owned(), "read_only")
        ]
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
