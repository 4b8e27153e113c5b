use diesel::pg::PgConnection;
use diesel::prelude::*;
use domain::{ApiKeyId, InstanceId, ProgramInstance, Slug, Status, Timestamp, WorkspaceId, Zone};
use ports::{
    Event, IdempotentAnswer, InstanceCursor, InstanceFilter, InstanceSnapshot, InstanceStore,
    LockedInstance, Page, StoreError,
};

use crate::catalog::visible_to;
use crate::column_types::{At, Document, Instant};
use crate::connection::{AnyConnection, MultiBackend, TxError};
use crate::events::log;
use crate::idempotency::keep;
use crate::paging::{page_of, rows_to_fetch};
use crate::rows::{InstanceRow, corrupt, parsed};
use crate::schema::program_instances;
use crate::search::contains_pattern;
use crate::store::{Backend, SqlStore};

/// A new instance of a program visible to its workspace, with its creation events, in one
/// statement (one round trip, atomic by itself): what a create costs on PostgreSQL, where a
/// statement may insert into two tables. `false` when the program is not visible.
///
/// The events of one create share their actor and time; they go in as arrays, inserted in
/// their order (the log's insert order is its order).
fn create_in_one_statement(
    conn: &mut PgConnection,
    row: &InstanceRow,
    events: &[Event],
) -> QueryResult<bool> {
    use diesel::sql_types::{Array, BigInt, Nullable, Text};

    let Some(first) = events.first() else {
        return Err(diesel::result::Error::QueryBuilderError(
            "a create logs at least one event".into(),
        ));
    };

    const CREATE: &str = "
        WITH visible AS (
            SELECT p.id FROM programs p
            WHERE p.id = $3 AND (p.visibility = 'public' OR EXISTS (
                SELECT 1 FROM program_shares s WHERE s.program_id = p.id AND s.workspace_id = $1))
        ), instance AS (
            INSERT INTO program_instances (workspace_id, id, program_id, name, name_folded,
                description, slug, logo_url, eligibility_criteria, custom_terms, form_config,
                start_date, end_date, status, metadata, version, created_at, updated_at,
                time_zone, seasons, season_days, next_flip_at, revision, copied_from)
            SELECT $1, $2, visible.id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                $16, $17, $18, $24, $25, $26, $27, $28, $29
            FROM visible
            RETURNING workspace_id, id
        )
        INSERT INTO events (id, workspace_id, kind, instance_id, actor_key_id, created_at, data)
        SELECT logged.id, instance.workspace_id, logged.kind, instance.id, $21, $22,
            logged.data::json
        FROM instance, unnest($19::text[], $20::text[], $23::text[])
            WITH ORDINALITY AS logged (id, kind, data, n)
        ORDER BY logged.n";
    let inserted = diesel::sql_query(CREATE)
        .bind::<Text, _>(&row.workspace_id)
        .bind::<Text, _>(&row.id)
        .bind::<Text, _>(&row.program_id)
        .bind::<Text, _>(&row.name)
        .bind::<Text, _>(&row.name_folded)
        .bind::<Nullable<Text>, _>(&row.description)
        .bind::<Text, _>(&row.slug)
        .bind::<Nullable<Text>, _>(&row.logo_url)
        .bind::<Nullable<Document>, _>(&row.eligibility_criteria)
        .bind::<Nullable<Text>, _>(&row.custom_terms)
        .bind::<Nullable<Document>, _>(&row.form_config)
        .bind::<Nullable<Instant>, _>(&row.start_date)
        .bind::<Nullable<Instant>, _>(&row.end_date)
        .bind::<Text, _>(&row.status)
        .bind::<Nullable<Document>, _>(&row.metadata)
        .bind::<BigInt, _>(row.version)
        .bind::<Instant, _>(row.created_at)
        .bind::<Instant, _>(row.updated_at)
        .bind::<Array<Text>, _>(events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>())
        .bind::<Nullable<Text>, _>(first.actor.as_ref().map(ApiKeyId::as_str))
        .bind::<Instant, _>(At(first.created_at))
        .bind::<Array<Text>, _>(events.iter().map(|e| e.data.get()).collect::<Vec<_>>())
        .bind::<Text, _>(&row.time_zone)
        .bind::<Nullable<Document>, _>(&row.seasons)
        .bind::<Nullable<Text>, _>(&row.season_days)
        .bind::<Nullable<Instant>, _>(&row.next_flip_at)
        .bind::<BigInt, _>(row.revision)
        .bind::<Nullable<Text>, _>(&row.copied_from)
        .execute(conn)?;
    Ok(inserted == events.len())
}

