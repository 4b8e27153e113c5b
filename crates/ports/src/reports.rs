use domain::participation::{Day, FunnelCounts, Window};
use domain::{InstanceId, ProgramId, Status, Timestamp, WorkspaceId};

use crate::StoreError;

/// Which of a workspace's instances a report covers: those matching every given filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportScope {
    pub program_id: Option<ProgramId>,
    pub statuses: Option<Vec<Status>>,
    /// Only these (an instance-restricted key's), when given.
    pub only_instances: Option<Vec<InstanceId>>,
}

/// What a report's rows are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReportGrouping {
    /// One row per instance.
    #[default]
    Instance,
    /// One row per instance revision with enrollments in the window, and one for each
    /// instance's current revision.
    Revision,
}

/// One design of an instance: its revision number and when it began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevisionSpan {
    pub revision: i64,
    pub began_at: Timestamp,
}

/// One instance's enrollments in a report's window (or one revision's, grouped by
/// revision), as the store counted them.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceParticipation {
    pub id: InstanceId,
    pub name: String,
    pub status: Status,
    /// The revision the row counts, when grouped by revision.
    pub revision: Option<RevisionSpan>,
    /// Its enrollments in the window, by their current status.
    pub counts: FunnelCounts,
    /// How many of them were created on each UTC day: days with enrollments only, in
    /// ascending order.
    pub daily: Vec<(Day, u64)>,
    /// The middle one (odd count) or two (even count) of the times its recorded
    /// decisions took, in microseconds: all a median needs.
    pub decision_middle: Vec<i64>,
}

/// A participation report's data: every instance in scope (with or without enrollments,
/// in ascending order of name, then id, then revision) and the middle of all their
/// decision times.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParticipationCounts {
    pub instances: Vec<InstanceParticipation>,
    pub decision_middle: Vec<i64>,
}

/// Reports over a workspace's enrollments.
pub trait ReportStore: Send + Sync {
    /// The enrollments of the instances in `scope`, created in `window`, counted by the
    /// store in one query (never a query per instance), in rows as `grouping` says.
    fn participation(
        &self,
        workspace: &WorkspaceId,
        scope: &ReportScope,
        window: &Window,
        grouping: ReportGrouping,
    ) -> Result<ParticipationCounts, StoreError>;
}
