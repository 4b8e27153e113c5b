//! PostgreSQL storage: the shared storage code of `sql-store` over an r2d2 pool of
//! PostgreSQL connections, with the migrations of `migrations/postgres` embedded in the
//! binary. What is PostgreSQL's own lives here: connecting, error translation by constraint
//! name, and migrating under an advisory lock.

use std::time::Duration;

use diesel::connection::CacheSize;
use diesel::migration::MigrationSource;
use diesel::pg::PgConnection;
use diesel::result::{ConnectionResult, DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use ports::StoreError;
use sql_store::{
    AnyConnection, Backend, Connector, MigrationStatus, Pool, SetupError, SqlStore, pool_builder,
};

pub use sql_store::PoolUsage;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Serialises migrations of concurrently starting processes (an arbitrary, fixed key).
const MIGRATION_LOCK: i64 = 0x7072_6f67_696e_7374;

/// Every storage port on PostgreSQL.
pub type PgStore = SqlStore<Postgres>;

/// A PostgreSQL URL. It may hold a password, so it prints with the password masked; only
/// `expose` gives it whole, to connect with.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionUrl(String);

impl ConnectionUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// `url` with the password of its user part, and any `password=` parameter, masked.
fn masked(url: &str) -> String {
    let (before_query, query) = url
        .split_once('?')
        .map_or((url, None), |(base, query)| (base, Some(query)));
    let mut shown = match before_query.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest
                .find('/')
                .map_or((rest, ""), |slash| rest.split_at(slash));
            let authority = match authority.rsplit_once('@') {
                Some((user, host)) => match user.split_once(':') {
                    Some((name, _)) => format!("{name}:***@{host}"),
                    None => format!("{user}@{host}"),
                },
                None => authority.to_owned(),
            };
            format!("{scheme}://{authority}{path}")
        }
        None => before_query.to_owned(),
    };
    if let Some(query) = query {
        let parameters: Vec<String> = query
            .split('&')
            .map(|parameter| match parameter.split_once('=') {
                Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
                _ => parameter.to_owned(),
            })
            .collect();
        shown.push('?');
        shown.push_str(&parameters.join("&"));
    }
    shown
}

impl std::fmt::Display for ConnectionUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&masked(&self.0))
    }
}

impl std::fmt::Debug for ConnectionUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ConnectionUrl({self})")
    }
}

/// What stands between the service and PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pooler {
    /// Each connection is a PostgreSQL session of its own (directly, or through a pooler in
    /// session mode).
    #[default]
    None,
    /// A pooler in transaction mode (PgBouncer's `pool_mode = transaction`): a connection is
    /// one server session only for the length of a transaction, so the service keeps no
    /// session state on it: no startup options (the time bounds are the role's defaults in
    /// the database instead), no named prepared statements (diesel's statement cache is off),
    /// and anything that needs a session (migrations under their advisory lock) goes over
    /// the direct `migration_url`.
    Transaction,
}

#[derive(Debug, Clone)]
pub struct PgSettings {
    pub url: ConnectionUrl,
    /// How `url` reaches PostgreSQL.
    pub pooler: Pooler,
    /// A direct URL to the same database, for migrations and set-up: needed behind a
    /// transaction pooler; `url` is used when absent.
    pub migration_url: Option<ConnectionUrl>,
    pub max_connections: u32,
    /// How long a request waits for a free connection before storage counts as unavailable.
    pub acquire_timeout: Duration,
    /// The longest a statement may run (`statement_timeout`).
    pub statement_timeout: Duration,
    /// The longest a statement may wait for a lock (`lock_timeout`).
    pub lock_timeout: Duration,
}

impl PgSettings {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: ConnectionUrl::new(url),
            pooler: Pooler::None,
            migration_url: None,
            max_connections: 16,
            acquire_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(5),
            lock_timeout: Duration::from_secs(2),
        }
    }

    /// The bounds every session holds: waits on the database are bounded, and a
    /// transaction left open by a stuck process ends.
    fn bounds(&self) -> [(&'static str, u128); 3] {
        [
            ("statement_timeout", self.statement_timeout.as_millis()),
            ("lock_timeout", self.lock_timeout.as_millis()),
            (
                "idle_in_transaction_session_timeout",
                IDLE_IN_TRANSACTION.as_millis(),
            ),
        ]
    }

    /// The URL with the session settings every connection starts with (`bounds`).
    fn session_url(&self) -> String {
        let options: Vec<String> = self
            .bounds()
            .iter()
            .map(|(name, millis)| format!("-c {name}={millis}"))
            .collect();
        let url = self.url.expose();
        let separator = if url.contains('?') { '&' } else { '?' };
        format!(
            "{url}{separator}options={}",
            percent_encode(&options.join(" "))
        )
    }

    /// Where migrations and set-up connect.
    fn direct_url(&self) -> &ConnectionUrl {
        self.migration_url.as_ref().unwrap_or(&self.url)
    }
}

