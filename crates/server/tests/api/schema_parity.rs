//! Both backends' migrations build the same schema: the same tables, the same columns (name,
//! type family, nullability) and the same B-tree indexes (columns in order, uniqueness).
//! Read from each database's own catalog after migrating, never from the code, so a column
//! or an index added to one backend only fails here.

use std::collections::BTreeSet;

use adapter_postgres::PgSettings;
use adapter_sqlite::SqliteSettings;
use diesel::sql_types::{Bool, Integer, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};

use crate::helpers::{TestDatabase, TestFolder};

/// A column as both engines can describe it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    table: String,
    name: String,
    /// `text` (text and JSON documents) or `integer` (integers and instants).
    family: &'static str,
    nullable: bool,
}

/// An index by what it covers, whatever each engine calls it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    table: String,
    columns: Vec<String>,
    unique: bool,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Schema {
    tables: BTreeSet<String>,
    columns: BTreeSet<Column>,
    indexes: BTreeSet<Index>,
}

const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

#[derive(QueryableByName)]
struct PgIndex {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    columns: String,
    #[diesel(sql_type = Bool)]
    is_unique: bool,
}

fn postgres_family(data_type: &str) -> &'static str {
    match data_type {
        "text" | "json" => "text",
        "bigint" | "integer" | "timestamp with time zone" => "integer",
        "boolean" => "boolean",
        other => panic!("a PostgreSQL column type the parity test does not know: {other}"),
    }
}

fn postgres_schema(url: &str) -> Schema {
    let mut conn = PgConnection::establish(url).unwrap();
    let columns: Vec<PgColumn> = diesel::sql_query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> $1",
    )
    .bind::<Text, _>(MIGRATIONS_TABLE)
    .load(&mut conn)
    .unwrap();
    // B-tree indexes only: the trigram index behind name search is PostgreSQL's own.
    let indexes: Vec<PgIndex> = diesel::sql_query(
        "SELECT t.relname::text AS table_name, ix.indisunique AS is_unique,
                array_to_string(ARRAY(
                    SELECT pg_get_indexdef(ix.indexrelid, k + 1, true)
                    FROM generate_subscripts(ix.indkey, 1) AS k ORDER BY k), ',') AS columns
         FROM pg_index ix
         JOIN pg_class i ON i.oid = ix.indexrelid
         JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         JOIN pg_am am ON am.oid = i.relam
         WHERE n.nspname = 'public' AND am.amname = 'btree' AND t.relname <> $1",
    )
    .bind::<Text, _>(MIGRATIONS_TABLE)
    .load(&mut conn)
    .unwrap();
    Schema {
        tables: columns.iter().map(|c| c.table_name.clone()).collect(),
        columns: columns
            .iter()
            .map(|c| Column {
                table: c.table_name.clone(),
                name: c.column_name.clone(),
                family: postgres_family(&c.data_type),
                nullable: c.is_nullable == "YES",
            })
            .collect(),
        indexes: indexes
            .into_iter()
            .map(|i| Index {
                table: i.table_name,
                columns: i.columns.split(',').map(str::to_owned).collect(),
                unique: i.is_unique,
            })
            .collect(),
    }
}

#[derive(QueryableByName)]
struct SqliteName {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text, column_name = "type")]
    declared: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct SqliteIndex {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    unique: i32,
}

fn sqlite_family(declared: &str) -> &'static str {
    match declared.to_ascii_uppercase().as_str() {
        "TEXT" => "text",
        "BIGINT" | "INTEGER" => "integer",
        "BOOLEAN" => "boolean",
        other => panic!("a SQLite column type the parity test does not know: {other}"),
    }
}

fn sqlite_schema(path: &str) -> Schema {
    let mut conn = SqliteConnection::establish(path).unwrap();
    let tables: Vec<SqliteName> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite_%' AND name <> ?",
    )
    .bind::<Text, _>(MIGRATIONS_TABLE)
    .load(&mut conn)
    .unwrap();
    let mut schema = Schema::default();
    for table in tables.into_iter().map(|t| t.name) {
        let columns: Vec<SqliteColumn> =
            diesel::sql_query(format!("SELECT * FROM pragma_table_info('{table}')"))
                .load(&mut conn)
                .unwrap();
        for column in &columns {
            schema.columns.insert(Column {
                table: table.clone(),
                name: column.name.clone(),
                family: sqlite_family(&column.declared),
                // A primary key column is never null, whatever it declares.
                nullable: column.notnull == 0 && column.pk == 0,
            });
        }
        let indexes: Vec<SqliteIndex> =
            diesel::sql_query(format!("SELECT * FROM pragma_index_list('{table}')"))
                .load(&mut conn)
                .unwrap();
        for index in &indexes {
            let covered: Vec<SqliteName> = diesel::sql_query(format!(
                "SELECT name FROM pragma_index_info('{}')",
                index.name
            ))
            .load(&mut conn)
            .unwrap();
            schema.indexes.insert(Index {
                table: table.clone(),
                columns: covered.into_iter().map(|c| c.name).collect(),
                unique: index.unique == 1,
            });
        }
        // An INTEGER PRIMARY KEY is the rowid itself, which SQLite lists as no index.
        let mut key: Vec<_> = columns.iter().filter(|c| c.pk > 0).collect();
        key.sort_by_key(|c| c.pk);
        let key: Vec<String> = key.into_iter().map(|c| c.name.clone()).collect();
        if !key.is_empty() {
            schema.indexes.insert(Index {
                table: table.clone(),
                columns: key,
                unique: true,
            });
        }
        schema.tables.insert(table);
    }
    schema
}

#[test]
fn both_backends_migrate_to_the_same_schema() {
    let database = TestDatabase::create();
    adapter_postgres::connect(&PgSettings::new(&database.url))
        .unwrap()
        .migrate()
        .unwrap();
    let folder = TestFolder::create();
    let file = folder.path.join("parity.db");
    adapter_sqlite::connect(&SqliteSettings::new(&file))
        .unwrap()
        .migrate()
        .unwrap();

    let postgres = postgres_schema(&database.url);
    let sqlite = sqlite_schema(&file.to_string_lossy());
    assert!(postgres.tables.contains("program_instances"));
    assert!(postgres.indexes.len() > 10, "{:?}", postgres.indexes);
    assert_eq!(postgres.tables, sqlite.tables, "tables");
    let only = |a: &BTreeSet<Column>, b: &BTreeSet<Column>| -> Vec<Column> {
        a.difference(b).cloned().collect()
    };
    assert_eq!(
        (
            only(&postgres.columns, &sqlite.columns),
            only(&sqlite.columns, &postgres.columns)
        ),
        (Vec::new(), Vec::new()),
        "columns only on PostgreSQL, and only on SQLite"
    );
    let only = |a: &BTreeSet<Index>, b: &BTreeSet<Index>| -> Vec<Index> {
        a.difference(b).cloned().collect()
    };
    assert_eq!(
        (
            only(&postgres.indexes, &sqlite.indexes),
            only(&sqlite.indexes, &postgres.indexes)
        ),
        (Vec::new(), Vec::new()),
        "indexes only on PostgreSQL, and only on SQLite"
    );
}
