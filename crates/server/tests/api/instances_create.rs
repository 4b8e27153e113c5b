use serde_json::{Value, json};

use crate::helpers::{documented_example, spawn_app};

#[actix_web::test]
async fn the_documented_example_creates_an_active_instance() {
    let app = spawn_app().await;
    let reply = app
        .post(
            "/programs/battery-rebate/instances",
            &app.a.key,
            &documented_example(),
        )
        .await;

    assert_eq!(reply.status.as_u16(), 201, "body: {}", reply.body);
    let id = reply.body["id"].as_str().expect("an id");
    assert!(
        id.len() == 25
            && id.starts_with('c')
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    assert_eq!(reply.body["status"], "active");
    assert_eq!(
        reply.header("location"),
        Some(format!("/programInstances/{id}"))
    );
    assert_eq!(reply.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(reply.content_type(), "application/json");

    let program = app.get("/programs/battery-rebate", &app.a.key).await;
    let fetched = app
        .get(&format!("/programInstances/{id}"), &app.a.key)
        .await;
    assert_eq!(fetched.status.as_u16(), 200);
    assert_eq!(fetched.header("etag").as_deref(), Some("\"1\""));
    let body = &fetched.body;
    let example = documented_example();
    for field in [
        "name",
        "description",
        "slug",
        "logoUrl",
        "eligibilityCriteria",
        "customTerms",
        "startDate",
        "endDate",
    ] {
        assert_eq!(body[field], example[field], "{field}");
    }
    assert_eq!(body["id"], id);
    assert_eq!(body["programId"], program.body["id"]);
    assert_eq!(body["workspaceId"], "ws_a");
    assert_eq!(body["status"], "active");
    assert_eq!(body["version"], 1);
    assert_eq!(body["acceptingEnrollments"], false, "2023 is over");
    for stamp in ["createdAt", "updatedAt"] {
        let text = body[stamp].as_str().expect("a timestamp");
        assert!(
            text.ends_with('Z')
                && time::OffsetDateTime::parse(
                    text,
                    &time::format_description::well_known::Rfc3339
                )
                .is_ok()
        );
    }
    assert_eq!(body["createdAt"], body["updatedAt"]);
    assert_eq!(body, &reply.body);
}

#[actix_web::test]
async fn the_slug_is_derived_from_the_name_and_unique_per_workspace() {
    let app = spawn_app().await;
    let created = app
        .instance_named(&app.a.key, "  Spring Battery Push 2026! ")
        .await;
    assert_eq!(created["slug"], "spring-battery-push-2026");
    assert_eq!(created["name"], "Spring Battery Push 2026!");

    let again = app
        .post(
            "/programs/battery-rebate/instances",
            &app.a.key,
            &json!({"name": "Spring battery push 2026"}),
        )
        .await;
    let problem = again.problem(409, "slug_taken");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("spring-battery-push-2026")
    );

    let other_workspace = app
        .post(
            "/programs/battery-rebate/instances",
            &app.b.key,
            &json!({"name": "Spring battery push 2026"}),
        )
        .await;
    assert_eq!(other_workspace.status.as_u16(), 201);
}

#[actix_web::test]
async fn an_instance_can_start_in_the_configuration_stage() {
    let app = spawn_app().await;
    let created = app
        .create_instance(&app.a.key, json!({"name": "Draft", "status": "inactive"}))
        .await;
    assert_eq!(created["status"], "inactive");
    assert_eq!(created["acceptingEnrollments"], false);

    let archived = app
        .post(
            "/programs/battery-rebate/instances",
            &app.a.key,
            &json!({"name": "Gone", "status": "archived"}),
        )
        .await;
    archived.problem(422, "validation_failed");
    assert_eq!(
        archived.violations(),
        [("/status".to_owned(), "invalid_initial_status".to_owned())]
    );
}

#[actix_web::test]
async fn timestamps_are_normalised_to_utc() {
    let app = spawn_app().await;
    let body = json!({"name": "Offsets", "startDate": "2030-01-01T02:00:00+02:00", "endDate": "2030-06-01T00:00:00.5-04:00"});
    let created = app.create_instance(&app.a.key, body).await;
    assert_eq!(created["startDate"], "2030-01-01T00:00:00Z");
    assert_eq!(created["endDate"], "2030-06-01T04:00:00.5Z");
}

#[actix_web::test]
async fn optional_fields_round_trip() {
    let app = spawn_app().await;
    let form = json!({"fields": [{"key": "utilityAccountNumber", "label": "Utility account number", "type": "text",
        "required": true, "pattern": "^[0-9]{10}$", "maxLength": 10}]});
    let body = json!({"name": "Full", "formConfig": form, "metadata": {"campaign": "spring", "budget": 125000}});
    let created = app.create_instance(&app.a.key, body).await;
    assert_eq!(created["formConfig"], form);
    assert_eq!(
        created["metadata"],
        json!({"campaign": "spring", "budget": 125000})
    );
    assert_eq!(created["logoUrl"], Value::Null);
}

/// One request per rule: each answers 422 naming the field and the broken rule.
#[actix_web::test]
async fn every_field_rule_is_a_named_422() {
    let app = spawn_app().await;
    let many_keys: serde_json::Map<String, Value> =
        (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
    let long_key_pointer = format!("/metadata/{}", "k".repeat(41));
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({}), "/name", "required"),
        (json!({"name": "   "}), "/name", "blank"),
        (json!({"name": "n".repeat(201)}), "/name", "too_long"),
        (json!({"name": 7}), "/name", "invalid_type"),
        (
            json!({"name": "x", "description": "d".repeat(5_001)}),
            "/description",
            "too_long",
        ),
        (
            json!({"name": "x", "slug": "Not A Slug"}),
            "/slug",
            "invalid_slug",
        ),
        (
            json!({"name": "x", "slug": "a".repeat(101)}),
            "/slug",
            "too_long",
        ),
        (
            json!({"name": "x", "logoUrl": "ftp://example.com/logo.png"}),
            "/logoUrl",
            "invalid_url",
        ),
        (
            json!({"name": "x", "logoUrl": format!("https://example.com/{}", "a".repeat(2_040))}),
            "/logoUrl",
            "too_long",
        ),
        (
            json!({"name": "x", "customTerms": "t".repeat(50_001)}),
            "/customTerms",
            "too_long",
        ),
        (
            json!({"name": "x", "startDate": "next tuesday"}),
            "/startDate",
            "invalid_timestamp",
        ),
        (
            json!({"name": "x", "startDate": "2024-01-01T00:00:00Z", "endDate": "2023-01-01T00:00:00Z"}),
            "/endDate",
            "before_start",
        ),
        (
            json!({"name": "x", "status": "paused"}),
            "/status",
            "invalid_value",
        ),
        (
            json!({"name": "x", "metadata": many_keys}),
            "/metadata",
            "too_many_keys",
        ),
        (
            json!({"name": "x", "metadata": {"k".repeat(41): 1}}),
            &long_key_pointer,
            "invalid_key",
        ),
        (
            json!({"name": "x", "metadata": {"blob": "x".repeat(8_200)}}),
            "/metadata",
            "too_large",
        ),
        (
            json!({"name": "x", "metadata": [1]}),
            "/metadata",
            "invalid_type",
        ),
        (
            json!({"name": "x", "eligibilityCriteria": {"regionz": ["NY"]}}),
            "/eligibilityCriteria/regionz",
            "unknown_field",
        ),
        (
            json!({"name": "x", "eligibilityCriteria": {"regions": []}}),
            "/eligibilityCriteria/regions",
            "empty",
        ),
        (
            json!({"name": "x", "eligibilityCriteria": {"regions": ["NY", "NY"]}}),
            "/eligibilityCriteria/regions/1",
            "duplicate",
        ),
        (
            json!({"name": "x", "eligibilityCriteria": {"minimumCapacity": -1}}),
            "/eligibilityCriteria/minimumCapacity",
            "negative",
        ),
        (
            json!({"name": "x", "eligibilityCriteria": {"minimumCapacity": 9, "maximumCapacity": 3}}),
            "/eligibilityCriteria/maximumCapacity",
            "below_minimum",
        ),
        (
            json!({"name": "x", "formConfig": {"fields": [{"key": "a", "label": "A", "type": "text", "pattern": "(["}]}}),
            "/formConfig/fields/0/pattern",
            "invalid_pattern",
        ),
        (
            json!({"name": "x", "formConfig": {"fields": [{"key": "a", "label": "A", "type": "select", "options": []}]}}),
            "/formConfig/fields/0/options",
            "empty",
        ),
        (
            json!({"name": "x", "colour": "green"}),
            "/colour",
            "unknown_field",
        ),
        (
            json!({"name": "x", "id": "cllgn0u4r000008l7eazybfbo"}),
            "/id",
            "read_only",
        ),
        (json!({"name": "x", "version": 4}), "/version", "read_only"),
        (
            json!({"name": "x", "workspaceId": "ws_b"}),
            "/workspaceId",
            "read_only",
        ),
    ];
    for (body, pointer, code) in cases {
        let reply = app
            .post("/programs/battery-rebate/instances", &app.a.key, &body)
            .await;
        reply.problem(422, "validation_failed");
        assert_eq!(
            reply.violations(),
            [(pointer.to_owned(), code.to_owned())],
            "body {body}"
        );
    }
    let listed = app.get("/programInstances", &app.a.key).await;
    assert_eq!(listed.body["data"], json!([]), "nothing was stored");
}

