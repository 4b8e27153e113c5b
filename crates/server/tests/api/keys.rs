use std::net::IpAddr;

use domain::Scope;
use serde_json::{Value, json};

use crate::helpers::{TestApp, key_with, scoped, spawn_app, spawn_app_with};

#[actix_web::test]
async fn a_minted_key_is_shown_once_and_works() {
    let app = spawn_app().await;
    let body = json!({"name": "reporting", "scopes": ["programs:read", "programInstances:read"], "expiresAt": "2099-01-01T00:00:00+01:00"});
    let minted = app.post("/apiKeys", &app.a.key, &body).await;
    assert_eq!(minted.status.as_u16(), 201, "{}", minted.body);
    let secret = minted.body["key"].as_str().unwrap();
    let id = minted.body["id"].as_str().unwrap();
    assert_eq!(minted.header("location"), Some(format!("/apiKeys/{id}")));
    assert!(secret.starts_with(minted.body["prefix"].as_str().unwrap()));
    assert_eq!(
        minted.body["scopes"],
        json!(["programs:read", "programInstances:read"])
    );
    assert_eq!(minted.body["expiresAt"], "2098-12-31T23:00:00Z");
    assert_eq!(minted.body["workspaceId"], "ws_a");
    assert_eq!(minted.body["lastUsedAt"], Value::Null);

    assert_eq!(
        app.get("/programInstances", secret).await.status.as_u16(),
        200
    );
    let listed = app.get("/apiKeys", &app.a.key).await;
    let text = listed.body.to_string();
    assert!(
        !text.contains(&secret[secret.len() - 32..]),
        "a secret was listed"
    );
    assert!(!text.contains("argon2"), "a hash was listed");
    let record = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id)
        .unwrap()
        .clone();
    assert!(record.get("key").is_none());
    assert!(
        record["lastUsedAt"].is_string(),
        "use is recorded: {record}"
    );
}

#[actix_web::test]
async fn keys_list_newest_first_in_pages() {
    let app = spawn_app().await;
    for i in 0..4 {
        let minted = app
            .post(
                "/apiKeys",
                &app.a.key,
                &json!({"name": format!("k{i}"), "scopes": ["programs:read"]}),
            )
            .await;
        assert_eq!(minted.status.as_u16(), 201);
    }
    let mut names = Vec::new();
    let mut path = "/apiKeys?limit=2".to_owned();
    loop {
        let page = app.get(&path, &app.a.key).await;
        assert_eq!(page.status.as_u16(), 200, "{}", page.body);
        names.extend(
            page.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["name"].as_str().unwrap().to_owned()),
        );
        match page.body["nextCursor"].as_str() {
            Some(cursor) => path = format!("/apiKeys?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(names, ["k3", "k2", "k1", "k0", "test"]);
    app.get("/apiKeys?cursor=zz", &app.a.key)
        .await
        .problem(422, "invalid_query");
    assert!(
        app.get("/apiKeys", &app.b.key).await.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["workspaceId"] == "ws_b")
    );
}

#[actix_web::test]
async fn a_key_cannot_grant_more_than_it_holds() {
    let app = spawn_app().await;
    let x = app.instance_named(&app.a.key, "X").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let y = app.instance_named(&app.a.key, "Y").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let manager = key_with(
        &app.app,
        &app.a.id,
        scoped(&[Scope::ApiKeysManage, Scope::ProgramsRead], None),
    );
    let wider = app
        .post(
            "/apiKeys",
            &manager,
            &json!({"name": "w", "scopes": ["programs:read", "programInstances:write"]}),
        )
        .await;
    let problem = wider.problem(403, "grant_exceeds_caller");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("programInstances:write")
    );
    let narrower = app
        .post(
            "/apiKeys",
            &manager,
            &json!({"name": "n", "scopes": ["programs:read"]}),
        )
        .await;
    assert_eq!(narrower.status.as_u16(), 201);

    let restricted = key_with(
        &app.app,
        &app.a.id,
        scoped(&Scope::ALL, Some(&[x.as_str()])),
    );
    let unrestricted = app
        .post(
            "/apiKeys",
            &restricted,
            &json!({"name": "u", "scopes": ["programs:read"]}),
        )
        .await;
    unrestricted.problem(403, "grant_exceeds_caller");
    let other = app
        .post(
            "/apiKeys",
            &restricted,
            &json!({"name": "o", "scopes": ["programs:read"], "instances": [y]}),
        )
        .await;
    other.problem(403, "grant_exceeds_caller");
    let same = app
        .post(
            "/apiKeys",
            &restricted,
            &json!({"name": "s", "scopes": ["programInstances:read"], "instances": [x]}),
        )
        .await;
    assert_eq!(same.status.as_u16(), 201, "{}", same.body);

    // It sees, and can revoke, only the keys it covers.
    let visible: Vec<_> = app.get("/apiKeys", &restricted).await.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].clone())
        .collect();
    assert_eq!(visible, [json!("s"), json!("test")]);
    let manager_id = app.get("/apiKeys", &app.a.key).await.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "n")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.delete(&format!("/apiKeys/{manager_id}"), &restricted)
        .await
        .problem(404, "not_found");
}

