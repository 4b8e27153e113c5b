use serde_json::{Value, json};

use crate::helpers::{documented_example, spawn_app};

async fn set_status(
    app: &crate::helpers::TestApp,
    path: &str,
    status: &str,
) -> crate::helpers::Reply {
    app.patch(path, &app.a.key, &json!({ "status": status }))
        .await
}

#[actix_web::test]
async fn live_statuses_toggle_and_archive() {
    let app = spawn_app().await;
    for start in ["active", "inactive"] {
        let created = app
            .create_instance(
                &app.a.key,
                json!({"name": format!("From {start}"), "status": start}),
            )
            .await;
        let path = format!("/programInstances/{}", created["id"].as_str().unwrap());
        let other = if start == "active" {
            "inactive"
        } else {
            "active"
        };
        let toggled = set_status(&app, &path, other).await;
        assert_eq!(toggled.body["status"], other);
        assert_eq!(toggled.body["version"], 2);
        let back = set_status(&app, &path, start).await;
        assert_eq!(back.body["status"], start);
        let archived = set_status(&app, &path, "archived").await;
        assert_eq!(archived.body["status"], "archived");
        assert_eq!(archived.body["acceptingEnrollments"], false);
    }
}

#[actix_web::test]
async fn the_same_status_is_a_no_op() {
    let app = spawn_app().await;
    let created = app.instance_named(&app.a.key, "Steady").await;
    let path = format!("/programInstances/{}", created["id"].as_str().unwrap());
    let reply = set_status(&app, &path, "active").await;
    assert_eq!(reply.status.as_u16(), 200);
    assert_eq!(reply.body["version"], 1);
}

#[actix_web::test]
async fn archived_instances_are_read_only() {
    let app = spawn_app().await;
    let created = app.instance_named(&app.a.key, "Done").await;
    let path = format!("/programInstances/{}", created["id"].as_str().unwrap());
    set_status(&app, &path, "archived").await;
    for body in [
        json!({}),
        json!({"status": "archived"}),
        json!({"status": "active"}),
        json!({"name": "Revived"}),
    ] {
        app.patch(&path, &app.a.key, &body)
            .await
            .problem(409, "archived");
    }
    let fetched = app.get(&path, &app.a.key).await;
    assert_eq!(
        (fetched.body["status"].clone(), fetched.body["name"].clone()),
        (json!("archived"), json!("Done"))
    );
}

#[actix_web::test]
async fn activation_is_refused_once_the_end_date_has_passed() {
    let app = spawn_app().await;
    let created = app.create_instance(&app.a.key, documented_example()).await;
    let path = format!("/programInstances/{}", created["id"].as_str().unwrap());
    assert_eq!(created["status"], "active", "creation is not an activation");

    set_status(&app, &path, "inactive").await;
    let refused = set_status(&app, &path, "active").await;
    refused.problem(409, "cannot_activate");
    assert_eq!(
        app.get(&path, &app.a.key).await.body["status"],
        "inactive",
        "nothing changed"
    );

    let extended = app
        .patch(
            &path,
            &app.a.key,
            &json!({"status": "active", "endDate": "2099-12-31T23:59:59Z"}),
        )
        .await;
    assert_eq!(extended.status.as_u16(), 200, "body: {}", extended.body);
    assert_eq!(extended.body["status"], "active");
    assert_eq!(extended.body["acceptingEnrollments"], true);
}

#[actix_web::test]
async fn history_records_creation_changes_and_status_moves() {
    let app = spawn_app().await;
    let created = app.instance_named(&app.a.key, "Tracked").await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/programInstances/{id}");
    app.patch(
        &path,
        &app.a.key,
        &json!({"description": "Now described", "name": "Tracked Well"}),
    )
    .await;
    set_status(&app, &path, "inactive").await;
    app.patch(&path, &app.a.key, &json!({})).await;
    set_status(&app, &path, "inactive").await;

    let history = app.get(&format!("{path}/events"), &app.a.key).await;
    assert_eq!(history.status.as_u16(), 200, "body: {}", history.body);
    let events = history.body["data"].as_array().unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "updated", "statusChanged"]);
    assert_eq!(
        events[1]["changes"],
        json!([
            {"field": "name", "before": "Tracked", "after": "Tracked Well"},
            {"field": "description", "before": null, "after": "Now described"}
        ])
    );
    assert_eq!(
        (events[2]["from"].clone(), events[2]["to"].clone()),
        (json!("active"), json!("inactive"))
    );
    assert!(events.iter().all(|e| e["instanceId"] == id
        && e["actorKeyId"].is_string()
        && e["occurredAt"].is_string()));

    let first_page = app.get(&format!("{path}/events?limit=2"), &app.a.key).await;
    assert_eq!(first_page.body["hasMore"], true);
    let cursor = first_page.body["nextCursor"].as_str().unwrap();
    let second_page = app
        .get(
            &format!("{path}/events?limit=2&cursor={cursor}"),
            &app.a.key,
        )
        .await;
    assert_eq!(second_page.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(second_page.body["hasMore"], false);
    assert_eq!(second_page.body["nextCursor"], Value::Null);
}
