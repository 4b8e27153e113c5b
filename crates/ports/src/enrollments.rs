use domain::{Enrollment, EnrollmentId, EnrollmentStatus, InstanceId, Timestamp, WorkspaceId};

use crate::{Page, StoreError};

/// A position in the newest-first order of enrollments: strictly after this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentCursor {
    pub created_at: Timestamp,
    pub id: EnrollmentId,
}

/// Enrollments, always addressed within one workspace.
pub trait EnrollmentStore: Send + Sync {
    /// # Errors
    /// MUST return `NotFound` when the enrollment's instance does not exist in its workspace.
    fn insert_enrollment(&self, enrollment: &Enrollment) -> Result<(), StoreError>;

    fn enrollment(
        &self,
        workspace: &WorkspaceId,
        id: &EnrollmentId,
    ) -> Result<Option<Enrollment>, StoreError>;

    /// At most `limit` enrollments of the instance with one of `statuses` (all when `None`),
    /// newest first, ties by id descending, strictly after `after`.
    fn list_enrollments(
        &self,
        workspace: &WorkspaceId,
        instance: &InstanceId,
        statuses: Option<&[EnrollmentStatus]>,
        after: Option<&EnrollmentCursor>,
        limit: usize,
    ) -> Result<Page<Enrollment>, StoreError>;

    /// Replaces the stored enrollment, which must be at `expected_version`.
    ///
    /// # Errors
    /// MUST return `VersionConflict` when the stored version differs (nothing written) and
    /// `NotFound` when it is gone.
    fn update_enrollment(
        &self,
        enrollment: &Enrollment,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    /// How many enrollments the instance has in each status, counted by the store in one
    /// query; statuses with none are absent.
    fn count_enrollments(
        &self,
        workspace: &WorkspaceId,
        instance: &InstanceId,
    ) -> Result<Vec<(EnrollmentStatus, u64)>, StoreError>;
}
