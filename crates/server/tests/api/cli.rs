use std::process::Command;

use serde_json::Value;

use crate::helpers::spawn_app;

const BINARY: &str = env!("CARGO_BIN_EXE_program-instances");

/// Runs the binary against `url`, expecting success and one JSON object on stdout.
fn run(url: &str, args: &[&str]) -> Value {
    let output = Command::new(BINARY)
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{args:?}: {:?} {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.lines().count(), 1, "one line of JSON: {stdout}");
    serde_json::from_str(&stdout).unwrap()
}

fn run_failing(url: &str, args: &[&str]) -> String {
    let output = Command::new(BINARY)
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!output.status.success(), "{args:?} should fail");
    assert!(output.stdout.is_empty());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[actix_web::test]
async fn operator_commands_print_json_and_their_keys_work_over_http() {
    let app = spawn_app().await;
    let url = app.database_url();

    let workspace = run(
        &url,
        &[
            "workspaces",
            "create",
            "--name",
            "Con Edison Pilots",
            "--id",
            "ws_coned",
        ],
    );
    assert_eq!(workspace["id"], "ws_coned");
    assert_eq!(workspace["name"], "Con Edison Pilots");
    let generated = run(&url, &["workspaces", "create", "--name", "Generated"]);
    assert!(
        generated["id"]
            .as_str()
            .is_some_and(|id| id.starts_with('c'))
    );

    let program = run(
        &url,
        &[
            "programs",
            "create",
            "--slug",
            "coned-smart-homes",
            "--name",
            "Smart Homes",
            "--private",
            "--share-with",
            "ws_coned",
        ],
    );
    assert_eq!(program["visibility"], "private");

    let key = run(
        &url,
        &[
            "keys",
            "create",
            "--workspace",
            "ws_coned",
            "--name",
            "ops",
            "--scopes",
            "programs:read,programInstances:read",
            "--expires-in",
            "30d",
        ],
    );
    let secret = key["key"].as_str().unwrap();
    assert!(secret.starts_with(key["prefix"].as_str().unwrap()));
    assert_eq!(
        key["scopes"],
        serde_json::json!(["programs:read", "programInstances:read"])
    );
    assert!(key["expiresAt"].is_string());
    assert!(!key.to_string().contains("argon2"), "no hash is printed");

    let catalog = app.get("/programs", secret).await;
    let slugs: Vec<_> = catalog.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap().to_owned())
        .collect();
    assert!(slugs.contains(&"coned-smart-homes".to_owned()));
    app.post(
        "/programs/coned-smart-homes/instances",
        secret,
        &serde_json::json!({"name": "x"}),
    )
    .await
    .problem(403, "missing_scope");

    let revoked = run(&url, &["keys", "revoke", key["id"].as_str().unwrap()]);
    assert!(revoked["revokedAt"].is_string());
    // The server process caches verified keys for at most the cache TTL (5 s by default).
    actix_web::rt::time::sleep(std::time::Duration::from_millis(5_200)).await;
    app.get("/programs", secret)
        .await
        .problem(401, "unauthenticated");

    assert_eq!(run(&url, &["migrate"])["applied"], serde_json::json!([]));
    assert!(
        run_failing(
            &url,
            &[
                "keys",
                "create",
                "--workspace",
                "ws_coned",
                "--scopes",
                "admin"
            ]
        )
        .contains("--scopes")
    );
    assert!(
        run_failing(&url, &["keys", "create", "--workspace", "ws_nobody"])
            .contains("workspace not found")
    );
    assert!(
        run_failing(
            &url,
            &[
                "workspaces",
                "create",
                "--name",
                "Again",
                "--id",
                "ws_coned"
            ]
        )
        .contains("already exists")
    );
    assert!(
        run_failing(
            &url,
            &[
                "keys",
                "create",
                "--workspace",
                "ws_coned",
                "--expires-in",
                "3w"
            ]
        )
        .contains("--expires-in")
    );
    // A unit wider than one byte: a usage error, not a panic.
    let (code, stderr) = exit_of(
        &url,
        &[
            "keys",
            "create",
            "--workspace",
            "ws_coned",
            "--name",
            "x",
            "--expires-in",
            "3é",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--expires-in") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[actix_web::test]
async fn init_is_idempotent() {
    let app = spawn_app().await;
    let url = app.database_url();
    let first = run(&url, &["init"]);
    assert_eq!(first["workspace"]["id"], "ws_demo");
    let slugs: Vec<_> = first["programs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].clone())
        .collect();
    assert_eq!(
        slugs,
        [
            "battery-rebate",
            "ev-charging-rebate",
            "thermostat-demand-response"
        ]
    );
    let secret = first["apiKey"]["key"].as_str().unwrap().to_owned();
    let second = run(&url, &["init"]);
    assert_eq!(second["apiKey"], Value::Null);
    assert!(second["note"].as_str().unwrap().contains("keys create"));
    assert_eq!(app.get("/programs", &secret).await.status.as_u16(), 200);
}

#[test]
fn a_bad_database_url_names_the_accepted_forms() {
    let error = run_failing("mysql://nope", &["migrate"]);
    assert!(error.contains("postgres://"), "{error}");
}

#[actix_web::test]
async fn the_operator_lists_what_exists_and_changes_who_sees_a_program() {
    let app = spawn_app().await;
    let url = app.database_url();

    let workspaces = run(&url, &["workspaces", "list"]);
    let ids: Vec<_> = workspaces
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["ws_a", "ws_b"]);

    let keys = run(&url, &["keys", "list", "--workspace", "ws_a"]);
    let keys = keys.as_array().unwrap();
    assert!(!keys.is_empty());
    for key in keys {
        assert!(key.get("key").is_none(), "never a secret: {key}");
        assert!(key["prefix"].is_string());
    }
    assert!(!Value::Array(keys.clone()).to_string().contains("argon2"));

    let programs = run(&url, &["programs", "list"]);
    let private = programs
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["slug"] == "a-only-program")
        .unwrap()
        .clone();
    assert_eq!(private["sharedWith"], serde_json::json!(["ws_a"]));

    let shared = run(
        &url,
        &["programs", "share", "a-only-program", "--with", "ws_b"],
    );
    assert_eq!(shared["sharedWith"], serde_json::json!(["ws_a", "ws_b"]));
    assert_eq!(
        app.get("/programs/a-only-program", &app.b.key)
            .await
            .status
            .as_u16(),
        200,
        "ws_b sees it now"
    );
    let unshared = run(
        &url,
        &["programs", "unshare", "a-only-program", "--with", "ws_a"],
    );
    assert_eq!(unshared["sharedWith"], serde_json::json!(["ws_b"]));
    app.get("/programs/a-only-program", &app.a.key)
        .await
        .problem(404, "not_found");

    assert!(
        run_failing(
            &url,
            &["programs", "share", "battery-rebate", "--with", "ws_b"]
        )
        .contains("public")
    );
    assert!(
        run_failing(
            &url,
            &["programs", "share", "a-only-program", "--with", "ws_nobody"]
        )
        .contains("workspace not found")
    );
}

/// Runs the binary against `url` and returns its exit code and stderr.
fn exit_of(url: &str, args: &[&str]) -> (i32, String) {
    let output = Command::new(BINARY)
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn only_serve_and_migrate_change_the_schema() {
    let folder = std::env::temp_dir().join(format!("pi-schema-{}", std::process::id()));
    let url = format!("sqlite://{}/fresh.db", folder.display());

    let status = run(&url, &["migrate", "--status"]);
    assert_eq!(status["applied"], serde_json::json!([]));
    let pending = status["pending"].as_array().unwrap().len();
    assert!(pending > 0);

    for command in [
        &["init"][..],
        &["workspaces", "list"],
        &["programs", "list"],
        &["keys", "list", "--workspace", "ws_demo"],
    ] {
        let (code, stderr) = exit_of(&url, command);
        assert_eq!(code, 2, "{command:?}: {stderr}");
        assert!(stderr.contains("program-instances migrate"), "{stderr}");
    }
    assert_eq!(
        run(&url, &["migrate", "--status"])["applied"],
        serde_json::json!([]),
        "nothing was changed by the refused commands or the status"
    );

    let applied = run(&url, &["migrate"]);
    assert_eq!(applied["applied"].as_array().unwrap().len(), pending);
    let status = run(&url, &["migrate", "--status"]);
    assert_eq!(status["pending"], serde_json::json!([]));
    assert_eq!(status["applied"].as_array().unwrap().len(), pending);
    assert_eq!(run(&url, &["init"])["workspace"]["id"], "ws_demo");
    let _ = std::fs::remove_dir_all(&folder);
}

const SETTINGS: [&str; 14] = [
    "DATABASE_URL",
    "DB_POOL_SIZE",
    "DB_POOL_TIMEOUT_MS",
    "DB_STATEMENT_TIMEOUT_MS",
    "DB_LOCK_TIMEOUT_MS",
    "LOG_FORMAT",
    "RUST_LOG",
    "BIND_ADDR",
    "WORKERS",
    "SHUTDOWN_DRAIN_MS",
    "KEY_CACHE_TTL_SECS",
    "AUTH_FAILURE_BURST",
    "AUTH_FAILURE_REFILL_PER_SEC",
    "TRUSTED_PROXIES",
];

#[test]
fn help_lists_every_setting_without_revealing_secrets() {
    for args in [&["--help"][..], &["serve", "--help"]] {
        let output = Command::new(BINARY)
            .args(args)
            .env("DATABASE_URL", "postgres://app:s3cret-password@db/pi")
            .output()
            .unwrap();
        assert!(output.status.success());
        let help = String::from_utf8_lossy(&output.stdout);
        for setting in SETTINGS {
            assert!(
                help.contains(&format!("env: {setting}")),
                "{args:?} lacks {setting}"
            );
        }
        assert!(help.contains("[default: 127.0.0.1:8080]"), "{help}");
        assert!(!help.contains("s3cret-password"), "{help}");
    }
}

/// `LOG_FORMAT=json`: every line on stderr is one JSON object, without colours; a request's
/// line names the request, its route and status, and the workspace and key that acted.
#[test]
fn json_logs_parse_line_by_line_with_the_acting_key() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::Stdio;

    let folder = std::env::temp_dir().join(format!("pi-json-logs-{}", std::process::id()));
    let url = format!("sqlite://{}/logs.db", folder.display());
    run(&url, &["migrate"]);
    let created = run(&url, &["init"]);
    let secret = created["apiKey"]["key"].as_str().unwrap().to_owned();
    let key_id = created["apiKey"]["id"].as_str().unwrap().to_owned();

    let mut server = Command::new(BINARY)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--shutdown-drain-ms",
            "100",
        ])
        .env("DATABASE_URL", &url)
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let address = loop {
        let line = lines.next().unwrap().unwrap();
        let event: Value = serde_json::from_str(&line).unwrap();
        seen.push(line);
        if event["message"] == "listening" {
            break event["address"].as_str().unwrap().to_owned();
        }
    };
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "GET /programs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {secret}\r\nX-Request-Id: logged-1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let stopped = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    seen.extend(lines.map(Result::unwrap));
    assert!(server.wait().unwrap().success());
    let _ = std::fs::remove_dir_all(&folder);

    let events: Vec<Value> = seen
        .iter()
        .map(|line| {
            assert!(!line.contains('\u{1b}'), "no colours: {line}");
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"))
        })
        .collect();
    let served = events
        .iter()
        .find(|event| event["message"] == "served" && event["request_id"] == "logged-1")
        .unwrap_or_else(|| panic!("no request line in {seen:?}"));
    assert_eq!(served["route"], "/programs");
    assert_eq!(served["method"], "GET");
    assert_eq!(served["status"], 200);
    assert!(served["duration_ms"].as_f64().is_some());
    assert_eq!(served["workspace_id"], "ws_demo");
    assert_eq!(served["key_id"], key_id.as_str());
    assert!(
        events.iter().any(|event| event["message"] == "stopped"),
        "{seen:?}"
    );
}

