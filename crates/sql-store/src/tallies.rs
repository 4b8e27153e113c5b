//! The per-day enrollment counts the participation report adds up, kept by every write of
//! an enrollment in the same transaction: a report reads a row per instance and day
//! instead of every enrollment.

use diesel::prelude::*;
use diesel::upsert::excluded;
use domain::participation::Day;

use crate::connection::{AnyConnection, TxError};
use crate::rows::EnrollmentRow;
use crate::schema::enrollment_tallies::{self, dsl as tally};

/// A change to one instance's counts of one day.
#[derive(Debug, Insertable)]
#[diesel(table_name = enrollment_tallies)]
struct TallyChange {
    workspace_id: String,
    instance_id: String,
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

/// Moves the enrollment's count from what it was (`None` when new) to what it is.
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
        .on_conflict((tally::workspace_id, tally::instance_id, tally::day))
        .do_update()
        .set((
            tally::submitted.eq(tally::submitted + excluded(tally::submitted)),
            tally::approved.eq(tally::approved + excluded(tally::approved)),
            tally::rejected.eq(tally::rejected + excluded(tally::rejected)),
            tally::unenrolled.eq(tally::unenrolled + excluded(tally::unenrolled)),
            tally::ineligible.eq(tally::ineligible + excluded(tally::ineligible)),
            tally::timed_decisions.eq(tally::timed_decisions + excluded(tally::timed_decisions)),
        ));
    // `MultiConnection` does not carry `ON CONFLICT`; both engines do.
    match conn {
        AnyConnection::Postgres(pg) => upsert.execute(pg)?,
        AnyConnection::Sqlite(lite) => upsert.execute(lite)?,
    };
    Ok(())
}
