//! What authenticating a request costs: a key verified recently (the in-process cache), a
//! key seen for the first time (a storage read and one argon2id verification), and a key
//! whose cache entry has expired (a storage read, no argon2).
//!
//! `cargo bench -p server --bench key_verification` (needs PostgreSQL; the database named
//! by `BENCH_DATABASE_ADMIN_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`, is
//! used to create and drop a scratch database).

// A benchmark: a failure should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use application::{Application, KeyCacheSettings, KeyRequest};
use domain::{Grant, Name, WorkspaceId};
use server::config::{DatabaseUrl, Settings};
use server::storage::Storage;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let admin = std::env::var("BENCH_DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("pi_bench_keys_{}", std::process::id());
    adapter_postgres::create_database(&admin, &name).expect("create the scratch database");
    let url = format!(
        "{}/{name}",
        admin.rsplit_once('/').expect("a database in the URL").0
    );
    let result = std::panic::catch_unwind(|| run(&url));
    let _ = adapter_postgres::drop_database(&admin, &name);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

fn run(url: &str) {
    let settings = Settings::defaults_for(DatabaseUrl::parse(url).unwrap());
    let storage = Storage::open(&settings).unwrap();
    storage.migrate().unwrap();
    let app = |ttl: time::Duration| {
        Application::new(
            storage.ports(std::sync::Arc::new(
                adapter_webhooks::DestinationCheck::new(settings.webhook_dispatch.sender),
            )),
            KeyCacheSettings {
                ttl,
                capacity: 10_000,
            },
        )
    };
    let setup = app(time::Duration::seconds(5));
    let workspace = WorkspaceId::parse("ws_bench").unwrap();
    setup
        .create_workspace(Name::parse("Bench").unwrap(), Some(workspace.clone()))
        .unwrap();
    let request = KeyRequest {
        workspace_id: workspace,
        name: None,
        grant: Grant::full(),
        expires_at: None,
    };
    let secret = setup.create_key(request).unwrap().1;
    let key = secret.expose();

    // Cached: the hot path of every request after the first.
    let cached_app = app(time::Duration::hours(1));
    cached_app.authenticate(key).unwrap();
    let rounds = 200_000;
    let mut cached = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        for _ in 0..rounds {
            black_box(cached_app.cached_principal(black_box(key)).expect("cached"));
        }
        cached.push(started.elapsed() / rounds);
    }

    // Miss: a process that has not seen the key (empty cache).
    let mut misses = Vec::new();
    for _ in 0..15 {
        let cold = app(time::Duration::hours(1));
        let started = Instant::now();
        cold.authenticate(key).unwrap();
        misses.push(started.elapsed());
    }

    // Refresh: the cache entry is older than the TTL; the record is read again, no argon2.
    let refreshing = app(time::Duration::ZERO);
    refreshing.authenticate(key).unwrap();
    let mut refreshes = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        refreshing.authenticate(key).unwrap();
        refreshes.push(started.elapsed());
    }

    let (cached, refresh, miss) = (median(cached), median(refreshes), median(misses));
    println!("key verification (median)");
    println!(
        "  cached (no I/O, no argon2)             {:>10.3} µs",
        cached.as_secs_f64() * 1e6
    );
    println!(
        "  refresh after TTL (read + last-use)    {:>10.3} µs",
        refresh.as_secs_f64() * 1e6
    );
    println!(
        "  miss (read + last-use + argon2id)      {:>10.3} ms",
        miss.as_secs_f64() * 1e3
    );
    println!(
        "  of which argon2id (miss - refresh)     {:>10.3} ms",
        miss.saturating_sub(refresh).as_secs_f64() * 1e3
    );
}
