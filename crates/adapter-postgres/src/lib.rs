//! PostgreSQL storage: diesel over an r2d2 pool, with the migrations of
//! `migrations/postgres` embedded in the binary.

mod catalog;
mod enrollments;
mod failure;
mod idempotency;
mod instances;
mod keys;
mod rows;
mod schema;

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use ports::StoreError;

use crate::failure::pool_unavailable;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Serialises migrations of concurrently starting processes (an arbitrary, fixed key).
const MIGRATION_LOCK: i64 = 0x7072_6f67_696e_7374;

type PgPool = Pool<ConnectionManager<PgConnection>>;

#[derive(Debug, Clone)]
pub struct PgSettings {
    pub url: String,
    pub max_connections: u32,
    /// How long a request waits for a free connection before storage counts as unavailable.
    pub acquire_timeout: Duration,
}

impl PgSettings {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(String),
    #[error("migrations failed: {0}")]
    Migrate(String),
}

/// The PostgreSQL adapter: implements every storage port.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.pool.state();
        f.debug_struct("PgStore")
            .field("connections", &state.connections)
            .finish()
    }
}

/// Connection-pool gauges, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
}

impl PgStore {
    /// Opens the pool; fails when the database cannot be reached.
    pub fn connect(settings: &PgSettings) -> Result<Self, SetupError> {
        // Checked before the pool exists, so that an unreachable database fails at once with
        // libpq's own message instead of after the pool's timeout.
        PgConnection::establish(&settings.url)
            .map_err(|error| SetupError::Connect(error.to_string()))?;
        let manager = ConnectionManager::<PgConnection>::new(&settings.url);
        let pool = Pool::builder()
            .max_size(settings.max_connections)
            // r2d2 opens connections to keep `min_idle` on background threads; one still being
            // opened when a short-lived command exits races libpq's TLS clean-up and can crash
            // the process. So connections open only on demand, and stay open once opened.
            .min_idle(Some(0))
            .idle_timeout(None)
            .connection_timeout(settings.acquire_timeout)
            .test_on_check_out(false)
            .build(manager)
            .map_err(|error| SetupError::Connect(error.to_string()))?;
        Ok(Self { pool })
    }

    /// Applies pending migrations, holding an advisory lock so that processes starting
    /// together migrate one at a time. Returns the versions applied.
    pub fn migrate(&self) -> Result<Vec<String>, SetupError> {
        let mut conn = self
            .pool
            .get()
            .map_err(|error| SetupError::Connect(error.to_string()))?;
        let locked = diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            .execute(&mut conn);
        locked.map_err(|error| SetupError::Migrate(error.to_string()))?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|error| SetupError::Migrate(error.to_string()));
        let unlocked = diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
            .execute(&mut conn);
        let applied = applied?;
        unlocked.map_err(|error| SetupError::Migrate(error.to_string()))?;
        Ok(applied)
    }

    /// Reverts every migration (for the migration round-trip test).
    pub fn revert_all(&self) -> Result<(), SetupError> {
        let mut conn = self
            .pool
            .get()
            .map_err(|error| SetupError::Connect(error.to_string()))?;
        conn.revert_all_migrations(MIGRATIONS)
            .map(|_| ())
            .map_err(|error| SetupError::Migrate(error.to_string()))
    }

    pub fn pool_usage(&self) -> PoolUsage {
        let state = self.pool.state();
        PoolUsage {
            connections: state.connections,
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }

    fn conn(&self) -> Result<PooledConnection<ConnectionManager<PgConnection>>, StoreError> {
        self.pool.get().map_err(pool_unavailable)
    }
}

/// Creates a database (for tests and tooling), connecting through the server's `postgres`
/// database at `admin_url`.
pub fn create_database(admin_url: &str, name: &str) -> Result<(), SetupError> {
    let mut conn = PgConnection::establish(admin_url)
        .map_err(|error| SetupError::Connect(error.to_string()))?;
    diesel::sql_query(format!("CREATE DATABASE \"{}\"", name.replace('"', "")))
        .execute(&mut conn)
        .map(|_| ())
        .map_err(|error| SetupError::Migrate(error.to_string()))
}

/// Drops a database, disconnecting its sessions.
pub fn drop_database(admin_url: &str, name: &str) -> Result<(), SetupError> {
    let mut conn = PgConnection::establish(admin_url)
        .map_err(|error| SetupError::Connect(error.to_string()))?;
    diesel::sql_query(format!(
        "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
        name.replace('"', "")
    ))
    .execute(&mut conn)
    .map(|_| ())
    .map_err(|error| SetupError::Migrate(error.to_string()))
}
