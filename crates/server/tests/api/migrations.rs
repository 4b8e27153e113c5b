use std::process::Command;

use adapter_postgres::PgSettings;

use crate::helpers::TestDatabase;

fn schema(url: &str) -> String {
    let output = Command::new("pg_dump")
        .args([
            "--schema-only",
            "--no-owner",
            "--exclude-table=__diesel_schema_migrations",
            url,
        ])
        .output();
    let output = output.expect("pg_dump is installed");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // pg_dump 15.14+ brackets the dump with a random \restrict token: not part of the schema.
    let text = String::from_utf8(output.stdout).unwrap();
    text.lines()
        .filter(|line| !line.starts_with("\\restrict") && !line.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Proves every `down.sql`: up, down, up again gives the same schema.
#[test]
fn migrations_run_up_down_and_up_to_the_same_schema() {
    let database = TestDatabase::create();
    let store = adapter_postgres::connect(&PgSettings::new(&database.url)).unwrap();
    assert!(!store.migrate().unwrap().is_empty());
    let first = schema(&database.url);
    assert!(first.contains("CREATE TABLE public.program_instances"));
    store.revert_all().unwrap();
    let empty = schema(&database.url);
    assert!(
        !empty.contains("program_instances"),
        "down.sql leaves nothing behind"
    );
    store.migrate().unwrap();
    assert!(
        schema(&database.url) == first,
        "the schema after down and up differs from the first"
    );
    assert!(
        store.migrate().unwrap().is_empty(),
        "nothing pending the second time"
    );
}
