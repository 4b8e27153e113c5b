//! `GET /events` and `GET /events/{id}`: the workspace's event log.

use domain::Scope;
use serde_json::{Value, json};

use crate::helpers::{TestApp, key_with, scoped, spawn_app, spawn_sqlite_app};

fn types(page: &Value) -> Vec<&str> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect()
}

/// Every kind of change, through the API; the log tells each with the resource as a read
/// of it showed it then.
async fn every_change_is_logged_with_the_resource_as_read(app: &TestApp) {
    let key = &app.a.key;
    let created = app.instance_named(key, "Logged").await;
    let id = created["id"].as_str().unwrap();
    let renamed = app
        .patch(
            &format!("/programInstances/{id}"),
            key,
            &json!({"name": "Logged 2"}),
        )
        .await;
    assert_eq!(renamed.status.as_u16(), 200, "{}", renamed.body);
    let paused = app
        .patch(
            &format!("/programInstances/{id}"),
            key,
            &json!({"status": "inactive", "description": "paused"}),
        )
        .await;
    assert_eq!(paused.status.as_u16(), 200, "{}", paused.body);
    let resumed = app
        .patch(
            &format!("/programInstances/{id}"),
            key,
            &json!({"status": "active"}),
        )
        .await;
    let enrolled = app
        .post(
            &format!("/programInstances/{id}/enrollments"),
            key,
            &json!({"customer": {"name": "Ann"}}),
        )
        .await;
    assert_eq!(enrolled.status.as_u16(), 201, "{}", enrolled.body);
    let enrollment = enrolled.body["id"].as_str().unwrap();
    let approved = app
        .patch(
            &format!("/enrollments/{enrollment}"),
            key,
            &json!({"status": "approved", "reason": "proof checked"}),
        )
        .await;
    assert_eq!(approved.status.as_u16(), 200, "{}", approved.body);
    let doomed = app.instance_named(key, "Doomed").await;
    let doomed_id = doomed["id"].as_str().unwrap();
    let deleted = app
        .delete(&format!("/programInstances/{doomed_id}"), key)
        .await;
    assert_eq!(deleted.status.as_u16(), 204);

    let log = app.get("/events", key).await;
    assert_eq!(log.status.as_u16(), 200, "{}", log.body);
    assert_eq!(
        types(&log.body),
        [
            "programInstance.created",
            "programInstance.enrollmentOpened",
            "programInstance.updated",
            "programInstance.updated",
            "programInstance.statusChanged",
            "programInstance.enrollmentClosed",
            "programInstance.statusChanged",
            "programInstance.enrollmentOpened",
            "enrollment.created",
            "enrollment.statusChanged",
            "programInstance.created",
            "programInstance.enrollmentOpened",
            "programInstance.deleted",
        ]
    );
    assert_eq!(log.body["hasMore"], false);
    let events = log.body["data"].as_array().unwrap();
    for event in events {
        assert!(event["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(event["workspaceId"], app.a.id.as_str());
        assert!(event["actorKeyId"].is_string(), "{event}");
    }
    assert_eq!(events[0]["data"], json!({ "object": created }));
    assert_eq!(
        events[1]["data"],
        json!({ "object": created, "at": created["createdAt"] })
    );
    assert_eq!(
        events[2]["data"],
        json!({ "object": renamed.body, "previous": { "name": "Logged" } })
    );
    // One PATCH changing a field and the status logs both, the status last, then the flip
    // it causes.
    assert_eq!(
        events[3]["data"]["previous"],
        json!({ "description": null })
    );
    assert_eq!(
        events[4]["data"],
        json!({ "object": paused.body, "previous": { "status": "active" } })
    );
    assert_eq!(
        events[5]["data"],
        json!({ "object": paused.body, "at": paused.body["updatedAt"] })
    );
    assert_eq!(events[6]["data"]["object"], resumed.body);
    assert_eq!(events[7]["data"]["object"], resumed.body);
    assert_eq!(events[8]["data"], json!({ "object": enrolled.body }));
    assert_eq!(
        events[9]["data"],
        json!({
            "object": approved.body,
            "previous": { "status": "submitted" },
            "reason": "proof checked",
        })
    );
    assert_eq!(events[12]["data"], json!({ "object": doomed }));

    let one = app
        .get(
            &format!("/events/{}", events[9]["id"].as_str().unwrap()),
            key,
        )
        .await;
    assert_eq!(one.status.as_u16(), 200);
    assert_eq!(&one.body, &events[9]);

    // The instance's own history reads the same log.
    let history = app
        .get(&format!("/programInstances/{id}/events"), key)
        .await;
    let kinds: Vec<_> = history.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "updated",
            "updated",
            "statusChanged",
            "statusChanged"
        ]
    );
}

#[actix_web::test]
async fn every_change_is_logged_on_postgres() {
    every_change_is_logged_with_the_resource_as_read(&spawn_app().await).await;
}

#[actix_web::test]
async fn every_change_is_logged_on_sqlite() {
    every_change_is_logged_with_the_resource_as_read(&spawn_sqlite_app().await).await;
}

