use serde_json::json;

use crate::helpers::spawn_app;

const PATH: &str = "/programs/battery-rebate/instances";

#[actix_web::test]
async fn framework_errors_are_problems_too() {
    let app = spawn_app().await;
    let key = Some(app.a.key.as_str());

    let unknown = app.send("GET", "/no/such/route", key, None, &[]).await;
    unknown.problem(404, "not_found");

    let wrong_method = app.send("PUT", "/programInstances", key, None, &[]).await;
    wrong_method.problem(405, "method_not_allowed");
    assert_eq!(wrong_method.header("allow").as_deref(), Some("GET"));
    let wrong_method = app
        .send(
            "POST",
            "/programInstances/cllgn0u4r000008l7eazybfbo",
            key,
            None,
            &[],
        )
        .await;
    assert_eq!(
        wrong_method.header("allow").as_deref(),
        Some("GET, PATCH, DELETE")
    );

    let no_type = app
        .client
        .post(format!("{}{PATH}", app.base))
        .insert_header(("Authorization", format!("Bearer {}", app.a.key)))
        .send_body(r#"{"name": "x"}"#)
        .await
        .unwrap();
    assert_eq!(no_type.status().as_u16(), 415);

    let wrong_type = app
        .send(
            "POST",
            PATH,
            key,
            Some(&json!({"name": "x"})),
            &[("Content-Type", "text/plain")],
        )
        .await;
    wrong_type.problem(415, "unsupported_media_type");
    for unreadable in ["json", "application/json-seq", "application/json; charset"] {
        app.send(
            "POST",
            PATH,
            key,
            Some(&json!({"name": "x"})),
            &[("Content-Type", unreadable)],
        )
        .await
        .problem(415, "unsupported_media_type");
    }
    let upper_case = app
        .send(
            "POST",
            PATH,
            key,
            Some(&json!({"name": "Upper case type"})),
            &[("Content-Type", "Application/JSON")],
        )
        .await;
    assert_eq!(upper_case.status.as_u16(), 201);

    let charset = app
        .send(
            "POST",
            PATH,
            key,
            Some(&json!({"name": "With charset"})),
            &[("Content-Type", "application/json; charset=utf-8")],
        )
        .await;
    assert_eq!(charset.status.as_u16(), 201);
}

/// A request that is not readable as HTTP (a NUL byte in a header) is refused by the HTTP
/// layer itself, as the contract allows: a bare 400 and a closed connection. The server
/// goes on serving.
#[actix_web::test]
async fn a_header_holding_nul_is_refused_by_the_http_layer() {
    use std::io::{Read, Write};

    let app = spawn_app().await;
    let port = app.port;
    let answer = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .write_all(b"GET /programs HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\x00b\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        // Read to the end: the connection is closed after the answer.
        stream.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap();
    let (head, _) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
    let next = app.get("/programs", &app.a.key).await;
    assert_eq!(next.status.as_u16(), 200);
    assert!(next.header("x-request-id").is_some());
}

#[actix_web::test]
async fn unreadable_json_is_a_400_and_non_objects_a_422() {
    let app = spawn_app().await;
    let mut broken = app
        .client
        .post(format!("{}{PATH}", app.base))
        .insert_header(("Authorization", format!("Bearer {}", app.a.key)))
        .insert_header(("Content-Type", "application/json"))
        .send_body(r#"{"name": "#)
        .await
        .unwrap();
    assert_eq!(broken.status().as_u16(), 400);
    let body: serde_json::Value = serde_json::from_slice(&broken.body().await.unwrap()).unwrap();
    assert_eq!(body["code"], "invalid_json");

    let array = app.post(PATH, &app.a.key, &json!(["name"])).await;
    array.problem(422, "validation_failed");
}

#[actix_web::test]
async fn bodies_over_one_mebibyte_are_a_413() {
    let app = spawn_app().await;
    let huge = json!({"name": "x", "customTerms": "t".repeat(1_100_000)}).to_string();
    // The server answers before reading the rest and closes: a client still writing may
    // see a broken pipe instead of the answer, so it tries again.
    let mut answered = None;
    for _ in 0..5 {
        let sent = app
            .client
            .post(format!("{}{PATH}", app.base))
            .insert_header(("Authorization", format!("Bearer {}", app.a.key)))
            .insert_header(("Content-Type", "application/json"))
            .send_body(huge.clone())
            .await;
        if let Ok(mut response) = sent {
            let body: serde_json::Value =
                serde_json::from_slice(&response.body().await.unwrap()).unwrap();
            answered = Some((response.status().as_u16(), body));
            break;
        }
    }
    let (status, body) = answered.expect("an answer in five tries");
    assert_eq!(status, 413);
    assert_eq!(body["code"], "payload_too_large");
    let just_under = json!({"name": "Long terms", "customTerms": "t".repeat(50_000)});
    assert_eq!(
        app.post(PATH, &app.a.key, &just_under)
            .await
            .status
            .as_u16(),
        201
    );
}

#[actix_web::test]
async fn request_ids_are_echoed_or_generated() {
    let app = spawn_app().await;
    let echoed = app
        .send(
            "GET",
            "/programInstances",
            Some(&app.a.key),
            None,
            &[("X-Request-Id", "trace-abc-123")],
        )
        .await;
    assert_eq!(
        echoed.header("x-request-id").as_deref(),
        Some("trace-abc-123")
    );
    let generated = app.get("/programInstances", &app.a.key).await;
    let other = app.get("/programInstances", &app.a.key).await;
    assert!(
        generated
            .header("x-request-id")
            .is_some_and(|id| !id.is_empty())
    );
    assert_ne!(
        generated.header("x-request-id"),
        other.header("x-request-id")
    );
    let unsafe_id = app
        .send(
            "GET",
            "/nowhere",
            None,
            None,
            &[("X-Request-Id", "<script>")],
        )
        .await;
    assert_ne!(
        unsafe_id.header("x-request-id").as_deref(),
        Some("<script>")
    );
    unsafe_id.problem(404, "not_found");
}

#[actix_web::test]
async fn odd_input_never_causes_a_server_error() {
    let app = spawn_app().await;
    let bodies = [
        json!({"name": "\u{0000}nul"}),
        json!({"name": "x", "metadata": {"": 1}}),
        json!({"name": "x", "startDate": "+275760-09-13T00:00:00Z"}),
        json!({"name": "x", "eligibilityCriteria": {"minimumCapacity": 1e308}}),
        json!({"name": "x", "formConfig": {"fields": [{"key": "a", "label": "A", "type": "text", "pattern": "a{1000}{1000}"}]}}),
        json!({"name": "🔋".repeat(200)}),
        json!({"name": "x", "slug": "-"}),
        json!({"name": {"nested": true}}),
    ];
    for body in bodies {
        let reply = app.post(PATH, &app.a.key, &body).await;
        assert!(
            reply.status.as_u16() < 500,
            "{body}: {} {}",
            reply.status,
            reply.body
        );
    }
    for path in [
        "/programInstances/%00",
        "/programInstances?q=%00",
        "/programInstances?activeAt=%FF",
        "/programs/%E2%82%AC/instances",
    ] {
        let reply = app.get(path, &app.a.key).await;
        assert!(
            reply.status.as_u16() < 500,
            "{path}: {} {}",
            reply.status,
            reply.body
        );
    }
}

/// Every member of the documented body, replaced in turn by each odd value, on creation and
/// on patch: the answer is never a server error.
#[actix_web::test]
async fn no_member_value_causes_a_server_error() {
    let app = spawn_app().await;
    let target = app
        .create_instance(&app.a.key, crate::helpers::documented_example())
        .await;
    let patch_path = format!("/programInstances/{}", target["id"].as_str().unwrap());
    let odd_values = [
        json!(null),
        json!(true),
        json!(0),
        json!(-1),
        json!(1.0e300),
        json!(u64::MAX),
        json!(""),
        json!(" "),
        json!("\u{0}"),
        json!("2023-02-30T00:00:00Z"),
        json!([]),
        json!([null, 1, "x", {}]),
        json!({}),
        json!({"regions": [1], "fields": "x", "": null}),
        json!("x".repeat(70_000)),
        json!([[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]),
    ];
    let members = crate::helpers::documented_example()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect::<Vec<_>>();
    let members =
        members
            .iter()
            .map(String::as_str)
            .chain(["status", "formConfig", "metadata", "id"]);
    for member in members {
        for value in &odd_values {
            let mut body = json!({"name": "Odd"});
            body[member] = value.clone();
            let created = app.post(PATH, &app.a.key, &body).await;
            assert!(
                created.status.as_u16() < 500,
                "POST {member}={value}: {}",
                created.body
            );
            let patched = app
                .patch(&patch_path, &app.a.key, &json!({ member: value }))
                .await;
            assert!(
                patched.status.as_u16() < 500,
                "PATCH {member}={value}: {}",
                patched.body
            );
        }
    }
}
