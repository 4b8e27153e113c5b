//! The contract of `ReportStore`: the participation report's counts equal a recount of the
//! enrollments themselves, for every window and scope.

use std::collections::BTreeMap;

use domain::participation::{Day, FunnelCounts, Window, median};
use domain::{
    Description, Enrollment, EnrollmentStatus, InstanceId, InstancePatch, ProgramInstance, Status,
    Timestamp,
};
use time::Duration;

use super::{
    Storage, at, enroll, enrolling_instance, enrollment_event, records, stage, store_enrollment,
};
use crate::{ReportGrouping, ReportScope, RevisionSpan};

/// What the report should say of one instance, counted from the enrollments.
#[derive(Debug, PartialEq)]
struct Expected {
    counts: FunnelCounts,
    daily: Vec<(Day, u64)>,
    median: Option<f64>,
}

fn recount<'a>(enrollments: impl Iterator<Item = &'a Enrollment>, window: &Window) -> Expected {
    let mut counts = FunnelCounts::default();
    let mut daily = BTreeMap::<Day, u64>::new();
    let mut decisions = Vec::new();
    for e in enrollments.filter(|e| window.contains(e.created_at)) {
        *match e.status {
            EnrollmentStatus::Submitted => &mut counts.submitted,
            EnrollmentStatus::Approved => &mut counts.approved,
            EnrollmentStatus::Rejected => &mut counts.rejected,
            EnrollmentStatus::Unenrolled => &mut counts.unenrolled,
            EnrollmentStatus::Ineligible => &mut counts.ineligible,
        } += 1;
        *daily.entry(Day::of(e.created_at)).or_default() += 1;
        if let Some(decided) = e.decided_at {
            decisions.push(decided.unix_micros() - e.created_at.unix_micros());
        }
    }
    Expected {
        counts,
        daily: daily.into_iter().collect(),
        median: median(&decisions),
    }
}

fn moved(
    store: &dyn Storage,
    enrollment: &Enrollment,
    to: EnrollmentStatus,
    when: Timestamp,
) -> Enrollment {
    let next = enrollment.transition_to(to, None, when).unwrap().unwrap();
    let locked = store
        .lock_enrollment(&enrollment.workspace_id, &enrollment.id)
        .unwrap()
        .unwrap();
    locked.save(&next, &enrollment_event(&next)).unwrap();
    next
}

/// The instance with a new description (a new revision) from `when` on.
fn revised(store: &dyn Storage, instance: &ProgramInstance, when: Timestamp) -> ProgramInstance {
    let locked = store
        .lock(instance.workspace_id(), instance.id())
        .unwrap()
        .unwrap();
    let patch = InstancePatch {
        description: Some(Some(
            Description::parse(&format!("Design of {when}")).unwrap(),
        )),
        ..InstancePatch::default()
    };
    let outcome = locked.current().apply(patch, when).unwrap();
    locked
        .save(&outcome.instance, &records(&outcome, when))
        .unwrap();
    outcome.instance
}

/// The enrollments, and when each revision of their instances began.
struct Stored {
    enrollments: Vec<Enrollment>,
    revisions: Vec<(InstanceId, RevisionSpan)>,
}

/// The first revision of each instance.
fn first_revisions(instances: &[&ProgramInstance]) -> Vec<(InstanceId, RevisionSpan)> {
    instances
        .iter()
        .map(|instance| {
            let span = RevisionSpan {
                revision: 1,
                began_at: instance.created_at(),
            };
            (instance.id().clone(), span)
        })
        .collect()
}

/// Enrollments spread over two instances and 17 days at every time of day, with decision
/// times from microseconds to days (every histogram bucket size), some approved, rejected,
/// unenrolled, left submitted or ineligible; the first instance's design changes twice
/// along the way, and each change is added to `revisions`.
fn enrollments(
    store: &dyn Storage,
    mut instances: Vec<ProgramInstance>,
    revisions: Vec<(InstanceId, RevisionSpan)>,
) -> Stored {
    let start = at("2026-02-01T00:00:00Z");
    let mut stored = Stored {
        enrollments: Vec::new(),
        revisions,
    };
    for k in 0..72u32 {
        let which = (k as usize / 3) % instances.len();
        let created = start
            .checked_add(Duration::minutes(i64::from(k) * 337))
            .unwrap();
        if which == 0 && (k == 24 || k == 48) {
            let began_at = created.checked_add(Duration::seconds(-1)).unwrap();
            instances[0] = revised(store, &instances[0], began_at);
            let span = RevisionSpan {
                revision: instances[0].revision(),
                began_at,
            };
            stored.revisions.push((instances[0].id().clone(), span));
        }
        let instance = &instances[which];
        let region = if k % 5 == 4 { "CA" } else { "NY" };
        let mut e = enroll(instance, 1_000 + k, region, &created.to_string());
        store_enrollment(store, &e);
        if e.status == EnrollmentStatus::Submitted {
            let delay = Duration::microseconds(10i64.pow(k % 11) * i64::from(k % 7 + 1));
            let decided = created.checked_add(delay).unwrap();
            e = match k % 4 {
                0 => moved(store, &e, EnrollmentStatus::Approved, decided),
                1 => moved(store, &e, EnrollmentStatus::Rejected, decided),
                2 => {
                    let approved = moved(store, &e, EnrollmentStatus::Approved, decided);
                    let later = decided.checked_add(Duration::hours(1)).unwrap();
                    moved(store, &approved, EnrollmentStatus::Unenrolled, later)
                }
                _ => e,
            };
        }
        stored.enrollments.push(e);
    }
    stored
}

