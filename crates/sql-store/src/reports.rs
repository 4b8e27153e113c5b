//! The participation report in one statement: the instances in scope, their per-day counts
//! (whole days from `enrollment_tallies`, a window's partial edge days from their own
//! enrollments), and the middle decision times of each instance and of all of them.
//!
//! The statement's text is the same on both engines but for two things: placeholders
//! (`$1` on PostgreSQL, `?1` on SQLite, both numbered so a value is bound once and used
//! anywhere) and how the middle decision times are found. PostgreSQL skips to them along
//! the decision-time index (`OFFSET` inside a `LATERAL` join, reading half the decisions at
//! most); SQLite has no `LATERAL` and ranks them with window functions.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use diesel::QueryableByName;
use diesel::backend::Backend as DieselBackend;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Nullable, Text};
use diesel::sqlite::Sqlite;
use domain::participation::{Day, FunnelCounts, Window};
use domain::{InstanceId, WorkspaceId};
use ports::{InstanceParticipation, ParticipationCounts, ReportScope, ReportStore, StoreError};

use crate::column_types::{At, Instant};
use crate::connection::AnyConnection;
use crate::rows::corrupt;
use crate::store::{Backend, SqlStore};

/// A value bound to the statement.
#[derive(Debug, Clone)]
enum Value {
    Text(String),
    Number(i64),
    Instant(At),
}

/// The statement under construction: its text, with `{}` where a placeholder's sigil goes,
/// and its values in placeholder order.
#[derive(Debug, Default)]
struct Statement {
    text: String,
    values: Vec<Value>,
}

impl Statement {
    /// A placeholder for `value`, as `{}N`.
    fn bind(&mut self, value: Value) -> String {
        self.values.push(value);
        format!("{{}}{}", self.values.len())
    }

    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    fn with_sigil(&self, sigil: &str) -> String {
        self.text.replace("{}", sigil)
    }

    fn boxed<'a, DB>(&self, sigil: &str) -> BoxedSqlQuery<'a, DB, SqlQuery>
    where
        DB: DieselBackend + HasSqlType<Text> + HasSqlType<BigInt> + HasSqlType<Instant>,
        String: ToSql<Text, DB>,
        i64: ToSql<BigInt, DB>,
        At: ToSql<Instant, DB>,
    {
        let mut query = diesel::sql_query(self.with_sigil(sigil)).into_boxed::<DB>();
        for value in &self.values {
            query = match value.clone() {
                Value::Text(text) => query.bind::<Text, _>(text),
                Value::Number(number) => query.bind::<BigInt, _>(number),
                Value::Instant(at) => query.bind::<Instant, _>(at),
            };
        }
        query
    }
}

/// A row of the statement: one of an instance (`i`), an instance's day (`d`), an
/// instance's middle decision times (`m`) or the workspace's (`t`).
#[derive(Debug, QueryableByName)]
struct ReportRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<Text>)]
    instance_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    status: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    day: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    submitted: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    approved: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    rejected: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    unenrolled: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    ineligible: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    low: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    high: Option<i64>,
    /// An instance's name folded for ordering.
    #[diesel(sql_type = Nullable<Text>)]
    sort_name: Option<String>,
}

const COUNTS: &str = "submitted, approved, rejected, unenrolled, ineligible";
const NO_COUNTS: &str = "CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), \
     CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)";
const NAMED_NO_COUNTS: &str = "CAST(NULL AS BIGINT) AS submitted, CAST(NULL AS BIGINT) AS approved, \
     CAST(NULL AS BIGINT) AS rejected, CAST(NULL AS BIGINT) AS unenrolled, \
     CAST(NULL AS BIGINT) AS ineligible";
const NO_TEXT: &str = "CAST(NULL AS TEXT)";
const NO_NUMBER: &str = "CAST(NULL AS BIGINT)";

/// How the middle decision times are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Median {
    SkipAlongIndex,
    RankInWindow,
}

