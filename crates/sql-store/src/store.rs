//! `SqlStore`: every storage port over one pool of one backend, and what a backend supplies.

use std::error::Error;
use std::sync::{Arc, Mutex, MutexGuard};

use diesel::RunQueryDsl;
use diesel::r2d2::{ManageConnection, PooledConnection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use ports::StoreError;

use crate::migrations::MigrationStatus;

/// The wait for a pooled connection, as a metric.
pub const POOL_WAIT_SECONDS: &str = "db_pool_wait_seconds";

use crate::connection::{
    AnyConnection, Connector, Pool, PoolUsage, Session, TxError, transaction_beginning_with,
};

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

    /// Inside a write transaction, takes the right to write an answer for an idempotency
    /// key until the transaction ends; `false` when another transaction holds it. Engines
    /// whose write transactions run one at a time have nothing to take.
    fn take_idempotency_key(
        &self,
        _conn: &mut AnyConnection,
        _key: &str,
    ) -> Result<bool, DieselError> {
        Ok(true)
    }

    /// Whether the error says the database closed the connection (it restarted, or ended
    /// the session): the connection is dropped from the pool, and work that had not begun is
    /// run again on another.
    fn is_lost(&self, error: &DieselError) -> bool {
        matches!(
            error,
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
        )
    }

    /// Whether the error proves the statement never ran (the session had ended before it
    /// was sent): then even a write that is not a transaction may run again elsewhere.
    fn never_ran(&self, _error: &DieselError) -> bool {
        false
    }

    /// Whether the database on this connection takes writes: `false` on a server that is a
    /// standby (a failover demoted it), whose sessions then serve no readiness.
    fn takes_writes(&self, conn: &mut AnyConnection) -> Result<bool, DieselError> {
        diesel::sql_query("SELECT 1").execute(conn).map(|_| true)
    }

    /// The one translation of this engine's errors into port errors (unique violations into
    /// `SlugTaken` or `Duplicate`, lost connections and timeouts into `Unavailable`, …).
    fn translate(&self, error: DieselError) -> StoreError;

    /// Applies pending migrations; returns the versions applied.
    fn migrate(&self, pool: &Pool) -> Result<Vec<String>, SetupError>;

    /// Reverts every migration (for the migration round-trip test).
    fn revert_all(&self, pool: &Pool) -> Result<(), SetupError>;

    /// Which migrations are applied and pending, changing nothing.
    fn migration_status(&self, pool: &Pool) -> Result<MigrationStatus, SetupError>;
}

/// Every storage port, over one pool of one backend.
pub struct SqlStore<B> {
    pub(crate) pool: Pool,
    pub(crate) backend: B,
    /// A connection of its own for readiness checks, so that they answer whatever the
    /// pool's state; `None` until first used or after it failed.
    probe: Arc<(Connector, Mutex<Option<Session>>)>,
}

impl<B> std::fmt::Debug for SqlStore<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("connections", &self.pool.state().connections)
            .finish_non_exhaustive()
    }
}

impl<B: Clone> Clone for SqlStore<B> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            backend: self.backend.clone(),
            probe: self.probe.clone(),
        }
    }
}

/// A readiness check is already waiting for the database.
#[derive(Debug, thiserror::Error)]
#[error("a readiness check is already in progress")]
struct ProbeBusy;

/// The readiness check reached a server that takes no writes.
#[derive(Debug, thiserror::Error)]
#[error("the database answering is a standby: it takes no writes")]
struct Standby;

/// No connection could be had in time: the database is down or overloaded.
pub fn unavailable(error: diesel::r2d2::PoolError) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}

pub(crate) type Pooled = PooledConnection<Connector>;

impl<B: Backend> SqlStore<B> {
    /// `probe` opens the readiness check's connection (as the pool's do).
    pub fn new(pool: Pool, backend: B, probe: Connector) -> Self {
        Self {
            pool,
            backend,
            probe: Arc::new((probe, Mutex::new(None))),
        }
    }

    pub fn migrate(&self) -> Result<Vec<String>, SetupError> {
        self.backend.migrate(&self.pool)
    }

