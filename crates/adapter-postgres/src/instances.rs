use diesel::dsl::exists;
use diesel::prelude::*;
use domain::{InstanceId, ProgramInstance, Status, WorkspaceId};
use ports::{
    EventRecord, InstanceCursor, InstanceFilter, InstanceStore, Page, StoreError, StoredEvent,
};
use serde_json::Value;
use time::OffsetDateTime;

use ports::records::{contains_pattern, corrupt};

use crate::PgStore;
use crate::failure::{TxError, translate};
use crate::rows::InstanceRow;
use crate::schema::{instance_events, program_instances};

#[derive(Insertable)]
#[diesel(table_name = instance_events)]
struct NewEventRow<'a> {
    workspace_id: &'a str,
    instance_id: &'a str,
    kind: &'a str,
    data: Value,
    actor_key_id: Option<&'a str>,
    occurred_at: OffsetDateTime,
}

fn append_events(
    conn: &mut PgConnection,
    instance: &ProgramInstance,
    events: &[EventRecord],
) -> QueryResult<()> {
    let rows: Vec<NewEventRow<'_>> = events
        .iter()
        .map(|record| NewEventRow {
            workspace_id: instance.workspace_id().as_str(),
            instance_id: instance.id().as_str(),
            kind: record.event.kind(),
            data: serde_json::to_value(&record.event).unwrap_or(Value::Null),
            actor_key_id: record.actor.as_ref().map(|id| id.as_str()),
            occurred_at: record.occurred_at.as_datetime(),
        })
        .collect();
    diesel::insert_into(instance_events::table)
        .values(&rows)
        .execute(conn)
        .map(|_| ())
}

impl InstanceStore for PgStore {
    fn insert(&self, instance: &ProgramInstance, event: &EventRecord) -> Result<(), StoreError> {
        let row = InstanceRow::from_domain(instance);
        let mut conn = self.conn()?;
        conn.transaction::<_, TxError, _>(|conn| {
            diesel::insert_into(program_instances::table)
                .values(&row)
                .execute(conn)?;
            append_events(conn, instance, std::slice::from_ref(event))?;
            Ok(())
        })
        .map_err(StoreError::from)
    }

