//! `program-instances serve` processes of their own, for tests of what several processes
//! or a restart do.

use std::net::TcpListener;
use std::time::Duration;

use serde_json::Value;

/// A `program-instances serve` process of its own, killed when dropped.
pub struct ServeProcess {
    child: std::process::Child,
    pub base: String,
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const BINARY: &str = env!("CARGO_BIN_EXE_program-instances");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `serve` on `database_url`, webhooks allowed to loopback over http, and waits
/// until it is ready.
pub async fn serve_process(database_url: &str, timeout_ms: u32) -> ServeProcess {
    let port = free_port();
    let child = std::process::Command::new(BINARY)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .env("WEBHOOK_ALLOW_HTTP", "true")
        .env("WEBHOOK_ALLOW_PRIVATE", "true")
        .env("WEBHOOK_BACKOFF_SCALE", "0.001")
        .env("WEBHOOK_TIMEOUT_MS", timeout_ms.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let process = ServeProcess {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = awc::Client::default();
    for _ in 0..200 {
        if let Ok(response) = client.get(format!("{}/readyz", process.base)).send().await
            && response.status().is_success()
        {
            return process;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not become ready");
}

/// Sends a JSON request to a process and returns status and body.
pub async fn call(
    process: &ServeProcess,
    method: &str,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let client = awc::Client::default();
    let request = client
        .request(
            awc::http::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", process.base),
        )
        .insert_header(("Authorization", format!("Bearer {key}")));
    let mut response = match body {
        Some(body) => {
            request
                .insert_header(("Content-Type", "application/json"))
                .send_body(body.to_string())
                .await
        }
        None => request.send().await,
    }
    .unwrap();
    let bytes = response.body().await.unwrap();
    (
        response.status().as_u16(),
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A PostgreSQL database migrated and initialised by the binary; its full key.
pub fn initialised_database() -> (crate::helpers::TestDatabase, String) {
    let database = crate::helpers::TestDatabase::create();
    let run = |args: &[&str]| {
        let output = std::process::Command::new(BINARY)
            .args(args)
            .env("DATABASE_URL", &database.url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    };
    run(&["migrate"]);
    let init: Value = serde_json::from_slice(&run(&["init"])).unwrap();
    let key = init["apiKey"]["key"].as_str().unwrap().to_owned();
    (database, key)
}
