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

    app.get("/programInstances", &app.a.key).await;
    let mut response = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let text = String::from_utf8(response.body().await.unwrap().to_vec()).unwrap();
    assert!(
        text.contains(
            r#"http_requests_total{method="GET",route="/programInstances",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket{"));
    assert!(text.contains("db_pool_max_connections 8"));
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
    assert_eq!(operations, 21, "every endpoint of the API is described");
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