#[actix_web::test]
async fn the_operator_copies_an_instance_into_its_own_workspace() {
    let app = spawn_app().await;
    let url = app.database_url();
    let source = app
        .create_instance(
            &app.a.key,
            serde_json::json!({"name": "Winter Heat 2026", "timeZone": "Europe/London",
                "seasons": [{"opens": "11-01", "closes": "02-28"}]}),
        )
        .await;
    let id = source["id"].as_str().unwrap();
    let workspace = app.a.id.as_str();
    let copy = run(
        &url,
        &[
            "instances",
            "copy",
            id,
            "--workspace",
            workspace,
            "--slug",
            "winter-heat-2027",
            "--name",
            "Winter Heat 2027",
            "--set",
            r#"{"description": "Next winter"}"#,
        ],
    );
    assert_eq!(copy["copiedFrom"], id);
    assert_eq!(copy["name"], "Winter Heat 2027");
    assert_eq!(copy["slug"], "winter-heat-2027");
    assert_eq!(copy["description"], "Next winter");
    assert_eq!(copy["status"], "inactive");
    assert_eq!(copy["seasons"], source["seasons"]);
    assert_eq!(copy["timeZone"], "Europe/London");
    let read = app
        .get(
            &format!("/programInstances/{}", copy["id"].as_str().unwrap()),
            &app.a.key,
        )
        .await;
    assert_eq!(read.body["copiedFrom"], id);
    let log = app
        .get(
            &format!("/events?programInstanceId={}", copy["id"].as_str().unwrap()),
            &app.a.key,
        )
        .await;
    assert_eq!(log.body["data"][0]["actorKeyId"], Value::Null);

    let clash = run_failing(
        &url,
        &[
            "instances",
            "copy",
            id,
            "--workspace",
            workspace,
            "--slug",
            "x",
            "--set",
            r#"{"slug": "y"}"#,
        ],
    );
    assert!(clash.contains("--set"), "{clash}");
    let elsewhere = run_failing(
        &url,
        &[
            "instances",
            "copy",
            id,
            "--workspace",
            app.b.id.as_str(),
            "--slug",
            "stolen",
        ],
    );
    assert!(elsewhere.contains("not found"), "{elsewhere}");
    let invalid = run_failing(
        &url,
        &[
            "instances",
            "copy",
            id,
            "--workspace",
            workspace,
            "--slug",
            "Not A Slug",
        ],
    );
    assert!(invalid.contains("/slug"), "{invalid}");
}
