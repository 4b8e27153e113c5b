//! Records locked for a change: a write transaction held open while the application
//! decides, so concurrent changes of one record apply one after another.

use std::sync::MutexGuard;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use domain::WebhookEndpointId;
use domain::webhook::endpoint::WebhookEndpoint;
use domain::{Enrollment, EnrollmentId, InstanceId, ProgramInstance, Timestamp, WorkspaceId};
use ports::{Event, LockedEndpoint, LockedEnrollment, LockedInstance, StoreError};

use crate::column_types::At;
use crate::connection::{AnyConnection, TxError, begin, commit, rollback};
use crate::events::log;
use crate::rows::{EnrollmentRow, InstanceRow};
use crate::schema::{enrollments, instance_revisions, program_instances, webhook_endpoints};
use crate::store::{Backend, Pooled, SqlStore};
use crate::tallies::recount;
use crate::webhook_rows::EndpointRow;

/// A row read inside an open write transaction, which commits on `finish` and rolls back
/// when dropped unfinished.
pub(crate) struct Lock<'s, B, T> {
    store: &'s SqlStore<B>,
    conn: Pooled,
    _turn: Option<MutexGuard<'s, ()>>,
    current: T,
    open: bool,
}

impl<'s, B: Backend, T> Lock<'s, B, T> {
    /// Begins a write transaction and reads the record with `read`; `None` (and nothing
    /// held) when there is none. A connection lost before the transaction began is
    /// replaced.
    fn take(
        store: &'s SqlStore<B>,
        mut read: impl FnMut(&mut AnyConnection) -> Result<Option<T>, TxError>,
    ) -> Result<Option<Self>, StoreError> {
        let turn = store.backend.writer_turn();
        let mut left = store.pool.max_size() + 1;
        loop {
            let mut conn = store.connection()?;
            if let Err(error) = begin(&mut conn.conn, B::BEGIN) {
                store.note(&mut conn, &error);
                if left > 1 && store.lost(&error) {
                    left -= 1;
                    continue;
                }
                return Err(store.failure(error));
            }
            return match read(&mut conn.conn) {
                Ok(Some(current)) => Ok(Some(Lock {
                    store,
                    conn,
                    _turn: turn,
                    current,
                    open: true,
                })),
                Ok(None) => {
                    rollback(&mut conn.conn);
                    Ok(None)
                }
                Err(error) => {
                    store.note(&mut conn, &error);
                    rollback(&mut conn.conn);
                    Err(store.failure(error))
                }
            };
        }
    }

    /// Runs the writes of the change and commits.
    fn finish(
        mut self,
        write: impl FnOnce(&mut AnyConnection) -> Result<(), TxError>,
    ) -> Result<(), StoreError> {
        let outcome = write(&mut self.conn.conn).and_then(|()| commit(&mut self.conn.conn));
        match outcome {
            Ok(()) => {
                self.open = false;
                Ok(())
            }
            Err(error) => {
                self.store.note(&mut self.conn, &error);
                Err(self.store.failure(error))
            }
        }
    }
}

impl<B, T> Drop for Lock<'_, B, T> {
    fn drop(&mut self) {
        if self.open {
            rollback(&mut self.conn.conn);
        }
    }
}

/// The row is locked until the transaction ends; where write transactions run one at a
/// time (SQLite's `BEGIN IMMEDIATE`), reading it is enough, and `FOR UPDATE` does not exist.
macro_rules! read_for_update {
    ($conn:expr, $query:expr) => {
        match $conn {
            AnyConnection::Postgres(pg) => $query.for_update().first(pg).optional(),
            AnyConnection::Sqlite(lite) => $query.first(lite).optional(),
        }
    };
}

/// A locked instance with what its row keeps beside it.
pub(crate) struct StoredInstance {
    instance: ProgramInstance,
    next_flip: Option<Timestamp>,
}

/// The update of a locked row changed nothing: only a bug can do that.
fn lock_broken(what: &str) -> TxError {
    TxError::Store(StoreError::unexpected(format!(
        "the locked {what} was changed by someone else"
    )))
}

