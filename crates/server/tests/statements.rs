//! How many SQL statements each endpoint sends, counted by diesel's instrumentation: the hot
//! paths must not grow a query unnoticed. A test binary of its own, because the counter is
//! process-wide.

// Test code: a failed expectation is meant to stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};
use serde_json::json;

static STATEMENTS: AtomicUsize = AtomicUsize::new(0);

fn counting() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| {
        // The webhook dispatcher's threads (which also number the event log) and the
        // enrollment flip thread work in the background: what they send belongs to no request.
        let background = std::thread::current()
            .name()
            .is_some_and(|name| name == "webhooks" || name == "enrollment-flips");
        if let InstrumentationEvent::StartQuery { .. } = event
            && !background
        {
            STATEMENTS.fetch_add(1, Ordering::SeqCst);
        }
    }))
}

/// The statements `request` sent.
async fn statements_of<F: std::future::Future<Output = helpers::Reply>>(
    request: F,
) -> (usize, helpers::Reply) {
    let before = STATEMENTS.load(Ordering::SeqCst);
    let reply = request.await;
    (STATEMENTS.load(Ordering::SeqCst) - before, reply)
}

#[actix_web::test]
async fn each_endpoint_sends_a_known_number_of_statements() {
    set_default_instrumentation(counting).unwrap();
    // One connection, opened before counting starts, so that no connection set-up is counted.
    let app = helpers::spawn_app_with(|settings| settings.pool_size = 1).await;
    let key = app.a.key.clone();
    let created = app.instance_named(&key, "Warm").await;
    let path = format!("/programInstances/{}", created["id"].as_str().unwrap());
    app.get(&path, &key).await;

    let mut counts = Vec::new();
    let (n, reply) = statements_of(app.get(&path, &key)).await;
    assert_eq!(reply.status.as_u16(), 200);
    counts.push(("GET /programInstances/{id}", n));
    let (n, reply) = statements_of(app.get("/programInstances?limit=20&status=active", &key)).await;
    assert_eq!(reply.status.as_u16(), 200);
    counts.push(("GET /programInstances", n));
    let (n, reply) =
        statements_of(app.get("/programInstances?activeAt=2026-07-01T00:00:00Z", &key)).await;
    assert_eq!(reply.status.as_u16(), 200);
    counts.push(("GET /programInstances?activeAt", n));
    let (n, reply) = statements_of(app.post(
        "/programs/battery-rebate/instances",
        &key,
        &json!({"name": "Counted"}),
    ))
    .await;
    assert_eq!(reply.status.as_u16(), 201);
    counts.push(("POST /programs/{slug}/instances", n));
    let (n, reply) =
        statements_of(app.patch(&path, &key, &json!({"description": "counted"}))).await;
    assert_eq!(reply.status.as_u16(), 200);
    counts.push(("PATCH /programInstances/{id}", n));
    let (n, reply) =
        statements_of(app.patch(&path, &key, &json!({"metadata": {"crm": "counted"}}))).await;
    assert_eq!(reply.status.as_u16(), 200);
    counts.push(("PATCH /programInstances/{id} (same revision)", n));
    let (n, reply) = statements_of(app.patch(&path, &key, &json!({}))).await;
    assert_eq!(reply.status.as_u16(), 200);
    counts.push(("PATCH /programInstances/{id} (no change)", n));
    let (n, reply) = statements_of(app.get("/programs/battery-rebate", &key)).await;
    assert_eq!(reply.status.as_u16(), 200);
    counts.push(("GET /programs/{slug}", n));
    let (n, reply) = statements_of(app.get("/reports/participation", &key)).await;
    assert_eq!(reply.status.as_u16(), 200);
    counts.push(("GET /reports/participation", n));
    let (n, reply) = statements_of(app.get(
        "/reports/participation?from=2026-01-01T10:00:00Z&to=2099-01-01T10:00:00Z",
        &key,
    ))
    .await;
    assert_eq!(reply.status.as_u16(), 200);
    counts.push(("GET /reports/participation (partial days)", n));
    let (n, reply) = statements_of(app.delete(&path, &key)).await;
    assert_eq!(reply.status.as_u16(), 204);
    counts.push(("DELETE /programInstances/{id}", n));

    // Reads: one select. Writes: the statements plus the transaction's BEGIN and COMMIT.
    let expected = [
        ("GET /programInstances/{id}", 1),
        ("GET /programInstances", 1),
        // The zones of the workspace's seasonal instances (to find the day the instant falls
        // on in each), then the page.
        ("GET /programInstances?activeAt", 2),
        // One statement: the program's visibility, the instance and its event (the program's
        // id by slug is remembered from the warm-up).
        ("POST /programs/{slug}/instances", 1),
        // BEGIN, the locking read, the update, when the new revision began, the event,
        // COMMIT.
        ("PATCH /programInstances/{id}", 6),
        // The same without a new revision (metadata is not customer-facing).
        ("PATCH /programInstances/{id} (same revision)", 5),
        // BEGIN, the locking read, ROLLBACK: whether a patch changes anything is known only
        // once the instance is read, under its lock.
        ("PATCH /programInstances/{id} (no change)", 3),
        ("GET /programs/{slug}", 1),
        // The whole report, every instance and the totals, in one statement.
        ("GET /reports/participation", 1),
        ("GET /reports/participation (partial days)", 1),
        // BEGIN, the locking read (the event carries the instance as it was), the delete,
        // the event, COMMIT.
        ("DELETE /programInstances/{id}", 5),
    ];
    assert_eq!(counts, expected);
}
