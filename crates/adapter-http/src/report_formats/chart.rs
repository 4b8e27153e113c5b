//! The participation report as an SVG chart drawn here, without a browser: one group of
//! three bars per instance (all enrollments, the eligible ones, the approved ones), each
//! labelled with its count, scaled to the largest instance, 800 px wide. Grouped by
//! revision, an instance has a group of bars per revision, under its name once.

use std::fmt::Write as _;

use application::{ParticipationReport, ReportGrouping};

const WIDTH: u32 = 800;
const LABEL_WIDTH: u32 = 250;
const BAR_SPACE: u32 = WIDTH - LABEL_WIDTH - 70;
const BAR_HEIGHT: u32 = 16;
const BAR_GAP: u32 = 4;
const GROUP_GAP: u32 = 22;
const TOP: u32 = 64;

/// The stages drawn, with their colours (distinct in grey scale too).
const STAGES: [(&str, &str); 3] = [
    ("Enrollments", "#9db4c8"),
    ("Eligible", "#3f7cac"),
    ("Approved", "#1b3a57"),
];

/// Text made safe for XML content and attributes.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A reference: an XML parser would read a raw CR as LF.
            '\r' => out.push_str("&#13;"),
            // Control characters are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\t' | '\n') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, with an ellipsis when cut.
fn shortened(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

pub fn svg(report: &ParticipationReport) -> String {
    let group_height = 3 * BAR_HEIGHT + 2 * BAR_GAP;
    let rows = u32::try_from(report.instances.len())
        .unwrap_or(u32::MAX)
        .max(1);
    let height = TOP + rows.saturating_mul(group_height + GROUP_GAP) + 10;
    let largest = report
        .instances
        .iter()
        .map(|row| row.participation.counts.total())
        .max()
        .unwrap_or(0)
        .max(1);
    let title = match report.grouping {
        ReportGrouping::Instance => "Participation by instance",
        ReportGrouping::Revision => "Participation by instance revision",
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"title\" \
         font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\" font-size=\"13\">\
         <title id=\"title\">{title}: enrollments, eligible, approved</title>\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\
         <text x=\"16\" y=\"26\" font-size=\"17\" font-weight=\"600\" fill=\"#1a1a1a\">{title}</text>"
    );
    for (i, (stage, colour)) in STAGES.iter().enumerate() {
        let x = 16 + u32::try_from(i).unwrap_or(0) * 112;
        let _ = write!(
            out,
            "<rect x=\"{x}\" y=\"38\" width=\"12\" height=\"12\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"48\" fill=\"#333333\">{stage}</text>",
            x + 18
        );
    }
    if report.instances.is_empty() {
        let _ = write!(
            out,
            "<text x=\"16\" y=\"{}\" fill=\"#555555\">No instances in this report.</text>",
            TOP + 20
        );
    }
    let mut y = TOP;
    for (i, row) in report.instances.iter().enumerate() {
        let counts = &row.participation.counts;
        let first_of_instance = i == 0 || report.instances[i - 1].id != row.id;
        let last_of_instance = report
            .instances
            .get(i + 1)
            .is_none_or(|next| next.id != row.id);
        if first_of_instance {
            // One group per instance, its name once above its revisions' bars.
            let _ = write!(
                out,
                "<g><text x=\"16\" y=\"{}\" fill=\"#1a1a1a\" font-weight=\"600\">{}</text>",
                y + BAR_HEIGHT + 4,
                escaped(&shortened(&row.name, 30)),
            );
        }
        let detail = match row.revision {
            Some(span) => format!(
                "revision {} since {} · {}",
                span.revision,
                span.began_at.as_datetime().date(),
                row.status.as_str()
            ),
            None => row.status.as_str().to_owned(),
        };
        let _ = write!(
            out,
            "<text x=\"16\" y=\"{}\" fill=\"#555555\" font-size=\"11\">{}</text>",
            y + BAR_HEIGHT + 20,
            escaped(&detail),
        );
        let values = [counts.total(), counts.eligible(), counts.ever_approved()];
        for (i, ((_, colour), value)) in STAGES.iter().zip(values).enumerate() {
            let bar_y = y + u32::try_from(i).unwrap_or(0) * (BAR_HEIGHT + BAR_GAP);
            // Widths are proportional; a nonzero count is never drawn invisibly thin.
            let width = (value as f64 / largest as f64 * f64::from(BAR_SPACE)).round();
            let width = if value > 0 { width.max(2.0) } else { 0.0 };
            let _ = write!(
                out,
                "<rect x=\"{LABEL_WIDTH}\" y=\"{bar_y}\" width=\"{width}\" height=\"{BAR_HEIGHT}\" fill=\"{colour}\" rx=\"2\"/>\
                 <text x=\"{}\" y=\"{}\" fill=\"#1a1a1a\">{value}</text>",
                f64::from(LABEL_WIDTH) + width + 6.0,
                bar_y + BAR_HEIGHT - 3,
            );
        }
        if last_of_instance {
            out.push_str("</g>");
        }
        y += group_height + GROUP_GAP;
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_long_names_cut() {
        assert_eq!(escaped("<A & \"B\">"), "&lt;A &amp; &quot;B&quot;&gt;");
        assert_eq!(escaped("bell\u{7}"), "bell\u{FFFD}");
        assert_eq!(escaped("a\r\nb"), "a&#13;\nb");
        assert_eq!(shortened("abcdef", 4), "abc…");
        assert_eq!(shortened("abc", 4), "abc");
    }
}
