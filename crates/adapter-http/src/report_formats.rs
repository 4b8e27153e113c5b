//! The participation report as CSV (RFC 4180) and as an SVG chart, besides JSON.

mod chart;

pub use chart::svg;

use application::{ParticipationReport, ReportGrouping};

/// The columns, in order.
const HEADER: [&str; 13] = [
    "instanceId",
    "name",
    "status",
    "enrollments",
    "submitted",
    "ineligible",
    "approved",
    "rejected",
    "unenrolled",
    "eligibilityRate",
    "approvalRate",
    "unenrollmentRate",
    "medianDecisionSeconds",
];

/// A field, quoted when it holds a comma, a quote or a line break (quotes doubled, line
/// breaks kept as they are: RFC 4180).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A number as JSON writes it; empty for `null`.
fn number(value: Option<f64>) -> String {
    value
        .map(|v| serde_json::Number::from_f64(v).map_or_else(String::new, |n| n.to_string()))
        .unwrap_or_default()
}

/// Where the `revision` column goes when the rows are revisions: after `status`.
const REVISION_AFTER: usize = 3;

/// A header row, then a row per instance (grouped by revision, per revision, with a
/// `revision` column); lines end in CRLF.
pub fn csv(report: &ParticipationReport) -> String {
    let mut header: Vec<&str> = HEADER.to_vec();
    if report.grouping == ReportGrouping::Revision {
        header.insert(REVISION_AFTER, "revision");
    }
    let mut out = header.join(",");
    out.push_str("\r\n");
    for row in &report.instances {
        let p = &row.participation;
        let c = &p.counts;
        // As many cells as `HEADER` has columns, in its order.
        let cells: [String; HEADER.len()] = [
            row.id.to_string(),
            field(&row.name),
            row.status.as_str().to_owned(),
            c.total().to_string(),
            c.submitted.to_string(),
            c.ineligible.to_string(),
            c.approved.to_string(),
            c.rejected.to_string(),
            c.unenrolled.to_string(),
            number(c.eligibility_rate()),
            number(c.approval_rate()),
            number(c.unenrollment_rate()),
            number(p.median_decision_seconds),
        ];
        let mut cells = Vec::from(cells);
        if let Some(span) = row.revision {
            cells.insert(REVISION_AFTER, span.revision.to_string());
        }
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(field("Solar, \"North\""), "\"Solar, \"\"North\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("a\r\n\r\nb\rc"), "\"a\r\n\r\nb\rc\"");
        assert_eq!(field("plain"), "plain");
        assert_eq!(number(None), "");
        assert_eq!(number(Some(0.5)), "0.5");
        assert_eq!(number(Some(1.0)), "1.0");
    }
}
