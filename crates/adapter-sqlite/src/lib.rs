//! Embedded SQLite storage: diesel over an r2d2 pool on one database file, with the
//! migrations of `migrations/sqlite` embedded in the binary. Nothing to install: libsqlite3
//! is compiled in.
//!
//! SQLite has one writer at a time. Writes in this process queue on a mutex before they
//! take a connection, and every connection waits (`busy_timeout`) rather than fail when
//! another process writes; write transactions begin `IMMEDIATE`, so a transaction never has
//! to upgrade a read lock (which SQLite would refuse instead of waiting). Readers run
//! beside the writer thanks to write-ahead logging.

mod catalog;
mod enrollments;
mod failure;
mod idempotency;
mod instances;
mod keys;
mod rows;
mod schema;

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use ports::StoreError;

use crate::failure::pool_unavailable;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

type SqlitePool = Pool<ConnectionManager<SqliteConnection>>;
type Pooled = PooledConnection<ConnectionManager<SqliteConnection>>;

#[derive(Debug, Clone)]
pub struct SqliteSettings {
    pub path: PathBuf,
    pub max_connections: u32,
    /// How long a statement waits for another process's write before giving up.
    pub busy_timeout: Duration,
    /// How long a request waits for a free connection.
    pub acquire_timeout: Duration,
}

impl SqliteSettings {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            max_connections: 8,
            busy_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot open the SQLite database: {0}")]
    Open(String),
    #[error("migrations failed: {0}")]
    Migrate(String),
}

/// Settings every connection needs: they are per connection in SQLite.
#[derive(Debug, Clone, Copy)]
struct PerConnection {
    busy_timeout: Duration,
}

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for PerConnection {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        let pragmas = format!(
            "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
            self.busy_timeout.as_millis()
        );
        conn.batch_execute(&pragmas)
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The SQLite adapter: implements every storage port.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    writes: Arc<Mutex<()>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("connections", &self.pool.state().connections)
            .finish()
    }
}

/// A connection that holds this process's turn to write.
pub(crate) struct Writer<'a> {
    conn: Pooled,
    _turn: MutexGuard<'a, ()>,
}

impl Deref for Writer<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.conn
    }
}

impl DerefMut for Writer<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }
}

/// Connection-pool gauges, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
}

impl SqliteStore {
    /// Opens (creating it and its folder if missing) the database file.
    pub fn connect(settings: &SqliteSettings) -> Result<Self, SetupError> {
        if let Some(folder) = settings
            .path
            .parent()
            .filter(|folder| !folder.as_os_str().is_empty())
        {
            std::fs::create_dir_all(folder)
                .map_err(|error| SetupError::Open(format!("{}: {error}", folder.display())))?;
        }
        let url = settings.path.to_string_lossy().into_owned();
        let mut first = SqliteConnection::establish(&url)
            .map_err(|error| SetupError::Open(format!("{url}: {error}")))?;
        // Write-ahead logging is a property of the file: set once, kept by every connection.
        first
            .batch_execute(&format!(
                "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL;",
                settings.busy_timeout.as_millis()
            ))
            .map_err(|error| SetupError::Open(error.to_string()))?;
        let pool = Pool::builder()
            .max_size(settings.max_connections)
            .min_idle(Some(0))
            .idle_timeout(None)
            .connection_timeout(settings.acquire_timeout)
            .connection_customizer(Box::new(PerConnection {
                busy_timeout: settings.busy_timeout,
            }))
            .build(ConnectionManager::<SqliteConnection>::new(url))
            .map_err(|error| SetupError::Open(error.to_string()))?;
        Ok(Self {
            pool,
            writes: Arc::new(Mutex::new(())),
        })
    }

    /// Applies pending migrations; returns the versions applied.
    pub fn migrate(&self) -> Result<Vec<String>, SetupError> {
        let mut conn = self
            .writer()
            .map_err(|error| SetupError::Open(error.to_string()))?;
        conn.run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|error| SetupError::Migrate(error.to_string()))
    }

    /// Reverts every migration (for the migration round-trip test).
    pub fn revert_all(&self) -> Result<(), SetupError> {
        let mut conn = self
            .writer()
            .map_err(|error| SetupError::Open(error.to_string()))?;
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

    fn conn(&self) -> Result<Pooled, StoreError> {
        self.pool.get().map_err(pool_unavailable)
    }

    /// This process's turn to write, then a connection: writers queue here instead of
    /// contending for SQLite's lock.
    fn writer(&self) -> Result<Writer<'_>, StoreError> {
        let turn = self
            .writes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(Writer {
            conn: self.conn()?,
            _turn: turn,
        })
    }
}
