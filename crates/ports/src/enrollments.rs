use domain::{Enrollment, EnrollmentId, EnrollmentStatus, InstanceId, Timestamp, WorkspaceId};

use crate::{Event, IdempotentAnswer, Page, StoreError};

/// A position in the newest-first order of enrollments: strictly after this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentCursor {
    pub created_at: Timestamp,
    pub id: EnrollmentId,
}

/// An enrollment locked for a change, inside one write transaction: no other writer changes
/// it until `save` commits or the lock is dropped, which rolls back and writes nothing.
pub trait LockedEnrollment {
    fn current(&self) -> &Enrollment;

    /// Writes `next` and logs `event`, then commits.
    fn save(self: Box<Self>, next: &Enrollment, event: &Event) -> Result<(), StoreError>;
}

/// Enrollments, always addressed within one workspace.
pub trait EnrollmentStore: Send + Sync {
    /// Stores a new enrollment, logs `event` and, when given, keeps the idempotent answer
    /// that goes with it, atomically.
    ///
    /// # Errors
    /// MUST return `NotFound` when the enrollment's instance does not exist in its workspace;
    /// see `IdempotencyStore` for the answer's errors.
    fn insert_enrollment(
        &self,
        enrollment: &Enrollment,
        event: &Event,
        answer: Option<&IdempotentAnswer>,
    ) -> Result<(), StoreError>;

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

    /// Locks the enrollment for a change; `None` when there is no such enrollment in the
    /// workspace.
    fn lock_enrollment<'s>(
        &'s self,
        workspace: &WorkspaceId,
        id: &EnrollmentId,
    ) -> Result<Option<Box<dyn LockedEnrollment + 's>>, StoreError>;

    /// How many enrollments the instance has in each status, counted by the store in one
    /// query; statuses with none are absent.
    fn count_enrollments(
        &self,
        workspace: &WorkspaceId,
        instance: &InstanceId,
    ) -> Result<Vec<(EnrollmentStatus, u64)>, StoreError>;
}
