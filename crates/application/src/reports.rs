//! Reports across a workspace's instances.

use std::collections::BTreeMap;

use domain::participation::{Day, FunnelCounts, Window, median_seconds};
use domain::{InstanceId, Scope, Status};
use ports::{ReportGrouping, ReportScope, RevisionSpan};

use crate::{AppError, Application, Principal};

/// What a participation report covers: the instances matching every filter, and the
/// enrollments created in the window.
#[derive(Debug, Clone, Default)]
pub struct ParticipationRequest {
    pub scope: ReportScope,
    pub window: Window,
    pub grouping: ReportGrouping,
}

/// Enrollment figures of one instance or of several.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Participation {
    pub counts: FunnelCounts,
    /// The median time from submission to approval or rejection, over the decisions whose
    /// time is known.
    pub median_decision_seconds: Option<f64>,
    /// New enrollments per UTC day, days with enrollments only, ascending.
    pub daily: Vec<(Day, u64)>,
}

/// One instance's row of the report, or one revision's when grouped by revision.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceRow {
    pub id: InstanceId,
    pub name: String,
    pub status: Status,
    pub revision: Option<RevisionSpan>,
    pub participation: Participation,
}

/// Every instance in scope, including those without enrollments (grouped by revision:
/// each revision with enrollments, and each instance's current one), and their totals.
#[derive(Debug, Clone, PartialEq)]
pub struct ParticipationReport {
    pub grouping: ReportGrouping,
    pub instances: Vec<InstanceRow>,
    pub totals: Participation,
}

impl Application {
    /// The participation report; an instance-restricted key sees its instances only.
    pub fn participation_report(
        &self,
        who: &Principal,
        request: ParticipationRequest,
    ) -> Result<ParticipationReport, AppError> {
        who.require(Scope::EnrollmentsRead)?;
        let mut scope = request.scope;
        if let Some(visible) = who.grant.instances() {
            scope.only_instances = Some(visible.iter().cloned().collect());
        }
        let counted = self.ports.reports.participation(
            &who.workspace_id,
            &scope,
            &request.window,
            request.grouping,
        )?;
        let mut total_daily = BTreeMap::<Day, u64>::new();
        let mut totals = Participation::default();
        let instances = counted
            .instances
            .into_iter()
            .map(|instance| {
                for &(day, enrollments) in &instance.daily {
                    *total_daily.entry(day).or_default() += enrollments;
                }
                totals.counts += instance.counts;
                InstanceRow {
                    id: instance.id,
                    name: instance.name,
                    status: instance.status,
                    revision: instance.revision,
                    participation: Participation {
                        counts: instance.counts,
                        median_decision_seconds: median_seconds(&instance.decision_middle),
                        daily: instance.daily,
                    },
                }
            })
            .collect();
        totals.median_decision_seconds = median_seconds(&counted.decision_middle);
        totals.daily = total_daily.into_iter().collect();
        Ok(ParticipationReport {
            grouping: request.grouping,
            instances,
            totals,
        })
    }
}
