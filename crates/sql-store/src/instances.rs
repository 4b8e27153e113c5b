use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use domain::{InstanceEvent, InstanceId, ProgramInstance, Status, WorkspaceId};
use ports::{
    EventRecord, IdempotentAnswer, InstanceCursor, InstanceFilter, InstanceStore, LockedInstance,
    Page, StoreError, StoredEvent,
};

use crate::column_types::{At, JsonText};
use crate::connection::{AnyConnection, TxError};
use crate::idempotency::keep;
use crate::paging::{page_of, rows_to_fetch};
use crate::rows::{InstanceRow, corrupt, read_json};
use crate::schema::{instance_events, program_instances};
use crate::search::contains_pattern;
use crate::store::{Backend, SqlStore};

pub(crate) fn append_events(
    conn: &mut AnyConnection,
    instance: &ProgramInstance,
    events: &[EventRecord],
) -> Result<(), TxError> {
    use instance_events::dsl as ev;
    for record in events {
        diesel::insert_into(ev::instance_events)
            .values((
                ev::workspace_id.eq(instance.workspace_id().as_str()),
                ev::instance_id.eq(instance.id().as_str()),
                ev::kind.eq(record.event.kind()),
                ev::data.eq(JsonText::of(&record.event)?),
                ev::actor_key_id.eq(record.actor.as_ref().map(|id| id.as_str())),
                ev::occurred_at.eq(At(record.occurred_at)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

type EventColumns = (i64, JsonText, Option<String>, At);

fn stored_event(
    (sequence, data, actor, occurred_at): EventColumns,
) -> Result<StoredEvent, StoreError> {
    let what = "event";
    let actor = actor
        .map(|id| domain::ApiKeyId::parse(&id))
        .transpose()
        .map_err(|error| corrupt(what, error))?;
    Ok(StoredEvent {
        sequence,
        record: EventRecord {
            event: read_json::<InstanceEvent>(what, &data)?,
            actor,
            occurred_at: occurred_at.0,
        },
    })
}

impl<B: Backend> InstanceStore for SqlStore<B> {
    fn insert(
        &self,
        instance: &ProgramInstance,
        event: &EventRecord,
        answer: Option<&IdempotentAnswer>,
    ) -> Result<(), StoreError> {
        let row = InstanceRow::from_domain(instance);
        self.write(|conn| {
            if let Some(answer) = answer {
                keep(&self.backend, conn, instance.workspace_id(), answer)?;
            }
            diesel::insert_into(program_instances::table)
                .values(&row)
                .execute(conn)?;
            append_events(conn, instance, std::slice::from_ref(event))
        })
    }

    fn get(
        &self,
        workspace: &WorkspaceId,
        id: &InstanceId,
    ) -> Result<Option<ProgramInstance>, StoreError> {
        self.read(|conn| {
            program_instances::table
                .filter(program_instances::workspace_id.eq(workspace.as_str()))
                .filter(program_instances::id.eq(id.as_str()))
                .select(InstanceRow::as_select())
                .first(conn)
                .optional()
        })?
        .map(InstanceRow::into_domain)
        .transpose()
    }

    fn lock<'s>(
        &'s self,
        workspace: &WorkspaceId,
        id: &InstanceId,
    ) -> Result<Option<Box<dyn LockedInstance + 's>>, StoreError> {
        self.lock_instance(workspace, id)
    }

    fn delete(&self, workspace: &WorkspaceId, id: &InstanceId) -> Result<(), StoreError> {
        let deleted = self.write_statement(|conn| {
            diesel::delete(
                program_instances::table
                    .filter(program_instances::workspace_id.eq(workspace.as_str()))
                    .filter(program_instances::id.eq(id.as_str())),
            )
            .execute(conn)
            .map_err(|error| match error {
                // Enrollments reference the instance without cascading.
                DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                    TxError::Store(StoreError::HasEnrollments)
                }
                other => TxError::Database(other),
            })
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
        let filtered = || {
            let mut query = pi::program_instances
                .filter(pi::workspace_id.eq(workspace.as_str()))
                .select(InstanceRow::as_select())
                .into_boxed();
            if let Some(program_id) = &filter.program_id {
                query = query.filter(pi::program_id.eq(program_id.as_str().to_owned()));
            }
            if let Some(statuses) = &filter.statuses {
                query = query.filter(
                    pi::status.eq_any(statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
                );
            }
            if let Some(slug) = &filter.slug {
                query = query.filter(pi::slug.eq(slug.clone()));
            }
            if let Some(text) = &filter.name_contains {
                query = query.filter(pi::name_folded.like(contains_pattern(text)).escape('\\'));
            }
            if let Some(at) = filter.active_at {
                let at = At(at);
                query = query
                    .filter(pi::status.eq(Status::Active.as_str()))
                    .filter(pi::start_date.is_null().or(pi::start_date.le(at)))
                    .filter(pi::end_date.is_null().or(pi::end_date.ge(at)));
            }
            if let Some(after) = filter.created_after {
                query = query.filter(pi::created_at.gt(At(after)));
            }
            if let Some(before) = filter.created_before {
                query = query.filter(pi::created_at.lt(At(before)));
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
                let at = At(cursor.created_at);
                query = query.filter(
                    pi::created_at.lt(at).or(pi::created_at
                        .eq(at)
                        .and(pi::id.lt(cursor.id.as_str().to_owned()))),
                );
            }
            query
        };
        let rows = self.read(|conn| {
            filtered()
                .order((pi::created_at.desc(), pi::id.desc()))
                .limit(rows_to_fetch(limit))
                .load::<InstanceRow>(conn)
        })?;
        let instances = rows
            .into_iter()
            .map(InstanceRow::into_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page_of(instances, limit))
    }

    fn events(
        &self,
        workspace: &WorkspaceId,
        id: &InstanceId,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Page<StoredEvent>, StoreError> {
        use instance_events::dsl as ev;
        let rows = self.read(|conn| {
            ev::instance_events
                .filter(ev::workspace_id.eq(workspace.as_str()))
                .filter(ev::instance_id.eq(id.as_str()))
                .filter(ev::sequence.gt(after.unwrap_or(0)))
                .order(ev::sequence.asc())
                .limit(rows_to_fetch(limit))
                .select((ev::sequence, ev::data, ev::actor_key_id, ev::occurred_at))
                .load::<EventColumns>(conn)
        })?;
        let events = rows
            .into_iter()
            .map(stored_event)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page_of(events, limit))
    }

    fn ping(&self) -> Result<(), StoreError> {
        SqlStore::ping(self)
    }
}
