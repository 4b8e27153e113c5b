//! The one connection type, the pool, and what a backend supplies.

use std::error::Error;
use std::sync::MutexGuard;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::result::{ConnectionResult, Error as DieselError};
use diesel::{Connection, RunQueryDsl};
use ports::StoreError;

/// A connection to any supported engine. The queries of this crate are written once
/// against it; a backend crate opens the variant it serves.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

impl std::fmt::Debug for AnyConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AnyConnection::Postgres(_) => "AnyConnection::Postgres",
            AnyConnection::Sqlite(_) => "AnyConnection::Sqlite",
        })
    }
}

/// Runs `$body` on the engine's own connection, for what the connection over both engines
/// lacks (`ON CONFLICT`, `RETURNING`, row locks); the body is compiled once per engine.
macro_rules! on_engine {
    ($conn:expr, |$inner:ident| $body:expr) => {
        match $conn {
            $crate::connection::AnyConnection::Postgres($inner) => $body,
            $crate::connection::AnyConnection::Sqlite($inner) => $body,
        }
    };
}
pub(crate) use on_engine;

/// Opens connections of one backend for the pool.
pub struct Connector {
    url: String,
    open: fn(&str) -> ConnectionResult<AnyConnection>,
}

impl Connector {
    /// `open` connects to `url` and returns the backend's variant.
    pub fn new(url: impl Into<String>, open: fn(&str) -> ConnectionResult<AnyConnection>) -> Self {
        Self {
            url: url.into(),
            open,
        }
    }
}

impl std::fmt::Debug for Connector {
    // The URL may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector").finish_non_exhaustive()
    }
}

impl ManageConnection for Connector {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        (self.open)(&self.url).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        conn.is_broken()
    }
}

pub type Pool = r2d2::Pool<Connector>;

/// Connection-pool gauges, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
}

/// Why storage could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot open the database")]
    Connect(#[source] Box<dyn Error + Send + Sync>),
    #[error("migrations failed")]
    Migrate(#[source] Box<dyn Error + Send + Sync>),
}

impl SetupError {
    pub fn connect(error: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        SetupError::Connect(error.into())
    }

    pub fn migrate(error: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        SetupError::Migrate(error.into())
    }
}

/// The error of a unit of work: a database failure, or a port error decided inside it.
#[derive(Debug)]
pub enum TxError {
    Database(DieselError),
    Store(StoreError),
}

impl From<DieselError> for TxError {
    fn from(error: DieselError) -> Self {
        TxError::Database(error)
    }
}

impl From<StoreError> for TxError {
    fn from(error: StoreError) -> Self {
        TxError::Store(error)
    }
}

/// What differs between engines, beside their column types.
pub trait Backend: Send + Sync + 'static {
    /// The statement that opens a write transaction.
    const BEGIN: &'static str;

    /// Where the engine has one writer at a time, this process's turn to write: writers
    /// queue for it before they take a connection, instead of contending for the engine's
    /// lock. `None` where writers need no turn.
    fn writer_turn(&self) -> Option<MutexGuard<'_, ()>> {
        None
    }

    /// The one translation of this engine's errors into port errors (unique violations into
    /// `SlugTaken` or `Duplicate`, lost connections into `Unavailable`, …).
    fn translate(&self, error: DieselError) -> StoreError;

    /// Applies pending migrations; returns the versions applied.
    fn migrate(&self, pool: &Pool) -> Result<Vec<String>, SetupError>;

    /// Reverts every migration (for the migration round-trip test).
    fn revert_all(&self, pool: &Pool) -> Result<(), SetupError>;
}

/// Runs `work` in a transaction opened by `begin` (e.g. SQLite's `BEGIN IMMEDIATE`), with
/// diesel's own commit and rollback.
pub fn transaction_beginning_with<T>(
    conn: &mut AnyConnection,
    begin: &str,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, TxError>,
) -> Result<T, TxError> {
    type Manager = <AnyConnection as Connection>::TransactionManager;
    match conn {
        AnyConnection::Postgres(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, begin)?
        }
        AnyConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, begin)?
        }
    }
    match work(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            // The failure of the work is what matters; a failed rollback marks the
            // connection broken, and the pool discards it.
            let _ = Manager::rollback_transaction(conn);
            Err(error)
        }
    }
}

/// Every storage port, over one pool of one backend.
pub struct SqlStore<B> {
    pool: Pool,
    backend: B,
}

impl<B> std::fmt::Debug for SqlStore<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("connections", &self.pool.state().connections)
            .finish_non_exhaustive()
    }
}

impl<B: Backend> SqlStore<B> {
    pub fn new(pool: Pool, backend: B) -> Self {
        Self { pool, backend }
    }

    pub fn migrate(&self) -> Result<Vec<String>, SetupError> {
        self.backend.migrate(&self.pool)
    }

    pub fn revert_all(&self) -> Result<(), SetupError> {
        self.backend.revert_all(&self.pool)
    }

    pub fn pool_usage(&self) -> PoolUsage {
        let state = self.pool.state();
        PoolUsage {
            connections: state.connections,
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }

    /// Succeeds when the database answers.
    pub(crate) fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| diesel::sql_query("SELECT 1").execute(conn).map(|_| ()))
    }

    /// Runs a read on a pooled connection.
    pub(crate) fn read<T>(
        &self,
        work: impl FnOnce(&mut AnyConnection) -> Result<T, DieselError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.pool.get().map_err(unavailable)?;
        work(&mut conn).map_err(|error| self.backend.translate(error))
    }

    /// Runs a unit of work in one write transaction.
    pub(crate) fn write<T>(
        &self,
        work: impl FnOnce(&mut AnyConnection) -> Result<T, TxError>,
    ) -> Result<T, StoreError> {
        self.write_statements(|conn| transaction_beginning_with(conn, B::BEGIN, work))
    }

    /// Runs writes that need no transaction (a single statement is atomic by itself).
    pub(crate) fn write_statements<T>(
        &self,
        work: impl FnOnce(&mut AnyConnection) -> Result<T, TxError>,
    ) -> Result<T, StoreError> {
        let _turn = self.backend.writer_turn();
        let mut conn = self.pool.get().map_err(unavailable)?;
        work(&mut conn).map_err(|error| match error {
            TxError::Database(error) => self.backend.translate(error),
            TxError::Store(error) => error,
        })
    }
}

/// No connection could be had in time: the database is down or overloaded.
pub fn unavailable(error: r2d2::PoolError) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}

impl<B> Clone for SqlStore<B>
where
    B: Clone,
{
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            backend: self.backend.clone(),
        }
    }
}
