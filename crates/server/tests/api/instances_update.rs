use serde_json::{Value, json};

use crate::helpers::{documented_example, spawn_app};

#[actix_web::test]
async fn a_change_bumps_version_etag_and_updated_at() {
    let app = spawn_app().await;
    let created = app.create_instance(&app.a.key, documented_example()).await;
    let path = format!("/programInstances/{}", created["id"].as_str().unwrap());

    let reply = app
        .patch(
            &path,
            &app.a.key,
            &json!({"description": "Now for all five boroughs"}),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "body: {}", reply.body);
    assert_eq!(reply.body["description"], "Now for all five boroughs");
    assert_eq!(reply.body["version"], 2);
    assert_eq!(reply.header("etag").as_deref(), Some("\"2\""));
    assert_ne!(reply.body["updatedAt"], created["updatedAt"]);
    assert_eq!(reply.body["createdAt"], created["createdAt"]);
    assert_eq!(
        reply.body["name"], created["name"],
        "absent means unchanged"
    );
    assert_eq!(app.get(&path, &app.a.key).await.body, reply.body);
}

#[actix_web::test]
async fn an_empty_patch_changes_nothing() {
    let app = spawn_app().await;
    let created = app.instance_named(&app.a.key, "Quiet").await;
    let path = format!("/programInstances/{}", created["id"].as_str().unwrap());
    for body in [json!({}), json!({"name": "Quiet", "status": "active"})] {
        let reply = app.patch(&path, &app.a.key, &body).await;
        assert_eq!(reply.status.as_u16(), 200);
        assert_eq!(reply.body["version"], 1);
        assert_eq!(reply.body["updatedAt"], created["updatedAt"]);
    }
}

#[actix_web::test]
async fn null_clears_optional_fields_and_is_refused_on_required_ones() {
    let app = spawn_app().await;
    let mut body = documented_example();
    body["metadata"] = json!({"campaign": "spring"});
    let created = app.create_instance(&app.a.key, body).await;
    let path = format!("/programInstances/{}", created["id"].as_str().unwrap());

    let cleared = json!({"description": null, "logoUrl": null, "customTerms": null, "startDate": null,
        "endDate": null, "eligibilityCriteria": null, "metadata": null});
    let reply = app.patch(&path, &app.a.key, &cleared).await;
    assert_eq!(reply.status.as_u16(), 200, "body: {}", reply.body);
    for field in [
        "description",
        "logoUrl",
        "customTerms",
        "startDate",
        "endDate",
        "eligibilityCriteria",
        "metadata",
    ] {
        assert_eq!(reply.body[field], Value::Null, "{field}");
    }
    assert_eq!(
        reply.body["acceptingEnrollments"], true,
        "no dates: open-ended"
    );

    let refused = app
        .patch(
            &path,
            &app.a.key,
            &json!({"name": null, "slug": null, "status": null}),
        )
        .await;
    refused.problem(422, "validation_failed");
    assert_eq!(
        refused.violations(),
        [
            ("/name".into(), "required".into()),
            ("/slug".into(), "required".into()),
            ("/status".into(), "required".into())
        ]
    );
}

#[actix_web::test]
async fn object_fields_merge_recursively_per_rfc_7396() {
    let app = spawn_app().await;
    let mut body = documented_example();
    body["metadata"] = json!({"campaign": "spring", "owner": "ops"});
    let created = app.create_instance(&app.a.key, body).await;
    let path = format!("/programInstances/{}", created["id"].as_str().unwrap());

    let patch = json!({"eligibilityCriteria": {"regions": ["NY", "NJ"], "deviceTypes": null, "utilities": ["coned"]},
        "metadata": {"owner": null, "budget": 5}});
    let reply = app.patch(&path, &app.a.key, &patch).await;
    assert_eq!(reply.status.as_u16(), 200, "body: {}", reply.body);
    assert_eq!(
        reply.body["eligibilityCriteria"],
        json!({"regions": ["NY", "NJ"], "minimumCapacity": 5.0, "utilities": ["coned"]})
    );
    assert_eq!(
        reply.body["metadata"],
        json!({"campaign": "spring", "budget": 5})
    );

    let broken = app
        .patch(
            &path,
            &app.a.key,
            &json!({"eligibilityCriteria": {"maximumCapacity": 1}}),
        )
        .await;
    broken.problem(422, "validation_failed");
    assert_eq!(
        broken.violations(),
        [(
            "/eligibilityCriteria/maximumCapacity".into(),
            "below_minimum".into()
        )]
    );
}

