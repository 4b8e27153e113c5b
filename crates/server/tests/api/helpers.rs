//! `spawn_app`: the real server on a free port, over a fresh PostgreSQL database that is
//! dropped afterwards, with two workspaces and a key for each.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Once};

use application::{Application, KeyRequest, Ports, ProgramRequest};
use awc::http::StatusCode;
use domain::{Grant, InstanceId, Name, Scope, ScopeSet, Slug, Visibility, WorkspaceId};
use serde_json::{Value, json};
use server::config::{DatabaseUrl, Settings};
use server::storage::Storage;

pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn database_url(name: &str) -> String {
    let admin = admin_url();
    let (server, _) = admin.rsplit_once('/').expect("admin URL names a database");
    format!("{server}/{name}")
}

/// A database of its own, dropped (connections and all) when this is dropped.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDatabase {
    pub fn create() -> Self {
        let name = format!(
            "pi_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            time::OffsetDateTime::now_utc().unix_timestamp_nanos() % 1_000_000
        );
        adapter_postgres::create_database(&admin_url(), &name).expect("create the test database");
        Self {
            url: database_url(&name),
            name,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = adapter_postgres::drop_database(&admin_url(), &self.name);
    }
}

/// A folder of its own for a SQLite database, removed when this is dropped.
pub struct TestFolder {
    pub path: std::path::PathBuf,
}

impl TestFolder {
    pub fn create() -> Self {
        let path = std::env::temp_dir().join(format!(
            "pi_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create a test folder");
        Self { path }
    }

    pub fn sqlite_url(&self) -> String {
        format!(
            "sqlite://{}",
            self.path.join("program-instances.db").display()
        )
    }
}

impl Drop for TestFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Where a test app keeps its data.
pub enum TestStore {
    Postgres(TestDatabase),
    Sqlite(TestFolder),
}

impl TestStore {
    pub fn postgres() -> Self {
        TestStore::Postgres(TestDatabase::create())
    }

    fn url(&self) -> String {
        match self {
            TestStore::Postgres(database) => database.url.clone(),
            TestStore::Sqlite(folder) => folder.sqlite_url(),
        }
    }
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            tracing_subscriber::fmt()
                .with_env_filter("info")
                .with_test_writer()
                .init();
        }
    });
}

/// Where a transaction pooler listens when the suite runs behind one (`TEST_POOLER_URL`,
/// e.g. `postgres://postgres@127.0.0.1:6432`, a PgBouncer in transaction mode in front of
/// the test server): the servers the tests spawn then reach PostgreSQL through it, as
/// `DB_POOLER=transaction` with the direct URL for migrations.
fn behind_pooler(settings: &mut Settings, database: &TestDatabase) {
    let Ok(pooler) = std::env::var("TEST_POOLER_URL") else {
        return;
    };
    let direct = DatabaseUrl::parse(&database.url).expect("a test database URL");
    let DatabaseUrl::Postgres(direct) = direct else {
        panic!("a PostgreSQL test database");
    };
    settings.database = DatabaseUrl::parse(&format!("{pooler}/{}", database.name))
        .expect("TEST_POOLER_URL is a postgres:// URL without a database");
    settings.pooler = adapter_postgres::Pooler::Transaction;
    settings.migration_url = Some(direct);
}

pub fn settings(url: &str) -> Settings {
    let database = DatabaseUrl::parse(url).expect("a test database URL");
    let mut settings = Settings::defaults_for(database);
    settings.workers = 2;
    settings.pool_size = 8;
    settings
}

pub struct Tenant {
    pub id: WorkspaceId,
    pub key: String,
}