    pub fn migration_status(&self) -> Result<MigrationStatus, SetupError> {
        self.backend.migration_status(&self.pool)
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

    /// A pooled connection, or `Unavailable` once the pool's wait is over. The wait is
    /// recorded in `db_pool_wait_seconds`, by outcome.
    pub(crate) fn connection(&self) -> Result<Pooled, StoreError> {
        static DESCRIBED: std::sync::Once = std::sync::Once::new();
        DESCRIBED.call_once(|| {
            metrics::describe_histogram!(
                POOL_WAIT_SECONDS,
                metrics::Unit::Seconds,
                "Time waiting for a pooled database connection, by outcome."
            );
        });
        let started = std::time::Instant::now();
        let got = self.pool.get();
        let outcome = if got.is_ok() { "acquired" } else { "timed_out" };
        metrics::histogram!(POOL_WAIT_SECONDS, "outcome" => outcome)
            .record(started.elapsed().as_secs_f64());
        got.map_err(unavailable)
    }

    pub(crate) fn failure(&self, error: TxError) -> StoreError {
        match error {
            TxError::Database(error) | TxError::Begin(error) => self.backend.translate(error),
            TxError::Store(error) => error,
        }
    }

    /// The database error behind `error`, when it says the connection was lost.
    pub(crate) fn lost(&self, error: &TxError) -> bool {
        match error {
            TxError::Database(error) | TxError::Begin(error) => self.backend.is_lost(error),
            TxError::Store(_) => false,
        }
    }

    /// Marks the session lost when `error` says so, so that the pool drops it.
    pub(crate) fn note(&self, session: &mut Session, error: &TxError) {
        if self.lost(error) {
            session.lost = true;
        }
    }

    /// Runs `work` on pooled connections until it succeeds, or fails in a way another
    /// connection would not mend: a connection the database closed while it sat in the pool
    /// is replaced, not served. `safe_to_retry` says which failures left nothing done.
    fn attempts<T>(
        &self,
        mut work: impl FnMut(&mut AnyConnection) -> Result<T, TxError>,
        safe_to_retry: fn(&Self, &TxError) -> bool,
    ) -> Result<T, StoreError> {
        // Each lost connection leaves the pool, so this many attempts get a fresh one.
        let mut left = self.pool.max_size() + 1;
        loop {
            let mut session = self.connection()?;
            match work(&mut session.conn) {
                Ok(value) => return Ok(value),
                Err(error) => {
                    self.note(&mut session, &error);
                    if left > 1 && self.lost(&error) && safe_to_retry(self, &error) {
                        left -= 1;
                        tracing::debug!(?error, "a pooled connection was lost; retrying");
                    } else {
                        return Err(self.failure(error));
                    }
                }
            }
        }
    }

    /// Runs a read on a pooled connection.
    pub(crate) fn read<T>(
        &self,
        mut work: impl FnMut(&mut AnyConnection) -> Result<T, DieselError>,
    ) -> Result<T, StoreError> {
        self.attempts(|conn| work(conn).map_err(TxError::Database), |_, _| true)
    }

    /// Runs a unit of work in one write transaction.
    pub(crate) fn write<T>(
        &self,
        mut work: impl FnMut(&mut AnyConnection) -> Result<T, TxError>,
    ) -> Result<T, StoreError> {
        let _turn = self.backend.writer_turn();
        self.attempts(
            |conn| transaction_beginning_with(conn, B::BEGIN, &mut work),
            |_, error| matches!(error, TxError::Begin(_)),
        )
    }

    /// Runs a write that needs no transaction (a single statement is atomic by itself).
    /// It runs again on another connection only when it provably never ran: had the
    /// connection been lost while it ran, it may have taken effect.
    pub(crate) fn write_statement<T>(
        &self,
        work: impl FnMut(&mut AnyConnection) -> Result<T, TxError>,
    ) -> Result<T, StoreError> {
        let _turn = self.backend.writer_turn();
        self.attempts(work, |store, error| match error {
            TxError::Database(error) => store.backend.never_ran(error),
            _ => false,
        })
    }

    /// Succeeds when the database answers, on the probe's own connection: a busy pool does
    /// not make a healthy database look down. One check at a time; a second is refused.
    pub(crate) fn ping(&self) -> Result<(), StoreError> {
        let (connector, slot) = &*self.probe;
        let mut slot = slot
            .try_lock()
            .map_err(|_| StoreError::Unavailable(Box::new(ProbeBusy)))?;
        let session = match &mut *slot {
            Some(session) => session,
            empty => empty.insert(
                connector
                    .connect()
                    .map_err(|error| StoreError::Unavailable(Box::new(error)))?,
            ),
        };
        match self.backend.takes_writes(&mut session.conn) {
            Ok(true) => Ok(()),
            Ok(false) => {
                // The next check connects again, and a multi-host URL finds the primary.
                *slot = None;
                Err(StoreError::Unavailable(Box::new(Standby)))
            }
            Err(error) => {
                *slot = None;
                Err(StoreError::Unavailable(Box::new(error)))
            }
        }
    }
}