impl<'s, B: Backend> SqlStore<B> {
    pub(crate) fn lock_instance(
        &'s self,
        workspace: &WorkspaceId,
        id: &InstanceId,
    ) -> Result<Option<Box<dyn LockedInstance + 's>>, StoreError> {
        let locked = Lock::take(self, |conn| {
            let row: Option<InstanceRow> = read_for_update!(
                conn,
                program_instances::table
                    .filter(program_instances::workspace_id.eq(workspace.as_str()))
                    .filter(program_instances::id.eq(id.as_str()))
                    .select(InstanceRow::as_select())
            )?;
            let Some(row) = row else {
                return Ok(None);
            };
            let next_flip = row.next_flip_at.map(|at| at.0);
            Ok(Some(StoredInstance {
                instance: row.into_domain()?,
                next_flip,
            }))
        })?;
        Ok(locked.map(|lock| Box::new(lock) as Box<dyn LockedInstance + 's>))
    }

    pub(crate) fn lock_enrollment_row(
        &'s self,
        workspace: &WorkspaceId,
        id: &EnrollmentId,
    ) -> Result<Option<Box<dyn LockedEnrollment + 's>>, StoreError> {
        let locked = Lock::take(self, |conn| {
            let row: Option<EnrollmentRow> = read_for_update!(
                conn,
                enrollments::table
                    .filter(enrollments::workspace_id.eq(workspace.as_str()))
                    .filter(enrollments::id.eq(id.as_str()))
                    .select(EnrollmentRow::as_select())
            )?;
            Ok(row.map(EnrollmentRow::into_domain).transpose()?)
        })?;
        Ok(locked.map(|lock| Box::new(lock) as Box<dyn LockedEnrollment + 's>))
    }
}

impl<'s, B: Backend> SqlStore<B> {
    pub(crate) fn lock_endpoint_row(
        &'s self,
        workspace: &WorkspaceId,
        id: &WebhookEndpointId,
    ) -> Result<Option<Box<dyn LockedEndpoint + 's>>, StoreError> {
        let locked = Lock::take(self, |conn| {
            let row: Option<EndpointRow> = read_for_update!(
                conn,
                webhook_endpoints::table
                    .filter(webhook_endpoints::workspace_id.eq(workspace.as_str()))
                    .filter(webhook_endpoints::id.eq(id.as_str()))
                    .select(EndpointRow::as_select())
            )?;
            Ok(row.map(EndpointRow::into_domain).transpose()?)
        })?;
        Ok(locked.map(|lock| Box::new(lock) as Box<dyn LockedEndpoint + 's>))
    }
}

impl<B: Backend> LockedEndpoint for Lock<'_, B, WebhookEndpoint> {
    fn current(&self) -> &WebhookEndpoint {
        &self.current
    }

    fn save(self: Box<Self>, next: &WebhookEndpoint) -> Result<(), StoreError> {
        let row = EndpointRow::from_domain(next)?;
        self.finish(|conn| {
            diesel::update(
                webhook_endpoints::table
                    .filter(webhook_endpoints::workspace_id.eq(&row.workspace_id))
                    .filter(webhook_endpoints::id.eq(&row.id)),
            )
            .set(&row)
            .execute(conn)?;
            Ok(())
        })
    }

    fn delete(self: Box<Self>) -> Result<(), StoreError> {
        let workspace = self.current.workspace_id.to_string();
        let id = self.current.id.to_string();
        self.finish(|conn| {
            diesel::delete(
                webhook_endpoints::table
                    .filter(webhook_endpoints::workspace_id.eq(&workspace))
                    .filter(webhook_endpoints::id.eq(&id)),
            )
            .execute(conn)?;
            Ok(())
        })
    }
}

impl<B: Backend> LockedInstance for Lock<'_, B, StoredInstance> {
    fn current(&self) -> &ProgramInstance {
        &self.current.instance
    }

    fn next_flip(&self) -> Option<Timestamp> {
        self.current.next_flip
    }

    fn record_flips(
        self: Box<Self>,
        events: &[Event],
        next_flip: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let workspace = self.current.instance.workspace_id().to_string();
        let id = self.current.instance.id().to_string();
        self.finish(|conn| {
            diesel::update(
                program_instances::table
                    .filter(program_instances::workspace_id.eq(&workspace))
                    .filter(program_instances::id.eq(&id)),
            )
            .set(program_instances::next_flip_at.eq(next_flip.map(At)))
            .execute(conn)?;
            log(conn, events)
        })
    }

    fn save(self: Box<Self>, next: &ProgramInstance, events: &[Event]) -> Result<(), StoreError> {
        let row = InstanceRow::from_domain(next)?;
        let locked_version = self.current.instance.version();
        let revised = next.revision() != self.current.instance.revision();
        self.finish(|conn| {
            let this = program_instances::table
                .filter(program_instances::workspace_id.eq(&row.workspace_id))
                .filter(program_instances::id.eq(&row.id))
                .filter(program_instances::version.eq(locked_version));
            if diesel::update(this).set(&row).execute(conn)? == 0 {
                return Err(lock_broken("instance"));
            }
            if revised {
                diesel::insert_into(instance_revisions::table)
                    .values((
                        instance_revisions::workspace_id.eq(&row.workspace_id),
                        instance_revisions::instance_id.eq(&row.id),
                        instance_revisions::revision.eq(row.revision),
                        instance_revisions::began_at.eq(row.updated_at),
                    ))
                    .execute(conn)?;
            }
            log(conn, events)
        })
    }

    fn delete(self: Box<Self>, event: &Event) -> Result<(), StoreError> {
        let workspace = self.current.instance.workspace_id().clone();
        let id = self.current.instance.id().clone();
        self.finish(|conn| {
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
            })?;
            log(conn, std::slice::from_ref(event))
        })
    }
}

impl<B: Backend> LockedEnrollment for Lock<'_, B, Enrollment> {
    fn current(&self) -> &Enrollment {
        &self.current
    }

    fn save(self: Box<Self>, next: &Enrollment, event: &Event) -> Result<(), StoreError> {
        let row = EnrollmentRow::from_domain(next)?;
        let was = EnrollmentRow::from_domain(&self.current)?;
        let locked_version = self.current.version;
        self.finish(|conn| {
            let this = enrollments::table
                .filter(enrollments::workspace_id.eq(&row.workspace_id))
                .filter(enrollments::id.eq(&row.id))
                .filter(enrollments::version.eq(locked_version));
            if diesel::update(this).set(&row).execute(conn)? == 0 {
                return Err(lock_broken("enrollment"));
            }
            log(conn, std::slice::from_ref(event))?;
            // Last, so the tally row is locked only until the commit.
            recount(conn, Some(&was), &row)
        })
    }
}
