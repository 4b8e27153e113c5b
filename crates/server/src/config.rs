//! Typed configuration from the environment (and flags, applied by the CLI).

use std::path::PathBuf;
use std::time::Duration as StdDuration;

use adapter_http::FailureLimits;
use application::KeyCacheSettings;
use time::Duration;

/// Where data lives, from `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    /// A SQLite database file (created, with its folder, when missing).
    Sqlite(PathBuf),
}

/// The embedded default when `DATABASE_URL` is unset.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/program-instances.db";

const ACCEPTED_FORMS: &str = "postgres://USER@HOST:PORT/DATABASE (or postgresql://…), or sqlite://PATH (e.g. sqlite://./data/program-instances.db)";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("DATABASE_URL {0:?} is not supported: use {ACCEPTED_FORMS}")]
    UnsupportedDatabaseUrl(String),
    #[error("{name} must be {expected}, got {value:?}")]
    Invalid {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
}

impl DatabaseUrl {
    /// `None` (unset) means the embedded default.
    pub fn parse(value: Option<&str>) -> Result<Self, ConfigError> {
        let url = value.map(str::trim).unwrap_or(DEFAULT_DATABASE_URL);
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        match url.strip_prefix("sqlite://") {
            Some(path) if !path.is_empty() => Ok(DatabaseUrl::Sqlite(PathBuf::from(path))),
            _ => Err(ConfigError::UnsupportedDatabaseUrl(url.to_owned())),
        }
    }
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseUrl,
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
}

/// Connections per process when `DB_POOL_SIZE` is unset: twice the cores, at least 4.
/// Measured with `just bench` on 2 cores: 4 connections served 8,600 GETs/s with a p99 of
/// 10 ms, 16 connections 8,200/s with a p99 near 400 ms (requests queued behind an
/// oversubscribed database).
fn default_pool_size(cores: usize) -> u32 {
    u32::try_from(cores.saturating_mul(2))
        .unwrap_or(u32::MAX)
        .max(4)
}

fn number<T: std::str::FromStr>(
    env: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    expected: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match env(name) {
        None => Ok(default),
        Some(value) => value.trim().parse().map_err(|_| ConfigError::Invalid {
            name,
            expected,
            value,
        }),
    }
}

fn millis(
    env: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
) -> Result<StdDuration, ConfigError> {
    number(env, name, "a number of milliseconds", default).map(StdDuration::from_millis)
}

impl Settings {
    /// Reads `DATABASE_URL`, `WORKERS`, `DB_POOL_SIZE`, `DB_POOL_TIMEOUT_MS`,
    /// `DB_STATEMENT_TIMEOUT_MS`, `DB_LOCK_TIMEOUT_MS`, `SHUTDOWN_DRAIN_MS`,
    /// `KEY_CACHE_TTL_SECS`, `AUTH_FAILURE_BURST` and `AUTH_FAILURE_REFILL_PER_SEC` through
    /// `env`.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let ttl: u32 = number(&env, "KEY_CACHE_TTL_SECS", "a number of seconds", 5)?;
        Ok(Self {
            database: DatabaseUrl::parse(env("DATABASE_URL").as_deref())?,
            workers: number(&env, "WORKERS", "a positive number", cores)?.max(1),
            pool_size: number(
                &env,
                "DB_POOL_SIZE",
                "a positive number",
                default_pool_size(cores),
            )?
            .max(1),
            pool_timeout: millis(&env, "DB_POOL_TIMEOUT_MS", 2_000)?,
            statement_timeout: millis(&env, "DB_STATEMENT_TIMEOUT_MS", 5_000)?,
            lock_timeout: millis(&env, "DB_LOCK_TIMEOUT_MS", 2_000)?,
            shutdown_drain: millis(&env, "SHUTDOWN_DRAIN_MS", 2_000)?,
            key_cache: KeyCacheSettings {
                ttl: Duration::seconds(i64::from(ttl)),
                capacity: 10_000,
            },
            auth_failures: FailureLimits {
                burst: number(&env, "AUTH_FAILURE_BURST", "a positive number", 20)?.max(1),
                per_second: number(
                    &env,
                    "AUTH_FAILURE_REFILL_PER_SEC",
                    "a positive number",
                    1.0_f64,
                )?
                .max(0.001),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn postgres_urls_are_accepted() {
        let settings =
            Settings::from_env(env(&[("DATABASE_URL", "postgres://postgres@127.0.0.1/pi")]))
                .unwrap();
        assert_eq!(
            settings.database,
            DatabaseUrl::Postgres("postgres://postgres@127.0.0.1/pi".into())
        );
        assert_eq!(settings.pool_size, default_pool_size(settings.workers));
        assert_eq!(default_pool_size(2), 4);
        assert_eq!(default_pool_size(8), 16);
    }

    #[test]
    fn sqlite_is_the_default_and_can_be_named() {
        let default = Settings::from_env(env(&[])).unwrap();
        assert_eq!(
            default.database,
            DatabaseUrl::Sqlite("./data/program-instances.db".into())
        );
        let named =
            Settings::from_env(env(&[("DATABASE_URL", "sqlite:///var/lib/pi/x.db")])).unwrap();
        assert_eq!(
            named.database,
            DatabaseUrl::Sqlite("/var/lib/pi/x.db".into())
        );
    }

    #[test]
    fn other_urls_are_refused_with_the_accepted_forms() {
        for bad in ["mysql://x", "sqlite://", "", "data.db"] {
            let error = Settings::from_env(|name| (name == "DATABASE_URL").then(|| bad.to_owned()))
                .unwrap_err();
            let text = error.to_string();
            assert!(
                text.contains("postgres://") && text.contains("sqlite://"),
                "{bad}: {text}"
            );
        }
    }

    #[test]
    fn malformed_numbers_are_named() {
        let error = Settings::from_env(env(&[
            ("DATABASE_URL", "postgres://x"),
            ("WORKERS", "many"),
        ]))
        .unwrap_err();
        assert!(matches!(
            error,
            ConfigError::Invalid {
                name: "WORKERS",
                ..
            }
        ));
    }
}