/// A transaction idle this long belongs to a process that stopped; the database ends it.
const IDLE_IN_TRANSACTION: Duration = Duration::from_secs(30);

/// Percent-encodes what a URL query value cannot hold as is.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// What PostgreSQL does its own way.
#[derive(Clone)]
pub struct Postgres {
    /// The URL as configured, without session settings: migrations run unbounded.
    url: String,
}

impl std::fmt::Debug for Postgres {
    // The URL may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres").finish_non_exhaustive()
    }
}

fn open(url: &str) -> ConnectionResult<AnyConnection> {
    open_primary(url, CacheSize::Unbounded).map(AnyConnection::Postgres)
}

/// A connection through a transaction pooler: no named prepared statements (diesel then
/// sends each statement with its parameters in one round trip, which any server session
/// of the pooler can take).
fn open_unprepared(url: &str) -> ConnectionResult<AnyConnection> {
    open_primary(url, CacheSize::Disabled).map(AnyConnection::Postgres)
}

/// With several hosts (a node, or a pooler beside each node), the first that answers and
/// whose server is the primary; each host is asked itself, with `pg_is_in_recovery()`,
/// because libpq's `target_session_attrs` cannot choose in two cases: a pooler answers the
/// login with the server parameters it cached from its first server session
/// (`in_hot_standby` as it was then), so after a failover libpq would pick the old
/// primary's pooler and refuse the new one's; and libpq tries no further host once one has
/// refused the login, which a standby that has not yet replayed `CREATE DATABASE` does.
/// Asking costs one round trip per new connection, not per statement (pooled connections
/// stay open). A single direct host is opened as is.
fn open_primary(url: &str, statements: CacheSize) -> ConnectionResult<PgConnection> {
    let hosts = single_host_urls(url);
    if hosts.len() == 1 && statements == CacheSize::Unbounded {
        return PgConnection::establish(url);
    }
    let mut refusals = Vec::new();
    for host_url in hosts {
        let mut conn = match PgConnection::establish(&host_url) {
            Ok(conn) => conn,
            Err(error) => {
                refusals.push(error.to_string());
                continue;
            }
        };
        conn.set_prepared_statement_cache_size(statements);
        let standby = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "pg_is_in_recovery()",
        ))
        .get_result::<bool>(&mut conn);
        match standby {
            Ok(false) => return Ok(conn),
            Ok(true) => refusals.push(format!("{} is a standby", masked(&host_url))),
            Err(error) => refusals.push(error.to_string()),
        }
    }
    Err(diesel::ConnectionError::BadConnection(format!(
        "no host of the URL is a primary: {}",
        refusals.join("; ")
    )))
}

/// One URL per host of a multi-host URL (`postgres://user@h1:p1,h2:p2/db?…`), in order,
/// without `target_session_attrs` (the caller checks each host itself); the URL itself when
/// it names one host.
fn single_host_urls(url: &str) -> Vec<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return vec![url.to_owned()];
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (user, hosts) = match authority.rsplit_once('@') {
        Some((user, hosts)) => (format!("{user}@"), hosts),
        None => (String::new(), authority),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|parameter| !parameter.starts_with("target_session_attrs="))
                .collect();
            if kept.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{}", kept.join("&"))
            }
        }
        None => tail.to_owned(),
    };
    hosts
        .split(',')
        .map(|host| format!("{scheme}://{user}{host}{tail}"))
        .collect()
}

/// A setting of the session, as PostgreSQL reports it in milliseconds (0: no bound).
#[derive(diesel::QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    millis: i64,
}