    fn get(
        &self,
        workspace: &WorkspaceId,
        id: &InstanceId,
    ) -> Result<Option<ProgramInstance>, StoreError> {
        let mut conn = self.conn()?;
        program_instances::table
            .filter(program_instances::workspace_id.eq(workspace.as_str()))
            .filter(program_instances::id.eq(id.as_str()))
            .select(InstanceRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(translate)?
            .map(InstanceRow::into_domain)
            .transpose()
    }

    fn update(
        &self,
        instance: &ProgramInstance,
        expected_version: i64,
        events: &[EventRecord],
    ) -> Result<(), StoreError> {
        let row = InstanceRow::from_domain(instance);
        let mut conn = self.conn()?;
        conn.transaction::<_, TxError, _>(|conn| {
            let this = program_instances::table
                .filter(program_instances::workspace_id.eq(&row.workspace_id))
                .filter(program_instances::id.eq(&row.id));
            let updated =
                diesel::update(this.filter(program_instances::version.eq(expected_version)))
                    .set(&row)
                    .execute(conn)?;
            if updated == 0 {
                let still_there = diesel::select(exists(this)).get_result::<bool>(conn)?;
                return Err(TxError::Store(if still_there {
                    StoreError::VersionConflict
                } else {
                    StoreError::NotFound
                }));
            }
            append_events(conn, instance, events)?;
            Ok(())
        })
        .map_err(StoreError::from)
    }

    fn delete(&self, workspace: &WorkspaceId, id: &InstanceId) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let deleted = diesel::delete(
            program_instances::table
                .filter(program_instances::workspace_id.eq(workspace.as_str()))
                .filter(program_instances::id.eq(id.as_str())),
        )
        .execute(&mut conn)
        .map_err(|error| match error {
            // Enrollments reference the instance without cascading.
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                _,
            ) => StoreError::HasEnrollments,
            other => translate(other),
        })?;
        if deleted == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    fn list(
        &self,
        workspace: &WorkspaceId,
        filter: &InstanceFilter,
        after: Option<&InstanceCursor>,
        limit: usize,
    ) -> Result<Page<ProgramInstance>, StoreError> {
        use program_instances::dsl as pi;
        let mut query = pi::program_instances
            .filter(pi::workspace_id.eq(workspace.as_str()))
            .select(InstanceRow::as_select())
            .into_boxed();
        if let Some(program_id) = &filter.program_id {
            query = query.filter(pi::program_id.eq(program_id.as_str().to_owned()));
        }
        if let Some(statuses) = &filter.statuses {
            query = query
                .filter(pi::status.eq_any(statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
        }
        if let Some(slug) = &filter.slug {
            query = query.filter(pi::slug.eq(slug.clone()));
        }
        if let Some(text) = &filter.name_contains {
            query = query.filter(pi::name_folded.like(contains_pattern(text)).escape('\\'));
        }
        if let Some(at) = filter.active_at {
            let at = at.as_datetime();
            query = query
                .filter(pi::status.eq(Status::Active.as_str()))
                .filter(pi::start_date.is_null().or(pi::start_date.le(at)))
                .filter(pi::end_date.is_null().or(pi::end_date.ge(at)));
        }
        if let Some(after) = filter.created_after {
            query = query.filter(pi::created_at.gt(after.as_datetime()));
        }
        if let Some(before) = filter.created_before {
            query = query.filter(pi::created_at.lt(before.as_datetime()));
        }
        if let Some(ids) = &filter.only_ids {
            query = query.filter(
                pi::id.eq_any(
                    ids.iter()
                        .map(|id| id.as_str().to_owned())
                        .collect::<Vec<_>>(),
                ),
            );
        }
        if let Some(cursor) = after {
            let at = cursor.created_at.as_datetime();
            query = query.filter(
                pi::created_at.lt(at).or(pi::created_at
                    .eq(at)
                    .and(pi::id.lt(cursor.id.as_str().to_owned()))),
            );
        }
        let mut conn = self.conn()?;
        let rows = query
            .order((pi::created_at.desc(), pi::id.desc()))
            .limit(ports::rows_to_fetch(limit))
            .load::<InstanceRow>(&mut conn)
            .map_err(translate)?;
        let instances = rows
            .into_iter()
            .map(InstanceRow::into_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(instances, limit))
    }

    fn events(
        &self,
        workspace: &WorkspaceId,
        id: &InstanceId,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Page<StoredEvent>, StoreError> {
        use instance_events::dsl as ev;
        let mut conn = self.conn()?;
        let rows = ev::instance_events
            .filter(ev::workspace_id.eq(workspace.as_str()))
            .filter(ev::instance_id.eq(id.as_str()))
            .filter(ev::sequence.gt(after.unwrap_or(0)))
            .order(ev::sequence.asc())
            .limit(ports::rows_to_fetch(limit))
            .select((
                ev::sequence,
                ev::kind,
                ev::data,
                ev::actor_key_id,
                ev::occurred_at,
            ))
            .load::<(i64, String, Value, Option<String>, OffsetDateTime)>(&mut conn)
            .map_err(translate)?;
        let events = rows
            .into_iter()
            .map(|(sequence, kind, data, actor, occurred_at)| {
                let actor = actor
                    .map(|id| domain::ApiKeyId::parse(&id))
                    .transpose()
                    .map_err(|e| corrupt("event", e))?;
                Ok(StoredEvent {
                    sequence,
                    kind,
                    data,
                    actor,
                    occurred_at: domain::Timestamp::from_datetime(occurred_at),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Page::from_rows(events, limit))
    }

    fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .map(|_| ())
            .map_err(|error| StoreError::Unavailable(Box::new(error)))
    }
}
