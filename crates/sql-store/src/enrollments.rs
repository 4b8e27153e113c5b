use diesel::dsl::{count_star, exists};
use diesel::prelude::*;
use domain::{Enrollment, EnrollmentId, EnrollmentStatus, InstanceId, WorkspaceId};
use ports::{EnrollmentCursor, EnrollmentStore, Page, StoreError};

use crate::column_types::At;
use crate::connection::{Backend, SqlStore};
use crate::instances::missed_update;
use crate::paging::{page_of, rows_to_fetch};
use crate::rows::{EnrollmentRow, corrupt};
use crate::schema::enrollments;

impl<B: Backend> EnrollmentStore for SqlStore<B> {
    fn insert_enrollment(&self, enrollment: &Enrollment) -> Result<(), StoreError> {
        let row = EnrollmentRow::from_domain(enrollment)?;
        self.write_statements(|conn| {
            diesel::insert_into(enrollments::table)
                .values(&row)
                .execute(conn)?;
            Ok(())
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
        let mut query = en::enrollments
            .filter(en::workspace_id.eq(workspace.as_str()))
            .filter(en::instance_id.eq(instance.as_str()))
            .select(EnrollmentRow::as_select())
            .into_boxed();
        if let Some(statuses) = statuses {
            query = query
                .filter(en::status.eq_any(statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
        }
        if let Some(cursor) = after {
            let at = At(cursor.created_at);
            query = query.filter(
                en::created_at.lt(at).or(en::created_at
                    .eq(at)
                    .and(en::id.lt(cursor.id.as_str().to_owned()))),
            );
        }
        let rows = self.read(|conn| {
            query
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

    fn update_enrollment(
        &self,
        enrollment: &Enrollment,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let row = EnrollmentRow::from_domain(enrollment)?;
        self.write(|conn| {
            let this = enrollments::table
                .filter(enrollments::workspace_id.eq(&row.workspace_id))
                .filter(enrollments::id.eq(&row.id));
            let updated = diesel::update(this.filter(enrollments::version.eq(expected_version)))
                .set(&row)
                .execute(conn)?;
            if updated == 0 {
                return Err(missed_update(
                    diesel::select(exists(this)).get_result(conn)?,
                ));
            }
            Ok(())
        })
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
