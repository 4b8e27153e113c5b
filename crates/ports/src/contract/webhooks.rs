//! The contract of `WebhookStore`: endpoints, the outbox's fan-out, claims and attempts.

use std::collections::BTreeSet;
use std::sync::Mutex;

use domain::webhook::WebhookSecret;
use domain::webhook::endpoint::{
    AttemptResult, Backoff, DeliveryState, EndpointDraft, EndpointPatch, WebhookEndpoint,
};
use domain::{DeliveryId, EventType, Timestamp, WebhookEndpointId, WorkspaceId};
use serde_json::json;

use super::{Storage, at, event_with, instance_with, named, stage, store_instance};
use crate::{ClaimLimits, EndpointStreak, EventFilter, RecordedAttempt, StoreError};

/// At most `limit` deliveries, any number of one endpoint's.
fn up_to(limit: usize) -> ClaimLimits {
    ClaimLimits {
        limit,
        per_endpoint: limit,
        busy: Vec::new(),
    }
}

fn endpoint(
    ws: &WorkspaceId,
    n: u32,
    types: Option<&[&str]>,
    created: Timestamp,
) -> WebhookEndpoint {
    let mut body = json!({ "url": format!("https://hooks{n}.example.com/in"), "description": "ü" });
    if let Some(types) = types {
        body["eventTypes"] = json!(types);
    }
    let draft = EndpointDraft::from_json(body.as_object().unwrap().clone(), false).unwrap();
    let secret_byte = u8::try_from(n % 200).unwrap() + 1;
    WebhookEndpoint::new(
        WebhookEndpointId::parse(&format!("c{n:024}")).unwrap(),
        ws.clone(),
        draft,
        WebhookSecret::from_bytes(&[secret_byte; 24]).unwrap(),
        created,
    )
}

static DELIVERY_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn new_delivery_id() -> Result<DeliveryId, StoreError> {
    let n = DELIVERY_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(DeliveryId::parse(&format!("c{n:024}")).unwrap())
}

pub fn webhook_endpoints_round_trip_within_their_limit(store: &dyn Storage) {
    let (a, b, _) = stage(store);
    let when = at("2026-01-01T00:00:00.000001Z");
    let first = endpoint(
        &a,
        1,
        Some(&["enrollment.created", "programInstance.deleted"]),
        when,
    )
    .rotated(WebhookSecret::from_bytes(&[9; 24]).unwrap(), when);
    store.insert_endpoint(&first, 2).unwrap();
    assert_eq!(store.endpoint(&a, &first.id).unwrap(), Some(first.clone()));
    assert_eq!(
        store.endpoint(&b, &first.id).unwrap(),
        None,
        "per workspace"
    );
    let second = endpoint(&a, 2, None, at("2026-01-02T00:00:00Z"));
    store.insert_endpoint(&second, 2).unwrap();
    assert!(matches!(
        store.insert_endpoint(&endpoint(&a, 3, None, when), 2),
        Err(StoreError::LimitReached)
    ));
    store
        .insert_endpoint(&endpoint(&b, 4, None, when), 2)
        .unwrap();
    let listed: Vec<_> = store
        .endpoints(&a)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(listed, [first.id.clone(), second.id.clone()]);

    let locked = store.lock_endpoint(&a, &second.id).unwrap().unwrap();
    let patch = EndpointPatch {
        disabled: Some(true),
        ..EndpointPatch::default()
    };
    let patched = locked.current().patched(patch, at("2026-01-03T00:00:00Z"));
    locked.save(&patched).unwrap();
    assert_eq!(store.endpoint(&a, &second.id).unwrap(), Some(patched));
    assert!(store.lock_endpoint(&b, &second.id).unwrap().is_none());
    store
        .lock_endpoint(&a, &second.id)
        .unwrap()
        .unwrap()
        .delete()
        .unwrap();
    assert_eq!(store.endpoint(&a, &second.id).unwrap(), None);
    store
        .insert_endpoint(&endpoint(&a, 5, None, when), 2)
        .unwrap();
}

