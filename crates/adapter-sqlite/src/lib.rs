//! Embedded SQLite storage: the shared storage code of `sql-store` over an r2d2 pool on one
//! database file, with the migrations of `migrations/sqlite` embedded in the binary. Nothing
//! to install: libsqlite3 is compiled in.
//!
//! SQLite has one writer at a time. Writes in this process queue on a mutex before they
//! take a connection, and every connection waits (`busy_timeout`) rather than fail when
//! another process writes; write transactions begin `IMMEDIATE`, so a transaction never has
//! to upgrade a read lock (which SQLite would refuse instead of waiting). Readers run
//! beside the writer thanks to write-ahead logging.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::r2d2::{self, CustomizeConnection};
use diesel::result::{ConnectionResult, DatabaseErrorKind, Error as DieselError};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use ports::StoreError;
use sql_store::{
    AnyConnection, Backend, Connector, MigrationStatus, Pool, Session, SetupError, SqlStore,
    pool_builder,
};

pub use sql_store::PoolUsage;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Every storage port on an embedded SQLite file.
pub type SqliteStore = SqlStore<Sqlite>;

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

/// Settings every connection needs: they are per connection in SQLite.
#[derive(Debug, Clone, Copy)]
struct PerConnection {
    busy_timeout: Duration,
}

impl CustomizeConnection<Session, r2d2::Error> for PerConnection {
    fn on_acquire(&self, session: &mut Session) -> Result<(), r2d2::Error> {
        let pragmas = format!(
            "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
            self.busy_timeout.as_millis()
        );
        session
            .connection()
            .batch_execute(&pragmas)
            .map_err(r2d2::Error::QueryError)
    }
}

/// What SQLite does its own way: this process's turn to write.
#[derive(Debug, Clone, Default)]
pub struct Sqlite {
    writes: Arc<Mutex<()>>,
}

impl Sqlite {
    fn turn(&self) -> MutexGuard<'_, ()> {
        // A panic while holding the turn cannot leave anything half-written: SQLite rolls
        // the transaction back. Keep taking turns.
        self.writes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn open(path: &str) -> ConnectionResult<AnyConnection> {
    SqliteConnection::establish(path).map(AnyConnection::Sqlite)
}

/// Opens (creating it and its folder if missing) the database file.
pub fn connect(settings: &SqliteSettings) -> Result<SqliteStore, SetupError> {
    if let Some(folder) = settings
        .path
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
    {
        std::fs::create_dir_all(folder).map_err(SetupError::connect)?;
    }
    let path = settings.path.to_string_lossy().into_owned();
    let mut first = open(&path).map_err(SetupError::connect)?;
    // Write-ahead logging is a property of the file: set once, kept by every connection.
    first
        .batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL;",
            settings.busy_timeout.as_millis()
        ))
        .map_err(SetupError::connect)?;
    let pool = pool_builder()
        .max_size(settings.max_connections)
        .min_idle(Some(0))
        .idle_timeout(None)
        .connection_timeout(settings.acquire_timeout)
        .connection_customizer(Box::new(PerConnection {
            busy_timeout: settings.busy_timeout,
        }))
        .build(Connector::new(&path, open))
        .map_err(SetupError::connect)?;
    Ok(SqlStore::new(
        pool,
        Sqlite::default(),
        Connector::new(path, open),
    ))
}

impl Backend for Sqlite {
    const BEGIN: &'static str = "BEGIN IMMEDIATE";

    fn writer_turn(&self) -> Option<MutexGuard<'_, ()>> {
        Some(self.turn())
    }

    fn translate(&self, error: DieselError) -> StoreError {
        match error {
            DieselError::NotFound => StoreError::NotFound,
            // SQLite names the columns, not the constraint: "UNIQUE constraint failed: t.a, t.b".
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, ref info) => {
                if info
                    .message()
                    .contains("program_instances.workspace_id, program_instances.slug")
                {
                    StoreError::SlugTaken
                } else {
                    StoreError::Duplicate
                }
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                StoreError::NotFound
            }
            DieselError::DatabaseError(_, ref info)
                if info.message().contains("database is locked")
                    || info.message().contains("busy") =>
            {
                StoreError::Unavailable(Box::new(error))
            }
            other => StoreError::unexpected(other),
        }
    }

    fn migrate(&self, pool: &Pool) -> Result<Vec<String>, SetupError> {
        let _turn = self.turn();
        let mut session = pool.get().map_err(SetupError::connect)?;
        session
            .connection()
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(SetupError::Migrate)
    }

    fn revert_all(&self, pool: &Pool) -> Result<(), SetupError> {
        let _turn = self.turn();
        let mut session = pool.get().map_err(SetupError::connect)?;
        session
            .connection()
            .revert_all_migrations(MIGRATIONS)
            .map(|_| ())
            .map_err(SetupError::Migrate)
    }

    fn migration_status(&self, pool: &Pool) -> Result<MigrationStatus, SetupError> {
        let mut session = pool.get().map_err(SetupError::connect)?;
        let known = MigrationSource::<diesel::sqlite::Sqlite>::migrations(&MIGRATIONS)
            .map_err(SetupError::Migrate)?
            .iter()
            .map(|migration| {
                let name = migration.name();
                (name.version().to_string(), name.to_string())
            })
            .collect();
        MigrationStatus::read(
            session.connection(),
            known,
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' \
             AND name = '__diesel_schema_migrations') AS present",
        )
    }
}