/// Which of `bounds` the session on `conn` does not hold, as `name=actual (wanted)`.
fn missing_bounds(
    conn: &mut PgConnection,
    bounds: &[(&'static str, u128)],
) -> Result<Vec<String>, SetupError> {
    let settings: Vec<Setting> = diesel::sql_query(
        "SELECT name, CASE unit WHEN 's' THEN setting::BIGINT * 1000 ELSE setting::BIGINT END \
         AS millis FROM pg_settings WHERE name IN \
         ('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout')",
    )
    .load(conn)
    .map_err(SetupError::connect)?;
    Ok(bounds
        .iter()
        .filter_map(|(name, wanted)| {
            let actual = settings
                .iter()
                .find(|setting| setting.name == *name)
                .map(|setting| setting.millis);
            (actual.and_then(|millis| u128::try_from(millis).ok()) != Some(*wanted))
                .then(|| format!("{name}={} (wanted {wanted} ms)", actual.unwrap_or(-1)))
        })
        .collect())
}

/// Behind a transaction pooler the bounds cannot travel with the connection: they are made
/// the defaults of the service's role in its database (over the direct URL, and only when
/// they differ: every CLI command connects, and none should write the catalog), which every
/// new server session starts with; then a pooled session is asked whether it holds them.
/// A pooler whose older sessions predate the defaults would run statements unbounded: the
/// service refuses to start instead.
fn establish_bounds_for_pooler(settings: &PgSettings) -> Result<(), SetupError> {
    let mut direct = open_primary(settings.direct_url().expose(), CacheSize::Unbounded)
        .map_err(SetupError::connect)?;
    #[derive(diesel::QueryableByName)]
    struct RoleDefault {
        #[diesel(sql_type = Text)]
        setting: String,
    }
    let defaults: Vec<RoleDefault> = diesel::sql_query(
        "SELECT unnest(s.setconfig) AS setting FROM pg_db_role_setting s \
         JOIN pg_database d ON d.oid = s.setdatabase \
         WHERE s.setrole = (SELECT oid FROM pg_roles WHERE rolname = current_user) \
         AND d.datname = current_database()",
    )
    .load(&mut direct)
    .map_err(SetupError::connect)?;
    for (name, millis) in settings.bounds() {
        let wanted = format!("{name}={millis}");
        if defaults.iter().any(|default| default.setting == wanted) {
            continue;
        }
        diesel::sql_query(format!(
            "DO $$ BEGIN EXECUTE format('ALTER ROLE CURRENT_USER IN DATABASE %I SET {name} = {millis}', current_database()); END $$"
        ))
        .execute(&mut direct)
        .map_err(SetupError::connect)?;
    }
    let AnyConnection::Postgres(mut pooled) =
        open_unprepared(settings.url.expose()).map_err(SetupError::connect)?
    else {
        return Err(SetupError::connect(
            "a PostgreSQL URL opened another backend",
        ));
    };
    let missing = missing_bounds(&mut pooled, &settings.bounds())?;
    if missing.is_empty() {
        Ok(())
    } else {
        Err(SetupError::connect(format!(
            "a session through the pooler lacks the service's time bounds ({}): it was \
             opened before they became the role's defaults; reconnect the pooler's server \
             sessions (PgBouncer: RECONNECT on its admin console) and start again",
            missing.join(", ")
        )))
    }
}

/// Opens the pool; fails when the database cannot be reached.
pub fn connect(settings: &PgSettings) -> Result<PgStore, SetupError> {
    let (url, open): (String, fn(&str) -> ConnectionResult<AnyConnection>) = match settings.pooler {
        Pooler::None => (settings.session_url(), open),
        Pooler::Transaction => {
            if settings.migration_url.is_none() {
                return Err(SetupError::connect(
                    "behind a transaction pooler, migrations need a direct URL \
                         (DB_MIGRATION_URL)",
                ));
            }
            establish_bounds_for_pooler(settings)?;
            (settings.url.expose().to_owned(), open_unprepared)
        }
    };
    // Checked before the pool exists, so that an unreachable database fails at once with
    // libpq's own message instead of after the pool's timeout.
    open(&url).map_err(SetupError::connect)?;
    let pool = pool_builder()
        .max_size(settings.max_connections)
        // r2d2 opens connections to keep `min_idle` on background threads; one still being
        // opened when a short-lived command exits races libpq's TLS clean-up and can crash
        // the process. So connections open only on demand, and stay open once opened.
        .min_idle(Some(0))
        .idle_timeout(None)
        .connection_timeout(settings.acquire_timeout)
        .build(Connector::new(&url, open))
        .map_err(SetupError::connect)?;
    Ok(SqlStore::new(
        pool,
        Postgres {
            url: settings.direct_url().expose().to_owned(),
        },
        Connector::new(url, open),
    ))
}

diesel::define_sql_function! {
    /// A 64-bit hash of a text.
    fn hashtextextended(text: Text, seed: BigInt) -> BigInt;
}

diesel::define_sql_function! {
    /// Takes a transaction-scoped advisory lock if no other transaction holds it.
    fn pg_try_advisory_xact_lock(key: BigInt) -> Bool;
}

impl Backend for Postgres {
    const BEGIN: &'static str = "BEGIN";

    /// A transaction-scoped advisory lock on a hash of the key: a second writer of the same
    /// key learns at once that the first is still running.
    fn take_idempotency_key(
        &self,
        conn: &mut AnyConnection,
        key: &str,
    ) -> Result<bool, DieselError> {
        diesel::select(pg_try_advisory_xact_lock(hashtextextended(key, 0_i64))).get_result(conn)
    }

    fn takes_writes(&self, conn: &mut AnyConnection) -> Result<bool, DieselError> {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "NOT pg_is_in_recovery()",
        ))
        .get_result(conn)
    }

    /// Besides diesel's closed connection and a write refused by a server that is no longer
    /// the primary: the messages of a session ended by the server (a restart,
    /// `pg_terminate_backend`), read on the next use of the connection.
    fn is_lost(&self, error: &DieselError) -> bool {
        match error {
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
            // The server this connection reached was demoted (a failover): the connection is
            // dropped, and the next one, through a multi-host URL with
            // `target_session_attrs=read-write`, reaches the new primary.
            DieselError::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _) => true,
            DieselError::DatabaseError(_, info) => {
                let message = info.message();
                message.contains("no connection to the server")
                    || message.starts_with("terminating connection")
                    || message.contains("server closed the connection")
            }
            _ => false,
        }
    }

    /// libpq knew the connection was gone before sending, the server had ended the
    /// session before the statement arrived (its FATAL notice is what was read back), or a
    /// demoted server refused the write (a read-only transaction wrote nothing).
    fn never_ran(&self, error: &DieselError) -> bool {
        match error {
            DieselError::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _) => true,
            DieselError::DatabaseError(_, info) => {
                let message = info.message();
                message.contains("no connection to the server")
                    || message.starts_with("terminating connection")
            }
            _ => false,
        }
    }

    fn translate(&self, error: DieselError) -> StoreError {
        if self.is_lost(&error) {
            return StoreError::Unavailable(Box::new(error));
        }
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
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                StoreError::Unavailable(Box::new(error))
            }
            // Statement and lock timeouts, and a deadlock's victim: diesel does not name
            // their SQLSTATEs (57014, 55P03, 40P01), PostgreSQL's messages do.
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, ref info)
                if info.message().starts_with("canceling statement due to")
                    || info.message().starts_with("deadlock detected") =>
            {
                StoreError::Unavailable(Box::new(error))
            }
            DieselError::BrokenTransactionManager => StoreError::Unavailable(Box::new(error)),
            other => StoreError::unexpected(other),
        }
    }

    /// On a connection of its own, without the pool's time limits (a migration may build an
    /// index for minutes), holding an advisory lock so that processes starting together
    /// migrate one at a time.
    fn migrate(&self, _pool: &Pool) -> Result<Vec<String>, SetupError> {
        let mut conn = open(&self.url).map_err(SetupError::connect)?;
        diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            .execute(&mut conn)
            .map_err(SetupError::migrate)?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(SetupError::Migrate);
        let unlocked = diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
            .execute(&mut conn);
        let applied = applied?;
        unlocked.map_err(SetupError::migrate)?;
        Ok(applied)
    }

    fn revert_all(&self, _pool: &Pool) -> Result<(), SetupError> {
        let mut conn = open(&self.url).map_err(SetupError::connect)?;
        conn.revert_all_migrations(MIGRATIONS)
            .map(|_| ())
            .map_err(SetupError::Migrate)
    }

    fn migration_status(&self, _pool: &Pool) -> Result<MigrationStatus, SetupError> {
        let mut conn = open(&self.url).map_err(SetupError::connect)?;
        let known = MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
            .map_err(SetupError::Migrate)?
            .iter()
            .map(|migration| {
                let name = migration.name();
                (name.version().to_string(), name.to_string())
            })
            .collect();
        MigrationStatus::read(
            &mut conn,
            known,
            "SELECT to_regclass('__diesel_schema_migrations') IS NOT NULL AS present",
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_host_url_is_split_per_host_without_the_session_attribute() {
        assert_eq!(
            single_host_urls(
                "postgres://app:pw@h1:6511,h2:6512/pi?target_session_attrs=read-write&connect_timeout=2"
            ),
            [
                "postgres://app:pw@h1:6511/pi?connect_timeout=2",
                "postgres://app:pw@h2:6512/pi?connect_timeout=2"
            ]
        );
        assert_eq!(
            single_host_urls("postgres://h1/pi?target_session_attrs=read-write"),
            ["postgres://h1/pi"]
        );
        assert_eq!(
            single_host_urls("postgres://h1:1,h2:2"),
            ["postgres://h1:1", "postgres://h2:2"]
        );
    }

    #[test]
    fn passwords_never_print() {
        let url =
            ConnectionUrl::new("postgres://app:s3cret@db:5432/pi?sslmode=require&password=other");
        let shown = format!("{url} {url:?} {:?}", PgSettings::new(url.expose()));
        assert!(
            !shown.contains("s3cret") && !shown.contains("other"),
            "{shown}"
        );
        assert!(shown.contains("postgres://app:***@db:5432/pi?sslmode=require&password=***"));
        assert_eq!(
            ConnectionUrl::new("postgres://postgres@127.0.0.1/pi").to_string(),
            "postgres://postgres@127.0.0.1/pi"
        );
    }
}