/// Many dispatchers and claimers at once: each event becomes one delivery per subscriber,
/// and each due delivery is claimed by one claimer.
pub fn events_are_dispatched_once_and_claimed_once(store: &dyn Storage) {
    let (a, b, program) = stage(store);
    let early = at("2026-01-01T00:00:00Z");
    let everything = endpoint(&a, 1, None, early);
    let enrollments_only = endpoint(&a, 2, Some(&["enrollment.created"]), early);
    let mut disabled = endpoint(&a, 3, None, early);
    disabled.disabled = true;
    let too_late = endpoint(&a, 4, None, at("2030-01-01T00:00:00Z"));
    let elsewhere = endpoint(&b, 5, None, early);
    for endpoint in [
        &everything,
        &enrollments_only,
        &disabled,
        &too_late,
        &elsewhere,
    ] {
        store.insert_endpoint(endpoint, 16).unwrap();
    }
    let created = at("2026-02-01T00:00:00Z");
    for n in 0..30 {
        store_instance(
            store,
            &instance_with(&a, &program, n + 1, named(&format!("I{n}")), created),
        );
    }
    let now = at("2026-02-02T00:00:00Z");
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| while store.dispatch_events(now, 7, &new_delivery_id).unwrap() > 0 {});
        }
    });
    assert_eq!(
        store.dispatch_events(now, 100, &new_delivery_id).unwrap(),
        0
    );
    let of = |endpoint: &WebhookEndpoint| {
        store
            .deliveries(&endpoint.workspace_id, &endpoint.id, None, 100)
            .unwrap()
            .items
    };
    let delivered = of(&everything);
    assert_eq!(delivered.len(), 30, "one delivery per event");
    let events: BTreeSet<_> = delivered.iter().map(|d| d.event_id.clone()).collect();
    assert_eq!(events.len(), 30, "no event twice");
    assert!(
        delivered
            .iter()
            .all(|d| d.state == DeliveryState::Pending && d.attempts == 0)
    );
    for quiet in [&enrollments_only, &disabled, &too_late, &elsewhere] {
        assert!(of(quiet).is_empty(), "{}", quiet.id);
    }

    let claimed = Mutex::new(Vec::new());
    let lease = at("2026-02-02T00:01:00Z");
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let batch = store.claim_due(now, lease, &up_to(4)).unwrap();
                    if batch.is_empty() {
                        break;
                    }
                    claimed.lock().unwrap().extend(batch.into_iter().map(|c| {
                        assert_eq!(c.endpoint.id, everything.id);
                        assert_eq!(c.event.id, c.delivery.event_id);
                        c.delivery.id
                    }));
                }
            });
        }
    });
    let claimed = claimed.into_inner().unwrap();
    let distinct: BTreeSet<_> = claimed.iter().cloned().collect();
    assert_eq!(
        (claimed.len(), distinct.len()),
        (30, 30),
        "each claimed once"
    );
    assert!(
        store.claim_due(now, lease, &up_to(100)).unwrap().is_empty(),
        "held by their claims"
    );
    let after_lease = at("2026-02-02T00:02:00Z");
    assert_eq!(
        store
            .claim_due(after_lease, at("2026-02-02T00:03:00Z"), &up_to(100))
            .unwrap()
            .len(),
        30,
        "a claim whose process died is taken over once its lease is over"
    );
    let oldest = store.oldest_pending().unwrap();
    assert_eq!(oldest, Some(now));
}

/// A claim takes at most `per_endpoint` of one endpoint's deliveries and none of a busy
/// endpoint's, oldest due first, so that one endpoint's backlog never fills a claim; what it
/// leaves stays due for the next. Attempts recorded together are all kept.
pub fn claims_share_between_endpoints(store: &dyn Storage) {
    let (a, b, program) = stage(store);
    let early = at("2026-01-01T00:00:00Z");
    let backlogged = endpoint(&a, 1, None, early);
    let quiet = endpoint(&b, 2, None, early);
    let stuck = endpoint(&b, 3, None, early);
    for endpoint in [&backlogged, &quiet, &stuck] {
        store.insert_endpoint(endpoint, 16).unwrap();
    }
    for n in 0..12 {
        let created = at("2026-02-01T00:00:00Z")
            .checked_add(time::Duration::seconds(i64::from(n)))
            .unwrap();
        store_instance(
            store,
            &instance_with(&a, &program, n + 1, named(&format!("A{n}")), created),
        );
    }
    for n in 0..2 {
        store_instance(
            store,
            &instance_with(
                &b,
                &program,
                n + 20,
                named(&format!("B{n}")),
                at("2026-02-01T01:00:00Z"),
            ),
        );
    }
    let now = at("2026-02-02T00:00:00Z");
    let lease = at("2026-02-02T00:01:00Z");
    store.dispatch_events(now, 100, &new_delivery_id).unwrap();
    let limits = ClaimLimits {
        limit: 100,
        per_endpoint: 3,
        busy: vec![stuck.id.clone()],
    };
    let claimed = store.claim_due(now, lease, &limits).unwrap();
    let count = |endpoint: &WebhookEndpoint| {
        claimed
            .iter()
            .filter(|c| c.endpoint.id == endpoint.id)
            .count()
    };
    assert_eq!(
        (count(&backlogged), count(&quiet), count(&stuck)),
        (3, 2, 0),
        "at most three of one endpoint's, none of a busy one's"
    );
    for claim in &claimed {
        assert_eq!(claim.event.id, claim.delivery.event_id);
        assert_eq!(claim.endpoint.workspace_id, claim.delivery.workspace_id);
    }
    let limited = store
        .claim_due(
            now,
            lease,
            &ClaimLimits {
                limit: 2,
                per_endpoint: 16,
                busy: Vec::new(),
            },
        )
        .unwrap();
    assert_eq!(limited.len(), 2, "at most the limit");
    let rest = store.claim_due(now, lease, &up_to(100)).unwrap();
    assert_eq!(
        rest.len(),
        12 + 2 + 2 - 3 - 2 - 2,
        "what earlier claims left stays due"
    );

    let backoff = Backoff {
        scale: 1.0,
        jitter: 0.5,
    };
    let ok = AttemptResult {
        status: Some(204),
        error: None,
        duration_ms: 1,
    };
    let recorded: Vec<RecordedAttempt> = claimed
        .iter()
        .chain(&limited)
        .chain(&rest)
        .map(|claim| RecordedAttempt {
            delivery: claim.delivery.after_attempt(&ok, now, backoff),
            streak: EndpointStreak::Answered,
        })
        .collect();
    store.record_attempts(&recorded).unwrap();
    for attempt in &recorded {
        let stored = store
            .delivery(
                &attempt.delivery.workspace_id,
                &attempt.delivery.endpoint_id,
                &attempt.delivery.id,
            )
            .unwrap()
            .unwrap();
        assert_eq!(stored.state, DeliveryState::Succeeded);
    }
    assert_eq!(store.oldest_pending().unwrap(), None);
}