#[actix_web::test]
async fn key_requests_are_validated() {
    let app = spawn_app().await;
    let cases = [
        (json!({"scopes": ["programs:read"]}), "/name", "required"),
        (json!({"name": "x"}), "/scopes", "required"),
        (
            json!({"name": "x", "scopes": ["everything"]}),
            "/scopes/0",
            "invalid_scope",
        ),
        (
            json!({"name": "x", "scopes": ["programs:read"], "instances": []}),
            "/instances",
            "empty",
        ),
        (
            json!({"name": "x", "scopes": ["programs:read"], "instances": ["cllgn0u4r000008l7eazybfbo"]}),
            "/instances/0",
            "unknown_instance",
        ),
        (
            json!({"name": "x", "scopes": ["programs:read"], "expiresAt": "2001-01-01T00:00:00Z"}),
            "/expiresAt",
            "in_the_past",
        ),
        (
            json!({"name": "x", "scopes": ["programs:read"], "prefix": "pik_mine"}),
            "/prefix",
            "read_only",
        ),
    ];
    for (body, pointer, code) in cases {
        let reply = app.post("/apiKeys", &app.a.key, &body).await;
        reply.problem(422, "validation_failed");
        assert_eq!(
            reply.violations(),
            [(pointer.to_owned(), code.to_owned())],
            "{body}"
        );
    }
    app.delete("/apiKeys/cllgn0u4r000008l7eazybfbo", &app.a.key)
        .await
        .problem(404, "not_found");
    app.delete("/apiKeys/nonsense", &app.a.key)
        .await
        .problem(404, "not_found");
}

#[actix_web::test]
async fn revocation_through_the_api_takes_effect_on_the_next_request() {
    let app = spawn_app().await;
    let minted = app
        .post(
            "/apiKeys",
            &app.a.key,
            &json!({"name": "short", "scopes": ["programs:read"]}),
        )
        .await;
    let secret = minted.body["key"].as_str().unwrap();
    assert_eq!(
        app.get("/programs", secret).await.status.as_u16(),
        200,
        "verified and cached"
    );
    let revoked = app
        .delete(
            &format!("/apiKeys/{}", minted.body["id"].as_str().unwrap()),
            &app.a.key,
        )
        .await;
    assert_eq!(revoked.status.as_u16(), 204);
    app.get("/programs", secret)
        .await
        .problem(401, "unauthenticated");
    let record = app.get("/apiKeys", &app.a.key).await.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == minted.body["id"])
        .unwrap()
        .clone();
    assert!(record["revokedAt"].is_string());
    // Revoking again is harmless; another workspace cannot even see it.
    let again = app
        .delete(
            &format!("/apiKeys/{}", minted.body["id"].as_str().unwrap()),
            &app.a.key,
        )
        .await;
    assert_eq!(again.status.as_u16(), 204);
    app.delete(
        &format!("/apiKeys/{}", minted.body["id"].as_str().unwrap()),
        &app.b.key,
    )
    .await
    .problem(404, "not_found");
}

#[actix_web::test]
async fn a_replayed_key_creation_never_shows_the_secret_again() {
    let app = spawn_app().await;
    let body = json!({"name": "once", "scopes": ["programs:read"]});
    let headers = [("Idempotency-Key", "mint-1")];
    let first = app
        .send("POST", "/apiKeys", Some(&app.a.key), Some(&body), &headers)
        .await;
    assert!(first.body["key"].is_string());
    let replay = app
        .send("POST", "/apiKeys", Some(&app.a.key), Some(&body), &headers)
        .await;
    assert_eq!(replay.status.as_u16(), 201);
    assert_eq!(replay.body["id"], first.body["id"]);
    assert_eq!(replay.body["key"], Value::Null);
    let listed = app.get("/apiKeys", &app.a.key).await;
    assert_eq!(
        listed.body["data"].as_array().map(Vec::len),
        Some(2),
        "one key minted, plus the test's own"
    );
}