/// The rows a report grouped by revision should have for `instance`: each revision with
/// enrollments in the window, and the current one.
fn expected_revisions(
    stored: &Stored,
    instance: &InstanceId,
    window: &Window,
) -> Vec<RevisionSpan> {
    let spans: Vec<RevisionSpan> = stored
        .revisions
        .iter()
        .filter(|(id, _)| id == instance)
        .map(|&(_, span)| span)
        .collect();
    let current = spans.iter().map(|span| span.revision).max();
    spans
        .into_iter()
        .filter(|span| {
            Some(span.revision) == current
                || stored.enrollments.iter().any(|e| {
                    &e.instance_id == instance
                        && e.instance_revision == span.revision
                        && window.contains(e.created_at)
                })
        })
        .collect()
}

pub fn participation_matches_a_recount(store: &dyn Storage) {
    let (a, b, program) = stage(store);
    let first = enrolling_instance(store, &a, &program, 1);
    let second = enrolling_instance(store, &a, &program, 2);
    let empty = enrolling_instance(store, &a, &program, 3);
    let elsewhere = enrolling_instance(store, &b, &program, 4);
    let stored = enrollments(
        store,
        vec![first.clone(), second.clone()],
        first_revisions(&[&first, &second, &empty]),
    );
    store_enrollment(
        store,
        &enroll(&elsewhere, 9_999, "NY", "2026-02-03T10:00:00Z"),
    );

    let bound = |text: &str| Some(at(text));
    let windows = [
        Window::default(),
        Window::new(bound("2026-02-03T00:00:00Z"), bound("2026-02-09T00:00:00Z")),
        Window::new(bound("2026-02-03T07:13:00Z"), None),
        Window::new(None, bound("2026-02-11T16:20:00.5Z")),
        Window::new(bound("2026-02-05T03:00:00Z"), bound("2026-02-05T21:00:00Z")),
        Window::new(bound("2026-02-04T12:00:00Z"), bound("2026-02-07T12:00:00Z")),
        Window::new(bound("2026-02-09T00:00:00Z"), bound("2026-02-02T00:00:00Z")),
    ];
    let scopes = [
        (ReportScope::default(), vec![&first, &second, &empty]),
        (
            ReportScope {
                only_instances: Some(vec![second.id().clone(), elsewhere.id().clone()]),
                ..ReportScope::default()
            },
            vec![&second],
        ),
        (
            ReportScope {
                program_id: Some(program.id.clone()),
                statuses: Some(vec![Status::Active]),
                ..ReportScope::default()
            },
            vec![&first, &second, &empty],
        ),
        (
            ReportScope {
                statuses: Some(vec![Status::Inactive, Status::Archived]),
                ..ReportScope::default()
            },
            vec![],
        ),
    ];
    for (scope, visible) in &scopes {
        for window in &windows {
            let report = store
                .participation(&a, scope, window, ReportGrouping::Instance)
                .unwrap();
            let ids: Vec<_> = report.instances.iter().map(|i| i.id.clone()).collect();
            let expected_ids: Vec<_> = visible.iter().map(|i| i.id().clone()).collect();
            assert_eq!(ids, expected_ids, "{scope:?} {window:?}");
            for row in &report.instances {
                assert_eq!(row.revision, None);
                let mine = stored
                    .enrollments
                    .iter()
                    .filter(|e| e.instance_id == row.id);
                let expected = recount(mine, window);
                let got = Expected {
                    counts: row.counts,
                    daily: row.daily.clone(),
                    median: median(&row.decision_middle),
                };
                assert_eq!(got, expected, "{} in {scope:?} {window:?}", row.id);
                assert_eq!(row.name, format!("Enrolling {}", &row.id.as_str()[24..]));
                assert_eq!(row.status, Status::Active);
            }
            let in_scope = stored
                .enrollments
                .iter()
                .filter(|e| visible.iter().any(|i| i.id() == &e.instance_id));
            assert_eq!(
                median(&report.decision_middle),
                recount(in_scope, window).median,
                "all of {scope:?} in {window:?}"
            );

            let grouped = store
                .participation(&a, scope, window, ReportGrouping::Revision)
                .unwrap();
            let rows: Vec<_> = grouped
                .instances
                .iter()
                .map(|row| (row.id.clone(), row.revision))
                .collect();
            let expected_rows: Vec<_> = visible
                .iter()
                .flat_map(|instance| {
                    expected_revisions(&stored, instance.id(), window)
                        .into_iter()
                        .map(|span| (instance.id().clone(), Some(span)))
                })
                .collect();
            assert_eq!(rows, expected_rows, "{scope:?} {window:?}");
            for row in &grouped.instances {
                let revision = row.revision.map(|span| span.revision);
                let mine = stored
                    .enrollments
                    .iter()
                    .filter(|e| e.instance_id == row.id && Some(e.instance_revision) == revision);
                let got = Expected {
                    counts: row.counts,
                    daily: row.daily.clone(),
                    median: median(&row.decision_middle),
                };
                assert_eq!(
                    got,
                    recount(mine, window),
                    "{rows:?} in {scope:?} {window:?}"
                );
            }
            assert_eq!(grouped.decision_middle, report.decision_middle);
        }
    }
    let other = store
        .participation(
            &b,
            &ReportScope::default(),
            &Window::default(),
            ReportGrouping::Instance,
        )
        .unwrap();
    assert_eq!(other.instances.len(), 1);
    assert_eq!(other.instances[0].counts.total(), 1);
}
