//! The shared storage contract (`ports::contract`) on SQLite: each case on a fresh database
//! file, removed afterwards.

// Test code: a failed expectation is meant to stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use adapter_sqlite::{SqliteSettings, SqliteStore, connect};

struct FreshFile {
    store: SqliteStore,
    folder: PathBuf,
}

impl Deref for FreshFile {
    type Target = SqliteStore;
    fn deref(&self) -> &SqliteStore {
        &self.store
    }
}

impl Drop for FreshFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn fresh() -> FreshFile {
    let folder = std::env::temp_dir().join(format!(
        "pi_contract_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let store = connect(&SqliteSettings::new(folder.join("contract.db"))).expect("open");
    store.migrate().expect("migrate");
    FreshFile { store, folder }
}

ports::storage_contract_tests!(fresh);

#[test]
fn migrations_run_up_down_and_up_again() {
    let fixture = fresh();
    fixture.revert_all().expect("down");
    assert!(!fixture.migrate().expect("up").is_empty());
    assert!(fixture.migrate().expect("again").is_empty());
}