#[actix_web::test]
async fn a_poller_resumes_from_the_last_cursor() {
    let app = spawn_app().await;
    let key = &app.a.key;
    let empty = app.get("/events", key).await;
    assert_eq!(empty.body["data"], json!([]));
    assert_eq!(empty.body["hasMore"], false);
    let start = empty.body["nextCursor"].as_str().unwrap().to_owned();
    // Inactive: one event each (an active one is also `enrollmentOpened`).
    for n in 0..3 {
        app.create_instance(
            key,
            json!({"name": format!("Polled {n}"), "status": "inactive"}),
        )
        .await;
    }
    let first = app
        .get(&format!("/events?cursor={start}&limit=2"), key)
        .await;
    assert_eq!(first.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(first.body["hasMore"], true);
    let cursor = first.body["nextCursor"].as_str().unwrap();
    let rest = app
        .get(&format!("/events?cursor={cursor}&limit=2"), key)
        .await;
    assert_eq!(rest.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(rest.body["hasMore"], false);
    let last = rest.body["nextCursor"].as_str().unwrap().to_owned();
    let nothing_new = app.get(&format!("/events?cursor={last}"), key).await;
    assert_eq!(nothing_new.body["data"], json!([]));
    assert_eq!(nothing_new.body["nextCursor"], last.as_str());
    app.instance_named(key, "Later").await;
    let later = app.get(&format!("/events?cursor={last}"), key).await;
    assert_eq!(later.body["data"][0]["data"]["object"]["name"], "Later");
}

#[actix_web::test]
async fn filters_narrow_the_log_and_bad_parameters_are_named() {
    let app = spawn_app().await;
    let key = &app.a.key;
    let one = app.instance_named(key, "One").await;
    let two = app.instance_named(key, "Two").await;
    let two_id = two["id"].as_str().unwrap();
    app.patch(
        &format!("/programInstances/{two_id}"),
        key,
        &json!({"status": "inactive"}),
    )
    .await;
    let by_instance = app
        .get(&format!("/events?programInstanceId={two_id}"), key)
        .await;
    assert_eq!(
        types(&by_instance.body),
        [
            "programInstance.created",
            "programInstance.enrollmentOpened",
            "programInstance.statusChanged",
            "programInstance.enrollmentClosed"
        ]
    );
    let by_type = app
        .get(
            "/events?type=programInstance.statusChanged,enrollment.created",
            key,
        )
        .await;
    assert_eq!(types(&by_type.body), ["programInstance.statusChanged"]);
    let created = app.get("/events?type=programInstance.created", key).await;
    assert_eq!(created.body["data"][0]["data"]["object"], one);

    let bad = app
        .get(
            "/events?type=instance.created&limit=101&cursor=abc&since=1",
            key,
        )
        .await;
    bad.problem(422, "invalid_query");
    let mut found = bad.violations();
    found.sort();
    assert_eq!(
        found,
        [
            ("cursor".to_owned(), "invalid_cursor".to_owned()),
            ("limit".to_owned(), "out_of_range".to_owned()),
            ("since".to_owned(), "unknown_parameter".to_owned()),
            ("type".to_owned(), "invalid_event_type".to_owned()),
        ]
    );
    app.get("/events/evt_cnotanevent0000000000000000", key)
        .await
        .problem(404, "not_found");
    app.get("/events/nonsense", key)
        .await
        .problem(404, "not_found");
}

#[actix_web::test]
async fn the_log_is_the_workspace_s_and_the_key_s_own() {
    let app = spawn_app().await;
    let mine = app.instance_named(&app.a.key, "Mine").await;
    let mine_id = mine["id"].as_str().unwrap();
    let other = app.instance_named(&app.a.key, "Other").await;
    let log = app.get("/events", &app.a.key).await;
    let first = log.body["data"][0]["id"].as_str().unwrap().to_owned();

    let theirs = app.get("/events", &app.b.key).await;
    assert_eq!(
        theirs.body["data"],
        json!([]),
        "another workspace's log is empty"
    );
    app.get(&format!("/events/{first}"), &app.b.key)
        .await
        .problem(404, "not_found");

    let restricted = key_with(
        &app.app,
        &app.a.id,
        scoped(&[Scope::EventsRead], Some(&[mine_id])),
    );
    let seen = app.get("/events", &restricted).await;
    assert_eq!(
        types(&seen.body),
        [
            "programInstance.created",
            "programInstance.enrollmentOpened"
        ]
    );
    assert_eq!(seen.body["data"][0]["data"]["object"]["id"], mine_id);
    let other_created = &log.body["data"][2];
    assert_eq!(other_created["data"]["object"]["id"], other["id"]);
    app.get(
        &format!("/events/{}", other_created["id"].as_str().unwrap()),
        &restricted,
    )
    .await
    .problem(404, "not_found");

    let without_scope = key_with(
        &app.app,
        &app.a.id,
        scoped(&[Scope::ProgramInstancesRead], None),
    );
    app.get("/events", &without_scope)
        .await
        .problem(403, "missing_scope");
}
