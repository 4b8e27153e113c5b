//! PostgreSQL storage: the shared storage code of `sql-store` over an r2d2 pool of
//! PostgreSQL connections, with the migrations of `migrations/postgres` embedded in the
//! binary. What is PostgreSQL's own lives here: connecting, error translation by constraint
//! name, and migrating under an advisory lock.

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::result::{ConnectionResult, DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use ports::StoreError;
use sql_store::{AnyConnection, Backend, Connector, Pool, SetupError, SqlStore};

pub use sql_store::PoolUsage;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Serialises migrations of concurrently starting processes (an arbitrary, fixed key).
const MIGRATION_LOCK: i64 = 0x7072_6f67_696e_7374;

/// Every storage port on PostgreSQL.
pub type PgStore = SqlStore<Postgres>;

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

/// What PostgreSQL does its own way.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

fn open(url: &str) -> ConnectionResult<AnyConnection> {
    PgConnection::establish(url).map(AnyConnection::Postgres)
}

/// Opens the pool; fails when the database cannot be reached.
pub fn connect(settings: &PgSettings) -> Result<PgStore, SetupError> {
    // Checked before the pool exists, so that an unreachable database fails at once with
    // libpq's own message instead of after the pool's timeout.
    open(&settings.url).map_err(SetupError::connect)?;
    let pool = Pool::builder()
        .max_size(settings.max_connections)
        // r2d2 opens connections to keep `min_idle` on background threads; one still being
        // opened when a short-lived command exits races libpq's TLS clean-up and can crash
        // the process. So connections open only on demand, and stay open once opened.
        .min_idle(Some(0))
        .idle_timeout(None)
        .connection_timeout(settings.acquire_timeout)
        .test_on_check_out(false)
        .build(Connector::new(&settings.url, open))
        .map_err(SetupError::connect)?;
    Ok(SqlStore::new(pool, Postgres))
}

impl Backend for Postgres {
    const BEGIN: &'static str = "BEGIN";

    fn translate(&self, error: DieselError) -> StoreError {
        match error {
            DieselError::NotFound => StoreError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, ref info) => {
                match info.constraint_name() {
                    Some("program_instances_slug_unique") => StoreError::SlugTaken,
                    _ => StoreError::Duplicate,
                }
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                StoreError::NotFound
            }
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::SerializationFailure,
                _,
            ) => StoreError::Unavailable(Box::new(error)),
            other => StoreError::unexpected(other),
        }
    }

    /// Holds an advisory lock, so that processes starting together migrate one at a time.
    fn migrate(&self, pool: &Pool) -> Result<Vec<String>, SetupError> {
        let mut conn = pool.get().map_err(SetupError::connect)?;
        diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            .execute(&mut *conn)
            .map_err(SetupError::migrate)?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(SetupError::Migrate);
        let unlocked = diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
            .execute(&mut *conn);
        let applied = applied?;
        unlocked.map_err(SetupError::migrate)?;
        Ok(applied)
    }

    fn revert_all(&self, pool: &Pool) -> Result<(), SetupError> {
        let mut conn = pool.get().map_err(SetupError::connect)?;
        conn.revert_all_migrations(MIGRATIONS)
            .map(|_| ())
            .map_err(SetupError::Migrate)
    }
}

/// Runs one statement on the server's maintenance database at `admin_url`.
fn administer(admin_url: &str, statement: String) -> Result<(), SetupError> {
    let mut conn = PgConnection::establish(admin_url).map_err(SetupError::connect)?;
    diesel::sql_query(statement)
        .execute(&mut conn)
        .map(|_| ())
        .map_err(SetupError::connect)
}

/// Creates a database (for tests and tooling), connecting through the server's `postgres`
/// database at `admin_url`.
pub fn create_database(admin_url: &str, name: &str) -> Result<(), SetupError> {
    administer(
        admin_url,
        format!("CREATE DATABASE \"{}\"", name.replace('"', "")),
    )
}

/// Drops a database, disconnecting its sessions.
pub fn drop_database(admin_url: &str, name: &str) -> Result<(), SetupError> {
    administer(
        admin_url,
        format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            name.replace('"', "")
        ),
    )
}
