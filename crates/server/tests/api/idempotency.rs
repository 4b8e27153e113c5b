use serde_json::json;

use crate::helpers::spawn_app;

const PATH: &str = "/programs/battery-rebate/instances";

#[actix_web::test]
async fn a_retry_replays_the_first_response() {
    let app = spawn_app().await;
    let body = json!({"name": "Once only", "metadata": {"a": 1, "b": 2}});
    let headers = [("Idempotency-Key", "retry-1")];
    let first = app
        .send("POST", PATH, Some(&app.a.key), Some(&body), &headers)
        .await;
    assert_eq!(first.status.as_u16(), 201);
    // Same JSON, other formatting and member order.
    let reordered = json!({"metadata": {"b": 2, "a": 1}, "name": "Once only"});
    let retry = app
        .send("POST", PATH, Some(&app.a.key), Some(&reordered), &headers)
        .await;
    assert_eq!(retry.status.as_u16(), 201);
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.header("location"), first.header("location"));
    assert_eq!(retry.header("etag"), first.header("etag"));
    assert_ne!(retry.header("x-request-id"), first.header("x-request-id"));
    let listed = app.get("/programInstances", &app.a.key).await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(1));
}

#[actix_web::test]
async fn errors_are_replayed_with_the_new_request_id() {
    let app = spawn_app().await;
    let headers = [("Idempotency-Key", "bad-1")];
    let first = app
        .send(
            "POST",
            PATH,
            Some(&app.a.key),
            Some(&json!({"name": ""})),
            &headers,
        )
        .await;
    first.problem(422, "validation_failed");
    let retry = app
        .send(
            "POST",
            PATH,
            Some(&app.a.key),
            Some(&json!({"name": ""})),
            &headers,
        )
        .await;
    retry.problem(422, "validation_failed");
    assert_eq!(retry.body["errors"], first.body["errors"]);
    assert_ne!(retry.body["requestId"], first.body["requestId"]);
}

#[actix_web::test]
async fn a_reused_key_with_another_body_is_refused() {
    let app = spawn_app().await;
    let headers = [("Idempotency-Key", "reuse-1")];
    let first = app
        .send(
            "POST",
            PATH,
            Some(&app.a.key),
            Some(&json!({"name": "First"})),
            &headers,
        )
        .await;
    assert_eq!(first.status.as_u16(), 201);
    let other = app
        .send(
            "POST",
            PATH,
            Some(&app.a.key),
            Some(&json!({"name": "Second"})),
            &headers,
        )
        .await;
    other.problem(422, "idempotency_mismatch");
    let elsewhere = app
        .send(
            "POST",
            "/programs/ev-charging-rebate/instances",
            Some(&app.a.key),
            Some(&json!({"name": "First"})),
            &headers,
        )
        .await;
    elsewhere.problem(422, "idempotency_mismatch");
}

#[actix_web::test]
async fn keys_are_scoped_per_workspace() {
    let app = spawn_app().await;
    let headers = [("Idempotency-Key", "shared-key")];
    let a = app
        .send(
            "POST",
            PATH,
            Some(&app.a.key),
            Some(&json!({"name": "Same"})),
            &headers,
        )
        .await;
    let b = app
        .send(
            "POST",
            PATH,
            Some(&app.b.key),
            Some(&json!({"name": "Same"})),
            &headers,
        )
        .await;
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (201, 201));
    assert_ne!(a.body["id"], b.body["id"]);
    assert_eq!(b.body["workspaceId"], "ws_b");
}

#[actix_web::test]
async fn a_retry_while_the_first_is_running_is_a_409() {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, PgConnection};

    let app = spawn_app().await;
    let body = json!({"name": "Slow"});
    // Another server process is writing the key's answer: it holds the key's lock in an
    // open transaction.
    let mut other_process = PgConnection::establish(&app.database_url()).unwrap();
    other_process
        .batch_execute(
            "BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('ws_a' || chr(10) || 'in-flight', 0));",
        )
        .unwrap();
    let headers = [("Idempotency-Key", "in-flight")];
    let retry = app
        .send("POST", PATH, Some(&app.a.key), Some(&body), &headers)
        .await;
    retry.problem(409, "idempotency_in_progress");
    let listed = app.get("/programInstances", &app.a.key).await;
    assert_eq!(listed.body["data"], json!([]), "the retry did not run");

    // The first request failed (its transaction ended without an answer): the key is free
    // at once, no lease to wait out.
    other_process.batch_execute("ROLLBACK").unwrap();
    let again = app
        .send("POST", PATH, Some(&app.a.key), Some(&body), &headers)
        .await;
    assert_eq!(again.status.as_u16(), 201, "{}", again.body);
}

#[actix_web::test]
async fn malformed_keys_are_refused() {
    let app = spawn_app().await;
    let long = "k".repeat(256);
    let reply = app
        .send(
            "POST",
            PATH,
            Some(&app.a.key),
            Some(&json!({"name": "x"})),
            &[("Idempotency-Key", long.as_str())],
        )
        .await;
    reply.problem(422, "invalid_header");
}
