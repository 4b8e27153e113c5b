//! The shared storage contract (`ports::contract`) on PostgreSQL: each case on a fresh
//! database, dropped afterwards.

// Test code: a failed expectation is meant to stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ops::Deref;
use std::sync::atomic::{AtomicU32, Ordering};

use adapter_postgres::{PgSettings, PgStore, connect, create_database, drop_database};

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

struct FreshDatabase {
    store: PgStore,
    name: String,
}

impl Deref for FreshDatabase {
    type Target = PgStore;
    fn deref(&self) -> &PgStore {
        &self.store
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let _ = drop_database(&admin_url(), &self.name);
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn fresh() -> FreshDatabase {
    let name = format!(
        "pi_contract_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    create_database(&admin_url(), &name).expect("create a database");
    let admin = admin_url();
    let (server, _) = admin.rsplit_once('/').expect("a database in the admin URL");
    let store = connect(&PgSettings::new(format!("{server}/{name}"))).expect("connect");
    store.migrate().expect("migrate");
    FreshDatabase { store, name }
}

ports::storage_contract_tests!(fresh);
