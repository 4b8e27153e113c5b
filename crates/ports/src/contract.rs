//! The storage contract, written once. Every storage adapter runs each case on a fresh,
//! migrated, empty store (see `storage_contract_tests!`): a behaviour that differs between
//! adapters is a failing test.

// Test code: a failed expectation is meant to stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};

use domain::{
    ApiKey, ApiKeyId, EligibilityCriteria, EventId, EventType, FormConfig, Grant, InstanceDraft,
    InstanceId, InstancePatch, Metadata, Name, Program, ProgramId, ProgramInstance, Scope,
    ScopeSet, Slug, Status, Timestamp, Visibility, Workspace, WorkspaceId,
};
use serde_json::json;
use time::Duration;

use crate::{
    EnrollmentCursor, EnrollmentStore, Event, EventFilter, EventLog, IdempotencyRecord,
    IdempotencyStore, IdempotentAnswer, InstanceCursor, InstanceFilter, InstanceSnapshot,
    InstanceStore, KeyCredentials, KeyStore, LoggedEvent, ProgramCatalog, ReportStore, SecretHash,
    StoreError, StoredResponse, WebhookStore, WorkspaceDirectory,
};

mod reports;
mod webhooks;
pub use reports::*;
pub use webhooks::*;

/// Everything a storage adapter implements.
pub trait Storage:
    InstanceStore
    + EnrollmentStore
    + ProgramCatalog
    + WorkspaceDirectory
    + KeyStore
    + IdempotencyStore
    + EventLog
    + WebhookStore
    + ReportStore
{
}
impl<T> Storage for T where
    T: InstanceStore
        + EnrollmentStore
        + ProgramCatalog
        + WorkspaceDirectory
        + KeyStore
        + IdempotencyStore
        + EventLog
        + WebhookStore
        + ReportStore
{
}

