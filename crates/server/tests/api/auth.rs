use std::time::Duration;

use application::KeyRequest;
use domain::{Grant, Scope};
use serde_json::{Value, json};

use crate::helpers::{key_with, scoped, spawn_app};

/// Every failure kind answers 401 with the same body (but its own requestId).
#[actix_web::test]
async fn every_bad_key_answers_the_same_401() {
    let app = spawn_app().await;
    let revoked = {
        let request = KeyRequest {
            workspace_id: app.a.id.clone(),
            name: None,
            grant: Grant::full(),
            expires_at: None,
        };
        let (key, secret) = app.app.create_key(request).unwrap();
        app.app.revoke_key(None, &key.id).unwrap();
        secret.expose().to_owned()
    };
    let expired = {
        let soon = app
            .app
            .now()
            .checked_add(time::Duration::milliseconds(1_500))
            .unwrap();
        let request = KeyRequest {
            workspace_id: app.a.id.clone(),
            name: None,
            grant: Grant::full(),
            expires_at: Some(soon),
        };
        let secret = app.app.create_key(request).unwrap().1.expose().to_owned();
        assert_eq!(
            app.get("/programs", &secret).await.status.as_u16(),
            200,
            "valid before expiry"
        );
        actix_web::rt::time::sleep(Duration::from_millis(1_600)).await;
        secret
    };
    let wrong_secret = format!("{}{}", &app.a.key[..app.a.key.len() - 4], "0000");

    let mut bodies: Vec<Value> = Vec::new();
    let headers: [(&str, Option<String>); 7] = [
        ("none", None),
        ("malformed", Some("Bearer".into())),
        ("wrong scheme", Some(format!("Basic {}", app.a.key))),
        (
            "unknown",
            Some(format!("Bearer pik_{}_{}", "a".repeat(12), "b".repeat(32))),
        ),
        ("wrong secret", Some(format!("Bearer {wrong_secret}"))),
        ("revoked", Some(format!("Bearer {revoked}"))),
        ("expired", Some(format!("Bearer {expired}"))),
    ];
    for (case, header) in headers {
        let extra: Vec<(&str, &str)> = header
            .as_deref()
            .map(|h| vec![("Authorization", h)])
            .unwrap_or_default();
        let reply = app
            .send("GET", "/programInstances", None, None, &extra)
            .await;
        reply.problem(401, "unauthenticated");
        assert_eq!(
            reply.header("www-authenticate").as_deref(),
            Some("Bearer"),
            "{case}"
        );
        let mut body = reply.body.clone();
        body.as_object_mut().unwrap().remove("requestId");
        bodies.push(body);
    }
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "{bodies:?}"
    );
}

/// `Texture-Api-Key` is accepted like `Authorization: Bearer`; both naming the same key is
/// fine, naming different keys is 400.
#[actix_web::test]
async fn the_texture_api_key_header_is_accepted() {
    let app = spawn_app().await;
    let texture = [("Texture-Api-Key", app.a.key.as_str())];
    let alone = app.send("GET", "/programs", None, None, &texture).await;
    assert_eq!(alone.status.as_u16(), 200, "{}", alone.body);
    let both = app
        .send("GET", "/programs", Some(&app.a.key), None, &texture)
        .await;
    assert_eq!(both.status.as_u16(), 200, "{}", both.body);

    let other = [("Texture-Api-Key", app.b.key.as_str())];
    let conflict = app
        .send("GET", "/programs", Some(&app.a.key), None, &other)
        .await;
    conflict.problem(400, "conflicting_keys");
    let unknown = [("Texture-Api-Key", "pik_nope")];
    app.send("GET", "/programs", None, None, &unknown)
        .await
        .problem(401, "unauthenticated");
}

#[actix_web::test]
async fn revocation_takes_effect_on_the_next_request() {
    let app = spawn_app().await;
    let request = KeyRequest {
        workspace_id: app.a.id.clone(),
        name: None,
        grant: Grant::full(),
        expires_at: None,
    };
    let (key, secret) = app.app.create_key(request).unwrap();
    assert_eq!(
        app.get("/programInstances", secret.expose())
            .await
            .status
            .as_u16(),
        200
    );
    app.app.revoke_key(Some(&app.a.id), &key.id).unwrap();
    app.get("/programInstances", secret.expose())
        .await
        .problem(401, "unauthenticated");
}

#[actix_web::test]
async fn a_key_without_the_scope_gets_a_403_naming_it() {
    let app = spawn_app().await;
    let instance = app.instance_named(&app.a.key, "Scoped").await;
    let path = format!("/programInstances/{}", instance["id"].as_str().unwrap());
    let read_only = key_with(
        &app.app,
        &app.a.id,
        scoped(&[Scope::ProgramInstancesRead], None),
    );
    assert_eq!(app.get(&path, &read_only).await.status.as_u16(), 200);
    let refused = app.patch(&path, &read_only, &json!({"name": "x"})).await;
    refused.problem(403, "missing_scope");
    assert_eq!(refused.body["requiredScope"], "programInstances:write");
    let refused = app.get("/programs", &read_only).await;
    assert_eq!(
        refused.problem(403, "missing_scope")["requiredScope"],
        "programs:read"
    );
    app.post(
        "/programs/battery-rebate/instances",
        &read_only,
        &json!({"name": "x"}),
    )
    .await
    .problem(403, "missing_scope");
    app.delete(&path, &read_only)
        .await
        .problem(403, "missing_scope");

    let catalog_only = key_with(&app.app, &app.a.id, scoped(&[Scope::ProgramsRead], None));
    assert_eq!(
        app.get("/programs", &catalog_only).await.status.as_u16(),
        200
    );
    app.get(&path, &catalog_only)
        .await
        .problem(403, "missing_scope");
    app.get("/programInstances", &catalog_only)
        .await
        .problem(403, "missing_scope");
}

#[actix_web::test]
async fn an_instance_restricted_key_sees_only_its_instances() {
    let app = spawn_app().await;
    let visible = app.instance_named(&app.a.key, "Visible").await;
    let hidden = app.instance_named(&app.a.key, "Hidden").await;
    let visible_id = visible["id"].as_str().unwrap();
    let restricted = key_with(
        &app.app,
        &app.a.id,
        scoped(
            &[Scope::ProgramInstancesRead, Scope::ProgramInstancesWrite],
            Some(&[visible_id]),
        ),
    );
    assert_eq!(
        app.get(&format!("/programInstances/{visible_id}"), &restricted)
            .await
            .status
            .as_u16(),
        200
    );
    let hidden_path = format!("/programInstances/{}", hidden["id"].as_str().unwrap());
    app.get(&hidden_path, &restricted)
        .await
        .problem(404, "not_found");
    app.patch(&hidden_path, &restricted, &json!({"name": "x"}))
        .await
        .problem(404, "not_found");
    app.delete(&hidden_path, &restricted)
        .await
        .problem(404, "not_found");
    let listed = app.get("/programInstances", &restricted).await;
    let ids: Vec<_> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].clone())
        .collect();
    assert_eq!(ids, [json!(visible_id)]);
    let created = app
        .post(
            "/programs/battery-rebate/instances",
            &restricted,
            &json!({"name": "More"}),
        )
        .await;
    created.problem(403, "forbidden");
}