fn statement(
    workspace: &WorkspaceId,
    scope: &ReportScope,
    window: &Window,
    median: Median,
) -> Statement {
    let mut sql = Statement::default();
    let ws = sql.bind(Value::Text(workspace.to_string()));

    // The instances in scope.
    let mut scope_filter = String::new();
    if let Some(program) = &scope.program_id {
        let p = sql.bind(Value::Text(program.to_string()));
        let _ = write!(scope_filter, " AND program_id = {p}");
    }
    let mut one_of = |sql: &mut Statement, column: &str, values: Vec<String>| {
        let placeholders: Vec<String> = values
            .into_iter()
            .map(|value| sql.bind(Value::Text(value)))
            .collect();
        let _ = write!(
            scope_filter,
            " AND {column} IN ({})",
            if placeholders.is_empty() {
                // Nothing matches an empty list.
                "NULL".to_owned()
            } else {
                placeholders.join(", ")
            }
        );
    };
    if let Some(statuses) = &scope.statuses {
        one_of(
            &mut sql,
            "status",
            statuses.iter().map(|s| s.as_str().to_owned()).collect(),
        );
    }
    if let Some(only) = &scope.only_instances {
        one_of(
            &mut sql,
            "id",
            only.iter().map(InstanceId::to_string).collect(),
        );
    }
    sql.push(&format!(
        "WITH scope AS (SELECT id, name, name_folded, status FROM program_instances \
         WHERE workspace_id = {ws}{scope_filter}), "
    ));

    // Per-day counts: whole days from the tallies, partial days from their enrollments.
    let parts = window.split();
    let mut day_filter = String::new();
    if let Some(first) = parts.whole_days.first {
        let first = sql.bind(Value::Number(first.0));
        let _ = write!(day_filter, " AND t.day >= {first}");
    }
    if let Some(end) = parts.whole_days.end {
        let end = sql.bind(Value::Number(end.0));
        let _ = write!(day_filter, " AND t.day < {end}");
    }
    sql.push(&format!(
        "counted AS (SELECT t.instance_id, t.day, {COUNTS}, t.timed_decisions \
         FROM enrollment_tallies t JOIN scope ON scope.id = t.instance_id \
         WHERE t.workspace_id = {ws}{day_filter}"
    ));
    for edge in &parts.edges {
        let day = sql.bind(Value::Number(edge.day().0));
        let from = sql.bind(Value::Instant(At(edge.from)));
        let until = sql.bind(Value::Instant(At(edge.until)));
        let count =
            |status: &str| format!("SUM(CASE WHEN e.status = '{status}' THEN 1 ELSE 0 END)");
        sql.push(&format!(
            " UNION ALL SELECT e.instance_id, CAST({day} AS BIGINT), {}, {}, {}, {}, {}, \
             SUM(CASE WHEN e.decision_micros IS NULL THEN 0 ELSE 1 END) \
             FROM enrollments e JOIN scope ON scope.id = e.instance_id \
             WHERE e.workspace_id = {ws} AND e.created_at >= {from} AND e.created_at < {until} \
             GROUP BY e.instance_id",
            count("submitted"),
            count("approved"),
            count("rejected"),
            count("unenrolled"),
            count("ineligible"),
        ));
    }
    sql.push("), ");

    // The decisions with a recorded time, in the window.
    let mut decided_in_window = String::new();
    if let Some(from) = window.from {
        let from = sql.bind(Value::Instant(At(from)));
        let _ = write!(decided_in_window, " AND e.created_at >= {from}");
    }
    if let Some(until) = window.until {
        let until = sql.bind(Value::Instant(At(until)));
        let _ = write!(decided_in_window, " AND e.created_at < {until}");
    }
    let decided =
        format!("e.workspace_id = {ws} AND e.decision_micros IS NOT NULL{decided_in_window}");
    let every_instance =
        scope.program_id.is_none() && scope.statuses.is_none() && scope.only_instances.is_none();
    let in_scope = if every_instance {
        String::new()
    } else {
        " AND e.instance_id IN (SELECT id FROM scope)".to_owned()
    };

    sql.push(&format!(
        "timed AS (SELECT instance_id, CAST(SUM(timed_decisions) AS BIGINT) AS n \
         FROM counted GROUP BY instance_id) \
         SELECT 'i' AS kind, id AS instance_id, name, status, {NO_NUMBER} AS day, \
           {NAMED_NO_COUNTS}, {NO_NUMBER} AS low, {NO_NUMBER} AS high, name_folded AS sort_name \
         FROM scope \
         UNION ALL SELECT 'd', instance_id, {NO_TEXT}, {NO_TEXT}, day, {COUNTS}, \
           {NO_NUMBER}, {NO_NUMBER}, {NO_TEXT} FROM counted "
    ));
    match median {
        Median::SkipAlongIndex => sql.push(&format!(
            "UNION ALL SELECT 'm', timed.instance_id, {NO_TEXT}, {NO_TEXT}, {NO_NUMBER}, {NO_COUNTS}, \
               middle.low, middle.high, {NO_TEXT} \
             FROM timed CROSS JOIN LATERAL (SELECT MIN(d) AS low, MAX(d) AS high FROM \
               (SELECT e.decision_micros AS d FROM enrollments e \
                WHERE {decided} AND e.instance_id = timed.instance_id \
                ORDER BY e.decision_micros LIMIT 2 - timed.n % 2 OFFSET (timed.n - 1) / 2) r) middle \
             WHERE timed.n > 0 \
             UNION ALL SELECT 't', {NO_TEXT}, {NO_TEXT}, {NO_TEXT}, {NO_NUMBER}, {NO_COUNTS}, \
               middle.low, middle.high, {NO_TEXT} \
             FROM (SELECT CAST(SUM(n) AS BIGINT) AS n FROM timed) total \
             CROSS JOIN LATERAL (SELECT MIN(d) AS low, MAX(d) AS high FROM \
               (SELECT e.decision_micros AS d FROM enrollments e WHERE {decided}{in_scope} \
                ORDER BY e.decision_micros LIMIT 2 - total.n % 2 OFFSET (total.n - 1) / 2) r) middle \
             WHERE total.n > 0"
        )),
        Median::RankInWindow => sql.push(&format!(
            "UNION ALL SELECT 'm', instance_id, {NO_TEXT}, {NO_TEXT}, {NO_NUMBER}, {NO_COUNTS}, \
               MIN(d), MAX(d), {NO_TEXT} \
             FROM (SELECT e.instance_id, e.decision_micros AS d, \
                 ROW_NUMBER() OVER (PARTITION BY e.instance_id ORDER BY e.decision_micros) AS rank, \
                 COUNT(*) OVER (PARTITION BY e.instance_id) AS n \
               FROM enrollments e WHERE {decided}{in_scope}) ranked \
             WHERE rank IN ((n + 1) / 2, (n + 2) / 2) GROUP BY instance_id \
             UNION ALL SELECT 't', {NO_TEXT}, {NO_TEXT}, {NO_TEXT}, {NO_NUMBER}, {NO_COUNTS}, \
               MIN(d), MAX(d), {NO_TEXT} \
             FROM (SELECT e.decision_micros AS d, \
                 ROW_NUMBER() OVER (ORDER BY e.decision_micros) AS rank, COUNT(*) OVER () AS n \
               FROM enrollments e WHERE {decided}{in_scope}) ranked \
             WHERE rank IN ((n + 1) / 2, (n + 2) / 2) HAVING COUNT(*) > 0"
        )),
    }
    sql
}

