//! The one connection type, the pool that keeps it healthy, and transactions on it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::result::{ConnectionResult, Error as DieselError};
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

/// A pooled connection, and whether the database was found to have closed it (diesel only
/// notices a connection is broken inside a transaction; this notices it anywhere).
pub struct Session {
    pub(crate) conn: AnyConnection,
    pub(crate) lost: bool,
}

impl Session {
    pub fn connection(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("conn", &self.conn)
            .field("lost", &self.lost)
            .finish()
    }
}

/// How long after a connection was found lost the pool tests every connection it hands
/// out: a lost connection rarely comes alone (a restart, a failover), and testing all of
/// them for a while keeps the others from failing a request each.
const SUSPICION: Duration = Duration::from_secs(10);

/// Opens connections of one backend for the pool, and tests them while losses are recent.
pub struct Connector {
    url: String,
    open: fn(&str) -> ConnectionResult<AnyConnection>,
    started: Instant,
    /// When a lost connection was last seen, in milliseconds since `started` (0: never).
    last_loss: Arc<AtomicU64>,
}

impl Connector {
    /// `open` connects to `url` and returns the backend's variant.
    pub fn new(url: impl Into<String>, open: fn(&str) -> ConnectionResult<AnyConnection>) -> Self {
        Self {
            url: url.into(),
            open,
            started: Instant::now(),
            last_loss: Arc::new(AtomicU64::new(0)),
        }
    }

    fn now_millis(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    fn suspicious(&self) -> bool {
        let last = self.last_loss.load(Ordering::Relaxed);
        last != 0 && self.now_millis().saturating_sub(last) < SUSPICION.as_millis() as u64
    }

    fn record_loss(&self) {
        self.last_loss.store(self.now_millis(), Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Connector {
    // The URL may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector").finish_non_exhaustive()
    }
}

impl ManageConnection for Connector {
    type Connection = Session;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Session, r2d2::Error> {
        let conn = (self.open)(&self.url).map_err(r2d2::Error::ConnectionError)?;
        Ok(Session { conn, lost: false })
    }

    /// Free while no connection was lost lately; a round trip each while one was.
    fn is_valid(&self, session: &mut Session) -> Result<(), r2d2::Error> {
        if self.suspicious() {
            session.conn.ping().map_err(r2d2::Error::QueryError)
        } else {
            Ok(())
        }
    }

    fn has_broken(&self, session: &mut Session) -> bool {
        let broken = session.lost || session.conn.is_broken();
        if broken {
            self.record_loss();
        }
        broken
    }
}

pub type Pool = r2d2::Pool<Connector>;

/// The pool's builder, with what every backend's pool needs: connections tested on
/// check-out, which costs nothing until a connection is found lost (see `Connector`).
pub fn pool_builder() -> r2d2::Builder<Connector> {
    Pool::builder().test_on_check_out(true)
}

/// Connection-pool gauges, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
}

/// The error of a unit of work: a database failure, or a port error decided inside it.
#[derive(Debug)]
pub enum TxError {
    Database(DieselError),
    /// The transaction could not begin: nothing was done.
    Begin(DieselError),
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

type Manager = <AnyConnection as Connection>::TransactionManager;

/// Opens a transaction with `begin` (e.g. SQLite's `BEGIN IMMEDIATE`), under diesel's own
/// transaction bookkeeping.
pub(crate) fn begin(conn: &mut AnyConnection, begin: &str) -> Result<(), TxError> {
    let begun = match conn {
        AnyConnection::Postgres(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, begin)
        }
        AnyConnection::Sqlite(inner) => AnsiTransactionManager::begin_transaction_sql(inner, begin),
    };
    begun.map_err(TxError::Begin)
}

pub(crate) fn commit(conn: &mut AnyConnection) -> Result<(), TxError> {
    Ok(Manager::commit_transaction(conn)?)
}

/// The failure that made us roll back is what matters; a failed rollback marks the
/// connection broken, and the pool discards it.
pub(crate) fn rollback(conn: &mut AnyConnection) {
    let _ = Manager::rollback_transaction(conn);
}

/// Runs `work` in a transaction opened by `begin_with`, committing when it succeeds and
/// rolling back when it fails.
pub fn transaction_beginning_with<T>(
    conn: &mut AnyConnection,
    begin_with: &str,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, TxError>,
) -> Result<T, TxError> {
    begin(conn, begin_with)?;
    match work(conn) {
        Ok(value) => {
            commit(conn)?;
            Ok(value)
        }
        Err(error) => {
            rollback(conn);
            Err(error)
        }
    }
}

/// Runs `statement` on whichever engine `conn` is: for what `MultiConnection` does not
/// carry (`ON CONFLICT`, inserts of many rows) though both engines do.
macro_rules! execute_on_each_engine {
    ($conn:expr, $statement:expr) => {
        match $conn {
            AnyConnection::Postgres(pg) => $statement.execute(pg)?,
            AnyConnection::Sqlite(lite) => $statement.execute(lite)?,
        }
    };
}
pub(crate) use execute_on_each_engine;
