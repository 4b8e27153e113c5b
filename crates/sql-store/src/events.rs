//! The event log: appended in the transaction of each change, given positions after commit
//! by the sequencer, read in position order.
//!
//! A serial number taken at insert is not a log position: a transaction that took 7 can
//! commit after one that took 8 was read, and a poller past 8 would never see 7. So writers
//! insert with `log_position` unset, and the sequencer numbers what has committed, in insert
//! order, holding the `event_log_head` row (the last position given) as its lock: one
//! sequencer at a time, each seeing what the one before it numbered. A position, once a
//! reader has seen it, is therefore never given to anything that commits later. Readers run
//! the sequencer before they read, so an event is readable as soon as it commits.

use diesel::dsl::exists;
use diesel::prelude::*;
use domain::{ApiKeyId, EventId, EventType, InstanceId, WorkspaceId};
use ports::{Event, EventFilter, EventLog, LoggedEvent, Page, StoreError};
use serde_json::value::RawValue;

use crate::column_types::{At, JsonText};
use crate::connection::{AnyConnection, MultiBackend, TxError};
use crate::paging::{page_of, rows_to_fetch};
use crate::rows::corrupt;
use crate::schema::{event_log_head, events};
use crate::store::{Backend, SqlStore};

/// How many events one pass of the sequencer numbers at most.
const SEQUENCER_BATCH: usize = 10_000;

/// Appends `events` to the log, unnumbered, inside the caller's write transaction.
pub(crate) fn log(conn: &mut AnyConnection, new: &[Event]) -> Result<(), TxError> {
    use events::dsl as ev;
    for event in new {
        diesel::insert_into(ev::events)
            .values((
                ev::id.eq(event.id.as_str()),
                ev::workspace_id.eq(event.workspace_id.as_str()),
                ev::kind.eq(event.kind.as_str()),
                ev::instance_id.eq(event.instance_id.as_ref().map(InstanceId::as_str)),
                ev::actor_key_id.eq(event.actor.as_ref().map(ApiKeyId::as_str)),
                ev::created_at.eq(At(event.created_at)),
                ev::data.eq(JsonText(event.data.get().to_owned())),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// One pass of the sequencer, inside a write transaction: numbers up to
/// `SEQUENCER_BATCH` committed, unnumbered events in insert order; returns how many.
fn number_committed(conn: &mut AnyConnection) -> Result<usize, TxError> {
    use event_log_head::dsl as head;
    // Taking the head row first makes this the only sequencer until commit; the statements
    // after it see everything the previous sequencer committed.
    diesel::update(head::event_log_head.filter(head::id.eq(1)))
        .set(head::log_position.eq(head::log_position))
        .execute(conn)?;
    let numbered = diesel::sql_query(format!(
        "UPDATE events SET log_position = \
             (SELECT h.log_position FROM event_log_head h WHERE h.id = 1) + pending.rank \
         FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS rank FROM events \
               WHERE log_position IS NULL ORDER BY seq LIMIT {SEQUENCER_BATCH}) AS pending \
         WHERE events.seq = pending.seq"
    ))
    .execute(conn)?;
    if numbered > 0 {
        let advanced = i64::try_from(numbered).map_err(StoreError::unexpected)?;
        diesel::update(head::event_log_head.filter(head::id.eq(1)))
            .set(head::log_position.eq(head::log_position + advanced))
            .execute(conn)?;
    }
    Ok(numbered)
}

pub(crate) type EventColumns = (
    Option<i64>,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    At,
    JsonText,
);

pub(crate) fn logged(
    (position, id, kind, workspace_id, instance_id, actor, created_at, data): EventColumns,
) -> Result<LoggedEvent, StoreError> {
    let what = "event";
    let bad = |error: &dyn std::fmt::Display| corrupt(what, error);
    Ok(LoggedEvent {
        position: position.ok_or_else(|| bad(&"it has no position"))?,
        event: Event {
            id: EventId::parse(&id).map_err(|error| bad(&error))?,
            kind: kind.parse::<EventType>().map_err(|error| bad(&error))?,
            workspace_id: WorkspaceId::parse(&workspace_id).map_err(|error| bad(&error))?,
            instance_id: instance_id
                .map(|id| InstanceId::parse(&id))
                .transpose()
                .map_err(|error| bad(&error))?,
            actor: actor
                .map(|id| ApiKeyId::parse(&id))
                .transpose()
                .map_err(|error| bad(&error))?,
            created_at: created_at.0,
            data: RawValue::from_string(data.0).map_err(|error| bad(&error))?,
        },
    })
}

/// The columns of `EventColumns`, in order.
macro_rules! event_columns {
    () => {
        (
            events::log_position,
            events::id,
            events::kind,
            events::workspace_id,
            events::instance_id,
            events::actor_key_id,
            events::created_at,
            events::data,
        )
    };
}
pub(crate) use event_columns;

fn in_workspace<'a>(
    workspace: &'a WorkspaceId,
) -> events::BoxedQuery<'a, MultiBackend, events::SqlType> {
    events::table
        .filter(events::workspace_id.eq(workspace.as_str()))
        .into_boxed()
}

impl<B: Backend> SqlStore<B> {
    /// Numbers every committed event that has no position yet.
    pub(crate) fn sequence_events(&self) -> Result<(), StoreError> {
        let pending = self.read(|conn| {
            diesel::select(exists(events::table.filter(events::log_position.is_null())))
                .get_result::<bool>(conn)
        })?;
        if !pending {
            return Ok(());
        }
        while self.write(number_committed)? == SEQUENCER_BATCH {}
        Ok(())
    }
}

impl<B: Backend> EventLog for SqlStore<B> {
    fn events(
        &self,
        workspace: &WorkspaceId,
        filter: &EventFilter,
        after: i64,
        limit: usize,
    ) -> Result<Page<LoggedEvent>, StoreError> {
        self.sequence_events()?;
        let rows = self.read(|conn| {
            let mut query = in_workspace(workspace).filter(events::log_position.gt(after));
            if let Some(types) = &filter.types {
                query = query.filter(events::kind.eq_any(types.iter().map(|kind| kind.as_str())));
            }
            if let Some(instance) = &filter.instance_id {
                query = query.filter(events::instance_id.eq(instance.as_str()));
            }
            if let Some(instances) = &filter.only_instances {
                query = query
                    .filter(events::instance_id.eq_any(instances.iter().map(InstanceId::as_str)));
            }
            query
                .order(events::log_position.asc())
                .limit(rows_to_fetch(limit))
                .select(event_columns!())
                .load::<EventColumns>(conn)
        })?;
        let logged = rows
            .into_iter()
            .map(logged)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page_of(logged, limit))
    }

    fn event(
        &self,
        workspace: &WorkspaceId,
        id: &EventId,
    ) -> Result<Option<LoggedEvent>, StoreError> {
        self.sequence_events()?;
        self.read(|conn| {
            in_workspace(workspace)
                .filter(events::id.eq(id.as_str()))
                .filter(events::log_position.is_not_null())
                .select(event_columns!())
                .first::<EventColumns>(conn)
                .optional()
        })?
        .map(logged)
        .transpose()
    }
}
