//! Every setting, as a command-line flag with an environment variable (so `--help` lists them
//! all, with their defaults), and the typed settings the server runs with.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration as StdDuration;

use adapter_http::{FailureLimits, TrustedNetwork};
use adapter_postgres::{ConnectionUrl, Pooler};
use adapter_web::SubmissionLimits;
use adapter_webhooks::SenderSettings;
use application::{KeyCacheSettings, WebhookSettings};
use clap::{Args, ValueEnum};

use crate::dispatcher::DispatchSettings;
use time::Duration;

/// Where data lives, from `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A PostgreSQL database (its URL prints with the password masked).
    Postgres(ConnectionUrl),
    /// A SQLite database file (created, with its folder, when missing).
    Sqlite(PathBuf),
}

/// The embedded default when `DATABASE_URL` is unset.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/program-instances.db";

const ACCEPTED_FORMS: &str = "postgres://USER@HOST:PORT/DATABASE (or postgresql://…), or sqlite://PATH (e.g. sqlite://./data/program-instances.db)";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("DATABASE_URL is not supported: use {ACCEPTED_FORMS}")]
    UnsupportedDatabaseUrl,
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(ConnectionUrl::new(url)));
        }
        match url.strip_prefix("sqlite://") {
            Some(path) if !path.is_empty() => Ok(DatabaseUrl::Sqlite(PathBuf::from(path))),
            _ => Err(ConfigError::UnsupportedDatabaseUrl),
        }
    }
}

/// Connections per process when `DB_POOL_SIZE` is unset: twice the cores, at least 4.
/// Measured with `just bench` on 2 cores: 4 connections served 8,600 GETs/s with a p99 of
/// 10 ms, 16 connections 8,200/s with a p99 near 400 ms (requests queued behind an
/// oversubscribed database).
fn default_pool_size() -> u32 {
    u32::try_from(cores().saturating_mul(2))
        .unwrap_or(u32::MAX)
        .max(4)
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

fn positive(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("must be a whole number of at least 1".to_owned()),
    }
}

/// A rate: a finite number above 0.
fn positive_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err("must be a number above 0".to_owned()),
    }
}

/// A factor: a finite number of at least 0.
fn scale(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(factor) if factor.is_finite() && factor >= 0.0 => Ok(factor),
        _ => Err("must be a number of at least 0".to_owned()),
    }
}

/// Storage settings, for every command.
#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// Where data lives: postgres://USER:PASSWORD@HOST:PORT/DATABASE (the password is
    /// optional), or sqlite://PATH for the embedded database (created when missing).
    #[arg(
        long = "database-url",
        value_name = "URL",
        env = "DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        hide_env_values = true,
        value_parser = |text: &str| DatabaseUrl::parse(text),
        global = true
    )]
    pub database: DatabaseUrl,

    /// What stands between the service and PostgreSQL: `none` (connections are sessions of
    /// their own: direct, or a pooler in session mode) or `transaction` (a pooler in
    /// transaction mode, such as PgBouncer's `pool_mode = transaction`; needs
    /// --db-migration-url).
    #[arg(long = "db-pooler", value_name = "MODE", env = "DB_POOLER", value_enum, default_value_t = PoolerMode::None, global = true, hide_env_values = true)]
    pub pooler: PoolerMode,

    /// A direct URL to the same PostgreSQL database, for migrations and set-up (anything
    /// that needs a session of its own); DATABASE_URL when unset.
    #[arg(
        long = "db-migration-url",
        value_name = "URL",
        env = "DB_MIGRATION_URL",
        hide_env_values = true,
        value_parser = postgres_url,
        global = true
    )]
    pub migration_url: Option<ConnectionUrl>,

    /// Database connections per process.
    #[arg(long = "db-pool-size", value_name = "N", env = "DB_POOL_SIZE", default_value_t = default_pool_size(), value_parser = clap::value_parser!(u32).range(1..), global = true, hide_env_values = true)]
    pub pool_size: u32,

    /// How long a request waits for a pooled connection before it answers 503 (ms).
    #[arg(
        long = "db-pool-timeout-ms",
        value_name = "MS",
        env = "DB_POOL_TIMEOUT_MS",
        default_value_t = 2_000,
        global = true,
        hide_env_values = true
    )]
    pub pool_timeout_ms: u64,

    /// The longest a PostgreSQL statement may run (statement_timeout, ms).
    #[arg(
        long = "db-statement-timeout-ms",
        value_name = "MS",
        env = "DB_STATEMENT_TIMEOUT_MS",
        default_value_t = 5_000,
        global = true,
        hide_env_values = true
    )]
    pub statement_timeout_ms: u64,

    /// The longest a PostgreSQL statement may wait for a lock (lock_timeout, ms).
    #[arg(
        long = "db-lock-timeout-ms",
        value_name = "MS",
        env = "DB_LOCK_TIMEOUT_MS",
        default_value_t = 2_000,
        global = true,
        hide_env_values = true
    )]
    pub lock_timeout_ms: u64,
}

