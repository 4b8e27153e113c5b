//! Webhook endpoints and deliveries, to real receivers: HTTP servers on 127.0.0.1 started
//! here. No request ever leaves the machine: refusals are tested with loopback addresses
//! while private destinations are not allowed.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use application::{DestinationRefused, Ports, WebhookSender};
use domain::Timestamp;
use domain::webhook::endpoint::WebhookUrl;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, TestStore, spawn_app_with, spawn_app_with_ports, spawn_sqlite_app_with,
};
use crate::processes::{call, initialised_database, serve_process};

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: String,
    at: std::time::SystemTime,
}

/// A webhook receiver on 127.0.0.1: it records every request and answers with the next of
/// its scripted answers (200 once they run out); an answer of 0 means "take 3 s".
#[derive(Clone)]
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(script: &[u16]) -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<_>>()));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (record, script) = (received.clone(), answers.clone());
        let server = HttpServer::new(move || {
            let (record, script) = (record.clone(), script.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (record, script) = (record.clone(), script.clone());
                async move {
                    let headers = req
                        .headers()
                        .iter()
                        .map(|(name, value)| {
                            (
                                name.to_string(),
                                value.to_str().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect();
                    record.lock().unwrap().push(Received {
                        headers,
                        body: String::from_utf8_lossy(&body).into_owned(),
                        at: std::time::SystemTime::now(),
                    });
                    let answer = script.lock().unwrap().pop_front().unwrap_or(200);
                    if answer == 0 {
                        actix_web::rt::time::sleep(Duration::from_secs(3)).await;
                        return HttpResponse::Ok().finish();
                    }
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(answer).unwrap())
                        .finish()
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        actix_web::rt::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            received,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) until `count` requests came.
    async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..400 {
            if self.received.lock().unwrap().len() >= count {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        self.received()
    }
}

fn header<'a>(request: &'a Received, name: &str) -> &'a str {
    request
        .headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
        .unwrap_or_default()
}

fn verifies(secret: &str, request: &Received, app: &TestApp) -> bool {
    domain::verify_webhook(
        secret,
        &request.headers,
        request.body.as_bytes(),
        app.app.now(),
        time::Duration::minutes(5),
    )
    .is_ok()
}

/// An app whose webhooks may go to loopback over http, with the retry schedule in
/// milliseconds.
async fn local_app() -> TestApp {
    spawn_app_with(|settings| {
        settings.webhooks.allow_http = true;
        settings.webhooks.backoff_scale = 0.001;
        settings.webhook_dispatch.sender.allow_private = true;
        settings.webhook_dispatch.sender.timeout = Duration::from_millis(1_000);
    })
    .await
}

async fn subscribe(app: &TestApp, receiver: &Receiver, types: Option<&[&str]>) -> Value {
    let mut body = json!({ "url": receiver.url, "description": "test receiver" });
    if let Some(types) = types {
        body["eventTypes"] = json!(types);
    }
    let created = app.post("/webhookEndpoints", &app.a.key, &body).await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.body);
    created.body
}

async fn deliveries(app: &TestApp, endpoint: &Value) -> Vec<Value> {
    let path = format!(
        "/webhookEndpoints/{}/deliveries",
        endpoint["id"].as_str().unwrap()
    );
    let page = app.get(&path, &app.a.key).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    page.body["data"].as_array().unwrap().clone()
}

/// Waits (up to 20 s) until the endpoint's newest delivery is in `state`.
async fn wait_for_state(app: &TestApp, endpoint: &Value, state: &str) -> Value {
    for _ in 0..400 {
        let all = deliveries(app, endpoint).await;
        if all
            .first()
            .is_some_and(|delivery| delivery["state"] == state)
        {
            return all[0].clone();
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no delivery became {state}: {:?}",
        deliveries(app, endpoint).await
    );
}

#[actix_web::test]
async fn a_change_is_delivered_once_with_a_valid_signature() {
    let app = local_app().await;
    let receiver = Receiver::start(&[]);
    let endpoint = subscribe(&app, &receiver, Some(&["programInstance.created"])).await;
    let secret = endpoint["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    let shown = app
        .get(
            &format!("/webhookEndpoints/{}", endpoint["id"].as_str().unwrap()),
            &app.a.key,
        )
        .await;
    assert!(
        shown.body.get("secret").is_none(),
        "the secret is shown once"
    );

    let instance = app.instance_named(&app.a.key, "Announced").await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got.len(), 1);
    let request = &got[0];
    assert!(verifies(secret, request, &app), "{request:?}");
    let body: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(body["type"], "programInstance.created");
    assert_eq!(body["data"]["object"], instance);
    assert_eq!(header(request, "webhook-id"), body["id"].as_str().unwrap());
    let logged = app
        .get(
            &format!("/events/{}", body["id"].as_str().unwrap()),
            &app.a.key,
        )
        .await;
    assert_eq!(
        logged.body, body,
        "the body is the event as the API shows it"
    );

    let delivery = wait_for_state(&app, &endpoint, "succeeded").await;
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["lastStatus"], 200);
    let metrics = app.send("GET", "/metrics", None, None, &[]).await;
    let text = metrics.body.as_str().unwrap_or_default();
    assert!(
        text.contains("webhook_deliveries_total{outcome=\"succeeded\"}"),
        "{text}"
    );
    // An event of a type it did not ask for is not delivered.
    let id = instance["id"].as_str().unwrap();
    app.patch(
        &format!("/programInstances/{id}"),
        &app.a.key,
        &json!({"name": "Renamed"}),
    )
    .await;
    actix_web::rt::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "delivered once, and only what it asked for"
    );
}

#[actix_web::test]
async fn failed_attempts_are_retried_until_one_succeeds() {
    let app = local_app().await;
    let receiver = Receiver::start(&[500, 500]);
    let endpoint = subscribe(&app, &receiver, Some(&["programInstance.created"])).await;
    app.instance_named(&app.a.key, "Retried").await;
    let got = receiver.wait_for(3).await;
    assert_eq!(got.len(), 3);
    let ids: Vec<_> = got
        .iter()
        .map(|request| header(request, "webhook-id"))
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "the same event each time"
    );
    let delivery = wait_for_state(&app, &endpoint, "succeeded").await;
    assert_eq!(delivery["attempts"], 3);
    assert_eq!(delivery["lastStatus"], 200);
}