/// The instances of the workspace that `filter` (and `status`, when given) selects, after
/// the cursor, newest first.
///
/// `days_by_zone` gives, for `activeAt`, the day of the year (`MonthDay::ordinal`) that
/// instant falls on in each zone of the workspace's seasonal instances.
fn newest_first<'a>(
    workspace: &'a WorkspaceId,
    filter: &'a InstanceFilter,
    status: Option<Status>,
    after: Option<&'a InstanceCursor>,
    days_by_zone: &'a [(String, i32)],
) -> program_instances::BoxedQuery<'a, MultiBackend, program_instances::SqlType> {
    use program_instances::dsl as pi;
    let mut query = pi::program_instances
        .filter(pi::workspace_id.eq(workspace.as_str()))
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(pi::status.eq(status.as_str()));
    }
    if let Some(program_id) = &filter.program_id {
        query = query.filter(pi::program_id.eq(program_id.as_str()));
    }
    if let Some(slug) = &filter.slug {
        query = query.filter(pi::slug.eq(slug.as_str()));
    }
    if let Some(text) = &filter.name_contains {
        query = query.filter(pi::name_folded.like(contains_pattern(text)).escape('\\'));
    }
    if let Some(at) = filter.active_at {
        let at = At(at);
        query = query
            .filter(pi::status.eq(Status::Active.as_str()))
            .filter(pi::start_date.is_null().or(pi::start_date.le(at)))
            .filter(pi::end_date.is_null().or(pi::end_date.ge(at)))
            .filter(in_season(days_by_zone));
    }
    if let Some(after) = filter.created_after {
        query = query.filter(pi::created_at.gt(At(after)));
    }
    if let Some(before) = filter.created_before {
        query = query.filter(pi::created_at.lt(At(before)));
    }
    if let Some(ids) = &filter.only_ids {
        query = query.filter(pi::id.eq_any(ids.iter().map(InstanceId::as_str)));
    }
    if let Some(cursor) = after {
        // `created_at <= at` bounds the index scan, so a deep page starts where the cursor
        // is instead of skipping every row before it; the rest only skips the ties.
        let at = At(cursor.created_at);
        query = query
            .filter(pi::created_at.le(at))
            .filter(pi::created_at.lt(at).or(pi::id.lt(cursor.id.as_str())));
    }
    query.order((pi::created_at.desc(), pi::id.desc()))
}

/// Without seasons, or with the day an instant falls on in the row's zone inside one: the
/// character of `season_days` at that day's place is `1`. The day of each zone was worked
/// out before the query, so no row converts a time. The zones are written into the SQL:
/// they are names from the IANA database (letters, digits, `/`, `_`, `+`, `-`), checked
/// when they were stored and again when read (`Zone::parse`), quoted all the same.
fn in_season(
    days_by_zone: &[(String, i32)],
) -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    if days_by_zone.is_empty() {
        return diesel::dsl::sql("season_days IS NULL");
    }
    let cases: String = days_by_zone
        .iter()
        .map(|(zone, ordinal)| format!(" WHEN '{}' THEN {ordinal}", zone.replace('\'', "''")))
        .collect();
    diesel::dsl::sql(&format!(
        "(season_days IS NULL OR substr(season_days, CASE time_zone{cases} ELSE 0 END, 1) = '1')"
    ))
}

/// The zones of the workspace's seasonal instances.
fn season_zones(conn: &mut AnyConnection, workspace: &WorkspaceId) -> QueryResult<Vec<String>> {
    use program_instances::dsl as pi;
    pi::program_instances
        .filter(pi::workspace_id.eq(workspace.as_str()))
        .filter(pi::season_days.is_not_null())
        .select(pi::time_zone)
        .distinct()
        .load(conn)
}

/// Each zone with the day (`MonthDay::ordinal`) `at` falls on there.
fn days_at(zones: Vec<String>, at: domain::Timestamp) -> Result<Vec<(String, i32)>, StoreError> {
    zones
        .into_iter()
        .map(|name| {
            let zone = parsed("program instance", Zone::parse(&name))?;
            let ordinal = i32::try_from(zone.local_day(at).ordinal())
                .map_err(|error| corrupt("day of the year", error))?;
            Ok((name, ordinal))
        })
        .collect()
}

impl<B: Backend> SqlStore<B> {
    fn row_by_id(
        &self,
        workspace: &WorkspaceId,
        id: &InstanceId,
    ) -> Result<Option<InstanceRow>, StoreError> {
        self.read(|conn| {
            program_instances::table
                .filter(program_instances::workspace_id.eq(workspace.as_str()))
                .filter(program_instances::id.eq(id.as_str()))
                .select(InstanceRow::as_select())
                .first(conn)
                .optional()
        })
    }
}