/// What stands between the service and PostgreSQL (see `adapter_postgres::Pooler`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PoolerMode {
    /// Connections are sessions of their own.
    None,
    /// A pooler in transaction mode.
    Transaction,
}

impl From<PoolerMode> for Pooler {
    fn from(mode: PoolerMode) -> Self {
        match mode {
            PoolerMode::None => Pooler::None,
            PoolerMode::Transaction => Pooler::Transaction,
        }
    }
}

fn postgres_url(text: &str) -> Result<ConnectionUrl, String> {
    match DatabaseUrl::parse(text) {
        Ok(DatabaseUrl::Postgres(url)) => Ok(url),
        _ => Err("must be a postgres:// URL".to_owned()),
    }
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    Text,
    /// One JSON object per line.
    Json,
}

/// Log settings, for every command. Logs go to stderr; stdout is for command output.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Log line format.
    #[arg(long = "log-format", value_name = "FORMAT", env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true, hide_env_values = true)]
    pub format: LogFormat,

    /// Which events are logged: a level (error, warn, info, debug, trace) or tracing's
    /// directives (`info,sql_store=debug`).
    #[arg(
        long = "log-filter",
        value_name = "FILTER",
        env = "RUST_LOG",
        default_value = "info",
        global = true,
        hide_env_values = true
    )]
    pub filter: String,
}