#[actix_web::test]
async fn a_receiver_that_does_not_answer_in_time_is_retried() {
    let app = local_app().await;
    // The first attempt takes 3 s, beyond the 1 s limit.
    let receiver = Receiver::start(&[0]);
    let endpoint = subscribe(&app, &receiver, Some(&["programInstance.created"])).await;
    app.instance_named(&app.a.key, "Slow").await;
    let delivery = wait_for_state(&app, &endpoint, "succeeded").await;
    assert_eq!(delivery["attempts"], 2, "{delivery}");
    assert!(receiver.received().len() >= 2);
}

#[actix_web::test]
async fn rotation_signs_with_both_secrets() {
    let app = local_app().await;
    let receiver = Receiver::start(&[]);
    let endpoint = subscribe(&app, &receiver, None).await;
    let old = endpoint["secret"].as_str().unwrap().to_owned();
    let id = endpoint["id"].as_str().unwrap();
    let rotated = app
        .post(
            &format!("/webhookEndpoints/{id}/rotateSecret"),
            &app.a.key,
            &json!({}),
        )
        .await;
    assert_eq!(rotated.status.as_u16(), 200, "{}", rotated.body);
    let new = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(old, new);
    app.instance_named(&app.a.key, "Rotated").await;
    let got = receiver.wait_for(1).await;
    let request = &got[0];
    assert_eq!(header(request, "webhook-signature").split(' ').count(), 2);
    assert!(verifies(&old, request, &app));
    assert!(verifies(&new, request, &app));
}

