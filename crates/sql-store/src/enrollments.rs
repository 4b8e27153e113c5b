use diesel::dsl::count_star;
use diesel::prelude::*;
use domain::{Enrollment, EnrollmentId, EnrollmentStatus, InstanceId, WorkspaceId};
use ports::{
    EnrollmentCursor, EnrollmentStore, Event, IdempotentAnswer, LockedEnrollment, Page, StoreError,
};

use crate::column_types::At;
use crate::events::log;
use crate::idempotency::keep;
use crate::paging::{page_of, rows_to_fetch};
use crate::rows::{EnrollmentRow, corrupt};
use crate::schema::enrollments;
use crate::store::{Backend, SqlStore};
use crate::tallies::recount;

impl<B: Backend> EnrollmentStore for SqlStore<B> {
    fn insert_enrollment(
        &self,
        enrollment: &Enrollment,
        event: &Event,
        answer: Option<&IdempotentAnswer>,
    ) -> Result<(), StoreError> {
        let row = EnrollmentRow::from_domain(enrollment)?;
        self.write(|conn| {
            if let Some(answer) = answer {
                keep(&self.backend, conn, &enrollment.workspace_id, answer)?;
            }
            diesel::insert_into(enrollments::table)
                .values(&row)
                .execute(conn)?;
            log(conn, std::slice::from_ref(event))?;
            // Last, so the tally row is locked only until the commit.
            recount(conn, None, &row)
        })
    }

    fn enrollment(
        &self,
        workspace: &WorkspaceId,
        id: &EnrollmentId,
    ) -> Result<Option<Enrollment>, StoreError> {
        self.read(|conn| {
            enrollments::table
                .filter(enrollments::workspace_id.eq(workspace.as_str()))
                .filter(enrollments::id.eq(id.as_str()))
                .select(EnrollmentRow::as_select())
                .first(conn)
                .optional()
        })?
        .map(EnrollmentRow::into_domain)
        .transpose()
    }

    fn list_enrollments(
        &self,
        workspace: &WorkspaceId,
        instance: &InstanceId,
        statuses: Option<&[EnrollmentStatus]>,
        after: Option<&EnrollmentCursor>,
        limit: usize,
    ) -> Result<Page<Enrollment>, StoreError> {
        use enrollments::dsl as en;
        let filtered = || {
            let mut query = en::enrollments
                .filter(en::workspace_id.eq(workspace.as_str()))
                .filter(en::instance_id.eq(instance.as_str()))
                .select(EnrollmentRow::as_select())
                .into_boxed();
            match statuses {
                // An equality, so that the plan reads the status's ordered index.
                Some([status]) => query = query.filter(en::status.eq(status.as_str())),
                Some(statuses) => {
                    query = query.filter(en::status.eq_any(statuses.iter().map(|s| s.as_str())));
                }
                None => {}
            }
            if let Some(cursor) = after {
                // `created_at <= at` bounds the index scan; the rest only skips the ties.
                let at = At(cursor.created_at);
                query = query.filter(en::created_at.le(at)).filter(
                    en::created_at
                        .lt(at)
                        .or(en::id.lt(cursor.id.as_str().to_owned())),
                );
            }
            query
        };
        let rows = self.read(|conn| {
            filtered()
                .order((en::created_at.desc(), en::id.desc()))
                .limit(rows_to_fetch(limit))
                .load::<EnrollmentRow>(conn)
        })?;
        let items = rows
            .into_iter()
            .map(EnrollmentRow::into_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page_of(items, limit))
    }

    fn lock_enrollment<'s>(
        &'s self,
        workspace: &WorkspaceId,
        id: &EnrollmentId,
    ) -> Result<Option<Box<dyn LockedEnrollment + 's>>, StoreError> {
        self.lock_enrollment_row(workspace, id)
    }

    fn count_enrollments(
        &self,
        workspace: &WorkspaceId,
        instance: &InstanceId,
    ) -> Result<Vec<(EnrollmentStatus, u64)>, StoreError> {
        let counts: Vec<(String, i64)> = self.read(|conn| {
            enrollments::table
                .filter(enrollments::workspace_id.eq(workspace.as_str()))
                .filter(enrollments::instance_id.eq(instance.as_str()))
                .group_by(enrollments::status)
                .select((enrollments::status, count_star()))
                .load(conn)
        })?;
        counts
            .into_iter()
            .map(|(status, count)| {
                let status = status.parse().map_err(|e| corrupt("enrollment", e))?;
                let count = u64::try_from(count).map_err(|e| corrupt("enrollment count", e))?;
                Ok((status, count))
            })
            .collect()
    }
}
