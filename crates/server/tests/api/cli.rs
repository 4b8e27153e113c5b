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
