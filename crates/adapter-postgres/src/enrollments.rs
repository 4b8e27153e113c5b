use diesel::dsl::{count_star, exists};
use diesel::prelude::*;
use domain::{Enrollment, EnrollmentId, EnrollmentStatus, InstanceId, WorkspaceId};
use ports::records::corrupt;
use ports::{EnrollmentCursor, EnrollmentStore, Page, StoreError};

use crate::PgStore;
use crate::failure::{TxError, translate};
use crate::rows::EnrollmentRow;
use crate::schema::enrollments;

impl EnrollmentStore for PgStore {
    fn insert_enrollment(&self, enrollment: &Enrollment) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        diesel::insert_into(enrollments::table)
            .values(EnrollmentRow::from_domain(enrollment))
            .execute(&mut conn)
            .map(|_| ())
            .map_err(translate)
    }

    fn enrollment(
        &self,
        workspace: &WorkspaceId,
        id: &EnrollmentId,
    ) -> Result<Option<Enrollment>, StoreError> {
        let mut conn = self.conn()?;
        enrollments::table
            .filter(enrollments::workspace_id.eq(workspace.as_str()))
            .filter(enrollments::id.eq(id.as_str()))
            .select(EnrollmentRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(translate)?
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
            let at = cursor.created_at.as_datetime();
            query = query.filter(
                en::created_at.lt(at).or(en::created_at
                    .eq(at)
                    .and(en::id.lt(cursor.id.as_str().to_owned()))),
            );
        }
        let mut conn = self.conn()?;
        let rows = query
            .order((en::created_at.desc(), en::id.desc()))
            .limit(ports::rows_to_fetch(limit))
            .load::<EnrollmentRow>(&mut conn)
            .map_err(translate)?;
        let items = rows
            .into_iter()
            .map(EnrollmentRow::into_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, limit))
    }

    fn update_enrollment(
        &self,
        enrollment: &Enrollment,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let row = EnrollmentRow::from_domain(enrollment);
        let mut conn = self.conn()?;
        conn.transaction::<_, TxError, _>(|conn| {
            let this = enrollments::table
                .filter(enrollments::workspace_id.eq(&row.workspace_id))
                .filter(enrollments::id.eq(&row.id));
            let updated = diesel::update(this.filter(enrollments::version.eq(expected_version)))
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
            Ok(())
        })
        .map_err(StoreError::from)
    }

    fn count_enrollments(
        &self,
        workspace: &WorkspaceId,
        instance: &InstanceId,
    ) -> Result<Vec<(EnrollmentStatus, u64)>, StoreError> {
        let mut conn = self.conn()?;
        let counts: Vec<(String, i64)> = enrollments::table
            .filter(enrollments::workspace_id.eq(workspace.as_str()))
            .filter(enrollments::instance_id.eq(instance.as_str()))
            .group_by(enrollments::status)
            .select((enrollments::status, count_star()))
            .load(&mut conn)
            .map_err(translate)?;
        counts
            .into_iter()
            .map(|(status, count)| {
                let status = status.parse().map_err(|e| corrupt("enrollment", e))?;
                Ok((status, u64::try_from(count).unwrap_or_default()))
            })
            .collect()
    }
}
