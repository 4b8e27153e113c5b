//! Chooses and opens the storage adapter named by `DATABASE_URL`.

use std::sync::Arc;

use adapter_http::metrics::GaugeReader;
use adapter_postgres::{PgSettings, PgStore, Pooler};
use adapter_sqlite::{SqliteSettings, SqliteStore};
use application::{CuidGenerator, Ports, SystemClock, WebhookSender};
use sql_store::{Backend, MigrationStatus, SetupError, SqlStore};

use crate::config::{DatabaseUrl, Settings};

/// An opened storage adapter.
#[derive(Debug, Clone)]
pub enum Storage {
    Postgres(PgStore),
    Sqlite(SqliteStore),
}

/// Every port of one store, of whichever adapter, with the webhook sender.
fn ports_of<B: Backend + Clone>(store: SqlStore<B>, sender: Arc<dyn WebhookSender>) -> Ports {
    let store = Arc::new(store);
    Ports {
        instances: store.clone(),
        enrollments: store.clone(),
        reports: store.clone(),
        catalog: store.clone(),
        workspaces: store.clone(),
        keys: store.clone(),
        idempotency: store.clone(),
        events: store.clone(),
        webhooks: store,
        webhook_sender: sender,
        representations: Arc::new(adapter_http::ApiRepresentations),
        clock: Arc::new(SystemClock),
        ids: Arc::new(CuidGenerator),
    }
}

fn pool_gauges(connections: u32, idle: u32, max: u32) -> Vec<(&'static str, &'static str, f64)> {
    vec![
        (
            "db_pool_connections",
            "Open database connections.",
            f64::from(connections),
        ),
        (
            "db_pool_idle_connections",
            "Idle database connections.",
            f64::from(idle),
        ),
        (
            "db_pool_max_connections",
            "The pool's size limit.",
            f64::from(max),
        ),
    ]
}

impl Storage {
    /// Opens the database named in the settings, creating a missing PostgreSQL database
    /// when the server allows it (a first run needs no manual `createdb`).
    pub fn open(settings: &Settings) -> Result<Self, SetupError> {
        match &settings.database {
            DatabaseUrl::Postgres(url) => {
                let pg = PgSettings {
                    url: url.clone(),
                    pooler: settings.pooler,
                    migration_url: settings.migration_url.clone(),
                    max_connections: settings.pool_size,
                    acquire_timeout: settings.pool_timeout,
                    statement_timeout: settings.statement_timeout,
                    lock_timeout: settings.lock_timeout,
                };
                let store = match adapter_postgres::connect(&pg) {
                    Ok(store) => store,
                    Err(error) if error_chain_mentions(&error, "does not exist") => {
                        let direct = settings.migration_url.as_ref().unwrap_or(url);
                        create_missing_database(direct.expose())?;
                        adapter_postgres::connect(&pg)?
                    }
                    Err(error) => return Err(error),
                };
                Ok(Storage::Postgres(store))
            }
            DatabaseUrl::Sqlite(_) if settings.pooler != Pooler::None => Err(SetupError::connect(
                "DB_POOLER applies to PostgreSQL only; the embedded SQLite has no pooler",
            )),
            DatabaseUrl::Sqlite(path) => {
                let sqlite = SqliteSettings {
                    acquire_timeout: settings.pool_timeout,
                    ..SqliteSettings::new(path.clone())
                };
                Ok(Storage::Sqlite(adapter_sqlite::connect(&sqlite)?))
            }
        }
    }

    /// Which migrations are applied and pending; changes nothing.
    pub fn migration_status(&self) -> Result<MigrationStatus, SetupError> {
        match self {
            Storage::Postgres(store) => store.migration_status(),
            Storage::Sqlite(store) => store.migration_status(),
        }
    }

    /// Applies pending migrations; returns the versions applied.
    pub fn migrate(&self) -> Result<Vec<String>, SetupError> {
        match self {
            Storage::Postgres(store) => store.migrate(),
            Storage::Sqlite(store) => store.migrate(),
        }
    }

    pub fn ports(&self, sender: Arc<dyn WebhookSender>) -> Ports {
        match self {
            Storage::Postgres(store) => ports_of(store.clone(), sender),
            Storage::Sqlite(store) => ports_of(store.clone(), sender),
        }
    }

    /// Pool gauges for `/metrics`.
    pub fn gauges(&self) -> GaugeReader {
        match self {
            Storage::Postgres(store) => {
                let store = store.clone();
                Box::new(move || {
                    let usage = store.pool_usage();
                    pool_gauges(usage.connections, usage.idle, usage.max)
                })
            }
            Storage::Sqlite(store) => {
                let store = store.clone();
                Box::new(move || {
                    let usage = store.pool_usage();
                    pool_gauges(usage.connections, usage.idle, usage.max)
                })
            }
        }
    }
}

/// Splits `postgres://…/NAME?…` into the URL of the server's `postgres` database and NAME.
fn maintenance_url(url: &str) -> Option<(String, String)> {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(base, query)| (base, Some(query)));
    let (server, name) = base.rsplit_once('/')?;
    if name.is_empty() || server.ends_with('/') {
        return None;
    }
    let admin = match query {
        Some(query) => format!("{server}/postgres?{query}"),
        None => format!("{server}/postgres"),
    };
    Some((admin, name.to_owned()))
}

/// Whether `error` or one of its causes says `text`.
fn error_chain_mentions(error: &(dyn std::error::Error + 'static), text: &str) -> bool {
    application::error_chain(error).contains(text)
}

fn create_missing_database(url: &str) -> Result<(), SetupError> {
    let (admin, name) = maintenance_url(url)
        .ok_or_else(|| SetupError::connect("DATABASE_URL names no database"))?;
    tracing::info!(database = %name, "creating the database");
    match adapter_postgres::create_database(&admin, &name) {
        // Another process created it meanwhile, or a standby told of a database it had not
        // yet replayed: either way it is there now.
        Err(error) if error_chain_mentions(&error, "already exists") => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_maintenance_database_replaces_the_target() {
        assert_eq!(
            maintenance_url("postgres://postgres@127.0.0.1:5432/pi?sslmode=disable"),
            Some((
                "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into(),
                "pi".into()
            ))
        );
        assert_eq!(maintenance_url("postgres://postgres@127.0.0.1:5432/"), None);
    }
}
