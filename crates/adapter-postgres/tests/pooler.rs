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

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Text)]
    xmin: String,
}

/// The row version of the role's defaults in `database`: an `ALTER ROLE … SET` writes a new
/// one even when the value is unchanged.
fn role_defaults_version(conn: &mut PgConnection, database: &str) -> String {
    diesel::sql_query(format!(
        "SELECT s.xmin::text AS xmin FROM pg_db_role_setting s JOIN pg_database d \
         ON d.oid = s.setdatabase WHERE d.datname = '{database}' \
         AND s.setrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
    ))
    .get_result::<Version>(conn)
    .unwrap()
    .xmin
}

#[test]
fn connecting_again_leaves_role_defaults_that_already_hold_unwritten() {
    let name = format!("pi_pooler_again_{}", std::process::id());
    create_database(&admin_url(), &name).unwrap();
    let admin = admin_url();
    let (server, _) = admin.rsplit_once('/').unwrap();
    let url = format!("{server}/{name}");
    let mut settings = PgSettings::new(&url);
    settings.pooler = Pooler::Transaction;
    settings.migration_url = Some(ConnectionUrl::new(&url));

    drop(connect(&settings).unwrap());
    let mut plain = PgConnection::establish(&admin).unwrap();
    let first = role_defaults_version(&mut plain, &name);
    drop(connect(&settings).unwrap());
    assert_eq!(role_defaults_version(&mut plain, &name), first);

    // A changed bound is written.
    settings.statement_timeout = Duration::from_millis(7_777);
    drop(connect(&settings).unwrap());
    assert_ne!(role_defaults_version(&mut plain, &name), first);
    drop(plain);
    drop_database(&admin_url(), &name).unwrap();
}

/// A server that refuses every login as a standby that has not yet replayed
/// `CREATE DATABASE` does: FATAL 3D000 "database … does not exist".
fn refusing_server() -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            loop {
                let mut length = [0_u8; 4];
                if stream.read_exact(&mut length).is_err() {
                    break;
                }
                let mut rest = vec![0_u8; u32::from_be_bytes(length) as usize - 4];
                if stream.read_exact(&mut rest).is_err() {
                    break;
                }
                // SSL or GSS encryption requests: "not here"; then the startup message.
                if rest.len() == 4 && rest[..2] == [0x04, 0xd2] {
                    let _ = stream.write_all(b"N");
                    continue;
                }
                let mut fields = Vec::new();
                for (code, value) in [
                    (b'S', "FATAL"),
                    (b'V', "FATAL"),
                    (b'C', "3D000"),
                    (b'M', "database \"pi\" does not exist"),
                ] {
                    fields.push(code);
                    fields.extend_from_slice(value.as_bytes());
                    fields.push(0);
                }
                fields.push(0);
                let mut message = vec![b'E'];
                message.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
                message.extend_from_slice(&fields);
                let _ = stream.write_all(&message);
                break;
            }
        }
    });
    port
}

#[test]
fn start_up_skips_a_host_that_refuses_the_login_and_takes_the_next() {
    let name = format!("pi_multi_host_{}", std::process::id());
    create_database(&admin_url(), &name).unwrap();
    let admin = admin_url();
    let (server, _) = admin.rsplit_once('/').unwrap();
    let (_, real_host) = server.rsplit_once('@').unwrap();
    let refusing = refusing_server();
    let url = format!(
        "postgres://postgres@127.0.0.1:{refusing},{real_host}/{name}?target_session_attrs=read-write&sslmode=disable&gssencmode=disable"
    );
    // libpq alone gives up at the first host's refusal.
    assert!(PgConnection::establish(&url).is_err());
    for pooler in [Pooler::None, Pooler::Transaction] {
        let mut settings = PgSettings::new(&url);
        settings.pooler = pooler;
        settings.migration_url = Some(ConnectionUrl::new(&url));
        let store = connect(&settings).unwrap();
        store.migrate().unwrap();
        assert!(store.migration_status().unwrap().pending.is_empty());
    }
    drop_database(&admin_url(), &name).unwrap();
}
