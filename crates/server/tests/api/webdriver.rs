//! Just enough of the W3C WebDriver protocol to drive Debian's Chromium through its
//! chromedriver, on 127.0.0.1 only: a session, navigation, elements, keys, clicks, the page
//! and screenshots. Chromium runs headless with its background networking off, so it makes
//! no connection of its own.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Whether the browser is installed; CI installs it (`.ci/run`) and sets `REQUIRE_BROWSER`,
/// so that there a missing browser fails instead of skipping.
pub fn available() -> bool {
    let present =
        std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
    if !present {
        assert!(
            std::env::var_os("REQUIRE_BROWSER").is_none(),
            "REQUIRE_BROWSER is set but {CHROMIUM} or {CHROMEDRIVER} is missing"
        );
        eprintln!("browser tests skipped: install chromium and chromium-driver to run them");
    }
    present
}

/// A chromedriver process with one headless Chromium session; both end when dropped.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    client: awc::Client,
    profile: std::path::PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

#[derive(Debug, Clone)]
pub struct Element(String);

impl Browser {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .args([
                format!("--port={port}"),
                "--allowed-ips=127.0.0.1".to_owned(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(60))
            .finish();
        let base = format!("http://127.0.0.1:{port}");
        let profile =
            std::env::temp_dir().join(format!("pi-chromium-{}-{port}", std::process::id()));
        let mut browser = Self {
            driver,
            base,
            session: String::new(),
            client,
            profile,
        };
        for _ in 0..100 {
            if let Ok(mut response) = browser
                .client
                .get(format!("{}/status", browser.base))
                .send()
                .await
                && let Ok(status) = response.json::<Value>().await
                && status["value"]["ready"] == true
            {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-default-apps", "--disable-extensions", "--window-size=900,1400",
                    format!("--user-data-dir={}", browser.profile.display()),
                ]
            }
        }}});
        let created = browser
            .command("POST", "/session", Some(capabilities))
            .await;
        browser.session = created["sessionId"].as_str().unwrap().to_owned();
        browser
    }

    async fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = if path == "/session" {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let request = self.client.request(
            awc::http::Method::from_bytes(method.as_bytes()).unwrap(),
            url,
        );
        let mut response = match body {
            Some(body) => request.send_json(&body).await,
            None => request.send().await,
        }
        .unwrap();
        let answer: Value = response.json().limit(64 << 20).await.unwrap();
        assert!(
            response.status().is_success(),
            "WebDriver {method} {path}: {answer}"
        );
        answer["value"].clone()
    }

    pub async fn open(&self, url: &str) {
        self.command("POST", "/url", Some(json!({ "url": url })))
            .await;
    }

    /// The browser's Back button.
    pub async fn back(&self) {
        self.command("POST", "/back", Some(json!({}))).await;
    }

    pub async fn find(&self, css: &str) -> Element {
        let found = self
            .command(
                "POST",
                "/element",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        Element(found[ELEMENT].as_str().unwrap().to_owned())
    }

    /// Waits (up to 20 s) until an element matching `css` is on the page: after a click that
    /// submits a form, the next page may still be loading.
    pub async fn wait_for(&self, css: &str) {
        let url = format!("{}/session/{}/element", self.base, self.session);
        for _ in 0..200 {
            let found = self
                .client
                .post(&url)
                .send_json(&json!({ "using": "css selector", "value": css }))
                .await;
            if found.is_ok_and(|response| response.status().is_success()) {
                return;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no {css} appeared");
    }

    /// Empties a text control.
    pub async fn clear(&self, css: &str) {
        let element = self.find(css).await;
        self.command(
            "POST",
            &format!("/element/{}/clear", element.0),
            Some(json!({})),
        )
        .await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.command(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.command(
            "POST",
            &format!("/element/{}/click", element.0),
            Some(json!({})),
        )
        .await;
    }

    pub async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.command("GET", &format!("/element/{}/text", element.0), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn property(&self, css: &str, name: &str) -> Value {
        let element = self.find(css).await;
        self.command(
            "GET",
            &format!("/element/{}/property/{name}", element.0),
            None,
        )
        .await
    }

    /// The `name` of the focused control.
    pub async fn focused_name(&self) -> String {
        let active = self.command("GET", "/element/active", None).await;
        let id = active[ELEMENT].as_str().unwrap().to_owned();
        self.command("GET", &format!("/element/{id}/attribute/name"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn title(&self) -> String {
        self.command("GET", "/title", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn source(&self) -> String {
        self.command("GET", "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// A PNG of the page as it is shown.
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let encoded = self.command("GET", "/screenshot", None).await;
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap())
            .unwrap()
    }
}
