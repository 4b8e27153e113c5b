//! The participation report in one statement: the instances in scope, their per-day counts
//! (whole days from `enrollment_tallies`, a window's partial edge days from their own
//! enrollments), and the middle decision times of each instance and of all of them. Grouped
//! by revision, each row is an instance revision instead: the same statement with the
//! revision beside the instance in every key.
//!
//! The statement's text is the same on both engines but for two things: placeholders
//! (`$1` on PostgreSQL, `?1` on SQLite, both numbered so a value is bound once and used
//! anywhere) and how the middle decision times are found. PostgreSQL skips to them along
//! the decision-time index (`OFFSET` inside a `LATERAL` join, reading half the decisions at
//! most); SQLite has no `LATERAL` and ranks them with window functions.

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
use ports::{
    InstanceParticipation, ParticipationCounts, ReportGrouping, ReportScope, ReportStore,
    RevisionSpan, StoreError,
};

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

/// A row of the statement: an instance in scope (`i`) with its figures, or the figures
/// across all of them (`t`, only the middle decision times).
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
    /// The name folded for ordering.
    #[diesel(sql_type = Nullable<Text>)]
    sort_name: Option<String>,
    /// Grouped by revision: the row's revision and when it began.
    #[diesel(sql_type = Nullable<BigInt>)]
    revision: Option<i64>,
    #[diesel(sql_type = Nullable<Instant>)]
    revision_at: Option<At>,
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
    /// `day:enrollments` pairs, comma-separated, in no particular order.
    #[diesel(sql_type = Nullable<Text>)]
    daily: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    low: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    high: Option<i64>,
}

/// What differs between the engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Postgres,
    Sqlite,
}

impl Engine {
    fn sigil(self) -> &'static str {
        match self {
            Engine::Postgres => "$",
            Engine::Sqlite => "?",
        }
    }

    /// The type of an instant's column.
    fn instant_type(self) -> &'static str {
        match self {
            Engine::Postgres => "TIMESTAMPTZ",
            Engine::Sqlite => "BIGINT",
        }
    }

    fn concatenated(self, text: &str) -> String {
        match self {
            Engine::Postgres => format!("string_agg({text}, ',')"),
            Engine::Sqlite => format!("group_concat({text}, ',')"),
        }
    }
}

/// The middle one or two of `n` values: the places a median reads, counted from 1.
const MIDDLE_PLACES: &str = "place IN ((n + 1) / 2, (n + 2) / 2)";

/// What identifies a row of the report in each part of the statement: the instance, and
/// grouped by revision, the revision too.
#[derive(Debug, Clone, Copy)]
struct RowKey {
    by_revision: bool,
}

impl RowKey {
    /// The key's columns of `alias`, a table or CTE whose revision column is `revision`.
    fn of(self, alias: &str) -> String {
        if self.by_revision {
            format!("{alias}.instance_id, {alias}.revision")
        } else {
            format!("{alias}.instance_id")
        }
    }

    /// The same, unqualified (inside a CTE over one table).
    fn bare(self) -> &'static str {
        if self.by_revision {
            "instance_id, revision"
        } else {
            "instance_id"
        }
    }

    /// The key's columns of enrollments `e`, for grouping.
    fn of_enrollments(self) -> &'static str {
        if self.by_revision {
            "e.instance_id, e.instance_revision"
        } else {
            "e.instance_id"
        }
    }

    /// The same, named as the other parts name them.
    fn selected_from_enrollments(self) -> &'static str {
        if self.by_revision {
            "e.instance_id, e.instance_revision AS revision"
        } else {
            "e.instance_id"
        }
    }

    /// `left`'s row is `right`'s; `right_revision` names `right`'s revision column.
    fn matches(self, left: &str, right: &str, right_revision: &str) -> String {
        if self.by_revision {
            format!(
                "{left}.instance_id = {right}.instance_id AND {left}.revision = {right}.{right_revision}"
            )
        } else {
            format!("{left}.instance_id = {right}.instance_id")
        }
    }
}

