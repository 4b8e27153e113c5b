use domain::{InstanceId, ProgramId, ProgramInstance, Slug, Status, Timestamp, WorkspaceId};

use crate::{Event, IdempotentAnswer, InstanceSnapshot, StoreError};

/// A position in the newest-first order: strictly after this (createdAt, id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceCursor {
    pub created_at: Timestamp,
    pub id: InstanceId,
}

/// Which instances of one workspace to list. Every set field must match.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InstanceFilter {
    pub program_id: Option<ProgramId>,
    /// Any of these statuses; `None` means every status.
    pub statuses: Option<Vec<Status>>,
    pub slug: Option<String>,
    /// Case-insensitive substring of the name.
    pub name_contains: Option<String>,
    /// Accepting enrollments at that instant: active and within [startDate, endDate].
    pub active_at: Option<Timestamp>,
    pub created_after: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
    /// Only these instances (the caller's key is restricted to them).
    pub only_ids: Option<Vec<InstanceId>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

/// An instance locked for a change, inside one write transaction: no other writer changes
/// it until `save` commits or the lock is dropped, which rolls back and writes nothing.
pub trait LockedInstance {
    fn current(&self) -> &ProgramInstance;

    /// The next flip of `acceptingEnrollments` by time that is not yet logged: every flip
    /// before it is. Stored as `next.next_change_at(next.updated_at())` by `insert` and
    /// `save`, moved on by `record_flips`.
    fn next_flip(&self) -> Option<Timestamp>;

    /// Logs the flips that time brought about and keeps `next_flip` as the next one not
    /// yet logged, then commits. The instance itself does not change.
    fn record_flips(
        self: Box<Self>,
        events: &[Event],
        next_flip: Option<Timestamp>,
    ) -> Result<(), StoreError>;

    /// Writes `next` and logs `events`, then commits; the next flip not yet logged becomes
    /// `next.next_change_at(next.updated_at())`.
    ///
    /// # Errors
    /// MUST return `SlugTaken` when the new slug is used (nothing written).
    fn save(self: Box<Self>, next: &ProgramInstance, events: &[Event]) -> Result<(), StoreError>;

    /// Deletes the instance and logs `event`, then commits.
    ///
    /// # Errors
    /// MUST return `HasEnrollments` when enrollments exist (nothing written).
    fn delete(self: Box<Self>, event: &Event) -> Result<(), StoreError>;
}

/// Program instances, always addressed within one workspace.
pub trait InstanceStore: Send + Sync {
    /// Stores a new instance, logs its creation `events` (in order) and, when given, keeps
    /// the idempotent answer that goes with it, atomically.
    ///
    /// # Errors
    /// MUST return `NotFound` when the instance's program is not visible to its workspace,
    /// and `SlugTaken` when the workspace has an instance with the same slug, storing nothing
    /// then; see `IdempotencyStore` for the answer's errors.
    fn insert(
        &self,
        instance: &ProgramInstance,
        events: &[Event],
        answer: Option<&IdempotentAnswer>,
    ) -> Result<(), StoreError>;

    /// The instance with this id in this workspace; `None` for an id of another workspace.
    fn get(
        &self,
        workspace: &WorkspaceId,
        id: &InstanceId,
    ) -> Result<Option<ProgramInstance>, StoreError>;

    /// The instance whose slug this is in the workspace (slugs are unique per workspace,
    /// whatever the status); `None` when the workspace has none.
    fn get_by_slug(
        &self,
        workspace: &WorkspaceId,
        slug: &Slug,
    ) -> Result<Option<ProgramInstance>, StoreError>;

    /// The instance as it is shown (see `InstanceSnapshot`); `None` as for `get`.
    fn snapshot(
        &self,
        workspace: &WorkspaceId,
        id: &InstanceId,
    ) -> Result<Option<InstanceSnapshot>, StoreError>;

    /// Locks the instance for a change; `None` when there is no such instance in the
    /// workspace. Concurrent changes of one instance thus apply one after another.
    fn lock<'s>(
        &'s self,
        workspace: &WorkspaceId,
        id: &InstanceId,
    ) -> Result<Option<Box<dyn LockedInstance + 's>>, StoreError>;

    /// At most `limit` instances matching `filter`, newest `createdAt` first, ties by `id`
    /// descending, strictly after `after`; `has_more` tells whether more follow.
    fn list(
        &self,
        workspace: &WorkspaceId,
        filter: &InstanceFilter,
        after: Option<&InstanceCursor>,
        limit: usize,
    ) -> Result<Page<InstanceSnapshot>, StoreError>;

    /// Instances of any workspace whose next unlogged flip is at or before `now`, soonest
    /// first, at most `limit`. Read without locking: lock each, and check again.
    fn flips_due(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(WorkspaceId, InstanceId)>, StoreError>;

    /// Succeeds when the store answers.
    fn ping(&self) -> Result<(), StoreError>;
}