pub fn attempts_are_recorded_and_failing_endpoints_disabled(store: &dyn Storage) {
    let (a, _, program) = stage(store);
    let early = at("2026-01-01T00:00:00Z");
    let target = endpoint(&a, 1, None, early);
    store.insert_endpoint(&target, 16).unwrap();
    store_instance(
        store,
        &instance_with(&a, &program, 1, named("One"), at("2026-01-02T00:00:00Z")),
    );
    let now = at("2026-01-03T00:00:00Z");
    store.dispatch_events(now, 10, &new_delivery_id).unwrap();
    let claim = store
        .claim_due(now, at("2026-01-03T00:01:00Z"), &up_to(10))
        .unwrap()
        .remove(0);
    let backoff = Backoff {
        scale: 1.0,
        jitter: 0.5,
    };
    let failed = AttemptResult {
        status: Some(503),
        error: Some("answered 503".into()),
        duration_ms: 12,
    };
    let disabled_event = event_with(
        &a,
        EventType::WebhookEndpointDisabled,
        None,
        now,
        json!({ "object": { "id": target.id.as_str(), "disabled": true } }),
    );
    let record = |delivery, threshold: Timestamp| RecordedAttempt {
        delivery,
        streak: EndpointStreak::Failed {
            at: now,
            disable_if_failing_since: threshold,
            disabled: disabled_event.clone(),
        },
    };
    let after = claim.delivery.after_attempt(&failed, now, backoff);
    store
        .record_attempts(&[record(after.clone(), at("2025-12-29T00:00:00Z"))])
        .unwrap();
    let stored = store.delivery(&a, &target.id, &after.id).unwrap().unwrap();
    assert_eq!(stored, after);
    assert_eq!((stored.attempts, stored.last_status), (1, Some(503)));
    let endpoint_now = store.endpoint(&a, &target.id).unwrap().unwrap();
    assert_eq!(endpoint_now.failing_since, Some(now));
    assert!(!endpoint_now.disabled, "failing for less than the limit");

    // Failing since `now`, and the limit says anything failing since `now` goes.
    store
        .record_attempts(&[record(after.clone(), now)])
        .unwrap();
    assert!(store.endpoint(&a, &target.id).unwrap().unwrap().disabled);
    let logged = store
        .events(
            &a,
            &EventFilter {
                types: Some(vec![EventType::WebhookEndpointDisabled]),
                ..EventFilter::default()
            },
            0,
            10,
        )
        .unwrap()
        .items;
    assert_eq!(logged.len(), 1, "disabled once, logged once");
    store
        .record_attempts(&[record(after.clone(), now)])
        .unwrap();
    assert_eq!(
        store
            .events(
                &a,
                &EventFilter {
                    types: Some(vec![EventType::WebhookEndpointDisabled]),
                    ..EventFilter::default()
                },
                0,
                10
            )
            .unwrap()
            .items
            .len(),
        1
    );
    assert!(
        store
            .claim_due(
                at("2026-02-01T00:00:00Z"),
                at("2026-02-01T00:01:00Z"),
                &up_to(10),
            )
            .unwrap()
            .is_empty(),
        "nothing is claimed for a disabled endpoint"
    );

    let retried = store
        .retry_delivery(&a, &target.id, &after.id, now)
        .unwrap()
        .unwrap();
    assert_eq!(
        (retried.state, retried.next_attempt_at),
        (DeliveryState::Pending, Some(now))
    );
    let ok = AttemptResult {
        status: Some(200),
        error: None,
        duration_ms: 3,
    };
    store
        .record_attempts(&[RecordedAttempt {
            delivery: retried.after_attempt(&ok, now, backoff),
            streak: EndpointStreak::Answered,
        }])
        .unwrap();
    assert_eq!(
        store
            .endpoint(&a, &target.id)
            .unwrap()
            .unwrap()
            .failing_since,
        None
    );
    assert_eq!(store.oldest_pending().unwrap(), None);
    let ghost = DeliveryId::parse("c999999999999999999999999").unwrap();
    assert_eq!(
        store.retry_delivery(&a, &target.id, &ghost, now).unwrap(),
        None
    );
}