fn statement(
    workspace: &WorkspaceId,
    scope: &ReportScope,
    window: &Window,
    grouping: ReportGrouping,
    engine: Engine,
) -> Statement {
    let key = RowKey {
        by_revision: grouping == ReportGrouping::Revision,
    };
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
    // Every instance of the workspace needs no semi-join with the scope.
    let every_instance = scope_filter.is_empty();
    let in_scope = |alias: &str| {
        if every_instance {
            String::new()
        } else {
            format!(" AND {alias}.instance_id IN (SELECT id FROM scope)")
        }
    };
    sql.push(&format!(
        "WITH scope AS (SELECT id, name, name_folded, status, revision, created_at \
         FROM program_instances WHERE workspace_id = {ws}{scope_filter}), "
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
        "counted AS (SELECT {}, t.day, t.submitted, t.approved, t.rejected, \
           t.unenrolled, t.ineligible, t.timed_decisions \
         FROM enrollment_tallies t WHERE t.workspace_id = {ws}{day_filter}{}",
        key.of("t"),
        in_scope("t")
    ));
    for edge in &parts.edges {
        let day = sql.bind(Value::Number(edge.day().0));
        let from = sql.bind(Value::Instant(At(edge.from)));
        let until = sql.bind(Value::Instant(At(edge.until)));
        let count =
            |status: &str| format!("SUM(CASE WHEN e.status = '{status}' THEN 1 ELSE 0 END)");
        sql.push(&format!(
            " UNION ALL SELECT {}, CAST({day} AS BIGINT), {}, {}, {}, {}, {}, \
               SUM(CASE WHEN e.decision_bucket IS NULL THEN 0 ELSE 1 END) \
             FROM enrollments e \
             WHERE e.workspace_id = {ws} AND e.created_at >= {from} AND e.created_at < {until}{} \
             GROUP BY {}",
            key.selected_from_enrollments(),
            count("submitted"),
            count("approved"),
            count("rejected"),
            count("unenrolled"),
            count("ineligible"),
            in_scope("e"),
            key.of_enrollments(),
        ));
    }
    let daily = engine.concatenated(
        "CAST(day AS TEXT) || ':' || \
         CAST(submitted + approved + rejected + unenrolled + ineligible AS TEXT)",
    );
    let group = key.bare();
    sql.push(&format!(
        "), per_instance AS (SELECT {group}, CAST(SUM(submitted) AS BIGINT) AS submitted, \
           CAST(SUM(approved) AS BIGINT) AS approved, CAST(SUM(rejected) AS BIGINT) AS rejected, \
           CAST(SUM(unenrolled) AS BIGINT) AS unenrolled, \
           CAST(SUM(ineligible) AS BIGINT) AS ineligible, \
           CAST(SUM(timed_decisions) AS BIGINT) AS timed, {daily} AS daily \
         FROM counted GROUP BY {group}), "
    ));

    // The middle decision times, per instance (`medians`) and across them (`total_median`).
    let mut in_window = String::new();
    if let Some(from) = window.from {
        let from = sql.bind(Value::Instant(At(from)));
        let _ = write!(in_window, " AND e.created_at >= {from}");
    }
    if let Some(until) = window.until {
        let until = sql.bind(Value::Instant(At(until)));
        let _ = write!(in_window, " AND e.created_at < {until}");
    }
    match engine {
        Engine::Postgres => sql.push(&skip_to_the_middle(
            &ws,
            key,
            &in_window,
            &in_scope("h"),
            &in_scope("e"),
        )),
        Engine::Sqlite => sql.push(&rank_to_the_middle(
            &ws,
            key,
            &format!("{in_window}{}", in_scope("e")),
        )),
    }

    let instant = engine.instant_type();
    let total_row = format!(
        "UNION ALL SELECT 't', CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), \
           CAST(NULL AS TEXT), CAST(NULL AS BIGINT), CAST(NULL AS {instant}), \
           CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), \
           CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS TEXT), low, high \
         FROM total_median"
    );
    let figures = "p.submitted AS submitted, p.approved AS approved, \
           p.rejected AS rejected, p.unenrolled AS unenrolled, p.ineligible AS ineligible, \
           p.daily AS daily, medians.low AS low, medians.high AS high";
    if key.by_revision {
        // Each revision with enrollments in the window, and every instance's current one;
        // the first revision began with the instance.
        sql.push(&format!(
            ", report_rows AS (SELECT instance_id, revision FROM per_instance \
               UNION SELECT id, revision FROM scope) \
             SELECT 'i' AS kind, scope.id AS instance_id, scope.name AS name, \
               scope.status AS status, scope.name_folded AS sort_name, g.revision AS revision, \
               CASE WHEN g.revision = 1 THEN scope.created_at ELSE r.began_at END AS revision_at, \
               {figures} \
             FROM report_rows g JOIN scope ON scope.id = g.instance_id \
               LEFT JOIN per_instance p ON {} \
               LEFT JOIN medians ON {} \
               LEFT JOIN instance_revisions r ON r.workspace_id = {ws} AND {} \
             {total_row}",
            key.matches("p", "g", "revision"),
            key.matches("medians", "g", "revision"),
            key.matches("r", "g", "revision"),
        ));
    } else {
        sql.push(&format!(
            "SELECT 'i' AS kind, scope.id AS instance_id, scope.name AS name, \
               scope.status AS status, scope.name_folded AS sort_name, \
               CAST(NULL AS BIGINT) AS revision, CAST(NULL AS {instant}) AS revision_at, \
               {figures} \
             FROM scope LEFT JOIN per_instance p ON p.instance_id = scope.id \
               LEFT JOIN medians ON medians.instance_id = scope.id \
             {total_row}"
        ));
    }
    sql
}