/// The API server's settings.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        value_name = "ADDR",
        env = "BIND_ADDR",
        default_value = "127.0.0.1:8080",
        hide_env_values = true
    )]
    pub bind: String,

    /// Async workers (threads that serve connections).
    #[arg(long, value_name = "N", env = "WORKERS", default_value_t = cores(), value_parser = positive, hide_env_values = true)]
    pub workers: usize,

    /// After SIGTERM or SIGINT: how long the server keeps answering (with `Connection:
    /// close`, and /readyz answering 503) before it stops taking requests and finishes
    /// those in flight (ms).
    #[arg(
        long = "shutdown-drain-ms",
        value_name = "MS",
        env = "SHUTDOWN_DRAIN_MS",
        default_value_t = 2_000,
        hide_env_values = true
    )]
    pub shutdown_drain_ms: u64,

    /// How long a verified key is trusted without a storage read: the bound on how late
    /// another process sees a revocation (s).
    #[arg(
        long = "key-cache-ttl-secs",
        value_name = "SECONDS",
        env = "KEY_CACHE_TTL_SECS",
        default_value_t = 5,
        hide_env_values = true
    )]
    pub key_cache_ttl_secs: u32,

    /// Verifications of keys not recently verified that one client address may start at
    /// once, before 429.
    #[arg(long = "auth-failure-burst", value_name = "N", env = "AUTH_FAILURE_BURST", default_value_t = FailureLimits::default().burst, value_parser = clap::value_parser!(u32).range(1..), hide_env_values = true)]
    pub auth_failure_burst: u32,

    /// How fast that allowance refills (per second).
    #[arg(long = "auth-failure-refill-per-sec", value_name = "RATE", env = "AUTH_FAILURE_REFILL_PER_SEC", default_value_t = FailureLimits::default().per_second, value_parser = positive_rate, hide_env_values = true)]
    pub auth_failure_refill_per_sec: f64,

    /// Enrollment page submissions one client address may send at once, before the 429 page.
    #[arg(long = "page-submission-burst", value_name = "N", env = "PAGE_SUBMISSION_BURST", default_value_t = SubmissionLimits::default().burst, hide_env_values = true)]
    pub page_submission_burst: NonZeroU32,

    /// How fast that allowance refills (submissions per minute).
    #[arg(long = "page-submissions-per-minute", value_name = "N", env = "PAGE_SUBMISSIONS_PER_MINUTE", default_value_t = SubmissionLimits::default().per_minute, hide_env_values = true)]
    pub page_submissions_per_minute: NonZeroU32,

    /// Proxies whose X-Forwarded-For names the client (comma-separated addresses or
    /// networks, e.g. 10.0.0.0/8,127.0.0.1); by default none is believed.
    #[arg(
        long = "trusted-proxies",
        value_name = "NETWORKS",
        env = "TRUSTED_PROXIES",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub trusted_proxies: Vec<TrustedNetwork>,

    /// Whether webhook endpoint URLs may be plain http (development).
    #[arg(long = "webhook-allow-http", value_name = "BOOL", env = "WEBHOOK_ALLOW_HTTP", default_value_t = false, action = clap::ArgAction::Set, hide_env_values = true)]
    pub webhook_allow_http: bool,

    /// Whether webhooks may go to loopback, private and link-local addresses (development
    /// and tests); checked at creation and again at each delivery.
    #[arg(long = "webhook-allow-private", value_name = "BOOL", env = "WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set, hide_env_values = true)]
    pub webhook_allow_private: bool,

    /// Multiplies every webhook retry delay (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) and the
    /// 5 days after which a failing endpoint is disabled; 0.001 runs the schedule in seconds.
    #[arg(
        long = "webhook-backoff-scale",
        value_name = "FACTOR",
        env = "WEBHOOK_BACKOFF_SCALE",
        default_value_t = 1.0,
        value_parser = scale,
        hide_env_values = true
    )]
    pub webhook_backoff_scale: f64,

    /// Webhook delivery attempts this process has in flight at once, across endpoints.
    #[arg(long = "webhook-in-flight", value_name = "N", env = "WEBHOOK_IN_FLIGHT", default_value_t = 256, value_parser = positive, hide_env_values = true)]
    pub webhook_in_flight: usize,

    /// Webhook delivery attempts this process has in flight at once to one endpoint: what a
    /// slow or dead receiver can hold.
    #[arg(long = "webhook-in-flight-per-endpoint", value_name = "N", env = "WEBHOOK_IN_FLIGHT_PER_ENDPOINT", default_value_t = 64, value_parser = positive, hide_env_values = true)]
    pub webhook_in_flight_per_endpoint: usize,

    /// The longest a webhook delivery attempt may take (ms).
    #[arg(
        long = "webhook-timeout-ms",
        value_name = "MS",
        env = "WEBHOOK_TIMEOUT_MS",
        default_value_t = 10_000,
        value_parser = clap::value_parser!(u32).range(1..=600_000),
        hide_env_values = true
    )]
    pub webhook_timeout_ms: u32,
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseUrl,
    pub pooler: Pooler,
    pub migration_url: Option<ConnectionUrl>,
    pub workers: usize,
    pub pool_size: u32,
    /// How long a request waits for a pooled connection before it answers 503.
    pub pool_timeout: StdDuration,
    /// PostgreSQL's `statement_timeout` on every connection.
    pub statement_timeout: StdDuration,
    /// PostgreSQL's `lock_timeout` on every connection.
    pub lock_timeout: StdDuration,
    /// After SIGTERM or SIGINT: how long the server keeps serving (with `Connection: close`,
    /// and `/readyz` answering 503) before it stops taking requests and finishes those in
    /// flight.
    pub shutdown_drain: StdDuration,
    pub key_cache: KeyCacheSettings,
    pub auth_failures: FailureLimits,
    pub page_submissions: SubmissionLimits,
    pub trusted_proxies: Vec<TrustedNetwork>,
    pub webhooks: WebhookSettings,
    pub webhook_dispatch: DispatchSettings,
}