#[actix_web::test]
async fn a_burst_of_bad_keys_is_throttled_per_address() {
    let app = spawn_app_with(|settings| {
        settings.auth_failures.burst = 5;
        settings.auth_failures.per_second = 0.01;
    })
    .await;
    let bad = format!("pik_{}_{}", "0".repeat(12), "1".repeat(32));
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let reply = app.get("/programInstances", &bad).await;
        if reply.status.as_u16() == 429 {
            reply.problem(429, "too_many_failed_authentications");
            let retry_after: u64 = reply.header("retry-after").unwrap().parse().unwrap();
            assert!(retry_after >= 1);
        }
        statuses.push(reply.status.as_u16());
    }
    // Five failures are allowed; the sixth blocks the address.
    assert_eq!(statuses[..6], [401; 6]);
    assert!(
        statuses[6..].iter().all(|status| *status == 429),
        "{statuses:?}"
    );

    // A good key from another address is not held back.
    let other: IpAddr = [127, 0, 0, 2].into();
    let connector = awc::Connector::new().local_address(other);
    let client = awc::Client::builder().connector(connector).finish();
    let response = client
        .get(format!("http://127.0.0.1:{}/programInstances", app.port))
        .insert_header(("Authorization", format!("Bearer {}", app.a.key)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    // From the throttled address, a key already verified (cached) keeps working; one that
    // would need verification waits.
    assert_eq!(
        app.get("/programInstances", &app.a.key)
            .await
            .status
            .as_u16(),
        200
    );
    app.get("/programInstances", &app.b.key)
        .await
        .problem(429, "too_many_failed_authentications");
}

/// Only failures count: many concurrent requests with a valid key, when it was never
/// verified or when its cache entry is stale, are never held back (the bench once saw 429s
/// there).
#[actix_web::test]
async fn a_stale_cached_key_is_never_throttled() {
    let app = spawn_app_with(|settings| {
        settings.auth_failures.burst = 2;
        settings.auth_failures.per_second = 0.01;
        settings.key_cache.ttl = time::Duration::milliseconds(300);
    })
    .await;
    let cold = futures_join(&app, 12).await;
    assert!(cold.iter().all(|status| *status == 200), "{cold:?}");
    actix_web::rt::time::sleep(std::time::Duration::from_millis(400)).await;
    let stale = futures_join(&app, 12).await;
    assert!(stale.iter().all(|status| *status == 200), "{stale:?}");
}

async fn futures_join(app: &TestApp, count: usize) -> Vec<u16> {
    let mut pending = Vec::new();
    for _ in 0..count {
        let request = app
            .client
            .get(format!("{}/programs", app.base))
            .insert_header(("Authorization", format!("Bearer {}", app.a.key)));
        pending.push(actix_web::rt::spawn(async move {
            request
                .send()
                .await
                .map(|response| response.status().as_u16())
        }));
    }
    let mut statuses = Vec::new();
    for task in pending {
        statuses.push(task.await.unwrap().unwrap());
    }
    statuses
}

/// `X-Forwarded-For` decides the client's address only when the peer is a trusted proxy.
#[actix_web::test]
async fn forwarded_for_names_the_client_only_behind_trusted_proxies() {
    async fn from(app: &TestApp, client: &str) -> u16 {
        let bad = format!("pik_{}_{}", "0".repeat(12), "1".repeat(32));
        app.send(
            "GET",
            "/programInstances",
            Some(&bad),
            None,
            &[("X-Forwarded-For", client)],
        )
        .await
        .status
        .as_u16()
    }
    let limits = |settings: &mut server::config::Settings| {
        settings.auth_failures.burst = 2;
        settings.auth_failures.per_second = 0.01;
    };

    let behind_proxy = spawn_app_with(|settings| {
        limits(settings);
        settings.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    let mut first = Vec::new();
    for _ in 0..4 {
        first.push(from(&behind_proxy, "203.0.113.5").await);
    }
    // Two failures allowed; the third blocks the client.
    assert_eq!(first, [401, 401, 401, 429]);
    assert_eq!(
        from(&behind_proxy, "203.0.113.6").await,
        401,
        "another client behind the proxy is not held back"
    );

    let exposed = spawn_app_with(limits).await;
    for _ in 0..3 {
        assert_eq!(from(&exposed, "203.0.113.5").await, 401);
    }
    assert_eq!(
        from(&exposed, "203.0.113.6").await,
        429,
        "an untrusted peer cannot choose its address"
    );
}