/// The middle decision times found through a histogram: the bucket that holds the middle
/// (a running sum over the buckets), then a skip along the decision index from that
/// bucket's start, reading that bucket's times only. Over all time (`in_window` empty) the
/// histograms are the stored ones: each instance's coarse one read up to its middle, then
/// the ten fine buckets inside that; within a window the histogram is counted from the
/// window's enrollments. PostgreSQL (`LATERAL`).
fn skip_to_the_middle(
    ws: &str,
    key: RowKey,
    in_window: &str,
    histogram_in_scope: &str,
    decisions_in_scope: &str,
) -> String {
    let middle_from = |start: &str, condition: &str| {
        format!(
            "(SELECT MIN(d) AS low, MAX(d) AS high FROM (SELECT e.decision_micros AS d \
               FROM enrollments e WHERE e.workspace_id = {ws} \
               AND e.decision_micros IS NOT NULL AND e.decision_bucket >= {start}.bucket\
               {condition}{in_window} ORDER BY e.decision_bucket, e.decision_micros \
               OFFSET {start}.skip LIMIT 2 - {start}.n % 2) r) middle"
        )
    };
    let per_instance = middle_from(
        "starts",
        if key.by_revision {
            " AND e.instance_id = starts.instance_id AND e.instance_revision = starts.revision"
        } else {
            " AND e.instance_id = starts.instance_id"
        },
    );
    let across = middle_from("total_start", decisions_in_scope);
    let histogram = if in_window.is_empty() {
        // A row's buckets, in order, each with the decisions up to and including it: an
        // instance's revisions summed, or one revision's.
        let running = |table: &str, range: &str| {
            let (revision, summed, group) = if key.by_revision {
                (" AND h.revision = p.revision", "h.decisions", "")
            } else {
                ("", "CAST(SUM(h.decisions) AS BIGINT)", " GROUP BY h.bucket")
            };
            format!(
                "(SELECT bucket, decisions, SUM(decisions) OVER (ORDER BY bucket \
                   ROWS UNBOUNDED PRECEDING) AS through \
                 FROM (SELECT h.bucket, {summed} AS decisions FROM {table} h \
                   WHERE h.workspace_id = {ws} AND h.instance_id = p.instance_id{revision}{range}\
                   {group}) b ORDER BY bucket) c"
            )
        };
        format!(
            "starts AS (SELECT {}, fine.bucket, fine.skip, p.timed AS n \
               FROM per_instance p \
               CROSS JOIN LATERAL (SELECT c.bucket, \
                 (p.timed - 1) / 2 - (c.through - c.decisions) AS rest \
                 FROM {} \
                 WHERE c.through > (p.timed - 1) / 2 LIMIT 1) coarse \
               CROSS JOIN LATERAL (SELECT c.bucket, \
                 CAST(coarse.rest - (c.through - c.decisions) AS BIGINT) AS skip \
                 FROM {} \
                 WHERE c.through > coarse.rest LIMIT 1) fine \
               WHERE p.timed > 0), \
             total_hist AS (SELECT h.bucket, CAST(SUM(h.decisions) AS BIGINT) AS decisions \
               FROM decision_histogram h WHERE h.workspace_id = {ws}{histogram_in_scope} \
               GROUP BY h.bucket), ",
            key.of("p"),
            running("decision_histogram_coarse", ""),
            running(
                "decision_histogram",
                " AND h.bucket >= coarse.bucket * 10 AND h.bucket < coarse.bucket * 10 + 10"
            ),
        )
    } else {
        let (selected, grouped, group, in_c) = (
            key.selected_from_enrollments(),
            key.of_enrollments(),
            key.bare(),
            key.of("c"),
        );
        format!(
            "hist AS (SELECT {selected}, e.decision_bucket AS bucket, COUNT(*) AS decisions \
               FROM enrollments e WHERE e.workspace_id = {ws} \
               AND e.decision_bucket IS NOT NULL{in_window}{decisions_in_scope} \
               GROUP BY {grouped}, e.decision_bucket), \
             starts AS (SELECT DISTINCT ON ({in_c}) {in_c}, c.bucket, \
                 CAST((p.timed - 1) / 2 - (c.through - c.decisions) AS BIGINT) AS skip, \
                 p.timed AS n \
               FROM (SELECT {group}, bucket, decisions, SUM(decisions) OVER (\
                   PARTITION BY {group} ORDER BY bucket ROWS UNBOUNDED PRECEDING) AS through \
                 FROM hist) c JOIN per_instance p ON {} \
               WHERE c.through > (p.timed - 1) / 2 ORDER BY {in_c}, c.bucket), \
             total_hist AS (SELECT bucket, CAST(SUM(decisions) AS BIGINT) AS decisions \
               FROM hist GROUP BY bucket), ",
            key.matches("p", "c", "revision"),
        )
    };
    format!(
        "{histogram}\
         medians AS (SELECT {}, middle.low, middle.high \
           FROM starts CROSS JOIN LATERAL {per_instance}), \
         total_cum AS (SELECT bucket, decisions, \
           CAST(SUM(decisions) OVER (ORDER BY bucket ROWS UNBOUNDED PRECEDING) AS BIGINT) AS through, \
           CAST(SUM(decisions) OVER () AS BIGINT) AS n FROM total_hist), \
         total_start AS (SELECT bucket, (n - 1) / 2 - (through - decisions) AS skip, n \
           FROM total_cum WHERE through > (n - 1) / 2 ORDER BY bucket LIMIT 1), \
         total_median AS (SELECT middle.low, middle.high \
           FROM total_start CROSS JOIN LATERAL {across}) ",
        key.of("starts"),
    )
}