#[actix_web::test]
async fn several_problems_are_reported_together() {
    let app = spawn_app().await;
    let body = json!({"name": "", "slug": "Bad", "logoUrl": "nope", "status": "gone", "extra": 1});
    let reply = app
        .post("/programs/battery-rebate/instances", &app.a.key, &body)
        .await;
    reply.problem(422, "validation_failed");
    assert_eq!(reply.body["detail"], "5 fields are invalid");
    let pointers: Vec<_> = reply
        .violations()
        .into_iter()
        .map(|(pointer, _)| pointer)
        .collect();
    assert_eq!(
        pointers,
        ["/extra", "/name", "/slug", "/logoUrl", "/status"]
    );

    // A cross-field rule is reported with the field rules, not after them.
    let body = json!({"name": "Dates", "slug": "Bad Slug",
        "startDate": "2024-06-01T00:00:00Z", "endDate": "2024-01-01T00:00:00Z"});
    let reply = app
        .post("/programs/battery-rebate/instances", &app.a.key, &body)
        .await;
    reply.problem(422, "validation_failed");
    assert_eq!(
        reply.violations(),
        [
            ("/slug".into(), "invalid_slug".into()),
            ("/endDate".into(), "before_start".into())
        ]
    );
}

/// A name with no ASCII letter or digit suggests no slug: the instance's id is its slug.
#[actix_web::test]
async fn a_name_without_ascii_gets_its_id_as_slug() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/programs/battery-rebate/instances",
            &app.a.key,
            &json!({"name": "北京电池计划"}),
        )
        .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.body);
    assert_eq!(created.body["slug"], created.body["id"]);
}

#[actix_web::test]
async fn programs_must_exist_and_be_visible() {
    let app = spawn_app().await;
    let missing = app
        .post(
            "/programs/no-such-program/instances",
            &app.a.key,
            &json!({"name": "x"}),
        )
        .await;
    missing.problem(404, "not_found");
    let malformed = app
        .post(
            "/programs/NOT%20A%20SLUG/instances",
            &app.a.key,
            &json!({"name": "x"}),
        )
        .await;
    malformed.problem(404, "not_found");

    let shared = app
        .post(
            "/programs/a-only-program/instances",
            &app.a.key,
            &json!({"name": "x"}),
        )
        .await;
    assert_eq!(shared.status.as_u16(), 201);
    let hidden = app
        .post(
            "/programs/a-only-program/instances",
            &app.b.key,
            &json!({"name": "x"}),
        )
        .await;
    hidden.problem(404, "not_found");
    assert_eq!(
        hidden.body["detail"], missing.body["detail"],
        "hidden and missing read alike"
    );
}
