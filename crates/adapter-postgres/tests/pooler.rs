//! Behind a transaction pooler: what the adapter needs and what it sets up, checked on a
//! direct connection (the whole HTTP suite also runs behind a real PgBouncer in CI:
//! `.ci/test-behind-pgbouncer`).

// Test code: a failed expectation is meant to stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use adapter_postgres::{
    ConnectionUrl, PgSettings, Pooler, connect, create_database, drop_database,
};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, sql_types::Text};

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

#[derive(QueryableByName)]
struct Shown {
    #[diesel(sql_type = Text)]
    value: String,
}

fn show(conn: &mut PgConnection, name: &str) -> String {
    diesel::sql_query(format!("SELECT current_setting('{name}') AS value"))
        .get_result::<Shown>(conn)
        .unwrap()
        .value
}

#[test]
fn a_transaction_pooler_needs_a_direct_url_and_gets_the_bounds_as_role_defaults() {
    let name = format!("pi_pooler_{}", std::process::id());
    create_database(&admin_url(), &name).unwrap();
    let admin = admin_url();
    let (server, _) = admin.rsplit_once('/').unwrap();
    let url = format!("{server}/{name}");

    let mut settings = PgSettings::new(&url);
    settings.pooler = Pooler::Transaction;
    settings.statement_timeout = Duration::from_millis(4_321);
    settings.lock_timeout = Duration::from_millis(1_234);
    let refused = connect(&settings).expect_err("refused without a direct URL");
    let message = std::iter::successors(
        Some(&refused as &(dyn std::error::Error + 'static)),
        |error| error.source(),
    )
    .map(ToString::to_string)
    .collect::<Vec<_>>()
    .join(": ");
    assert!(message.contains("DB_MIGRATION_URL"), "{message}");

    settings.migration_url = Some(ConnectionUrl::new(&url));
    let store = connect(&settings).unwrap();
    store.migrate().unwrap();
    // A session opened without any startup option, as a pooler's are, holds the bounds.
    let mut plain = PgConnection::establish(&url).unwrap();
    assert_eq!(show(&mut plain, "statement_timeout"), "4321ms");
    assert_eq!(show(&mut plain, "lock_timeout"), "1234ms");
    assert_eq!(
        show(&mut plain, "idle_in_transaction_session_timeout"),
        "30s"
    );
    drop(plain);
    drop(store);
    drop_database(&admin_url(), &name).unwrap();
}
