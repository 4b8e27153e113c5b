//! The embedded default: the same API over SQLite, with no database server.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestFolder, documented_example, spawn_sqlite_app};

const BINARY: &str = env!("CARGO_BIN_EXE_program-instances");

#[actix_web::test]
async fn the_documented_example_works_on_sqlite() {
    let app = spawn_sqlite_app().await;
    let created = app.create_instance(&app.a.key, documented_example()).await;
    let path = format!("/programInstances/{}", created["id"].as_str().unwrap());
    assert_eq!(app.get(&path, &app.a.key).await.body, created);
    let patched = app
        .patch(
            &path,
            &app.a.key,
            &json!({"status": "inactive", "metadata": {"a": 1}}),
        )
        .await;
    assert_eq!(
        (
            patched.body["status"].clone(),
            patched.body["version"].clone()
        ),
        (json!("inactive"), json!(2))
    );
    let listed = app
        .get("/programInstances?status=inactive&q=nyc", &app.a.key)
        .await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(1));
    app.get(&path, &app.b.key).await.problem(404, "not_found");
    let history = app.get(&format!("{path}/events"), &app.a.key).await;
    assert_eq!(history.body["data"].as_array().map(Vec::len), Some(3));
}

/// 32 writers at once: every write succeeds or is refused for a reason of its own, none
/// fails with a server error (busy is queued, not reported).
#[actix_web::test]
async fn thirty_two_concurrent_writers_never_see_a_server_error() {
    let app = spawn_sqlite_app().await;
    let target = app.instance_named(&app.a.key, "Contended").await;
    let target_path = format!(
        "{}/programInstances/{}",
        app.base,
        target["id"].as_str().unwrap()
    );
    let create_path = format!("{}/programs/battery-rebate/instances", app.base);
    let mut tasks = Vec::new();
    for writer in 0..32 {
        let client = app.client.clone();
        let authorization = format!("Bearer {}", app.a.key);
        let (create_path, target_path) = (create_path.clone(), target_path.clone());
        tasks.push(actix_web::rt::spawn(async move {
            let mut statuses = Vec::new();
            for round in 0..3 {
                let created = client
                    .post(&create_path)
                    .insert_header(("Authorization", authorization.as_str()))
                    .insert_header(("Idempotency-Key", format!("writer-{writer}-{round}")))
                    .send_json(&json!({ "name": format!("Writer {writer} round {round}") }))
                    .await
                    .map(|response| response.status().as_u16());
                statuses.push(("create", created.unwrap_or(0)));
                let patched = client
                    .patch(&target_path)
                    .insert_header(("Authorization", authorization.as_str()))
                    .insert_header(("Content-Type", "application/merge-patch+json"))
                    .send_body(
                        json!({ "description": format!("writer {writer} round {round}") })
                            .to_string(),
                    )
                    .await
                    .map(|response| response.status().as_u16());
                statuses.push(("patch", patched.unwrap_or(0)));
            }
            statuses
        }));
    }
    let mut outcomes = std::collections::BTreeMap::new();
    for task in tasks {
        for outcome in task.await.unwrap() {
            *outcomes.entry(outcome).or_insert(0) += 1;
        }
    }
    assert_eq!(outcomes.get(&("create", 201)), Some(&96), "{outcomes:?}");
    let patched_ok = outcomes.get(&("patch", 200)).copied().unwrap_or(0);
    let patched_conflict = outcomes.get(&("patch", 409)).copied().unwrap_or(0);
    assert_eq!(patched_ok + patched_conflict, 96, "{outcomes:?}");
    let listed = app.get("/programInstances?limit=100", &app.a.key).await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(97));
    let final_state = app
        .get(
            &format!("/programInstances/{}", target["id"].as_str().unwrap()),
            &app.a.key,
        )
        .await;
    assert_eq!(
        final_state.body["version"],
        json!(1 + patched_ok),
        "every accepted patch is one version"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary run in `folder` with no `DATABASE_URL`: the embedded default.
fn binary(folder: &TestFolder, args: &[&str]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .current_dir(&folder.path)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn");
    command
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn serve(folder: &TestFolder, port: u16) -> Running {
    let child = binary(folder, &["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let running = Running(child);
    let client = awc::Client::default();
    for _ in 0..100 {
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            && response.status().is_success()
        {
            return running;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not become ready");
}

#[actix_web::test]
async fn with_no_configuration_data_lives_in_a_file_and_survives_a_restart() {
    let folder = TestFolder::create();
    // Only `serve` and `migrate` change the schema: a first run migrates, then initialises.
    let migrated = binary(&folder, &["migrate"]).output().unwrap();
    assert!(migrated.status.success());
    let init = binary(&folder, &["init"]).output().unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let printed: Value = serde_json::from_slice(&init.stdout).unwrap();
    let key = printed["apiKey"]["key"].as_str().unwrap().to_owned();
    assert!(
        folder.path.join("data/program-instances.db").exists(),
        "the default file, folder included"
    );

    let port = free_port();
    let client = awc::Client::default();
    let base = format!("http://127.0.0.1:{port}");
    let id = {
        let _server = serve(&folder, port).await;
        let mut created = client
            .post(format!("{base}/programs/battery-rebate/instances"))
            .insert_header(("Authorization", format!("Bearer {key}")))
            .send_json(&documented_example())
            .await
            .unwrap();
        assert_eq!(created.status().as_u16(), 201);
        let body: Value = created.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    };
    let _server = serve(&folder, port).await;
    let mut fetched = client
        .get(format!("{base}/programInstances/{id}"))
        .insert_header(("Authorization", format!("Bearer {key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status().as_u16(), 200);
    let body: Value = fetched.json().await.unwrap();
    assert_eq!(body["name"], "NYC Battery Rebate Program 2023");
}
