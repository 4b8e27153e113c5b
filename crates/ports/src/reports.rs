use domain::participation::{Day, FunnelCounts, Window};
use domain::{InstanceId, ProgramId, Status, WorkspaceId};

use crate::StoreError;

/// Which of a workspace's instances a report covers: those matching every given filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportScope {
    pub program_id: Option<ProgramId>,
    pub statuses: Option<Vec<Status>>,
    /// Only these (an instance-restricted key's), when given.
    pub only_instances: Option<Vec<InstanceId>>,
}

/// One instance's enrollments in a report's window, as the store counted them.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceParticipation {
    pub id: InstanceId,
    pub name: String,
    pub status: Status,
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
/// in ascending order of name, then id) and the middle of all their decision times.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParticipationCounts {
    pub instances: Vec<InstanceParticipation>,
    pub decision_middle: Vec<i64>,
}

/// Reports over a workspace's enrollments.
pub trait ReportStore: Send + Sync {
    /// The enrollments of the instances in `scope`, created in `window`, counted by the
    /// store in one query (never a query per instance).
    fn participation(
        &self,
        workspace: &WorkspaceId,
        scope: &ReportScope,
        window: &Window,
    ) -> Result<ParticipationCounts, StoreError>;
}
