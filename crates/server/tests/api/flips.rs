//! `programInstance.enrollmentOpened` and `enrollmentClosed`: logged with the change that
//! flips `acceptingEnrollments`, or by the server when time does, once whatever the number
//! of processes, and after a restart with the instant of the flip.

use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::helpers::{TestApp, spawn_app, spawn_sqlite_app};
use crate::processes::{ServeProcess, call, initialised_database, serve_process};

fn types(page: &Value) -> Vec<&str> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect()
}

fn instant(value: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().unwrap(), &Rfc3339).unwrap()
}

/// Now plus `seconds`, to the whole second.
fn seconds_from_now(seconds: i64) -> OffsetDateTime {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    now + time::Duration::seconds(seconds)
}

fn text(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap()
}

async fn changes_log_the_flips_they_cause(app: &TestApp) {
    let key = &app.a.key;
    let log_of = |id: String| async move {
        let page = app
            .get(&format!("/events?programInstanceId={id}&limit=100"), key)
            .await;
        assert_eq!(page.status.as_u16(), 200, "{}", page.body);
        page.body
    };
    let open = app.instance_named(key, "Open at once").await;
    let id = open["id"].as_str().unwrap().to_owned();
    let page = log_of(id.clone()).await;
    assert_eq!(
        types(&page),
        [
            "programInstance.created",
            "programInstance.enrollmentOpened"
        ]
    );
    let opened = &page["data"][1];
    assert_eq!(opened["actorKeyId"], page["data"][0]["actorKeyId"]);
    assert_eq!(opened["data"]["at"], open["createdAt"]);
    assert_eq!(opened["data"]["object"]["acceptingEnrollments"], true);

    let configuring = app
        .create_instance(key, json!({"name": "Configuring", "status": "inactive"}))
        .await;
    let quiet = configuring["id"].as_str().unwrap().to_owned();
    assert_eq!(
        types(&log_of(quiet.clone()).await),
        ["programInstance.created"]
    );
    let renamed = app
        .patch(
            &format!("/programInstances/{quiet}"),
            key,
            &json!({"description": "not yet"}),
        )
        .await;
    assert_eq!(renamed.status.as_u16(), 200, "{}", renamed.body);
    let activated = app
        .patch(
            &format!("/programInstances/{quiet}"),
            key,
            &json!({"status": "active"}),
        )
        .await;
    assert_eq!(activated.status.as_u16(), 200, "{}", activated.body);
    // Seasons that exclude today close it again: an `updated` change.
    let today = OffsetDateTime::now_utc().date();
    let elsewhere = |offset: i64| {
        let day = today + time::Duration::days(offset);
        // A season day is a day of a non-leap year.
        format!("{:02}-{:02}", u8::from(day.month()), day.day()).replace("02-29", "02-28")
    };
    let out_of_season = app
        .patch(
            &format!("/programInstances/{quiet}"),
            key,
            &json!({"seasons": [{"opens": elsewhere(100), "closes": elsewhere(120)}]}),
        )
        .await;
    assert_eq!(out_of_season.status.as_u16(), 200, "{}", out_of_season.body);
    assert_eq!(out_of_season.body["acceptingEnrollments"], false);
    let archived = app
        .patch(
            &format!("/programInstances/{id}"),
            key,
            &json!({"status": "archived"}),
        )
        .await;
    assert_eq!(archived.status.as_u16(), 200, "{}", archived.body);
    assert_eq!(
        types(&log_of(quiet).await),
        [
            "programInstance.created",
            "programInstance.updated",
            "programInstance.statusChanged",
            "programInstance.enrollmentOpened",
            "programInstance.updated",
            "programInstance.enrollmentClosed",
        ]
    );
    let page = log_of(id.clone()).await;
    assert_eq!(
        types(&page),
        [
            "programInstance.created",
            "programInstance.enrollmentOpened",
            "programInstance.statusChanged",
            "programInstance.enrollmentClosed",
        ]
    );
    assert_eq!(page["data"][3]["data"]["at"], archived.body["updatedAt"]);
    assert_eq!(
        page["data"][3]["data"]["object"]["acceptingEnrollments"],
        false
    );

    // A delete logs only its own event.
    let doomed = app.create_instance(key, json!({"name": "Doomed"})).await;
    let doomed_id = doomed["id"].as_str().unwrap().to_owned();
    let deleted = app
        .delete(&format!("/programInstances/{doomed_id}"), key)
        .await;
    assert_eq!(deleted.status.as_u16(), 204);
    assert_eq!(
        types(&log_of(doomed_id).await),
        [
            "programInstance.created",
            "programInstance.enrollmentOpened",
            "programInstance.deleted",
        ]
    );
    // History stays the instance's own changes.
    let history = app
        .get(&format!("/programInstances/{id}/events"), key)
        .await;
    assert_eq!(history.body["data"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn changes_log_the_flips_they_cause_on_postgres() {
    changes_log_the_flips_they_cause(&spawn_app().await).await;
}

#[actix_web::test]
async fn changes_log_the_flips_they_cause_on_sqlite() {
    changes_log_the_flips_they_cause(&spawn_sqlite_app().await).await;
}

/// The events of `kind` a process answers, after waiting up to 10 s for at least one.
async fn flips_of(process: &ServeProcess, key: &str, kind: &str) -> Vec<Value> {
    let path = format!("/events?type={kind}&limit=100");
    for _ in 0..100 {
        let (status, page) = call(process, "GET", &path, key, None).await;
        assert_eq!(status, 200, "{page}");
        if !page["data"].as_array().unwrap().is_empty() {
            // Time for a second process to log it again, were it to.
            actix_web::rt::time::sleep(Duration::from_millis(2_500)).await;
            let (_, page) = call(process, "GET", &path, key, None).await;
            return page["data"].as_array().unwrap().clone();
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    Vec::new()
}

#[actix_web::test]
async fn two_serve_processes_log_a_start_date_passing_once() {
    let (database, key) = initialised_database();
    let first = serve_process(&database.url, 2_000).await;
    let second = serve_process(&database.url, 2_000).await;
    let start = seconds_from_now(3);
    let (status, created) = call(
        &first,
        "POST",
        "/programs/battery-rebate/instances",
        &key,
        Some(json!({"name": "Opens soon", "startDate": text(start)})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["acceptingEnrollments"], false);
    assert_eq!(instant(&created["nextChangeAt"]), start);

    let opened = flips_of(&second, &key, "programInstance.enrollmentOpened").await;
    assert_eq!(opened.len(), 1, "{opened:?}");
    let event = &opened[0];
    assert_eq!(event["actorKeyId"], Value::Null);
    assert_eq!(instant(&event["data"]["at"]), start);
    assert_eq!(event["data"]["object"]["id"], created["id"]);
    assert_eq!(event["data"]["object"]["acceptingEnrollments"], true);
    let late = instant(&event["createdAt"]) - start;
    assert!(late < time::Duration::seconds(5), "logged {late} late");
    drop((first, second));
}

#[actix_web::test]
async fn a_flip_passed_while_no_server_ran_is_logged_at_start_with_its_instant() {
    let (database, key) = initialised_database();
    let server = serve_process(&database.url, 2_000).await;
    let end = seconds_from_now(2);
    let (status, created) = call(
        &server,
        "POST",
        "/programs/battery-rebate/instances",
        &key,
        Some(json!({"name": "Closes soon", "endDate": text(end)})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["acceptingEnrollments"], true);
    drop(server);
    // Stopped across the end.
    while OffsetDateTime::now_utc() < end + time::Duration::seconds(1) {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let restarted = serve_process(&database.url, 2_000).await;
    let closed = flips_of(&restarted, &key, "programInstance.enrollmentClosed").await;
    assert_eq!(closed.len(), 1, "{closed:?}");
    let event = &closed[0];
    // `endDate` is the last instant that accepts: the flip is the one after it.
    assert_eq!(
        instant(&event["data"]["at"]),
        end + time::Duration::microseconds(1)
    );
    assert_eq!(event["data"]["object"]["acceptingEnrollments"], false);
    assert!(instant(&event["createdAt"]) > end + time::Duration::seconds(1));
    drop(restarted);
}