#[actix_web::test]
async fn endpoints_follow_the_url_rules_and_are_the_workspace_s_own() {
    let app = spawn_app_with(|settings| settings.webhooks.allow_http = false).await;
    let key = &app.a.key;
    let refused = app
        .post(
            "/webhookEndpoints",
            key,
            &json!({"url": "http://127.0.0.2:9/hook"}),
        )
        .await;
    refused.problem(422, "validation_failed");
    assert_eq!(
        refused.violations(),
        [("/url".to_owned(), "https_required".to_owned())]
    );
    // https, but to a loopback address while private destinations are not allowed.
    let private = app
        .post(
            "/webhookEndpoints",
            key,
            &json!({"url": "https://127.0.0.2:9/hook"}),
        )
        .await;
    private.problem(422, "validation_failed");
    assert_eq!(
        private.violations(),
        [("/url".to_owned(), "destination_not_allowed".to_owned())]
    );
    let named = app
        .post(
            "/webhookEndpoints",
            key,
            &json!({"url": "https://localhost:9/hook"}),
        )
        .await;
    assert_eq!(
        named.violations(),
        [("/url".to_owned(), "destination_not_allowed".to_owned())]
    );
    let bad = app
        .post(
            "/webhookEndpoints",
            key,
            &json!({"url": "ftp://x", "eventTypes": ["nope"], "extra": 1}),
        )
        .await;
    let mut found = bad.violations();
    found.sort();
    assert_eq!(
        found,
        [
            ("/eventTypes/0".to_owned(), "invalid_event_type".to_owned()),
            ("/extra".to_owned(), "unknown_field".to_owned()),
            ("/url".to_owned(), "invalid_url".to_owned()),
        ]
    );
    app.get("/webhookEndpoints", &app.b.key).await;
    assert_eq!(
        app.get("/webhookEndpoints", key).await.body["data"],
        json!([]),
        "nothing was stored"
    );
}

/// A destination rule that lets any destination be registered: what the dispatcher then
/// checks at delivery is the server's own (private destinations not allowed).
struct AnyDestination;

impl WebhookSender for AnyDestination {
    fn check_destination(&self, _: &WebhookUrl) -> Result<(), DestinationRefused> {
        Ok(())
    }
}

#[actix_web::test]
async fn a_private_destination_is_refused_at_delivery_too() {
    let app = spawn_app_with_ports(
        TestStore::postgres(),
        |settings| {
            settings.webhooks.allow_http = true;
            // The whole schedule (about 27 h) in about 10 s.
            settings.webhooks.backoff_scale = 0.0001;
        },
        |ports: Ports| Ports {
            webhook_sender: Arc::new(AnyDestination),
            ..ports
        },
    )
    .await;
    let receiver = Receiver::start(&[]);
    let endpoint = subscribe(&app, &receiver, None).await;
    app.instance_named(&app.a.key, "Never sent").await;
    let delivery = wait_for_state(&app, &endpoint, "failed").await;
    assert_eq!(delivery["attempts"], 8);
    assert_eq!(delivery["lastStatus"], Value::Null);
    assert!(
        delivery["lastError"]
            .as_str()
            .unwrap()
            .contains("may not go"),
        "{delivery}"
    );
    assert!(
        receiver.received().is_empty(),
        "no request reached the receiver"
    );

    let id = endpoint["id"].as_str().unwrap();
    let retried = app
        .post(
            &format!(
                "/webhookEndpoints/{id}/deliveries/{}/retry",
                delivery["id"].as_str().unwrap()
            ),
            &app.a.key,
            &json!({}),
        )
        .await;
    assert_eq!(retried.status.as_u16(), 202, "{}", retried.body);
    assert_eq!(retried.body["state"], "pending");
}