/// The middle times of the decisions in a window (`in_window` also narrows to the scope),
/// ranked: costs what the window holds. SQLite, which has no `LATERAL`.
fn rank_to_the_middle(ws: &str, key: RowKey, in_window: &str) -> String {
    let (selected, partition, group) = (
        key.selected_from_enrollments(),
        key.of_enrollments(),
        key.bare(),
    );
    format!(
        "ranked AS (SELECT {selected}, e.decision_micros AS d, \
           ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY e.decision_micros) AS place, \
           COUNT(*) OVER (PARTITION BY {partition}) AS n \
         FROM enrollments e \
         WHERE e.workspace_id = {ws} AND e.decision_micros IS NOT NULL{in_window}), \
         medians AS (SELECT {group}, MIN(d) AS low, MAX(d) AS high FROM ranked \
           WHERE {MIDDLE_PLACES} GROUP BY {group}), \
         total_ranked AS (SELECT d, ROW_NUMBER() OVER (ORDER BY d) AS place, \
           COUNT(*) OVER () AS n FROM ranked), \
         total_median AS (SELECT MIN(d) AS low, MAX(d) AS high FROM total_ranked \
           WHERE {MIDDLE_PLACES} HAVING COUNT(*) > 0) "
    )
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

/// `day:enrollments` pairs, in ascending order of day.
fn daily(what: &str, text: Option<&str>) -> Result<Vec<(Day, u64)>, StoreError> {
    let mut days = text
        .unwrap_or_default()
        .split(',')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (day, enrollments) = pair
                .split_once(':')
                .ok_or_else(|| corrupt(what, format!("day {pair}")))?;
            let day = day.parse().map_err(|e| corrupt(what, e))?;
            let enrollments = enrollments.parse().map_err(|e| corrupt(what, e))?;
            Ok((Day(day), enrollments))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    days.sort_unstable();
    Ok(days)
}

fn assemble(mut rows: Vec<ReportRow>) -> Result<ParticipationCounts, StoreError> {
    let what = "participation report";
    rows.sort_by(|a, b| {
        (&a.sort_name, &a.instance_id, a.revision).cmp(&(&b.sort_name, &b.instance_id, b.revision))
    });
    let mut report = ParticipationCounts::default();
    for row in rows {
        if row.kind == "t" {
            report.decision_middle = middle(&row);
            continue;
        }
        let revision = match (row.revision, row.revision_at) {
            (Some(revision), Some(began_at)) => Some(RevisionSpan {
                revision,
                began_at: began_at.0,
            }),
            (None, None) => None,
            (revision, _) => {
                return Err(corrupt(
                    what,
                    format!("no beginning recorded for revision {revision:?}"),
                ));
            }
        };
        report.instances.push(InstanceParticipation {
            id: InstanceId::parse(row.instance_id.as_deref().unwrap_or_default())
                .map_err(|e| corrupt(what, e))?,
            name: row.name.clone().unwrap_or_default(),
            status: row
                .status
                .as_deref()
                .unwrap_or_default()
                .parse()
                .map_err(|e| corrupt(what, e))?,
            revision,
            counts: FunnelCounts {
                submitted: count(what, row.submitted)?,
                approved: count(what, row.approved)?,
                rejected: count(what, row.rejected)?,
                unenrolled: count(what, row.unenrolled)?,
                ineligible: count(what, row.ineligible)?,
            },
            daily: daily(what, row.daily.as_deref())?,
            decision_middle: middle(&row),
        });
    }
    Ok(report)
}

impl<B: Backend> ReportStore for SqlStore<B> {
    fn participation(
        &self,
        workspace: &WorkspaceId,
        scope: &ReportScope,
        window: &Window,
        grouping: ReportGrouping,
    ) -> Result<ParticipationCounts, StoreError> {
        let rows = self.read(|conn| match conn {
            AnyConnection::Postgres(pg) => {
                let engine = Engine::Postgres;
                statement(workspace, scope, window, grouping, engine)
                    .boxed::<Pg>(engine.sigil())
                    .load::<ReportRow>(pg)
            }
            AnyConnection::Sqlite(lite) => {
                let engine = Engine::Sqlite;
                statement(workspace, scope, window, grouping, engine)
                    .boxed::<Sqlite>(engine.sigil())
                    .load::<ReportRow>(lite)
            }
        })?;
        assemble(rows)
    }
}

#[cfg(test)]
mod tests {
    use domain::participation::Window;
    use domain::{InstanceId, ProgramId, Status, Timestamp, WorkspaceId};
    use ports::{ReportGrouping, ReportScope};

    use std::collections::BTreeSet;

    use super::{Engine, statement};

    fn at(text: &str) -> Option<Timestamp> {
        Some(Timestamp::parse(text).unwrap())
    }

    #[test]
    fn every_value_is_bound_and_used_and_sqlite_gets_its_dialect() {
        let ws = WorkspaceId::parse("ws_a").unwrap();
        let scoped = ReportScope {
            program_id: Some(ProgramId::parse("prog_a").unwrap()),
            statuses: Some(vec![Status::Active, Status::Inactive]),
            only_instances: Some(vec![
                InstanceId::parse("c000000000000000000000001").unwrap(),
            ]),
        };
        let windows = [
            Window::default(),
            Window::new(at("2026-01-01T10:00:00Z"), at("2026-02-03T00:00:00Z")),
        ];
        for scope in [ReportScope::default(), scoped] {
            for window in &windows {
                for (engine, grouping) in [
                    (Engine::Postgres, ReportGrouping::Instance),
                    (Engine::Postgres, ReportGrouping::Revision),
                    (Engine::Sqlite, ReportGrouping::Instance),
                    (Engine::Sqlite, ReportGrouping::Revision),
                ] {
                    let sql = statement(&ws, &scope, window, grouping, engine);
                    let used: BTreeSet<usize> = sql
                        .text
                        .split("{}")
                        .skip(1)
                        .map(|rest| {
                            let digits: String =
                                rest.chars().take_while(char::is_ascii_digit).collect();
                            digits.parse().unwrap()
                        })
                        .collect();
                    assert_eq!(used, (1..=sql.values.len()).collect(), "{}", sql.text);
                    let text = sql.with_sigil(engine.sigil());
                    if engine == Engine::Sqlite {
                        assert!(
                            !text.contains("LATERAL") && !text.contains("string_agg"),
                            "{text}"
                        );
                    }
                }
            }
        }
    }
}