fn count(what: &str, value: Option<i64>) -> Result<u64, StoreError> {
    u64::try_from(value.unwrap_or(0)).map_err(|e| corrupt(what, e))
}

fn middle(row: &ReportRow) -> Vec<i64> {
    match (row.low, row.high) {
        (Some(low), Some(high)) if low == high => vec![low],
        (Some(low), Some(high)) => vec![low, high],
        _ => Vec::new(),
    }
}

fn assemble(mut rows: Vec<ReportRow>) -> Result<ParticipationCounts, StoreError> {
    let what = "participation report";
    // Instances first, by name; then the days in order.
    rows.sort_by(|a, b| {
        (a.kind != "i", &a.sort_name, &a.instance_id, a.day).cmp(&(
            b.kind != "i",
            &b.sort_name,
            &b.instance_id,
            b.day,
        ))
    });
    let mut report = ParticipationCounts::default();
    let mut index = BTreeMap::new();
    for row in rows {
        let instance = || -> Result<InstanceId, StoreError> {
            let id = row.instance_id.as_deref().unwrap_or_default();
            InstanceId::parse(id).map_err(|e| corrupt(what, e))
        };
        match row.kind.as_str() {
            "i" => {
                let id = instance()?;
                index.insert(id.clone(), report.instances.len());
                report.instances.push(InstanceParticipation {
                    id,
                    name: row.name.clone().unwrap_or_default(),
                    status: row
                        .status
                        .as_deref()
                        .unwrap_or_default()
                        .parse()
                        .map_err(|e| corrupt(what, e))?,
                    daily: Vec::new(),
                    decision_middle: Vec::new(),
                });
            }
            "d" | "m" => {
                let id = instance()?;
                let Some(&at) = index.get(&id) else {
                    return Err(corrupt(what, format!("counts of {id}, not in scope")));
                };
                let entry = &mut report.instances[at];
                if row.kind == "m" {
                    entry.decision_middle = middle(&row);
                } else {
                    let counts = FunnelCounts {
                        submitted: count(what, row.submitted)?,
                        approved: count(what, row.approved)?,
                        rejected: count(what, row.rejected)?,
                        unenrolled: count(what, row.unenrolled)?,
                        ineligible: count(what, row.ineligible)?,
                    };
                    entry.daily.push((Day(row.day.unwrap_or_default()), counts));
                }
            }
            "t" => report.decision_middle = middle(&row),
            other => return Err(corrupt(what, format!("row kind {other}"))),
        }
    }
    Ok(report)
}

impl<B: Backend> ReportStore for SqlStore<B> {
    fn participation(
        &self,
        workspace: &WorkspaceId,
        scope: &ReportScope,
        window: &Window,
    ) -> Result<ParticipationCounts, StoreError> {
        let rows = self.read(|conn| match conn {
            AnyConnection::Postgres(pg) => {
                statement(workspace, scope, window, Median::SkipAlongIndex)
                    .boxed::<Pg>("$")
                    .load::<ReportRow>(pg)
            }
            AnyConnection::Sqlite(lite) => {
                statement(workspace, scope, window, Median::RankInWindow)
                    .boxed::<Sqlite>("?")
                    .load::<ReportRow>(lite)
            }
        })?;
        assemble(rows)
    }
}
