//! `POST /programInstances/{id}/copies`, the CLI's `instances copy`, and revisions: which
//! changes make a new design, and which design each enrollment saw.

use domain::Scope;
use serde_json::{Value, json};

use crate::helpers::{TestApp, key_with, scoped, spawn_app, spawn_sqlite_app};

fn seasonal_source() -> Value {
    json!({
        "name": "NYC Summer Demand Response 2026",
        "slug": "nyc-summer-2026",
        "description": "Shave the peak",
        "eligibilityCriteria": {"regions": ["NY"]},
        "customTerms": "Terms",
        "formConfig": {"fields": [{"key": "meter", "label": "Meter number", "type": "text"}]},
        "startDate": "2026-01-01T00:00:00Z",
        "endDate": "2026-12-31T23:59:59Z",
        "metadata": {"crm": "summer"},
        "timeZone": "America/New_York",
        "seasons": [{"opens": "05-01", "closes": "09-30"}],
    })
}

async fn copies_take_every_field_they_do_not_set(app: &TestApp) {
    let key = &app.a.key;
    let source = app.create_instance(key, seasonal_source()).await;
    let id = source["id"].as_str().unwrap();
    let archived = app
        .patch(
            &format!("/programInstances/{id}"),
            key,
            &json!({"status": "archived"}),
        )
        .await;
    assert_eq!(archived.status.as_u16(), 200, "{}", archived.body);

    let body = json!({
        "slug": "nyc-summer-2027",
        "name": "NYC Summer Demand Response 2027",
        "startDate": "2027-01-01T00:00:00Z",
        "endDate": null,
    });
    let copied = app
        .send(
            "POST",
            &format!("/programInstances/{id}/copies"),
            Some(key),
            Some(&body),
            &[("Idempotency-Key", "copy-2027")],
        )
        .await;
    assert_eq!(copied.status.as_u16(), 201, "{}", copied.body);
    let copy = &copied.body;
    let copy_id = copy["id"].as_str().unwrap();
    assert_ne!(copy_id, id);
    assert_eq!(
        copied.header("location").as_deref(),
        Some(format!("/programInstances/{copy_id}").as_str())
    );
    assert_eq!(copy["copiedFrom"], id);
    assert_eq!(copy["programId"], source["programId"]);
    assert_eq!(copy["status"], "inactive");
    assert_eq!(
        (&copy["version"], &copy["revision"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(copy["slug"], "nyc-summer-2027");
    assert_eq!(copy["name"], "NYC Summer Demand Response 2027");
    assert_eq!(copy["startDate"], "2027-01-01T00:00:00Z");
    assert_eq!(copy["endDate"], Value::Null, "null clears");
    for field in [
        "description",
        "eligibilityCriteria",
        "customTerms",
        "formConfig",
        "metadata",
        "timeZone",
        "seasons",
    ] {
        assert_eq!(copy[field], source[field], "{field} is copied");
    }
    assert_eq!(source["copiedFrom"], Value::Null);

    // The same key and body: the first answer, and still one copy.
    let replayed = app
        .send(
            "POST",
            &format!("/programInstances/{id}/copies"),
            Some(key),
            Some(&body),
            &[("Idempotency-Key", "copy-2027")],
        )
        .await;
    assert_eq!(replayed.status.as_u16(), 201);
    assert_eq!(
        replayed.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(replayed.body, copied.body);
    let listed = app.get("/programInstances?slug=nyc-summer-2027", key).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);

    let log = app
        .get(&format!("/events?programInstanceId={copy_id}"), key)
        .await;
    assert_eq!(log.body["data"][0]["type"], "programInstance.created");
    assert_eq!(log.body["data"][0]["data"]["copiedFrom"], id);
    assert_eq!(log.body["data"][0]["data"]["object"], *copy);
    assert_eq!(
        log.body["data"].as_array().unwrap().len(),
        1,
        "an inactive copy opens nothing"
    );

    // An active copy accepting at once opens, like a create.
    let active = app
        .post(
            &format!("/programInstances/{copy_id}/copies"),
            key,
            &json!({"slug": "all-year", "status": "active", "seasons": null, "startDate": null}),
        )
        .await;
    assert_eq!(active.status.as_u16(), 201, "{}", active.body);
    assert_eq!(active.body["acceptingEnrollments"], true);
    assert_eq!(active.body["copiedFrom"], copy_id);
}

async fn copies_follow_the_creation_rules(app: &TestApp) {
    let key = &app.a.key;
    let source = app.create_instance(key, seasonal_source()).await;
    let id = source["id"].as_str().unwrap();
    let path = format!("/programInstances/{id}/copies");

    let reply = app.post(&path, key, &json!({"name": "No slug"})).await;
    reply.problem(422, "validation_failed");
    assert_eq!(
        reply.violations(),
        [("/slug".to_owned(), "required".to_owned())]
    );
    let reply = app
        .post(
            &path,
            key,
            &json!({"slug": "x-1", "status": "archived", "id": "c", "timeZone": "Mars/Base"}),
        )
        .await;
    reply.problem(422, "validation_failed");
    let mut found = reply.violations();
    found.sort();
    assert_eq!(
        found,
        [
            ("/id".to_owned(), "read_only".to_owned()),
            ("/status".to_owned(), "invalid_initial_status".to_owned()),
            ("/timeZone".to_owned(), "unknown_time_zone".to_owned()),
        ]
    );
    app.post(&path, key, &json!({"slug": "nyc-summer-2026"}))
        .await
        .problem(409, "slug_taken");
    app.post(
        "/programInstances/cnosuchinstance00000000000/copies",
        key,
        &json!({"slug": "x-2"}),
    )
    .await
    .problem(404, "not_found");
    app.post(&path, &app.b.key, &json!({"slug": "x-3"}))
        .await
        .problem(404, "not_found");
    let restricted = key_with(
        &app.app,
        &app.a.id,
        scoped(
            &[Scope::ProgramInstancesRead, Scope::ProgramInstancesWrite],
            Some(&[id]),
        ),
    );
    app.post(&path, &restricted, &json!({"slug": "x-4"}))
        .await
        .problem(403, "forbidden");
    let reader = key_with(
        &app.app,
        &app.a.id,
        scoped(&[Scope::ProgramInstancesRead], None),
    );
    app.post(&path, &reader, &json!({"slug": "x-5"}))
        .await
        .problem(403, "missing_scope");
}

/// Only what customers see or are judged by moves `revision`; each enrollment keeps the
/// revision it was made at.
async fn revisions_follow_the_customer_facing_design(app: &TestApp) {
    let key = &app.a.key;
    let created = app.instance_named(key, "Designed").await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["revision"], 1);
    let enroll = || async {
        let reply = app
            .post(
                &format!("/programInstances/{id}/enrollments"),
                key,
                &json!({"customer": {"name": "Ann"}}),
            )
            .await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.body);
        reply.body
    };
    assert_eq!(enroll().await["instanceRevision"], 1);
    let patch = |body: Value| async move {
        let reply = app
            .patch(&format!("/programInstances/{id}"), key, &body)
            .await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
        reply.body
    };
    let unseen = patch(
        json!({"metadata": {"a": 1}, "slug": "designed-2", "endDate": "2099-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(
        (&unseen["version"], &unseen["revision"]),
        (&json!(2), &json!(1))
    );
    let reworded = patch(
        json!({"formConfig": {"fields": [{"key": "meter", "label": "Meter", "type": "text"}]}}),
    )
    .await;
    assert_eq!(
        (&reworded["version"], &reworded["revision"]),
        (&json!(3), &json!(2))
    );
    let enrolled = app
        .post(
            &format!("/programInstances/{id}/enrollments"),
            key,
            &json!({"customer": {"name": "Bo"}, "formData": {"meter": "M-1"}}),
        )
        .await;
    assert_eq!(enrolled.status.as_u16(), 201, "{}", enrolled.body);
    assert_eq!(enrolled.body["instanceRevision"], 2);
    let read = app
        .get(
            &format!("/enrollments/{}", enrolled.body["id"].as_str().unwrap()),
            key,
        )
        .await;
    assert_eq!(read.body["instanceRevision"], 2);
}

#[actix_web::test]
async fn copies_take_every_field_they_do_not_set_on_postgres() {
    copies_take_every_field_they_do_not_set(&spawn_app().await).await;
}

#[actix_web::test]
async fn copies_take_every_field_they_do_not_set_on_sqlite() {
    copies_take_every_field_they_do_not_set(&spawn_sqlite_app().await).await;
}

#[actix_web::test]
async fn copies_follow_the_creation_rules_on_postgres() {
    copies_follow_the_creation_rules(&spawn_app().await).await;
}

#[actix_web::test]
async fn copies_follow_the_creation_rules_on_sqlite() {
    copies_follow_the_creation_rules(&spawn_sqlite_app().await).await;
}

#[actix_web::test]
async fn revisions_follow_the_customer_facing_design_on_postgres() {
    revisions_follow_the_customer_facing_design(&spawn_app().await).await;
}

#[actix_web::test]
async fn revisions_follow_the_customer_facing_design_on_sqlite() {
    revisions_follow_the_customer_facing_design(&spawn_sqlite_app().await).await;
}
