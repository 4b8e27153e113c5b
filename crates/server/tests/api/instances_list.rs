use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

fn names(reply: &crate::helpers::Reply) -> Vec<String> {
    reply.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn all_pages(app: &TestApp, query: &str, limit: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/programInstances?{query}&limit={limit}&cursor={cursor}"),
            None => format!("/programInstances?{query}&limit={limit}"),
        };
        let page = app.get(&path, &app.a.key).await;
        assert_eq!(page.status.as_u16(), 200, "body: {}", page.body);
        let items = names(&page);
        assert!(items.len() <= limit);
        seen.extend(items);
        match page.body["nextCursor"].as_str() {
            Some(next) => {
                assert_eq!(page.body["hasMore"], true);
                cursor = Some(next.to_owned());
            }
            None => {
                assert_eq!(page.body["hasMore"], false);
                return seen;
            }
        }
    }
}

#[actix_web::test]
async fn lists_are_newest_first_and_paginate_without_gaps_or_repeats() {
    let app = spawn_app().await;
    for i in 0..7 {
        app.instance_named(&app.a.key, &format!("Instance {i}"))
            .await;
    }
    let everything = app.get("/programInstances", &app.a.key).await;
    let expected: Vec<String> = (0..7).rev().map(|i| format!("Instance {i}")).collect();
    assert_eq!(names(&everything), expected);
    assert_eq!(everything.body["hasMore"], false);
    assert_eq!(everything.body["nextCursor"], Value::Null);
    assert_eq!(all_pages(&app, "", 3).await, expected);
    assert_eq!(all_pages(&app, "", 1).await, expected);
}

#[actix_web::test]
async fn cursors_are_stable_under_concurrent_inserts() {
    let app = spawn_app().await;
    for i in 0..4 {
        app.instance_named(&app.a.key, &format!("Old {i}")).await;
    }
    let first = app.get("/programInstances?limit=2", &app.a.key).await;
    let cursor = first.body["nextCursor"].as_str().unwrap().to_owned();
    app.instance_named(&app.a.key, "Newcomer").await;
    let second = app
        .get(
            &format!("/programInstances?limit=2&cursor={cursor}"),
            &app.a.key,
        )
        .await;
    assert_eq!(names(&first), ["Old 3", "Old 2"]);
    assert_eq!(names(&second), ["Old 1", "Old 0"]);
}

#[actix_web::test]
async fn every_filter_narrows_the_list() {
    let app = spawn_app().await;
    let ev = app
        .post(
            "/programs/ev-charging-rebate/instances",
            &app.a.key,
            &json!({"name": "EV Chargers 50% off"}),
        )
        .await;
    assert_eq!(ev.status.as_u16(), 201);
    let running = app
        .create_instance(&app.a.key, json!({"name": "Running", "startDate": "2020-01-01T00:00:00Z", "endDate": "2099-01-01T00:00:00Z"}))
        .await;
    app.create_instance(
        &app.a.key,
        json!({"name": "Future", "startDate": "2090-01-01T00:00:00Z"}),
    )
    .await;
    app.create_instance(&app.a.key, json!({"name": "Paused", "status": "inactive"}))
        .await;
    let archived = app.instance_named(&app.a.key, "Retired").await;
    let archived_path = format!("/programInstances/{}", archived["id"].as_str().unwrap());
    app.patch(&archived_path, &app.a.key, &json!({"status": "archived"}))
        .await;

    let query = |q: &str| {
        let app = &app;
        let path = format!("/programInstances?{q}");
        async move {
            let reply = app.get(&path, &app.a.key).await;
            assert_eq!(reply.status.as_u16(), 200, "{path}: {}", reply.body);
            let mut found = names(&reply);
            found.sort();
            found
        }
    };
    let ev_program = ev.body["programId"].as_str().unwrap();
    assert_eq!(
        query(&format!("programId={ev_program}")).await,
        ["EV Chargers 50% off"]
    );
    assert_eq!(query("status=inactive").await, ["Paused"]);
    assert_eq!(
        query("status=inactive,archived").await,
        ["Paused", "Retired"]
    );
    assert_eq!(query("slug=running").await, ["Running"]);
    assert_eq!(query("q=RUNN").await, ["Running"]);
    assert_eq!(
        query("q=50%25").await,
        ["EV Chargers 50% off"],
        "% is literal"
    );
    assert_eq!(query("q=_").await, Vec::<String>::new(), "_ is literal");
    assert_eq!(
        query("activeAt=2030-01-01T00:00:00Z").await,
        ["EV Chargers 50% off", "Running"]
    );
    assert_eq!(
        query("activeAt=2095-01-01T00:00:00Z").await,
        ["EV Chargers 50% off", "Future", "Running"]
    );
    let created = running["createdAt"].as_str().unwrap();
    assert_eq!(
        query(&format!("createdBefore={created}")).await,
        ["EV Chargers 50% off"]
    );
    assert_eq!(
        query(&format!("createdAfter={created}")).await,
        ["Future", "Paused", "Retired"]
    );
    assert_eq!(
        query("status=active&q=e").await,
        ["EV Chargers 50% off", "Future"]
    );
}

#[actix_web::test]
async fn bad_query_parameters_are_named() {
    let app = spawn_app().await;
    let cases = [
        ("limit=0", "limit", "out_of_range"),
        ("limit=101", "limit", "out_of_range"),
        ("limit=ten", "limit", "invalid_type"),
        ("status=paused", "status", "invalid_value"),
        ("activeAt=yesterday", "activeAt", "invalid_timestamp"),
        ("createdAfter=2020", "createdAfter", "invalid_timestamp"),
        ("programId=no%20spaces", "programId", "invalid_id"),
        ("cursor=00ff", "cursor", "invalid_cursor"),
        ("sort=name", "sort", "unknown_parameter"),
        ("limit=1&limit=2", "limit", "duplicate_parameter"),
    ];
    for (query, parameter, code) in cases {
        let reply = app
            .get(&format!("/programInstances?{query}"), &app.a.key)
            .await;
        reply.problem(422, "invalid_query");
        assert_eq!(
            reply.violations(),
            [(parameter.to_owned(), code.to_owned())],
            "{query}"
        );
    }
}

#[actix_web::test]
async fn a_tampered_cursor_is_refused() {
    let app = spawn_app().await;
    for i in 0..3 {
        app.instance_named(&app.a.key, &format!("Page {i}")).await;
    }
    let page = app.get("/programInstances?limit=1", &app.a.key).await;
    let cursor = page.body["nextCursor"].as_str().unwrap();
    let mut bytes = cursor.as_bytes().to_vec();
    bytes[0] = if bytes[0] == b'3' { b'4' } else { b'3' };
    let tampered = String::from_utf8(bytes).unwrap();
    let reply = app
        .get(
            &format!("/programInstances?limit=1&cursor={tampered}"),
            &app.a.key,
        )
        .await;
    reply.problem(422, "invalid_query");
    let seen: HashSet<_> = names(&page).into_iter().collect();
    assert_eq!(seen.len(), 1);
}