pub struct TestApp {
    pub base: String,
    pub port: u16,
    pub client: awc::Client,
    pub app: Arc<Application>,
    /// Workspace A, which also sees the private program `a-only-program`.
    pub a: Tenant,
    /// Workspace B.
    pub b: Tenant,
    // Dropped last: the server's connections die with the database.
    store: TestStore,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: awc::http::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    }

    pub fn content_type(&self) -> String {
        self.header("content-type").unwrap_or_default()
    }

    /// Asserts a problem+json body with this status and code, and returns the body.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "body: {}",
            self.body
        );
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert_eq!(self.body["status"], status);
        assert_eq!(
            self.body["requestId"].as_str(),
            self.header("x-request-id").as_deref()
        );
        &self.body
    }

    /// The `(pointer, code)` pairs of a 422's errors.
    pub fn violations(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        let place = e
                            .get("pointer")
                            .or_else(|| e.get("parameter"))
                            .and_then(Value::as_str);
                        (
                            place.unwrap_or_default().to_owned(),
                            e["code"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The body of the product document's "Creating a Program Instance" example.
pub fn documented_example() -> Value {
    json!({
        "name": "NYC Battery Rebate Program 2023",
        "description": "Battery rebate program for NYC residents",
        "slug": "battery-rebate-nyc-2023",
        "logoUrl": "https://example.com/logos/nyc-rebate.png",
        "eligibilityCriteria": { "regions": ["NY"], "deviceTypes": ["battery"], "minimumCapacity": 5.0 },
        "customTerms": "Participants must be NYC residents with proof of purchase...",
        "startDate": "2023-01-01T00:00:00Z",
        "endDate": "2023-12-31T23:59:59Z"
    })
}

pub fn full_key(app: &Application, workspace: &WorkspaceId) -> String {
    key_with(app, workspace, Grant::full())
}

pub fn key_with(app: &Application, workspace: &WorkspaceId, grant: Grant) -> String {
    let request = KeyRequest {
        workspace_id: workspace.clone(),
        name: Some("test".into()),
        grant,
        expires_at: None,
    };
    let (_, secret) = app.create_key(request).expect("mint a key");
    secret.expose().to_owned()
}

pub fn scoped(scopes: &[Scope], instances: Option<&[&str]>) -> Grant {
    let scopes: ScopeSet = scopes.iter().copied().collect();
    let instances = instances.map(|ids| {
        ids.iter()
            .map(|id| InstanceId::parse(id).expect("instance id"))
            .collect()
    });
    Grant::new(scopes, instances)
}

fn program(slug: &str, name: &str, visibility: Visibility) -> ProgramRequest {
    ProgramRequest {
        id: None,
        slug: Slug::parse(slug).expect("slug"),
        name: Name::parse(name).expect("name"),
        description: None,
        visibility,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// `spawn_app` with adjusted settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(TestStore::Postgres(TestDatabase::create()), adjust).await
}

/// `spawn_app` over the embedded SQLite adapter.
pub async fn spawn_sqlite_app() -> TestApp {
    spawn_sqlite_app_with(|_| {}).await
}

/// `spawn_sqlite_app` with adjusted settings.
pub async fn spawn_sqlite_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(TestStore::Sqlite(TestFolder::create()), adjust).await
}

async fn spawn_app_on(store: TestStore, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with_ports(store, adjust, |ports| ports).await
}

/// `spawn_app` whose application runs on `wrap(ports)`: to inject faults through the ports.
pub async fn spawn_app_with_ports(
    store: TestStore,
    adjust: impl FnOnce(&mut Settings),
    wrap: impl FnOnce(Ports) -> Ports,
) -> TestApp {
    init_logs();
    let mut settings = settings(&store.url());
    if let TestStore::Postgres(database) = &store {
        behind_pooler(&mut settings, database);
    }
    adjust(&mut settings);
    let storage = Storage::open(&settings).expect("open storage");
    storage.migrate().expect("migrate");
    let sender = Arc::new(adapter_webhooks::DestinationCheck::new(
        settings.webhook_dispatch.sender,
    ));
    let app = Arc::new(
        Application::new(wrap(storage.ports(sender)), settings.key_cache)
            .with_webhook_settings(settings.webhooks),
    );

    let mut tenants = Vec::new();
    for (id, name) in [("ws_a", "Workspace A"), ("ws_b", "Workspace B")] {
        let id = WorkspaceId::parse(id).expect("workspace id");
        app.create_workspace(Name::parse(name).expect("name"), Some(id.clone()))
            .expect("workspace");
        tenants.push(Tenant {
            key: full_key(&app, &id),
            id,
        });
    }
    let b = tenants.pop().expect("two tenants");
    let a = tenants.pop().expect("two tenants");
    app.create_program(program(
        "battery-rebate",
        "Battery Rebate Program",
        Visibility::Public,
    ))
    .expect("program");
    app.create_program(program(
        "ev-charging-rebate",
        "EV Charging Rebate",
        Visibility::Public,
    ))
    .expect("program");
    let private = Visibility::Private {
        shared_with: vec![a.id.clone()],
    };
    app.create_program(program("a-only-program", "A Only Program", private))
        .expect("program");

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("local address").port();
    let started =
        server::start_server(listener, app.clone(), &storage, &settings).expect("start the server");
    actix_web::rt::spawn(started.server);
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        port,
        client: awc::Client::builder().disable_timeout().finish(),
        app,
        a,
        b,
        store,
    }
}

impl TestApp {
    /// The PostgreSQL database's name (the app must run on PostgreSQL).
    pub fn database_name(&self) -> String {
        match &self.store {
            TestStore::Postgres(database) => database.name.clone(),
            TestStore::Sqlite(_) => panic!("this app runs on SQLite"),
        }
    }

    /// The `DATABASE_URL` of the app's store.
    pub fn database_url(&self) -> String {
        self.store.url()
    }

    /// Sends a request with an optional key and JSON body; more headers may be given.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.insert_header(("Authorization", format!("Bearer {key}")));
        }
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let mut response = match body {
            Some(body) => {
                let has_type = headers
                    .iter()
                    .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
                if !has_type {
                    request = request.insert_header(("Content-Type", "application/json"));
                }
                request.send_body(body.to_string()).await
            }
            None => request.send().await,
        }
        .expect("the server answers");
        let bytes = response
            .body()
            .limit(16 * 1024 * 1024)
            .await
            .expect("a body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply {
            status: response.status(),
            headers: response.headers().clone(),
            body,
        }
    }

    pub async fn get(&self, path: &str, key: &str) -> Reply {
        self.send("GET", path, Some(key), None, &[]).await
    }

    pub async fn post(&self, path: &str, key: &str, body: &Value) -> Reply {
        self.send("POST", path, Some(key), Some(body), &[]).await
    }

    pub async fn patch(&self, path: &str, key: &str, body: &Value) -> Reply {
        self.send(
            "PATCH",
            path,
            Some(key),
            Some(body),
            &[("Content-Type", "application/merge-patch+json")],
        )
        .await
    }

    pub async fn delete(&self, path: &str, key: &str) -> Reply {
        self.send("DELETE", path, Some(key), None, &[]).await
    }

    /// Creates an instance of `battery-rebate` in the key's workspace and returns it.
    pub async fn create_instance(&self, key: &str, body: Value) -> Value {
        let reply = self
            .post("/programs/battery-rebate/instances", key, &body)
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "body: {}", reply.body);
        reply.body
    }

    /// A minimal live instance named `name`.
    pub async fn instance_named(&self, key: &str, name: &str) -> Value {
        self.create_instance(key, json!({ "name": name })).await
    }
}
