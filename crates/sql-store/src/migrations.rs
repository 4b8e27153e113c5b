//! Which migrations a database has, read without changing it: diesel's own harness creates
//! its bookkeeping table on first use, which a status check must not do.

use diesel::sql_types::{Bool, Text};
use diesel::{QueryableByName, RunQueryDsl};

use crate::connection::AnyConnection;
use crate::store::SetupError;

/// The migrations of a database beside those this binary carries, by name (version first).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MigrationStatus {
    pub applied: Vec<String>,
    pub pending: Vec<String>,
    /// Applied by a newer binary: versions this one does not know.
    pub unknown: Vec<String>,
}

#[derive(QueryableByName)]
struct Present {
    #[diesel(sql_type = Bool)]
    present: bool,
}

#[derive(QueryableByName)]
struct Applied {
    #[diesel(sql_type = Text)]
    version: String,
}

impl MigrationStatus {
    /// Reads the applied versions on `conn`. `known` are the binary's migrations as
    /// (version, name), in order; `table_exists` is the backend's query for whether
    /// diesel's bookkeeping table exists, answering a boolean column `present`.
    pub fn read(
        conn: &mut AnyConnection,
        known: Vec<(String, String)>,
        table_exists: &str,
    ) -> Result<Self, SetupError> {
        let present = diesel::sql_query(table_exists)
            .get_result::<Present>(conn)
            .map_err(SetupError::migrate)?
            .present;
        let applied: Vec<String> = if present {
            diesel::sql_query("SELECT version FROM __diesel_schema_migrations ORDER BY version")
                .load::<Applied>(conn)
                .map_err(SetupError::migrate)?
                .into_iter()
                .map(|row| row.version)
                .collect()
        } else {
            Vec::new()
        };
        let mut status = MigrationStatus::default();
        for (version, name) in &known {
            if applied.contains(version) {
                status.applied.push(name.clone());
            } else {
                status.pending.push(name.clone());
            }
        }
        status.unknown = applied
            .into_iter()
            .filter(|version| !known.iter().any(|(known, _)| known == version))
            .collect();
        Ok(status)
    }
}
