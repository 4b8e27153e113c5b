use crate::helpers::{admin_url, spawn_app};

#[actix_web::test]
async fn health_readiness_and_metrics_need_no_key() {
    let app = spawn_app().await;
    let health = app.send("GET", "/healthz", None, None, &[]).await;
    assert_eq!(
        (health.status.as_u16(), health.body["status"].as_str()),
        (200, Some("ok"))
    );
    let ready = app.send("GET", "/readyz", None, None, &[]).await;
    assert_eq!(
        (ready.status.as_u16(), ready.body["status"].as_str()),
        (200, Some("ready"))
    );

    let route = r#"http_requests_total{method="GET",route="/programInstances",status="200"}"#;
    let before = metric(&scrape(&app).await, route);
    app.get("/programInstances", &app.a.key).await;
    let text = scrape(&app).await;
    // The recorder is the process's: other tests' servers may count too, never fewer.
    assert!(metric(&text, route) >= before + 1.0, "{text}");
    assert!(text.contains("http_request_duration_seconds_bucket{"));
    assert!(text.contains("db_pool_max_connections 8"));
    assert!(text.contains("db_pool_wait_seconds_bucket{outcome=\"acquired\""));
}

async fn scrape(app: &crate::helpers::TestApp) -> String {
    let mut response = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    String::from_utf8(response.body().limit(1 << 22).await.unwrap().to_vec()).unwrap()
}

/// The value of the series `name` (with its labels), 0 when absent.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// Authentication failures, 429s, replays and key-cache use are counted.
#[actix_web::test]
async fn what_operators_watch_is_counted() {
    let app = crate::helpers::spawn_app_with(|settings| {
        // One failure allowed; the second blocks the address.
        settings.auth_failures.burst = 1;
        settings.auth_failures.per_second = 0.01;
    })
    .await;
    let series = [
        "auth_failures_total",
        "auth_rate_limited_total",
        "idempotent_replays_total",
        r#"key_cache_lookups_total{result="hit"}"#,
    ];
    let text = scrape(&app).await;
    let before: Vec<f64> = series.iter().map(|name| metric(&text, name)).collect();

    app.get("/programs", &app.a.key).await;
    app.get("/programs", &app.a.key).await;
    let body = serde_json::json!({"name": "Counted"});
    let retry = [("Idempotency-Key", "counted-1")];
    for _ in 0..2 {
        app.send(
            "POST",
            "/programs/battery-rebate/instances",
            Some(&app.a.key),
            Some(&body),
            &retry,
        )
        .await;
    }
    app.send("GET", "/programs", None, None, &[]).await;
    let bad = format!("pik_{}_{}", "0".repeat(12), "1".repeat(32));
    for _ in 0..2 {
        app.get("/programs", &bad)
            .await
            .problem(401, "unauthenticated");
    }
    app.get("/programs", &bad)
        .await
        .problem(429, "too_many_failed_authentications");

    let text = scrape(&app).await;
    let after: Vec<f64> = series.iter().map(|name| metric(&text, name)).collect();
    for ((name, before), after) in series.iter().zip(&before).zip(&after) {
        assert!(after > before, "{name}: {before} then {after}");
    }
}

#[actix_web::test]
async fn losing_the_database_is_a_503_that_leaks_nothing() {
    let app = spawn_app().await;
    let instance = app.instance_named(&app.a.key, "Before the outage").await;
    // Kill the database under the running server.
    adapter_postgres::drop_database(&admin_url(), &app.database_name()).unwrap();

    let ready = app.send("GET", "/readyz", None, None, &[]).await;
    ready.problem(503, "unavailable");
    assert_eq!(ready.header("retry-after").as_deref(), Some("1"));
    let path = format!("/programInstances/{}", instance["id"].as_str().unwrap());
    let read = app.get(&path, &app.a.key).await;
    assert!(read.status.is_server_error(), "{}", read.body);
    let text = read.body.to_string().to_lowercase();
    for secret in [
        "select",
        "program_instances",
        "database",
        "pi_test",
        "connection",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

/// Every path and method the OpenAPI document lists is served (no "no such route", no 405).
#[actix_web::test]
async fn the_openapi_document_describes_served_routes() {
    let app = spawn_app().await;
    let mut response = app
        .client
        .get(format!("{}/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let document: serde_json::Value =
        serde_json::from_slice(&response.body().limit(1 << 20).await.unwrap()).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    let operations: usize = paths
        .values()
        .map(|operations| operations.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, 34, "every endpoint of the API is described");
    for (path, operations) in paths {
        let concrete = path
            .replace("{programSlug}", "battery-rebate")
            .replace("{id}", "cllgn0u4r000008l7eazybfbo");
        for method in operations.as_object().unwrap().keys() {
            let body = matches!(method.as_str(), "post" | "patch").then(|| serde_json::json!({}));
            let reply = app
                .send(
                    &method.to_uppercase(),
                    &concrete,
                    Some(&app.a.key),
                    body.as_ref(),
                    &[],
                )
                .await;
            assert_ne!(reply.status.as_u16(), 405, "{method} {path}");
            assert_ne!(
                reply.body["detail"], "no resource lives at this path",
                "{method} {path}"
            );
        }
    }
}
