//! Enrollments, their counts and eligibility verdicts, and the participation report.

use application::{Participation, ParticipationReport};
use domain::eligibility::{CriterionResult, Evaluation};
use domain::enrollment::{Customer, Device};
use domain::participation::Day;
use domain::{Enrollment, EnrollmentId, EnrollmentStatus, InstanceId, Timestamp, WorkspaceId};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use utoipa::ToSchema;

use crate::schemas;

/// An enrollment, with the eligibility verdict it was given.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Enrollment)]
pub struct EnrollmentView<'a> {
    #[schema(value_type = schemas::Id)]
    id: &'a EnrollmentId,
    #[schema(value_type = schemas::Id)]
    instance_id: &'a InstanceId,
    /// The instance's `revision` when the enrollment was made (1 for enrollments made
    /// before revisions were kept).
    #[schema(minimum = 1)]
    instance_revision: i64,
    #[schema(value_type = schemas::TenantId)]
    workspace_id: &'a WorkspaceId,
    #[schema(value_type = schemas::EnrollmentStatus)]
    status: EnrollmentStatus,
    /// The reason given with the last status change, if any.
    #[schema(required = true, value_type = Option<schemas::LongText>)]
    status_reason: Option<&'a str>,
    #[schema(value_type = schemas::Customer)]
    customer: &'a Customer,
    #[schema(value_type = schemas::Device)]
    device: &'a Device,
    #[schema(value_type = schemas::FormData)]
    form_data: &'a Map<String, Value>,
    #[schema(value_type = schemas::Verdict)]
    eligibility: &'a Evaluation,
    #[schema(minimum = 1)]
    version: i64,
    #[schema(value_type = schemas::Timestamp)]
    created_at: Timestamp,
    #[schema(value_type = schemas::Timestamp)]
    updated_at: Timestamp,
    /// When it was approved or rejected: `null` before that, and for decisions made
    /// before decision times were recorded.
    #[schema(required = true, value_type = Option<schemas::Timestamp>)]
    decided_at: Option<Timestamp>,
}

pub fn enrollment(enrollment: &Enrollment) -> EnrollmentView<'_> {
    EnrollmentView {
        id: &enrollment.id,
        instance_id: &enrollment.instance_id,
        instance_revision: enrollment.instance_revision,
        workspace_id: &enrollment.workspace_id,
        status: enrollment.status,
        status_reason: enrollment.status_reason.as_deref(),
        customer: &enrollment.customer,
        device: &enrollment.device,
        form_data: &enrollment.form_data,
        eligibility: &enrollment.eligibility,
        version: enrollment.version,
        created_at: enrollment.created_at,
        updated_at: enrollment.updated_at,
        decided_at: enrollment.decided_at,
    }
}

/// The count of an instance's enrollments in every status (zero included), and the total.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = EnrollmentStats)]
pub struct StatsView<'a> {
    #[schema(value_type = schemas::Id)]
    instance_id: &'a InstanceId,
    total: u64,
    #[schema(value_type = schemas::CountsByStatus)]
    counts: BTreeMap<&'static str, u64>,
}

pub fn stats<'a>(instance_id: &'a InstanceId, counts: &[(EnrollmentStatus, u64)]) -> StatsView<'a> {
    StatsView {
        instance_id,
        total: counts.iter().map(|(_, n)| n).sum(),
        counts: counts
            .iter()
            .map(|(status, count)| (status.as_str(), *count))
            .collect(),
    }
}

/// The verdict of an eligibility check: one result per criterion the instance sets.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = EligibilityCheck)]
pub struct EligibilityView<'a> {
    eligible: bool,
    accepting_enrollments: bool,
    #[schema(value_type = Vec<schemas::CriterionResult>)]
    results: &'a [CriterionResult],
}

pub fn eligibility(evaluation: &Evaluation, accepting_enrollments: bool) -> EligibilityView<'_> {
    EligibilityView {
        eligible: evaluation.eligible,
        accepting_enrollments,
        results: &evaluation.results,
    }
}

/// New enrollments on one UTC day.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DailyEnrollments)]
pub struct DailyView {
    /// The UTC day, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date)]
    date: Day,
    enrollments: u64,
}

/// Enrollment figures: counts by status, the rates between them and the median decision
/// time. A rate is `null` when its denominator is 0.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ParticipationFigures)]
pub struct FiguresView {
    /// Every enrollment created in the window.
    enrollments: u64,
    submitted: u64,
    approved: u64,
    rejected: u64,
    unenrolled: u64,
    ineligible: u64,
    /// Not ineligible / all.
    #[schema(required = true, minimum = 0, maximum = 1)]
    eligibility_rate: Option<f64>,
    /// Ever approved (approved or unenrolled) / ever decided (approved, rejected or
    /// unenrolled).
    #[schema(required = true, minimum = 0, maximum = 1)]
    approval_rate: Option<f64>,
    /// Unenrolled / ever approved.
    #[schema(required = true, minimum = 0, maximum = 1)]
    unenrollment_rate: Option<f64>,
    /// The median time from submission to approval or rejection, in seconds, over the
    /// decisions whose time is known.
    #[schema(required = true, minimum = 0)]
    median_decision_seconds: Option<f64>,
    /// New enrollments per UTC day, days with none left out, oldest first.
    daily: Vec<DailyView>,
}

/// One instance's row of the participation report; grouped by revision, one revision's.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = InstanceParticipation)]
pub struct ParticipationRowView<'a> {
    #[schema(value_type = schemas::Id)]
    instance_id: &'a InstanceId,
    name: &'a str,
    #[schema(value_type = schemas::InstanceStatus)]
    status: &'static str,
    /// The revision the row counts (`groupBy=revision` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = i64, minimum = 1)]
    revision: Option<i64>,
    /// When that revision began: the instance's creation for revision 1, else the change
    /// that made it (`groupBy=revision` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = schemas::Timestamp)]
    revision_at: Option<Timestamp>,
    #[serde(flatten)]
    figures: FiguresView,
}

/// The participation report: one row per instance in scope (those without enrollments
/// included), by name, then the same figures across all of them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ParticipationReport)]
pub struct ParticipationView<'a> {
    data: Vec<ParticipationRowView<'a>>,
    totals: FiguresView,
}

pub fn figures(participation: &Participation) -> FiguresView {
    let counts = &participation.counts;
    FiguresView {
        enrollments: counts.total(),
        submitted: counts.submitted,
        approved: counts.approved,
        rejected: counts.rejected,
        unenrolled: counts.unenrolled,
        ineligible: counts.ineligible,
        eligibility_rate: counts.eligibility_rate(),
        approval_rate: counts.approval_rate(),
        unenrollment_rate: counts.unenrollment_rate(),
        median_decision_seconds: participation.median_decision_seconds,
        daily: participation
            .daily
            .iter()
            .map(|&(date, enrollments)| DailyView { date, enrollments })
            .collect(),
    }
}

pub fn participation(report: &ParticipationReport) -> ParticipationView<'_> {
    ParticipationView {
        data: report
            .instances
            .iter()
            .map(|row| ParticipationRowView {
                instance_id: &row.id,
                name: &row.name,
                status: row.status.as_str(),
                revision: row.revision.map(|span| span.revision),
                revision_at: row.revision.map(|span| span.began_at),
                figures: figures(&row.participation),
            })
            .collect(),
        totals: figures(&report.totals),
    }
}