#[actix_web::test]
async fn two_serve_processes_deliver_each_event_once() {
    let (database, key) = initialised_database();
    let receiver = Receiver::start(&[]);
    let first = serve_process(&database.url, 2_000).await;
    let second = serve_process(&database.url, 2_000).await;
    let (status, _) = call(
        &first,
        "POST",
        "/webhookEndpoints",
        &key,
        Some(json!({ "url": receiver.url, "eventTypes": ["programInstance.created"] })),
    )
    .await;
    assert_eq!(status, 201);
    let total = 40;
    for n in 0..total {
        let process = if n % 2 == 0 { &first } else { &second };
        let (status, body) = call(
            process,
            "POST",
            "/programs/battery-rebate/instances",
            &key,
            Some(json!({ "name": format!("Shared {n}") })),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    receiver.wait_for(total).await;
    // Time for a duplicate to show up, were there one.
    actix_web::rt::time::sleep(Duration::from_millis(1_500)).await;
    let got = receiver.received();
    let ids: std::collections::BTreeSet<_> = got
        .iter()
        .map(|request| header(request, "webhook-id").to_owned())
        .collect();
    assert_eq!((got.len(), ids.len()), (total, total), "each event once");
    drop((first, second));
}

#[actix_web::test]
async fn a_delivery_cut_off_by_a_killed_server_is_made_after_a_restart() {
    let (database, key) = initialised_database();
    // The first request is answered after 3 s: the server is killed meanwhile.
    let receiver = Receiver::start(&[0]);
    let server = serve_process(&database.url, 4_000).await;
    let (status, _) = call(
        &server,
        "POST",
        "/webhookEndpoints",
        &key,
        Some(json!({ "url": receiver.url, "eventTypes": ["programInstance.created"] })),
    )
    .await;
    assert_eq!(status, 201);
    call(
        &server,
        "POST",
        "/programs/battery-rebate/instances",
        &key,
        Some(json!({ "name": "Interrupted" })),
    )
    .await;
    let first = receiver.wait_for(1).await;
    assert_eq!(first.len(), 1);
    drop(server); // SIGKILL, mid-delivery.

    // Its claim outlives it by the lease (4 s + 5 s); then the restarted server delivers.
    let restarted = serve_process(&database.url, 4_000).await;
    let mut got = Vec::new();
    for _ in 0..300 {
        got = receiver.received();
        if got.len() >= 2 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(got.len() >= 2, "delivered again after the restart");
    assert_eq!(header(&got[0], "webhook-id"), header(&got[1], "webhook-id"));
    drop(restarted);
}

/// A receiver on 127.0.0.1 that takes connections and never answers: its URL.
fn silent_receiver() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    format!("http://127.0.0.1:{port}/hook")
}

/// Workspace B's endpoint takes connections and never answers; workspace A's answers at
/// once. Under a steady trickle of changes in both, A's events arrive within 2 s (p99),
/// while B's attempts hang for the whole 10 s limit.
async fn a_dead_endpoint_never_delays_another(app: TestApp) {
    let healthy = Receiver::start(&[]);
    subscribe(&app, &healthy, None).await;
    let dead = app
        .post(
            "/webhookEndpoints",
            &app.b.key,
            &json!({ "url": silent_receiver() }),
        )
        .await;
    assert_eq!(dead.status.as_u16(), 201, "{}", dead.body);

    for round in 0..40 {
        app.instance_named(&app.a.key, &format!("Healthy {round}"))
            .await;
        app.instance_named(&app.b.key, &format!("Dead {round}"))
            .await;
        actix_web::rt::time::sleep(Duration::from_millis(150)).await;
    }
    let logged = app.get("/events?limit=100", &app.a.key).await;
    assert_eq!(logged.status.as_u16(), 200, "{}", logged.body);
    let events = logged.body["data"].as_array().unwrap().len();
    assert!(events >= 40, "{events}");
    let received = healthy.wait_for(events).await;
    assert_eq!(received.len(), events, "every event of A arrived");
    let mut lags: Vec<Duration> = received
        .iter()
        .map(|request| {
            let body: Value = serde_json::from_str(&request.body).unwrap();
            let created = Timestamp::parse(body["createdAt"].as_str().unwrap()).unwrap();
            let created = std::time::UNIX_EPOCH
                + Duration::from_micros(u64::try_from(created.unix_micros()).unwrap());
            request.at.duration_since(created).unwrap_or_default()
        })
        .collect();
    lags.sort_unstable();
    let p99 = lags[(lags.len() * 99).div_ceil(100) - 1];
    assert!(
        p99 < Duration::from_secs(2),
        "A's delivery lag p99 {p99:?} (all: {lags:?})"
    );
}

#[actix_web::test]
async fn a_dead_endpoint_never_delays_another_on_postgres() {
    a_dead_endpoint_never_delays_another(
        spawn_app_with(|settings| {
            settings.webhooks.allow_http = true;
            settings.webhook_dispatch.sender.allow_private = true;
        })
        .await,
    )
    .await;
}

#[actix_web::test]
async fn a_dead_endpoint_never_delays_another_on_sqlite() {
    a_dead_endpoint_never_delays_another(
        spawn_sqlite_app_with(|settings| {
            settings.webhooks.allow_http = true;
            settings.webhook_dispatch.sender.allow_private = true;
        })
        .await,
    )
    .await;
}