/// One `#[test]` per contract case. `$fresh` is a function returning something that
/// dereferences to a fresh, migrated, empty store (and cleans it up when dropped).
#[macro_export]
macro_rules! storage_contract_tests {
    ($fresh:path) => {
        $crate::storage_contract_tests!(@cases $fresh, [
            instances_round_trip_every_field,
            the_active_at_filter_follows_seasons_in_each_zone,
            a_create_logs_its_events_in_order,
            flips_due_are_found_across_workspaces_and_moved_on_under_a_lock,
            slugs_are_unique_per_workspace,
            instances_of_invisible_programs_are_not_stored,
            changes_through_a_lock_are_saved_with_their_events,
            a_dropped_lock_writes_nothing,
            concurrent_changes_under_locks_are_never_lost,
            missing_instances_cannot_be_locked_or_deleted,
            a_taken_slug_cannot_be_updated_into,
            deletes_remove_instances_and_are_logged,
            workspaces_are_isolated,
            lists_are_newest_first_in_keyset_pages,
            list_filters_match_alike,
            events_are_appended_in_order,
            logged_events_read_back_as_written_and_filter,
            a_poller_sees_every_event_once_in_commit_order,
            catalog_visibility_follows_sharing,
            catalog_refuses_duplicates_and_unknown_workspaces,
            the_whole_catalog_is_listed_and_shares_replaced,
            workspaces_are_unique,
            keys_are_found_revoked_and_listed,
            key_use_is_recorded_at_most_once_a_minute,
            answers_are_kept_with_their_change_or_not_at_all,
            answers_expire_and_are_replaced,
            enrollments_round_trip_and_list_newest_first,
            enrollments_change_under_a_lock,
            enrollments_are_counted_by_status,
            an_instance_with_enrollments_cannot_be_deleted,
            enrollments_need_their_instance_and_stay_in_their_workspace,
            webhook_endpoints_round_trip_within_their_limit,
            events_are_dispatched_once_and_claimed_once,
            claims_share_between_endpoints,
            attempts_are_recorded_and_failing_endpoints_disabled,
            participation_matches_a_recount,
        ]);
    };
    (@cases $fresh:path, [$($case:ident),* $(,)?]) => {
        $(
            #[test]
            fn $case() {
                let store = $fresh();
                $crate::contract::$case(&*store);
            }
        )*
    };
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn workspace(store: &dyn Storage, id: &str) -> WorkspaceId {
    let id = WorkspaceId::parse(id).unwrap();
    let workspace = Workspace {
        id: id.clone(),
        name: Name::parse(&format!("Workspace {id}")).unwrap(),
        created_at: at("2026-01-01T00:00:00Z"),
    };
    WorkspaceDirectory::insert(store, &workspace).unwrap();
    id
}

fn program(store: &dyn Storage, slug: &str, visibility: Visibility) -> Program {
    let program = Program {
        id: ProgramId::parse(&format!("prog_{}", slug.replace('-', "_"))).unwrap(),
        slug: Slug::parse(slug).unwrap(),
        name: Name::parse(&format!("Program {slug}")).unwrap(),
        description: None,
        visibility,
        created_at: at("2026-01-01T00:00:00Z"),
    };
    ProgramCatalog::insert(store, &program).unwrap();
    program
}

/// Instance ids that sort in the order of `n`.
fn instance_id(n: u32) -> InstanceId {
    InstanceId::parse(&format!("c{n:024}")).unwrap()
}

fn instance_with(
    ws: &WorkspaceId,
    program: &Program,
    n: u32,
    draft: InstanceDraft,
    created: Timestamp,
) -> ProgramInstance {
    ProgramInstance::create(
        instance_id(n),
        program.id.clone(),
        ws.clone(),
        draft,
        created,
    )
    .unwrap()
    .0
}

fn named(name: &str) -> InstanceDraft {
    InstanceDraft {
        name: Some(Name::parse(name).unwrap()),
        ..InstanceDraft::default()
    }
}

static EVENTS: AtomicU64 = AtomicU64::new(1);

/// An event with a fresh id, carrying `data`.
fn event_with(
    ws: &WorkspaceId,
    kind: EventType,
    instance: Option<&InstanceId>,
    when: Timestamp,
    data: serde_json::Value,
) -> Event {
    let n = EVENTS.fetch_add(1, Ordering::Relaxed);
    Event {
        id: EventId::parse(&format!("evt_c{n:024}")).unwrap(),
        kind,
        workspace_id: ws.clone(),
        instance_id: instance.cloned(),
        actor: None,
        created_at: when,
        data: serde_json::value::to_raw_value(&data).unwrap(),
    }
}

fn event_of(instance: &ProgramInstance, kind: EventType, when: Timestamp) -> Event {
    event_with(
        instance.workspace_id(),
        kind,
        Some(instance.id()),
        when,
        json!({ "object": { "id": instance.id().as_str(), "version": instance.version() } }),
    )
}

fn created(instance: &ProgramInstance) -> Event {
    event_of(instance, EventType::InstanceCreated, instance.created_at())
}

/// The instance's events in log order.
fn history(store: &dyn Storage, ws: &WorkspaceId, id: &InstanceId) -> Vec<LoggedEvent> {
    let filter = EventFilter {
        instance_id: Some(id.clone()),
        ..EventFilter::default()
    };
    store.events(ws, &filter, 0, 100).unwrap().items
}

fn kinds(events: &[LoggedEvent]) -> Vec<EventType> {
    events.iter().map(|logged| logged.event.kind).collect()
}

/// Deletes through a lock, as the application does.
fn delete(store: &dyn Storage, ws: &WorkspaceId, id: &InstanceId) -> Result<(), StoreError> {
    let locked = store.lock(ws, id)?.ok_or(StoreError::NotFound)?;
    let event = event_of(
        locked.current(),
        EventType::InstanceDeleted,
        at("2026-06-01T00:00:00Z"),
    );
    locked.delete(&event)
}

fn enrollment_event(enrollment: &domain::Enrollment) -> Event {
    event_with(
        &enrollment.workspace_id,
        EventType::EnrollmentCreated,
        Some(&enrollment.instance_id),
        enrollment.updated_at,
        json!({ "object": { "id": enrollment.id.as_str(), "status": enrollment.status.as_str() } }),
    )
}

fn store_instance(store: &dyn Storage, instance: &ProgramInstance) {
    InstanceStore::insert(store, instance, &[created(instance)], None).unwrap();
}

/// Two workspaces and a public program: the usual stage.
fn stage(store: &dyn Storage) -> (WorkspaceId, WorkspaceId, Program) {
    (
        workspace(store, "ws_a"),
        workspace(store, "ws_b"),
        program(store, "battery-rebate", Visibility::Public),
    )
}

fn ids(instances: &[InstanceSnapshot]) -> Vec<String> {
    instances
        .iter()
        .map(|instance| instance.id.to_string())
        .collect()
}

pub fn instances_round_trip_every_field(store: &dyn Storage) {
    let (a, _, program) = stage(store);
    let draft = InstanceDraft {
        name: Some(Name::parse("Über Battery Rebate 🔋 “2023”").unwrap()),
        slug: Some(Slug::parse("battery-rebate-nyc-2023").unwrap()),
        description: Some(domain::Description::parse("Für alle — NYC").unwrap()),
        logo_url: Some(domain::LogoUrl::parse("https://example.com/logos/nyc-rebate.png").unwrap()),
        eligibility_criteria: Some(
            EligibilityCriteria::from_json(json!({"regions": ["NY"], "deviceTypes": ["battery"], "minimumCapacity": 5.5}))
                .unwrap(),
        ),
        custom_terms: Some(domain::CustomTerms::parse("Proof of purchase…").unwrap()),
        form_config: Some(
            FormConfig::from_json(json!({"fields": [{"key": "acct", "label": "Account", "type": "text", "required": true, "pattern": "^[0-9]{10}$"}]}))
                .unwrap(),
        ),
        start_date: Some(at("2023-01-01T00:00:00.000001Z")),
        end_date: Some(at("2023-12-31T23:59:59.999999Z")),
        status: Some(Status::Inactive),
        metadata: Some(Metadata::from_json(json!({"nested": {"list": [1, 2.5, null, true]}, "ünï": "ç"})).unwrap()),
        time_zone: Some(domain::instance::Zone::parse("America/New_York").unwrap()),
        seasons: Some(
            domain::instance::Seasons::from_json(json!([{"opens": "11-01", "closes": "02-28"}, {"opens": "05-01", "closes": "05-31"}]))
                .unwrap(),
        ),
    };
    let instance = instance_with(&a, &program, 1, draft, at("2026-02-03T04:05:06.789012Z"));
    store_instance(store, &instance);
    let snapshot = InstanceSnapshot::of(&instance).unwrap();
    assert_eq!(
        store.snapshot(&a, instance.id()).unwrap(),
        Some(snapshot.clone())
    );
    assert_eq!(
        InstanceStore::list(store, &a, &InstanceFilter::default(), None, 10)
            .unwrap()
            .items,
        [snapshot]
    );
    assert_eq!(
        InstanceStore::get(store, &a, instance.id()).unwrap(),
        Some(instance.clone())
    );

    // A copy at a later revision keeps both, read back alike.
    let changes = json!({"slug": "a-copy", "name": "A copy"});
    let (copy, _) = instance
        .copy(
            instance_id(2),
            changes.as_object().unwrap().clone(),
            at("2026-03-01T00:00:00Z"),
        )
        .unwrap();
    let copy = copy
        .apply(renamed("A copy, reworded"), at("2026-03-02T00:00:00Z"))
        .unwrap()
        .instance;
    assert_eq!(
        (copy.revision(), copy.copied_from()),
        (2, Some(instance.id()))
    );
    store_instance(store, &copy);
    assert_eq!(
        InstanceStore::get(store, &a, copy.id()).unwrap().as_ref(),
        Some(&copy)
    );
    assert_eq!(
        store.snapshot(&a, copy.id()).unwrap(),
        Some(InstanceSnapshot::of(&copy).unwrap())
    );
}

/// A window opening on 07-01 in New York opens at 04:00Z (daylight time), one in Tokyo at
/// 15:00Z the day before; a window wrapping the new year holds both of its ends.
pub fn the_active_at_filter_follows_seasons_in_each_zone(store: &dyn Storage) {
    let (a, b, program) = stage(store);
    let seasonal =
        |n: u32, ws: &WorkspaceId, name: &str, zone: &str, seasons: serde_json::Value| {
            let draft = InstanceDraft {
                time_zone: Some(domain::instance::Zone::parse(zone).unwrap()),
                seasons: Some(domain::instance::Seasons::from_json(seasons).unwrap()),
                ..named(name)
            };
            store_instance(
                store,
                &instance_with(ws, &program, n, draft, at("2026-01-01T00:00:00Z")),
            );
        };
    let summer = json!([{"opens": "07-01", "closes": "08-31"}]);
    seasonal(1, &a, "New York summer", "America/New_York", summer.clone());
    seasonal(2, &a, "Tokyo summer", "Asia/Tokyo", summer.clone());
    seasonal(
        3,
        &a,
        "Winter",
        "UTC",
        json!([{"opens": "11-01", "closes": "02-28"}]),
    );
    store_instance(
        store,
        &instance_with(
            &a,
            &program,
            4,
            named("All year"),
            at("2026-01-01T00:00:00Z"),
        ),
    );
    // Another workspace's zones never decide this one's list.
    seasonal(5, &b, "Elsewhere", "Pacific/Kiritimati", summer);
    let names = |when: &str| -> Vec<String> {
        let filter = InstanceFilter {
            active_at: Some(at(when)),
            ..InstanceFilter::default()
        };
        let mut names: Vec<String> = InstanceStore::list(store, &a, &filter, None, 100)
            .unwrap()
            .items
            .into_iter()
            .map(|instance| instance.name)
            .collect();
        names.sort();
        names
    };
    assert_eq!(names("2026-06-30T14:59:59Z"), ["All year"]);
    assert_eq!(names("2026-06-30T15:00:00Z"), ["All year", "Tokyo summer"]);
    assert_eq!(names("2026-07-01T03:59:59Z"), ["All year", "Tokyo summer"]);
    assert_eq!(
        names("2026-07-01T04:00:00Z"),
        ["All year", "New York summer", "Tokyo summer"]
    );
    assert_eq!(
        names("2026-09-01T03:59:59Z"),
        ["All year", "New York summer"]
    );
    assert_eq!(names("2026-09-01T04:00:00Z"), ["All year"]);
    assert_eq!(names("2026-12-31T23:59:59Z"), ["All year", "Winter"]);
    assert_eq!(names("2027-02-28T23:59:59Z"), ["All year", "Winter"]);
    assert_eq!(
        names("2028-02-29T12:00:00Z"),
        ["All year"],
        "02-29 is after 02-28"
    );
}

/// A create that opens enrollments at once logs `created` then `enrollmentOpened`, with an
/// idempotent answer or without.
pub fn a_create_logs_its_events_in_order(store: &dyn Storage) {
    let (a, _, program) = stage(store);
    let when = at("2026-01-01T00:00:00Z");
    for (n, kept) in [(1, None), (2, Some(answer("create-2", "f", 201, when)))] {
        let instance = instance_with(&a, &program, n, named(&format!("Opens {n}")), when);
        let events = [
            created(&instance),
            event_of(&instance, EventType::InstanceEnrollmentOpened, when),
        ];
        InstanceStore::insert(store, &instance, &events, kept.as_ref()).unwrap();
        let logged = history(store, &a, instance.id());
        assert_eq!(
            kinds(&logged),
            [
                EventType::InstanceCreated,
                EventType::InstanceEnrollmentOpened
            ]
        );
        let ids: Vec<&EventId> = logged.iter().map(|logged| &logged.event.id).collect();
        assert_eq!(ids, [&events[0].id, &events[1].id]);
        assert_eq!(logged[1].event.data.get(), events[1].data.get());
    }
}

/// The next unlogged flip is stored with each write, found when due whatever the
/// workspace, and moved on by `record_flips` with the flips' events.
pub fn flips_due_are_found_across_workspaces_and_moved_on_under_a_lock(store: &dyn Storage) {
    let (a, b, program) = stage(store);
    let created_at = at("2026-01-01T00:00:00Z");
    let opens = at("2026-03-01T00:00:00Z");
    let closes = at("2026-04-01T00:00:00Z");
    let scheduled = |n: u32, ws: &WorkspaceId| {
        let draft = InstanceDraft {
            start_date: Some(opens),
            end_date: Some(closes),
            ..named(&format!("Spring {n}"))
        };
        let instance = instance_with(ws, &program, n, draft, created_at);
        store_instance(store, &instance);
        instance
    };
    let first = scheduled(1, &a);
    let second = scheduled(2, &b);
    store_instance(
        store,
        &instance_with(&a, &program, 3, named("Always"), created_at),
    );
    let due = |when: &str| InstanceStore::flips_due(store, at(when), 10).unwrap();
    assert_eq!(due("2026-02-28T23:59:59Z"), []);
    let found = due("2026-03-01T00:00:00Z");
    assert_eq!(found.len(), 2);
    assert!(found.contains(&(a.clone(), first.id().clone())));
    assert!(found.contains(&(b.clone(), second.id().clone())));
    assert_eq!(
        InstanceStore::flips_due(store, opens, 1).unwrap().len(),
        1,
        "the limit holds"
    );

    let locked = store.lock(&a, first.id()).unwrap().unwrap();
    assert_eq!(locked.next_flip(), Some(opens));
    let opened = event_of(&first, EventType::InstanceEnrollmentOpened, opens);
    let after_end = closes.checked_add(Duration::microseconds(1));
    locked
        .record_flips(std::slice::from_ref(&opened), after_end)
        .unwrap();
    assert_eq!(
        kinds(&history(store, &a, first.id())),
        [
            EventType::InstanceCreated,
            EventType::InstanceEnrollmentOpened
        ]
    );
    assert_eq!(
        due("2026-03-15T00:00:00Z"),
        [(b.clone(), second.id().clone())]
    );
    assert_eq!(
        InstanceStore::get(store, &a, first.id()).unwrap().as_ref(),
        Some(&first),
        "the instance itself is unchanged"
    );

    // A change stores the next flip of the instance it leaves.
    let locked = store.lock(&b, second.id()).unwrap().unwrap();
    let when = at("2026-02-01T00:00:00Z");
    let outcome = locked
        .current()
        .apply(
            InstancePatch {
                status: Some(Status::Inactive),
                ..InstancePatch::default()
            },
            when,
        )
        .unwrap();
    locked
        .save(&outcome.instance, &records(&outcome, when))
        .unwrap();
    assert_eq!(due("2026-03-15T00:00:00Z"), []);
    let locked = store.lock(&b, second.id()).unwrap().unwrap();
    assert_eq!(locked.next_flip(), None);
}

pub fn slugs_are_unique_per_workspace(store: &dyn Storage) {
    let (a, b, program) = stage(store);
    let now = at("2026-01-01T00:00:00Z");
    store_instance(
        store,
        &instance_with(&a, &program, 1, named("Same name"), now),
    );
    let twin = instance_with(&a, &program, 2, named("Same name"), now);
    assert!(matches!(
        InstanceStore::insert(store, &twin, &[created(&twin)], None),
        Err(StoreError::SlugTaken)
    ));
    assert_eq!(
        InstanceStore::get(store, &a, twin.id()).unwrap(),
        None,
        "nothing stored"
    );
    let other = instance_with(&b, &program, 3, named("Same name"), now);
    store_instance(store, &other);
    let slug = other.slug().clone();
    assert_eq!(
        InstanceStore::get_by_slug(store, &a, &slug)
            .unwrap()
            .map(|found| found.id().clone()),
        Some(instance_id(1)),
        "a slug names one instance in each workspace"
    );
    assert_eq!(
        InstanceStore::get_by_slug(store, &b, &slug).unwrap(),
        Some(other)
    );
    let unused = Slug::parse("no-such-slug").unwrap();
    assert_eq!(
        InstanceStore::get_by_slug(store, &a, &unused).unwrap(),
        None
    );
}

/// The events of a patch outcome, as the application logs them.
fn records(outcome: &domain::PatchOutcome, when: Timestamp) -> Vec<Event> {
    outcome
        .events
        .iter()
        .map(|change| {
            event_of(
                &outcome.instance,
                EventType::of_instance_change(change),
                when,
            )
        })
        .collect()
}

fn renamed(name: &str) -> InstancePatch {
    InstancePatch {
        name: Some(Name::parse(name).unwrap()),
        ..InstancePatch::default()
    }
}

pub fn instances_of_invisible_programs_are_not_stored(store: &dyn Storage) {
    let (a, b, _) = stage(store);
    let private = program(
        store,
        "b-only",
        Visibility::Private {
            shared_with: vec![b.clone()],
        },
    );
    let now = at("2026-01-01T00:00:00Z");
    assert_eq!(
        store.id_of(&private.slug).unwrap(),
        Some(private.id.clone())
    );
    let hidden = instance_with(&a, &private, 1, named("Hidden"), now);
    assert!(matches!(
        InstanceStore::insert(store, &hidden, &[created(&hidden)], None),
        Err(StoreError::NotFound)
    ));
    let answer = answer("k", "f", 201, now);
    assert!(matches!(
        InstanceStore::insert(store, &hidden, &[created(&hidden)], Some(&answer)),
        Err(StoreError::NotFound)
    ));
    assert_eq!(InstanceStore::get(store, &a, hidden.id()).unwrap(), None);
    assert_eq!(store.answer(&a, "k", now).unwrap(), None);
    store_instance(store, &instance_with(&b, &private, 2, named("Shared"), now));
}

pub fn changes_through_a_lock_are_saved_with_their_events(store: &dyn Storage) {
    let (a, _, program) = stage(store);
    let original = instance_with(
        &a,
        &program,
        1,
        named("Versioned"),
        at("2026-01-01T00:00:00Z"),
    );
    store_instance(store, &original);
    let locked = store.lock(&a, original.id()).unwrap().unwrap();
    assert_eq!(locked.current(), &original);
    let when = at("2026-01-02T00:00:00Z");
    let outcome = locked.current().apply(renamed("First"), when).unwrap();
    locked
        .save(&outcome.instance, &records(&outcome, when))
        .unwrap();
    let stored = InstanceStore::get(store, &a, original.id())
        .unwrap()
        .unwrap();
    assert_eq!(stored, outcome.instance);
    assert_eq!((stored.name().as_str(), stored.version()), ("First", 2));
    assert_eq!(
        kinds(&history(store, &a, original.id())),
        [EventType::InstanceCreated, EventType::InstanceUpdated]
    );
}

pub fn a_dropped_lock_writes_nothing(store: &dyn Storage) {
    let (a, _, program) = stage(store);
    let original = instance_with(&a, &program, 1, named("Kept"), at("2026-01-01T00:00:00Z"));
    store_instance(store, &original);
    let locked = store.lock(&a, original.id()).unwrap().unwrap();
    drop(locked);
    let again = store.lock(&a, original.id()).unwrap().unwrap();
    assert_eq!(again.current(), &original, "the first lock was released");
    drop(again);
    assert_eq!(
        InstanceStore::get(store, &a, original.id()).unwrap(),
        Some(original)
    );
}

/// Writers that each read, change and save one instance under its lock: every change
/// lands, in some order, none overwritten by another made from a stale read.
pub fn concurrent_changes_under_locks_are_never_lost(store: &dyn Storage) {
    let (a, _, program) = stage(store);
    let original = instance_with(
        &a,
        &program,
        1,
        named("Counted"),
        at("2026-01-01T00:00:00Z"),
    );
    store_instance(store, &original);
    let (writers, rounds) = (6, 5);
    std::thread::scope(|scope| {
        for writer in 0..writers {
            let (a, id) = (&a, original.id());
            scope.spawn(move || {
                for round in 0..rounds {
                    let locked = store.lock(a, id).unwrap().unwrap();
                    let count = locked
                        .current()
                        .metadata()
                        .map_or(0, |m| m.to_json()["count"].as_i64().unwrap_or(0));
                    let patch = InstancePatch {
                        metadata: Some(
                            json!({ "count": count + 1, format!("w{writer}r{round}"): true }),
                        ),
                        ..InstancePatch::default()
                    };
                    let when = at("2026-01-02T00:00:00Z");
                    let outcome = locked.current().apply(patch, when).unwrap();
                    locked
                        .save(&outcome.instance, &records(&outcome, when))
                        .unwrap();
                }
            });
        }
    });
    let stored = InstanceStore::get(store, &a, original.id())
        .unwrap()
        .unwrap();
    let total = writers * rounds;
    assert_eq!(stored.metadata().unwrap().to_json()["count"], total);
    assert_eq!(stored.version(), i64::from(total) + 1);
}

pub fn missing_instances_cannot_be_locked_or_deleted(store: &dyn Storage) {
    let (a, _, program) = stage(store);
    let ghost = instance_with(&a, &program, 1, named("Ghost"), at("2026-01-01T00:00:00Z"));
    assert!(store.lock(&a, ghost.id()).unwrap().is_none());
    assert!(matches!(
        delete(store, &a, ghost.id()),
        Err(StoreError::NotFound)
    ));
}

pub fn a_taken_slug_cannot_be_updated_into(store: &dyn Storage) {
    let (a, _, program) = stage(store);
    let now = at("2026-01-01T00:00:00Z");
    store_instance(store, &instance_with(&a, &program, 1, named("Taken"), now));
    let other = instance_with(&a, &program, 2, named("Other"), now);
    store_instance(store, &other);
    let locked = store.lock(&a, other.id()).unwrap().unwrap();
    let moved = locked
        .current()
        .apply(
            InstancePatch {
                slug: Some(Slug::parse("taken").unwrap()),
                ..InstancePatch::default()
            },
            now,
        )
        .unwrap();
    assert!(matches!(
        locked.save(&moved.instance, &[]),
        Err(StoreError::SlugTaken)
    ));
    assert_eq!(
        InstanceStore::get(store, &a, other.id())
            .unwrap()
            .unwrap()
            .slug()
            .as_str(),
        "other"
    );
}

pub fn deletes_remove_instances_and_are_logged(store: &dyn Storage) {
    let (a, _, program) = stage(store);
    let instance = instance_with(&a, &program, 1, named("Brief"), at("2026-01-01T00:00:00Z"));
    store_instance(store, &instance);
    delete(store, &a, instance.id()).unwrap();
    assert_eq!(InstanceStore::get(store, &a, instance.id()).unwrap(), None);
    assert_eq!(
        kinds(&history(store, &a, instance.id())),
        [EventType::InstanceCreated, EventType::InstanceDeleted],
        "the log outlives what it tells of"
    );
    assert!(matches!(
        delete(store, &a, instance.id()),
        Err(StoreError::NotFound)
    ));
    store_instance(store, &instance);
}

pub fn workspaces_are_isolated(store: &dyn Storage) {
    let (a, b, program) = stage(store);
    let mine = instance_with(&a, &program, 1, named("Mine"), at("2026-01-01T00:00:00Z"));
    store_instance(store, &mine);
    assert_eq!(InstanceStore::get(store, &b, mine.id()).unwrap(), None);
    assert!(matches!(
        delete(store, &b, mine.id()),
        Err(StoreError::NotFound)
    ));
    assert!(
        InstanceStore::list(store, &b, &InstanceFilter::default(), None, 10)
            .unwrap()
            .items
            .is_empty()
    );
    assert!(history(store, &b, mine.id()).is_empty());
    assert!(
        store
            .events(&b, &EventFilter::default(), 0, 10)
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        store.lock(&b, mine.id()).unwrap().is_none(),
        "another workspace's instance cannot be locked, so not changed"
    );
    assert_eq!(
        InstanceStore::get(store, &a, mine.id())
            .unwrap()
            .unwrap()
            .name()
            .as_str(),
        "Mine"
    );
}

pub fn lists_are_newest_first_in_keyset_pages(store: &dyn Storage) {
    let (a, _, program) = stage(store);
    // Three share one instant: ties are broken by id, descending.
    let stamps = [
        "2026-01-01T00:00:00Z",
        "2026-01-02T00:00:00Z",
        "2026-01-02T00:00:00Z",
        "2026-01-02T00:00:00Z",
        "2026-01-03T00:00:00Z",
    ];
    for (n, stamp) in stamps.iter().enumerate() {
        let n = u32::try_from(n).unwrap();
        store_instance(
            store,
            &instance_with(&a, &program, n, named(&format!("I{n}")), at(stamp)),
        );
    }
    let expected: Vec<String> = [4, 3, 2, 1, 0]
        .iter()
        .map(|n| instance_id(*n).to_string())
        .collect();
    let everything = InstanceStore::list(store, &a, &InstanceFilter::default(), None, 10).unwrap();
    assert_eq!(ids(&everything.items), expected);
    assert!(!everything.has_more);

    let mut seen = Vec::new();
    let mut after: Option<InstanceCursor> = None;
    loop {
        let page =
            InstanceStore::list(store, &a, &InstanceFilter::default(), after.as_ref(), 2).unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(ids(&page.items));
        let Some(last) = page.items.last() else { break };
        after = Some(InstanceCursor {
            created_at: last.created_at,
            id: last.id.clone(),
        });
        if !page.has_more {
            break;
        }
    }
    assert_eq!(seen, expected);
}

pub fn list_filters_match_alike(store: &dyn Storage) {
    let (a, _, battery) = stage(store);
    let ev = program(store, "ev-charging", Visibility::Public);
    let draft =
        |name: &str, status: Status, start: Option<&str>, end: Option<&str>| InstanceDraft {
            status: Some(status),
            start_date: start.map(at),
            end_date: end.map(at),
            ..named(name)
        };
    let all = [
        instance_with(
            &a,
            &ev,
            1,
            draft("ÜBER 50% off", Status::Active, None, None),
            at("2026-01-01T00:00:00Z"),
        ),
        instance_with(
            &a,
            &battery,
            2,
            draft(
                "Running",
                Status::Active,
                Some("2020-01-01T00:00:00Z"),
                Some("2099-01-01T00:00:00Z"),
            ),
            at("2026-01-02T00:00:00Z"),
        ),
        instance_with(
            &a,
            &battery,
            3,
            draft("Future", Status::Active, Some("2090-01-01T00:00:00Z"), None),
            at("2026-01-03T00:00:00Z"),
        ),
        instance_with(
            &a,
            &battery,
            4,
            draft("Paused_one", Status::Inactive, None, None),
            at("2026-01-04T00:00:00Z"),
        ),
    ];
    for instance in &all {
        store_instance(store, instance);
    }
    let names = |filter: InstanceFilter| -> Vec<String> {
        let mut found: Vec<String> = InstanceStore::list(store, &a, &filter, None, 50)
            .unwrap()
            .items
            .iter()
            .map(|i| i.name.clone())
            .collect();
        found.sort();
        found
    };
    assert_eq!(
        names(InstanceFilter {
            program_id: Some(ev.id.clone()),
            ..InstanceFilter::default()
        }),
        ["ÜBER 50% off"]
    );
    assert_eq!(
        names(InstanceFilter {
            statuses: Some(vec![Status::Inactive]),
            ..InstanceFilter::default()
        }),
        ["Paused_one"]
    );
    assert_eq!(
        names(InstanceFilter {
            slug: Some("running".into()),
            ..InstanceFilter::default()
        }),
        ["Running"]
    );
    let search = |text: &str| {
        names(InstanceFilter {
            name_contains: Some(text.into()),
            ..InstanceFilter::default()
        })
    };
    assert_eq!(
        search("über"),
        ["ÜBER 50% off"],
        "case folding beyond ASCII"
    );
    assert_eq!(search("50%"), ["ÜBER 50% off"]);
    assert_eq!(search("%"), ["ÜBER 50% off"], "% is literal");
    assert_eq!(
        search("s_d"),
        Vec::<String>::new(),
        "_ is literal (as a wildcard it would match 'sed')"
    );
    assert_eq!(search("d_one"), ["Paused_one"]);
    assert_eq!(
        names(InstanceFilter {
            active_at: Some(at("2030-01-01T00:00:00Z")),
            ..InstanceFilter::default()
        }),
        ["Running", "ÜBER 50% off"]
    );
    assert_eq!(
        names(InstanceFilter {
            active_at: Some(at("2099-01-01T00:00:00Z")),
            ..InstanceFilter::default()
        }),
        ["Future", "Running", "ÜBER 50% off"],
        "the end is inclusive"
    );
    assert_eq!(
        names(InstanceFilter {
            created_after: Some(at("2026-01-02T00:00:00Z")),
            ..InstanceFilter::default()
        }),
        ["Future", "Paused_one"]
    );
    assert_eq!(
        names(InstanceFilter {
            created_before: Some(at("2026-01-02T00:00:00Z")),
            ..InstanceFilter::default()
        }),
        ["ÜBER 50% off"]
    );
    assert_eq!(
        names(InstanceFilter {
            only_ids: Some(vec![instance_id(2), instance_id(4)]),
            ..InstanceFilter::default()
        }),
        ["Paused_one", "Running"]
    );
    assert!(
        names(InstanceFilter {
            only_ids: Some(Vec::new()),
            ..InstanceFilter::default()
        })
        .is_empty()
    );
}

pub fn events_are_appended_in_order(store: &dyn Storage) {
    let (a, _, program) = stage(store);
    let instance = instance_with(
        &a,
        &program,
        1,
        named("Tracked"),
        at("2026-01-01T00:00:00Z"),
    );
    store_instance(store, &instance);
    let mut current = instance;
    for (step, status) in [Status::Inactive, Status::Active, Status::Inactive]
        .into_iter()
        .enumerate()
    {
        let when = at(&format!("2026-01-0{}T00:00:00Z", step + 2));
        let locked = store.lock(&a, current.id()).unwrap().unwrap();
        let outcome = locked
            .current()
            .apply(
                InstancePatch {
                    status: Some(status),
                    ..InstancePatch::default()
                },
                when,
            )
            .unwrap();
        locked
            .save(&outcome.instance, &records(&outcome, when))
            .unwrap();
        current = outcome.instance;
    }
    let all = history(store, &a, current.id());
    assert_eq!(
        kinds(&all),
        [
            EventType::InstanceCreated,
            EventType::InstanceStatusChanged,
            EventType::InstanceStatusChanged,
            EventType::InstanceStatusChanged
        ]
    );
    assert!(
        all.windows(2)
            .all(|pair| pair[0].position < pair[1].position)
    );
    let versions: Vec<_> = all
        .iter()
        .map(|logged| {
            let data: serde_json::Value = serde_json::from_str(logged.event.data.get()).unwrap();
            data["object"]["version"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(versions, [1, 2, 3, 4]);
    let everything = EventFilter::default();
    let first_two = store.events(&a, &everything, 0, 2).unwrap();
    assert!(first_two.has_more);
    let rest = store
        .events(&a, &everything, first_two.items[1].position, 2)
        .unwrap();
    assert_eq!(rest.items.len(), 2);
    assert!(!rest.has_more);
    assert_eq!(rest.items[1].event.id, all[3].event.id);
}

pub fn logged_events_read_back_as_written_and_filter(store: &dyn Storage) {
    let (a, b, program) = stage(store);
    let when = at("2026-03-04T05:06:07.080910Z");
    let one = instance_with(&a, &program, 1, named("One"), when);
    let two = instance_with(&a, &program, 2, named("Two"), when);
    store_instance(store, &one);
    store_instance(store, &two);
    let enrollment = enroll(
        &enrolling_instance(store, &a, &program, 3),
        1,
        "NY",
        "2026-03-05T00:00:00Z",
    );
    let mut written = enrollment_event(&enrollment);
    written.actor = Some(ApiKeyId::parse(&format!("c{}", "k".repeat(24))).unwrap());
    written.data = serde_json::value::RawValue::from_string(
        r#"{"object":{"n":1.5e300,"text":"Ünï \u0000-free"},"reason":"ok"}"#.to_owned(),
    )
    .unwrap();
    store
        .insert_enrollment(&enrollment, &written, None)
        .unwrap();

    let found = store.event(&a, &written.id).unwrap().unwrap();
    assert_eq!(found.event.id, written.id);
    assert_eq!(found.event.kind, EventType::EnrollmentCreated);
    assert_eq!(found.event.workspace_id, a);
    assert_eq!(found.event.instance_id, written.instance_id);
    assert_eq!(found.event.actor, written.actor);
    assert_eq!(found.event.created_at, enrollment.updated_at);
    assert_eq!(
        found.event.data.get(),
        written.data.get(),
        "kept as written"
    );
    assert!(
        store.event(&b, &written.id).unwrap().is_none(),
        "per workspace"
    );

    let read = |filter: EventFilter| -> Vec<EventId> {
        store
            .events(&a, &filter, 0, 100)
            .unwrap()
            .items
            .into_iter()
            .map(|logged| logged.event.id)
            .collect()
    };
    assert_eq!(read(EventFilter::default()).len(), 4);
    assert_eq!(
        read(EventFilter {
            types: Some(vec![EventType::EnrollmentCreated]),
            ..EventFilter::default()
        }),
        [written.id.clone()]
    );
    assert_eq!(
        read(EventFilter {
            types: Some(vec![EventType::InstanceCreated, EventType::InstanceDeleted]),
            instance_id: Some(two.id().clone()),
            ..EventFilter::default()
        })
        .len(),
        1
    );
    assert_eq!(
        read(EventFilter {
            only_instances: Some(vec![one.id().clone(), two.id().clone()]),
            ..EventFilter::default()
        })
        .len(),
        2
    );
    assert!(
        read(EventFilter {
            only_instances: Some(Vec::new()),
            ..EventFilter::default()
        })
        .is_empty()
    );
}

/// 16 writers commit 200 changes each, each change its own transaction with its event,
/// while a poller reads the log from the last position it saw: it must see every event
/// once, each instance's in the order they were made.
pub fn a_poller_sees_every_event_once_in_commit_order(store: &dyn Storage) {
    let (a, _, program) = stage(store);
    let (writers, changes) = (16u32, 200u32);
    let instances: Vec<_> = (0..writers)
        .map(|n| {
            let instance = instance_with(
                &a,
                &program,
                n + 1,
                named(&format!("Writer {n}")),
                at("2026-01-01T00:00:00Z"),
            );
            store_instance(store, &instance);
            instance
        })
        .collect();
    let expected = (writers * (changes + 1)) as usize;
    let done = std::sync::atomic::AtomicBool::new(false);
    let seen = std::thread::scope(|scope| {
        let poller = scope.spawn(|| {
            let mut seen: Vec<LoggedEvent> = Vec::new();
            let mut after = 0;
            let mut quiet_rounds_after_done = 0;
            while seen.len() < expected && quiet_rounds_after_done < 50 {
                let writers_done = done.load(Ordering::SeqCst);
                let page = store
                    .events(&a, &EventFilter::default(), after, 100)
                    .unwrap();
                if let Some(last) = page.items.last() {
                    after = last.position;
                } else if writers_done {
                    quiet_rounds_after_done += 1;
                }
                seen.extend(page.items);
            }
            seen
        });
        let writer_threads: Vec<_> = instances
            .iter()
            .map(|instance| {
                let a = &a;
                scope.spawn(move || {
                    for change in 1..=changes {
                        let locked = store.lock(a, instance.id()).unwrap().unwrap();
                        let when = at("2026-01-02T00:00:00Z");
                        let outcome = locked
                            .current()
                            .apply(renamed(&format!("{} {change}", instance.name())), when)
                            .unwrap();
                        locked
                            .save(&outcome.instance, &records(&outcome, when))
                            .unwrap();
                    }
                })
            })
            .collect();
        for writer in writer_threads {
            writer.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        poller.join().unwrap()
    });
    let ids: BTreeSet<_> = seen.iter().map(|logged| logged.event.id.clone()).collect();
    assert_eq!(ids.len(), seen.len(), "no event seen twice");
    assert_eq!(seen.len(), expected, "every event seen");
    assert!(
        seen.windows(2)
            .all(|pair| pair[0].position < pair[1].position)
    );
    let mut versions: BTreeMap<InstanceId, Vec<i64>> = BTreeMap::new();
    for logged in &seen {
        let data: serde_json::Value = serde_json::from_str(logged.event.data.get()).unwrap();
        versions
            .entry(logged.event.instance_id.clone().unwrap())
            .or_default()
            .push(data["object"]["version"].as_i64().unwrap());
    }
    let in_order: Vec<i64> = (1..=i64::from(changes) + 1).collect();
    for (instance, seen_versions) in versions {
        assert_eq!(seen_versions, in_order, "{instance}: in the order made");
    }
}

pub fn catalog_visibility_follows_sharing(store: &dyn Storage) {
    let (a, b, public) = stage(store);
    let private = program(
        store,
        "a-only",
        Visibility::Private {
            shared_with: vec![a.clone()],
        },
    );
    let slugs = |ws: &WorkspaceId| -> Vec<String> {
        store
            .list_visible(ws)
            .unwrap()
            .iter()
            .map(|p| p.slug.to_string())
            .collect()
    };
    assert_eq!(slugs(&a), ["a-only", "battery-rebate"]);
    assert_eq!(slugs(&b), ["battery-rebate"]);
    assert_eq!(
        store.find_visible(&a, &private.slug).unwrap(),
        Some(private.clone())
    );
    assert_eq!(store.find_visible(&b, &private.slug).unwrap(), None);
    assert_eq!(store.find_visible(&b, &public.slug).unwrap(), Some(public));
    assert_eq!(
        store
            .find_visible(&a, &Slug::parse("nothing").unwrap())
            .unwrap(),
        None
    );
}

pub fn catalog_refuses_duplicates_and_unknown_workspaces(store: &dyn Storage) {
    let (_, _, public) = stage(store);
    let again = Program {
        id: ProgramId::parse("prog_other").unwrap(),
        ..public.clone()
    };
    assert!(matches!(
        ProgramCatalog::insert(store, &again),
        Err(StoreError::Duplicate)
    ));
    let orphan = Program {
        id: ProgramId::parse("prog_orphan").unwrap(),
        slug: Slug::parse("orphan").unwrap(),
        visibility: Visibility::Private {
            shared_with: vec![WorkspaceId::parse("ws_nobody").unwrap()],
        },
        ..public
    };
    assert!(matches!(
        ProgramCatalog::insert(store, &orphan),
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .find_visible(&WorkspaceId::parse("ws_a").unwrap(), &orphan.slug)
            .unwrap(),
        None,
        "nothing stored"
    );
}

pub fn the_whole_catalog_is_listed_and_shares_replaced(store: &dyn Storage) {
    let (a, b, public) = stage(store);
    let mut private = program(
        store,
        "a-only",
        Visibility::Private {
            shared_with: vec![a.clone()],
        },
    );
    assert_eq!(
        ProgramCatalog::list_all(store).unwrap(),
        [private.clone(), public.clone()]
    );
    assert_eq!(
        store.find_any(&private.slug).unwrap(),
        Some(private.clone())
    );

    private.visibility = Visibility::Private {
        shared_with: vec![b.clone()],
    };
    store.set_shares(&private).unwrap();
    assert_eq!(store.find_visible(&a, &private.slug).unwrap(), None);
    assert_eq!(
        store.find_visible(&b, &private.slug).unwrap(),
        Some(private.clone())
    );

    let unknown = Program {
        visibility: Visibility::Private {
            shared_with: vec![b.clone(), WorkspaceId::parse("ws_nobody").unwrap()],
        },
        ..private.clone()
    };
    assert!(matches!(
        store.set_shares(&unknown),
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.find_any(&private.slug).unwrap(),
        Some(private.clone()),
        "nothing changed"
    );
    let missing = Program {
        id: ProgramId::parse("prog_missing").unwrap(),
        ..private
    };
    assert!(matches!(
        store.set_shares(&missing),
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        WorkspaceDirectory::list(store)
            .unwrap()
            .iter()
            .map(|workspace| workspace.id.clone())
            .collect::<Vec<_>>(),
        [a, b]
    );
}

pub fn workspaces_are_unique(store: &dyn Storage) {
    let a = workspace(store, "ws_a");
    let stored = WorkspaceDirectory::get(store, &a).unwrap().unwrap();
    assert!(matches!(
        WorkspaceDirectory::insert(store, &stored),
        Err(StoreError::Duplicate)
    ));
    assert_eq!(
        WorkspaceDirectory::get(store, &WorkspaceId::parse("ws_none").unwrap()).unwrap(),
        None
    );
}

fn key(workspace: &WorkspaceId, n: u32, created: &str) -> ApiKey {
    let instances = (n % 2 == 1).then(|| [instance_id(7)].into_iter().collect());
    ApiKey {
        id: ApiKeyId::parse(&format!("c{n:024}")).unwrap(),
        workspace_id: workspace.clone(),
        name: Some(format!("key {n}")),
        prefix: format!("{n:012x}"),
        grant: Grant::new(
            [Scope::ProgramsRead, Scope::ApiKeysManage]
                .into_iter()
                .collect::<ScopeSet>(),
            instances,
        ),
        expires_at: Some(at("2099-01-01T00:00:00Z")),
        revoked_at: None,
        created_at: at(created),
        last_used_at: None,
    }
}

fn hash_of(n: u32) -> SecretHash {
    SecretHash(format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA{n}"))
}

pub fn keys_are_found_revoked_and_listed(store: &dyn Storage) {
    let (a, b, _) = stage(store);
    let keys: Vec<_> = (1..=3)
        .map(|n| key(&a, n, &format!("2026-01-0{n}T00:00:00Z")))
        .collect();
    for (n, stored) in (1..).zip(&keys) {
        KeyStore::insert(store, stored, &hash_of(n), None).unwrap();
    }
    assert_eq!(
        store.credentials(&keys[0].prefix).unwrap(),
        Some(KeyCredentials {
            key: keys[0].clone(),
            secret_hash: hash_of(1)
        })
    );
    assert_eq!(store.find(&a, &keys[1].id).unwrap(), Some(keys[1].clone()));
    assert_eq!(store.find(&b, &keys[1].id).unwrap(), None);
    assert_eq!(store.credentials("ffffffffffff").unwrap(), None);
    let clash = ApiKey {
        id: ApiKeyId::parse(&format!("c{}", "9".repeat(24))).unwrap(),
        ..keys[0].clone()
    };
    assert!(matches!(
        KeyStore::insert(store, &clash, &hash_of(9), None),
        Err(StoreError::Duplicate)
    ));
    let orphan = key(
        &WorkspaceId::parse("ws_none").unwrap(),
        8,
        "2026-01-01T00:00:00Z",
    );
    assert!(matches!(
        KeyStore::insert(store, &orphan, &hash_of(8), None),
        Err(StoreError::NotFound)
    ));

    let revoked = store
        .revoke(Some(&a), &keys[0].id, at("2026-02-01T00:00:00Z"))
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(at("2026-02-01T00:00:00Z")));
    let again = store
        .revoke(None, &keys[0].id, at("2026-03-01T00:00:00Z"))
        .unwrap();
    assert_eq!(
        again.revoked_at,
        Some(at("2026-02-01T00:00:00Z")),
        "the first revocation stands"
    );
    assert!(matches!(
        store.revoke(Some(&b), &keys[1].id, at("2026-02-01T00:00:00Z")),
        Err(StoreError::NotFound)
    ));

    let first = KeyStore::list(store, &a, None, 2).unwrap();
    let names: Vec<_> = first
        .items
        .iter()
        .map(|k| k.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["key 3", "key 2"]);
    assert!(first.has_more);
    let rest = KeyStore::list(store, &a, Some(&first.items[1].id), 2).unwrap();
    assert_eq!(
        rest.items
            .iter()
            .map(|k| k.name.clone().unwrap())
            .collect::<Vec<_>>(),
        ["key 1"]
    );
    assert!(!rest.has_more);
    assert!(
        KeyStore::list(store, &b, None, 10)
            .unwrap()
            .items
            .is_empty()
    );
}

pub fn key_use_is_recorded_at_most_once_a_minute(store: &dyn Storage) {
    let (a, _, _) = stage(store);
    let stored = key(&a, 2, "2026-01-01T00:00:00Z");
    KeyStore::insert(store, &stored, &hash_of(2), None).unwrap();
    let last_used = || store.find(&a, &stored.id).unwrap().unwrap().last_used_at;
    store.touch(&stored.id, at("2026-01-01T10:00:00Z")).unwrap();
    assert_eq!(last_used(), Some(at("2026-01-01T10:00:00Z")));
    store.touch(&stored.id, at("2026-01-01T10:00:30Z")).unwrap();
    assert_eq!(
        last_used(),
        Some(at("2026-01-01T10:00:00Z")),
        "within the minute: no write"
    );
    store.touch(&stored.id, at("2026-01-01T10:01:01Z")).unwrap();
    assert_eq!(last_used(), Some(at("2026-01-01T10:01:01Z")));
    store
        .touch(
            &ApiKeyId::parse(&format!("c{}", "0".repeat(24))).unwrap(),
            at("2026-01-01T10:02:00Z"),
        )
        .unwrap();
}

fn answer(key: &str, fingerprint: &str, status: u16, when: Timestamp) -> IdempotentAnswer {
    IdempotentAnswer {
        key: key.into(),
        record: IdempotencyRecord {
            fingerprint: fingerprint.into(),
            response: StoredResponse {
                status,
                body: format!("{{\"answer\":\"{key} {status}\"}}"),
                headers: vec![("location".into(), format!("/{key}"))],
            },
        },
        answered_at: when,
        replaces_before: when.checked_add(Duration::hours(-24)).unwrap(),
    }
}

pub fn answers_are_kept_with_their_change_or_not_at_all(store: &dyn Storage) {
    let (a, b, program) = stage(store);
    let now = at("2026-01-01T00:00:00Z");
    let first = instance_with(&a, &program, 1, named("Once"), now);
    let kept = answer("k1", "f1", 201, now);
    InstanceStore::insert(store, &first, &[created(&first)], Some(&kept)).unwrap();
    assert_eq!(
        store.answer(&a, "k1", at("2025-12-31T00:00:00Z")).unwrap(),
        Some(kept.record.clone())
    );
    assert_eq!(store.answer(&b, "k1", now).unwrap(), None, "per workspace");

    let twin = instance_with(&a, &program, 2, named("Twice"), now);
    match InstanceStore::insert(
        store,
        &twin,
        &[created(&twin)],
        Some(&answer("k1", "f1", 201, now)),
    ) {
        Err(StoreError::KeyAnswered(record)) => assert_eq!(record, kept.record),
        other => panic!("expected the kept answer, got {other:?}"),
    }
    assert_eq!(
        InstanceStore::get(store, &a, twin.id()).unwrap(),
        None,
        "the change of an answered key is not written"
    );

    let refused = instance_with(&a, &program, 3, named("Once"), now);
    assert!(matches!(
        InstanceStore::insert(
            store,
            &refused,
            &[created(&refused)],
            Some(&answer("k2", "f2", 201, now))
        ),
        Err(StoreError::SlugTaken)
    ));
    assert_eq!(
        store.answer(&a, "k2", now).unwrap(),
        None,
        "no answer is kept without its change"
    );

    let alone = answer("k2", "f2", 409, now);
    store.keep_answer(&a, &alone).unwrap();
    assert_eq!(
        store.answer(&a, "k2", now).unwrap(),
        Some(alone.record.clone())
    );
    assert!(matches!(
        store.keep_answer(&a, &answer("k2", "f3", 422, now)),
        Err(StoreError::KeyAnswered(record)) if record == alone.record
    ));

    let instance = enrolling_instance(store, &b, &program, 4);
    let enrollment = enroll(&instance, 1, "NY", "2026-02-01T00:00:00Z");
    let kept = answer("k3", "f3", 201, now);
    store
        .insert_enrollment(&enrollment, &enrollment_event(&enrollment), Some(&kept))
        .unwrap();
    assert_eq!(store.answer(&b, "k3", now).unwrap(), Some(kept.record));
    let key = key(&b, 5, "2026-01-01T00:00:00Z");
    assert!(matches!(
        KeyStore::insert(
            store,
            &key,
            &hash_of(5),
            Some(&answer("k3", "f3", 201, now))
        ),
        Err(StoreError::KeyAnswered(_))
    ));
    assert_eq!(store.find(&b, &key.id).unwrap(), None);
}

pub fn answers_expire_and_are_replaced(store: &dyn Storage) {
    let (a, _, _) = stage(store);
    let day_one = at("2026-01-01T00:00:00Z");
    let old = answer("k", "f", 201, day_one);
    store.keep_answer(&a, &old).unwrap();
    let within = day_one.checked_add(Duration::hours(23)).unwrap();
    assert_eq!(
        store
            .answer(&a, "k", within.checked_add(Duration::hours(-24)).unwrap())
            .unwrap(),
        Some(old.record)
    );
    let later = day_one.checked_add(Duration::hours(25)).unwrap();
    assert_eq!(
        store
            .answer(&a, "k", later.checked_add(Duration::hours(-24)).unwrap())
            .unwrap(),
        None,
        "expired after the retention"
    );
    let new = answer("k", "other", 422, later);
    store.keep_answer(&a, &new).unwrap();
    assert_eq!(store.answer(&a, "k", day_one).unwrap(), Some(new.record));
}

fn enrollment_id(n: u32) -> domain::EnrollmentId {
    domain::EnrollmentId::parse(&format!("c{n:024}")).unwrap()
}

/// A live instance with criteria (region NY) and a one-field form, stored.
fn enrolling_instance(
    store: &dyn Storage,
    ws: &WorkspaceId,
    program: &Program,
    n: u32,
) -> ProgramInstance {
    let instance = enrolling(ws, program, n);
    store_instance(store, &instance);
    instance
}

/// The same, not stored.
fn enrolling(ws: &WorkspaceId, program: &Program, n: u32) -> ProgramInstance {
    let draft = InstanceDraft {
        eligibility_criteria: Some(
            EligibilityCriteria::from_json(json!({"regions": ["NY"]})).unwrap(),
        ),
        form_config: Some(
            FormConfig::from_json(
                json!({"fields": [{"key": "acct", "label": "Account", "type": "text"}]}),
            )
            .unwrap(),
        ),
        ..named(&format!("Enrolling {n}"))
    };
    instance_with(ws, program, n, draft, at("2026-01-01T00:00:00Z"))
}

fn store_enrollment(store: &dyn Storage, enrollment: &domain::Enrollment) {
    store
        .insert_enrollment(enrollment, &enrollment_event(enrollment), None)
        .unwrap();
}

fn enroll(instance: &ProgramInstance, n: u32, region: &str, when: &str) -> domain::Enrollment {
    let application = domain::enrollment::Application {
        customer: domain::enrollment::Customer {
            name: Some(format!("Customer {n} — Zoë")),
            region: Some(region.into()),
            ..Default::default()
        },
        device: domain::enrollment::Device {
            device_type: Some("battery".into()),
            capacity: Some(13.5),
            manufacturer: None,
        },
        form_data: json!({"acct": format!("{n:010}")})
            .as_object()
            .unwrap()
            .clone(),
    };
    domain::Enrollment::apply(enrollment_id(n), instance, application, at(when)).unwrap()
}

pub fn enrollments_round_trip_and_list_newest_first(store: &dyn Storage) {
    let (a, _, program) = stage(store);
    let instance = enrolling_instance(store, &a, &program, 1);
    let stamps = [
        "2026-02-01T00:00:00Z",
        "2026-02-02T00:00:00Z",
        "2026-02-02T00:00:00Z",
        "2026-02-03T00:00:00Z",
    ];
    let mut stored = Vec::new();
    for (n, stamp) in stamps.iter().enumerate() {
        let n = u32::try_from(n).unwrap();
        let mut enrollment = enroll(&instance, n, if n == 2 { "CA" } else { "NY" }, stamp);
        // Made at a later design of the instance.
        enrollment.instance_revision = i64::from(n) + 1;
        store
            .insert_enrollment(&enrollment, &enrollment_event(&enrollment), None)
            .unwrap();
        stored.push(enrollment);
    }
    assert_eq!(
        store.enrollment(&a, &stored[2].id).unwrap(),
        Some(stored[2].clone())
    );
    assert_eq!(stored[2].status, domain::EnrollmentStatus::Ineligible);
    let everything = store
        .list_enrollments(&a, instance.id(), None, None, 10)
        .unwrap();
    let ids: Vec<_> = everything.items.iter().map(|e| e.id.clone()).collect();
    assert_eq!(
        ids,
        [
            enrollment_id(3),
            enrollment_id(2),
            enrollment_id(1),
            enrollment_id(0)
        ]
    );
    let first = store
        .list_enrollments(&a, instance.id(), None, None, 2)
        .unwrap();
    assert!(first.has_more);
    let last = first.items.last().unwrap();
    let cursor = EnrollmentCursor {
        created_at: last.created_at,
        id: last.id.clone(),
    };
    let rest = store
        .list_enrollments(&a, instance.id(), None, Some(&cursor), 2)
        .unwrap();
    assert_eq!(
        rest.items.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
        [enrollment_id(1), enrollment_id(0)]
    );
    assert!(!rest.has_more);
    let ineligible = store
        .list_enrollments(
            &a,
            instance.id(),
            Some(&[domain::EnrollmentStatus::Ineligible]),
            None,
            10,
        )
        .unwrap();
    assert_eq!(
        ineligible
            .items
            .iter()
            .map(|e| e.id.clone())
            .collect::<Vec<_>>(),
        [enrollment_id(2)]
    );
}

pub fn enrollments_change_under_a_lock(store: &dyn Storage) {
    let (a, b, program) = stage(store);
    let instance = enrolling_instance(store, &a, &program, 1);
    let submitted = enroll(&instance, 1, "NY", "2026-02-01T00:00:00Z");
    store
        .insert_enrollment(&submitted, &enrollment_event(&submitted), None)
        .unwrap();
    let locked = store.lock_enrollment(&a, &submitted.id).unwrap().unwrap();
    assert_eq!(locked.current(), &submitted);
    let approved = submitted
        .transition_to(
            domain::EnrollmentStatus::Approved,
            Some("ok".into()),
            at("2026-02-02T00:00:00Z"),
        )
        .unwrap()
        .unwrap();
    locked
        .save(&approved, &enrollment_event(&approved))
        .unwrap();
    assert_eq!(
        store.enrollment(&a, &submitted.id).unwrap(),
        Some(approved.clone())
    );
    let dropped = store.lock_enrollment(&a, &submitted.id).unwrap().unwrap();
    drop(dropped);
    assert_eq!(store.enrollment(&a, &submitted.id).unwrap(), Some(approved));
    assert!(store.lock_enrollment(&b, &submitted.id).unwrap().is_none());
    let ghost = enroll(&instance, 9, "NY", "2026-02-01T00:00:00Z");
    assert!(store.lock_enrollment(&a, &ghost.id).unwrap().is_none());
}

pub fn enrollments_are_counted_by_status(store: &dyn Storage) {
    let (a, _, program) = stage(store);
    let instance = enrolling_instance(store, &a, &program, 1);
    let other = enrolling_instance(store, &a, &program, 2);
    for (n, region) in [(1, "NY"), (2, "NY"), (3, "CA")] {
        store_enrollment(store, &enroll(&instance, n, region, "2026-02-01T00:00:00Z"));
    }
    store_enrollment(store, &enroll(&other, 4, "NY", "2026-02-01T00:00:00Z"));
    let mut counts = store.count_enrollments(&a, instance.id()).unwrap();
    counts.sort();
    assert_eq!(
        counts,
        [
            (domain::EnrollmentStatus::Submitted, 2),
            (domain::EnrollmentStatus::Ineligible, 1)
        ]
    );
    let empty = enrolling_instance(store, &a, &program, 3);
    assert!(store.count_enrollments(&a, empty.id()).unwrap().is_empty());
}

pub fn an_instance_with_enrollments_cannot_be_deleted(store: &dyn Storage) {
    let (a, _, program) = stage(store);
    let instance = enrolling_instance(store, &a, &program, 1);
    store_enrollment(store, &enroll(&instance, 1, "NY", "2026-02-01T00:00:00Z"));
    assert!(matches!(
        delete(store, &a, instance.id()),
        Err(StoreError::HasEnrollments)
    ));
    assert!(
        InstanceStore::get(store, &a, instance.id())
            .unwrap()
            .is_some(),
        "nothing deleted"
    );
    assert_eq!(
        kinds(&history(store, &a, instance.id())),
        [EventType::InstanceCreated, EventType::EnrollmentCreated],
        "no deletion logged"
    );
}

pub fn enrollments_need_their_instance_and_stay_in_their_workspace(store: &dyn Storage) {
    let (a, b, program) = stage(store);
    let instance = enrolling_instance(store, &a, &program, 1);
    let enrollment = enroll(&instance, 1, "NY", "2026-02-01T00:00:00Z");
    store
        .insert_enrollment(&enrollment, &enrollment_event(&enrollment), None)
        .unwrap();
    assert_eq!(store.enrollment(&b, &enrollment.id).unwrap(), None);
    assert!(
        store
            .list_enrollments(&b, instance.id(), None, None, 10)
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        store
            .count_enrollments(&b, instance.id())
            .unwrap()
            .is_empty()
    );
    let unsaved = enrolling(&a, &program, 7);
    let orphan = enroll(&unsaved, 2, "NY", "2026-02-01T00:00:00Z");
    assert!(matches!(
        store.insert_enrollment(&orphan, &enrollment_event(&orphan), None),
        Err(StoreError::NotFound)
    ));
}
