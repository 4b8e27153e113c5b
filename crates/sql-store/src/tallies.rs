//! What the participation report adds up instead of counting enrollments, kept by every
//! write of an enrollment in its own transaction: per-day counts by status, and the
//! histograms of decision times (fine and coarse), each per instance revision (an
//! enrollment's revision never changes, so a change moves counts within one revision).

use diesel::prelude::*;
use diesel::upsert::excluded;
use domain::participation::Day;

use crate::connection::{AnyConnection, TxError, execute_on_each_engine};
use crate::rows::EnrollmentRow;
use crate::schema::decision_histogram::{self, dsl as histogram};
use crate::schema::decision_histogram_coarse::{self, dsl as coarse};
use crate::schema::enrollment_tallies::{self, dsl as tally};

/// A change to one instance revision's counts of one day.
#[derive(Debug, Insertable)]
#[diesel(table_name = enrollment_tallies)]
struct TallyChange {
    workspace_id: String,
    instance_id: String,
    revision: i64,
    day: i64,
    submitted: i64,
    approved: i64,
    rejected: i64,
    unenrolled: i64,
    ineligible: i64,
    timed_decisions: i64,
}

impl TallyChange {
    fn of(row: &EnrollmentRow) -> Self {
        TallyChange {
            workspace_id: row.workspace_id.clone(),
            instance_id: row.instance_id.clone(),
            revision: row.instance_revision,
            day: Day::of(row.created_at.0).0,
            submitted: 0,
            approved: 0,
            rejected: 0,
            unenrolled: 0,
            ineligible: 0,
            timed_decisions: 0,
        }
    }

    fn add(&mut self, row: &EnrollmentRow, sign: i64) {
        let counter = match row.status.as_str() {
            "submitted" => &mut self.submitted,
            "approved" => &mut self.approved,
            "rejected" => &mut self.rejected,
            "unenrolled" => &mut self.unenrolled,
            _ => &mut self.ineligible,
        };
        *counter += sign;
        if row.decision_micros.is_some() {
            self.timed_decisions += sign;
        }
    }
}

/// One more decision time in a bucket of an instance revision's histogram (fine, or coarse: the
/// fine bucket / 10).
#[derive(Debug, Insertable)]
#[diesel(table_name = decision_histogram)]
#[diesel(table_name = decision_histogram_coarse)]
struct HistogramChange {
    workspace_id: String,
    instance_id: String,
    revision: i64,
    bucket: i64,
    decisions: i64,
}

/// Moves the enrollment's counts from what it was (`None` when new) to what it is. Issued
/// last in its transaction, so the rows it updates stay locked only until the commit.
pub(crate) fn recount(
    conn: &mut AnyConnection,
    was: Option<&EnrollmentRow>,
    is: &EnrollmentRow,
) -> Result<(), TxError> {
    let mut change = TallyChange::of(is);
    if let Some(was) = was {
        change.add(was, -1);
    }
    change.add(is, 1);
    let upsert = diesel::insert_into(tally::enrollment_tallies)
        .values(&change)
        .on_conflict((
            tally::workspace_id,
            tally::instance_id,
            tally::revision,
            tally::day,
        ))
        .do_update()
        .set((
            tally::submitted.eq(tally::submitted + excluded(tally::submitted)),
            tally::approved.eq(tally::approved + excluded(tally::approved)),
            tally::rejected.eq(tally::rejected + excluded(tally::rejected)),
            tally::unenrolled.eq(tally::unenrolled + excluded(tally::unenrolled)),
            tally::ineligible.eq(tally::ineligible + excluded(tally::ineligible)),
            tally::timed_decisions.eq(tally::timed_decisions + excluded(tally::timed_decisions)),
        ));
    execute_on_each_engine!(conn, upsert);

    // A decision time, once recorded, never changes.
    let newly_timed = is
        .decision_bucket
        .filter(|_| was.is_none_or(|was| was.decision_bucket.is_none()));
    if let Some(bucket) = newly_timed {
        let change = HistogramChange {
            workspace_id: is.workspace_id.clone(),
            instance_id: is.instance_id.clone(),
            revision: is.instance_revision,
            bucket,
            decisions: 1,
        };
        let upsert = diesel::insert_into(histogram::decision_histogram)
            .values(&change)
            .on_conflict((
                histogram::workspace_id,
                histogram::instance_id,
                histogram::revision,
                histogram::bucket,
            ))
            .do_update()
            .set(histogram::decisions.eq(histogram::decisions + 1));
        execute_on_each_engine!(conn, upsert);
        let change = HistogramChange {
            bucket: bucket / 10,
            ..change
        };
        let upsert = diesel::insert_into(coarse::decision_histogram_coarse)
            .values(&change)
            .on_conflict((
                coarse::workspace_id,
                coarse::instance_id,
                coarse::revision,
                coarse::bucket,
            ))
            .do_update()
            .set(coarse::decisions.eq(coarse::decisions + 1));
        execute_on_each_engine!(conn, upsert);
    }
    Ok(())
}