impl Settings {
    pub fn new(storage: &StorageArgs, serve: &ServeArgs) -> Self {
        Self {
            database: storage.database.clone(),
            pooler: storage.pooler.into(),
            migration_url: storage.migration_url.clone(),
            workers: serve.workers,
            pool_size: storage.pool_size,
            pool_timeout: StdDuration::from_millis(storage.pool_timeout_ms),
            statement_timeout: StdDuration::from_millis(storage.statement_timeout_ms),
            lock_timeout: StdDuration::from_millis(storage.lock_timeout_ms),
            shutdown_drain: StdDuration::from_millis(serve.shutdown_drain_ms),
            key_cache: KeyCacheSettings {
                ttl: Duration::seconds(i64::from(serve.key_cache_ttl_secs)),
                capacity: 10_000,
            },
            auth_failures: FailureLimits {
                burst: serve.auth_failure_burst,
                per_second: serve.auth_failure_refill_per_sec,
            },
            page_submissions: SubmissionLimits {
                burst: serve.page_submission_burst,
                per_minute: serve.page_submissions_per_minute,
            },
            trusted_proxies: serve.trusted_proxies.clone(),
            webhooks: WebhookSettings {
                allow_http: serve.webhook_allow_http,
                backoff_scale: serve.webhook_backoff_scale,
                // An attempt's claim outlives the attempt: another process takes it over
                // only from one that died.
                lease: Duration::milliseconds(i64::from(serve.webhook_timeout_ms))
                    + Duration::seconds(5),
                ..WebhookSettings::default()
            },
            webhook_dispatch: DispatchSettings {
                sender: SenderSettings {
                    allow_private: serve.webhook_allow_private,
                    timeout: StdDuration::from_millis(u64::from(serve.webhook_timeout_ms)),
                },
                in_flight: serve.webhook_in_flight,
                per_endpoint: serve.webhook_in_flight_per_endpoint,
            },
        }
    }

    /// Every default, over `database`: what a server started with no flags and no
    /// environment would use there.
    pub fn defaults_for(database: DatabaseUrl) -> Self {
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            storage: StorageArgs,
            #[command(flatten)]
            serve: ServeArgs,
        }
        let Defaults { storage, serve } = <Defaults as clap::Parser>::parse_from(["defaults"]);
        Self {
            database,
            ..Self::new(&storage, &serve)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_and_sqlite_urls_are_accepted() {
        let postgres = DatabaseUrl::parse("postgres://postgres@127.0.0.1/pi").unwrap();
        assert_eq!(
            postgres,
            DatabaseUrl::Postgres(ConnectionUrl::new("postgres://postgres@127.0.0.1/pi"))
        );
        assert_eq!(
            DatabaseUrl::parse(DEFAULT_DATABASE_URL).unwrap(),
            DatabaseUrl::Sqlite("./data/program-instances.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/pi/x.db").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/pi/x.db".into())
        );
    }

    #[test]
    fn other_urls_are_refused_with_the_accepted_forms_and_without_echoing_them() {
        for bad in ["mysql://root:hunter2@x", "sqlite://", "", "data.db"] {
            let text = DatabaseUrl::parse(bad).unwrap_err().to_string();
            assert!(
                text.contains("postgres://") && text.contains("sqlite://"),
                "{bad}: {text}"
            );
            assert!(!text.contains("hunter2"));
        }
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let settings = Settings::defaults_for(DatabaseUrl::Sqlite("x.db".into()));
        assert_eq!(settings.pool_size, default_pool_size());
        assert!(settings.pool_size >= 4);
        assert_eq!(settings.pool_timeout, StdDuration::from_millis(2_000));
        assert_eq!(settings.shutdown_drain, StdDuration::from_millis(2_000));
        assert_eq!(settings.auth_failures.burst, 30);
        assert!(settings.trusted_proxies.is_empty());
    }
}