#[actix_web::test]
async fn patches_are_strict_and_checked_after_merging() {
    let app = spawn_app().await;
    let created = app.create_instance(&app.a.key, documented_example()).await;
    let path = format!("/programInstances/{}", created["id"].as_str().unwrap());
    let cases = [
        (json!({"nmae": "typo"}), "/nmae", "unknown_field"),
        (
            json!({"createdAt": "2020-01-01T00:00:00Z"}),
            "/createdAt",
            "read_only",
        ),
        (
            json!({"acceptingEnrollments": true}),
            "/acceptingEnrollments",
            "read_only",
        ),
        (
            json!({"startDate": "2024-06-01T00:00:00Z"}),
            "/endDate",
            "before_start",
        ),
        (json!({"slug": "UPPER"}), "/slug", "invalid_slug"),
        (json!({"status": "deleted"}), "/status", "invalid_value"),
    ];
    for (body, pointer, code) in cases {
        let reply = app.patch(&path, &app.a.key, &body).await;
        reply.problem(422, "validation_failed");
        assert_eq!(
            reply.violations(),
            [(pointer.to_owned(), code.to_owned())],
            "body {body}"
        );
    }
    assert_eq!(
        app.get(&path, &app.a.key).await.body["version"],
        1,
        "nothing was changed"
    );
}

#[actix_web::test]
async fn if_match_guards_against_lost_updates() {
    let app = spawn_app().await;
    let created = app.instance_named(&app.a.key, "Guarded").await;
    let path = format!("/programInstances/{}", created["id"].as_str().unwrap());
    let patch = |name: &str| json!({ "name": name });
    let send = |body: Value, tag: &'static str| {
        let (app, path) = (&app, path.clone());
        async move {
            app.send(
                "PATCH",
                &path,
                Some(&app.a.key),
                Some(&body),
                &[
                    ("Content-Type", "application/merge-patch+json"),
                    ("If-Match", tag),
                ],
            )
            .await
        }
    };

    let first = send(patch("First"), "\"1\"").await;
    assert_eq!(first.status.as_u16(), 200);
    let stale = send(patch("Second"), "\"1\"").await;
    stale.problem(412, "precondition_failed");
    let weak = send(patch("Second"), "W/\"2\"").await;
    weak.problem(412, "precondition_failed");
    let malformed = send(patch("Second"), "2").await;
    malformed.problem(422, "invalid_header");
    let listed = send(patch("Second"), "\"7\", \"2\"").await;
    assert_eq!(listed.status.as_u16(), 200);
    let any = send(patch("Third"), "*").await;
    assert_eq!(any.body["version"], 4);
    assert_eq!(app.get(&path, &app.a.key).await.body["name"], "Third");
}

#[actix_web::test]
async fn a_slug_change_must_stay_unique() {
    let app = spawn_app().await;
    app.instance_named(&app.a.key, "Taken").await;
    let other = app.instance_named(&app.a.key, "Other").await;
    let path = format!("/programInstances/{}", other["id"].as_str().unwrap());
    app.patch(&path, &app.a.key, &json!({"slug": "taken"}))
        .await
        .problem(409, "slug_taken");
    let renamed = app
        .patch(&path, &app.a.key, &json!({"slug": "free-now"}))
        .await;
    assert_eq!(renamed.body["slug"], "free-now");
}

#[actix_web::test]
async fn patch_takes_merge_patch_or_plain_json_only() {
    let app = spawn_app().await;
    let created = app.instance_named(&app.a.key, "Typed").await;
    let path = format!("/programInstances/{}", created["id"].as_str().unwrap());
    let plain = app
        .send(
            "PATCH",
            &path,
            Some(&app.a.key),
            Some(&json!({"name": "Plain"})),
            &[],
        )
        .await;
    assert_eq!(plain.status.as_u16(), 200);
    let text = app
        .send(
            "PATCH",
            &path,
            Some(&app.a.key),
            Some(&json!({"name": "x"})),
            &[("Content-Type", "text/plain")],
        )
        .await;
    text.problem(415, "unsupported_media_type");
}