impl<B: Backend> InstanceStore for SqlStore<B> {
    fn insert(
        &self,
        instance: &ProgramInstance,
        events: &[Event],
        answer: Option<&IdempotentAnswer>,
    ) -> Result<(), StoreError> {
        let row = InstanceRow::from_domain(instance)?;
        let not_visible = || TxError::Store(StoreError::NotFound);
        let one_actor_and_time = events
            .windows(2)
            .all(|pair| pair[0].actor == pair[1].actor && pair[0].created_at == pair[1].created_at);
        if answer.is_none() && !events.is_empty() && one_actor_and_time {
            let done = self.write_statement(|conn| match conn {
                AnyConnection::Postgres(pg) => {
                    let inserted = create_in_one_statement(pg, &row, events)?;
                    if inserted {
                        Ok(true)
                    } else {
                        Err(not_visible())
                    }
                }
                AnyConnection::Sqlite(_) => Ok(false),
            })?;
            if done {
                return Ok(());
            }
        }
        self.write(|conn| {
            if let Some(answer) = answer {
                keep(&self.backend, conn, instance.workspace_id(), answer)?;
            }
            if !visible_to(conn, instance.workspace_id(), instance.program_id())? {
                return Err(not_visible());
            }
            diesel::insert_into(program_instances::table)
                .values(&row)
                .execute(conn)?;
            log(conn, events)
        })
    }

    fn get(
        &self,
        workspace: &WorkspaceId,
        id: &InstanceId,
    ) -> Result<Option<ProgramInstance>, StoreError> {
        self.row_by_id(workspace, id)?
            .map(InstanceRow::into_domain)
            .transpose()
    }

    fn get_by_slug(
        &self,
        workspace: &WorkspaceId,
        slug: &Slug,
    ) -> Result<Option<ProgramInstance>, StoreError> {
        self.read(|conn| {
            program_instances::table
                .filter(program_instances::workspace_id.eq(workspace.as_str()))
                .filter(program_instances::slug.eq(slug.as_str()))
                .select(InstanceRow::as_select())
                .first(conn)
                .optional()
        })?
        .map(InstanceRow::into_domain)
        .transpose()
    }

    fn snapshot(
        &self,
        workspace: &WorkspaceId,
        id: &InstanceId,
    ) -> Result<Option<InstanceSnapshot>, StoreError> {
        self.row_by_id(workspace, id)?
            .map(InstanceRow::into_snapshot)
            .transpose()
    }

    fn lock<'s>(
        &'s self,
        workspace: &WorkspaceId,
        id: &InstanceId,
    ) -> Result<Option<Box<dyn LockedInstance + 's>>, StoreError> {
        self.lock_instance(workspace, id)
    }

    /// Every plan reads the newest-first index that matches its equality filters, in order,
    /// and stops after a page, however big the workspace and whatever the planner's
    /// statistics say: a status is an equality (never `= ANY`), and several statuses are
    /// read one by one and merged here, in order.
    fn list(
        &self,
        workspace: &WorkspaceId,
        filter: &InstanceFilter,
        after: Option<&InstanceCursor>,
        limit: usize,
    ) -> Result<Page<InstanceSnapshot>, StoreError> {
        let mut statuses: Vec<Option<Status>> = match &filter.statuses {
            None => vec![None],
            Some(statuses) => statuses.iter().copied().map(Some).collect(),
        };
        statuses.sort_by_key(|status| status.map(Status::as_str));
        statuses.dedup();
        if statuses.len() == Status::ALL.len() {
            statuses = vec![None];
        }
        let days_by_zone = match filter.active_at {
            Some(at) => days_at(self.read(|conn| season_zones(conn, workspace))?, at)?,
            None => Vec::new(),
        };
        let mut rows = Vec::new();
        for status in statuses {
            rows.extend(self.read(|conn| {
                newest_first(workspace, filter, status, after, &days_by_zone)
                    .limit(rows_to_fetch(limit))
                    .load::<InstanceRow>(conn)
            })?);
        }
        // Merged newest first (each status's rows already are).
        rows.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        rows.truncate(limit.saturating_add(1));
        let instances = rows
            .into_iter()
            .map(InstanceRow::into_snapshot)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page_of(instances, limit))
    }

    fn flips_due(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(WorkspaceId, InstanceId)>, StoreError> {
        let limit = i64::try_from(limit).map_err(StoreError::unexpected)?;
        let rows = self.read(|conn| {
            program_instances::table
                .filter(program_instances::next_flip_at.le(At(now)))
                .order(program_instances::next_flip_at.asc())
                .limit(limit)
                .select((program_instances::workspace_id, program_instances::id))
                .load::<(String, String)>(conn)
        })?;
        let what = "program instance";
        rows.into_iter()
            .map(|(workspace, id)| {
                Ok((
                    parsed(what, WorkspaceId::parse(&workspace))?,
                    parsed(what, InstanceId::parse(&id))?,
                ))
            })
            .collect()
    }

    fn ping(&self) -> Result<(), StoreError> {
        SqlStore::ping(self)
    }
}
