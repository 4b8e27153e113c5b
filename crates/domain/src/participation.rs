//! The participation report's arithmetic: an instance's enrollment funnel, the rates between
//! its stages, the median time to a decision, UTC days, and how a report's window of
//! instants splits into whole days and the partial days at its edges.

use std::fmt;
use std::ops::AddAssign;

use serde::{Serialize, Serializer};
use time::{Date, Month};

use crate::timestamp::Timestamp;
use crate::violation::Rule;

const MICROS_PER_DAY: i64 = 86_400_000_000;
const MICROS_PER_SECOND: f64 = 1_000_000.0;
/// The Julian day number of 1970-01-01, day 0 of [`Day`].
const JULIAN_DAY_OF_1970: i64 = 2_440_588;

/// How many enrollments are in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FunnelCounts {
    pub submitted: u64,
    pub approved: u64,
    pub rejected: u64,
    pub unenrolled: u64,
    pub ineligible: u64,
}

impl FunnelCounts {
    pub fn total(&self) -> u64 {
        self.submitted + self.approved + self.rejected + self.unenrolled + self.ineligible
    }

    /// Every enrollment that passed the eligibility criteria.
    pub fn eligible(&self) -> u64 {
        self.total() - self.ineligible
    }

    /// Approved, including those approved and later unenrolled.
    pub fn ever_approved(&self) -> u64 {
        self.approved + self.unenrolled
    }

    /// Approved or rejected, at any time.
    pub fn ever_decided(&self) -> u64 {
        self.ever_approved() + self.rejected
    }

    /// Eligible / total.
    pub fn eligibility_rate(&self) -> Option<f64> {
        rate(self.eligible(), self.total())
    }

    /// Ever approved / ever decided.
    pub fn approval_rate(&self) -> Option<f64> {
        rate(self.ever_approved(), self.ever_decided())
    }

    /// Unenrolled / ever approved.
    pub fn unenrollment_rate(&self) -> Option<f64> {
        rate(self.unenrolled, self.ever_approved())
    }
}

impl AddAssign for FunnelCounts {
    fn add_assign(&mut self, other: Self) {
        self.submitted += other.submitted;
        self.approved += other.approved;
        self.rejected += other.rejected;
        self.unenrolled += other.unenrolled;
        self.ineligible += other.ineligible;
    }
}

/// `part / whole`, or `None` when there is no whole to take a part of.
pub fn rate(part: u64, whole: u64) -> Option<f64> {
    // Counts stay far below 2^53, where u64 → f64 is exact.
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The median: the middle value, or the mean of the two middle ones; `None` for no values.
pub fn median(values: &[i64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let upper = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[upper] as f64),
        _ => Some((sorted[upper - 1] as f64 + sorted[upper] as f64) / 2.0),
    }
}

/// The median of durations given in microseconds, in seconds.
pub fn median_seconds(durations_micros: &[i64]) -> Option<f64> {
    median(durations_micros).map(|micros| micros / MICROS_PER_SECOND)
}

/// The histogram bucket of a decision time in microseconds: the value itself below 10,
/// else its number of decimal digits and its first two digits (`digits * 100 + leading`),
/// so a bucket spans at most a tenth of its values and buckets ascend with the times they
/// hold. Negative times (a clock set back) fall in bucket 0. Storage computes the same for
/// rows written before buckets existed; a test holds the two together.
pub fn decision_bucket(micros: i64) -> i64 {
    if micros < 10 {
        return micros.max(0);
    }
    let digits = micros.to_string();
    let leading: i64 = digits[..2].parse().unwrap_or(0);
    // At most 19 digits: the cast cannot truncate.
    digits.len() as i64 * 100 + leading
}

/// A UTC calendar day, counted in days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i64);

impl Day {
    /// The day an instant falls on.
    pub fn of(at: Timestamp) -> Day {
        Day(at.unix_micros().div_euclid(MICROS_PER_DAY))
    }

    /// Its first instant; `None` outside the years 0 to 9999.
    pub fn start(self) -> Option<Timestamp> {
        Timestamp::from_unix_micros(self.0.checked_mul(MICROS_PER_DAY)?)
    }

    pub fn next(self) -> Day {
        Day(self.0 + 1)
    }

    /// Year, month and day of the proleptic Gregorian calendar, by integer arithmetic
    /// (Howard Hinnant's `civil_from_days`): a report formats tens of thousands of days.
    fn civil(self) -> (i64, i64, i64) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        (year, month, day)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Day, DayError> {
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shaped {
            return Err(DayError);
        }
        let number =
            |range: std::ops::Range<usize>| text[range].parse::<u16>().map_err(|_| DayError);
        let year = i32::from(number(0..4)?);
        let month = Month::try_from(u8::try_from(number(5..7)?).map_err(|_| DayError)?)
            .map_err(|_| DayError)?;
        let day = u8::try_from(number(8..10)?).map_err(|_| DayError)?;
        let date = Date::from_calendar_date(year, month, day).map_err(|_| DayError)?;
        Ok(Day(i64::from(date.to_julian_day()) - JULIAN_DAY_OF_1970))
    }

    /// `YYYY-MM-DD` as ten ASCII bytes, for the years 0 to 9999; without the formatting
    /// machinery, as a report writes tens of thousands of them.
    fn iso_bytes(self) -> Option<[u8; 10]> {
        let (year, month, day) = self.civil();
        if !(0..10_000).contains(&year) {
            return None;
        }
        let digit = |n: i64| b'0' + u8::try_from(n % 10).unwrap_or(0);
        Some([
            digit(year / 1_000),
            digit(year / 100),
            digit(year / 10),
            digit(year),
            b'-',
            digit(month / 10),
            digit(month),
            b'-',
            digit(day / 10),
            digit(day),
        ])
    }
}

/// `YYYY-MM-DD` (more digits, or a sign, outside the years 0 to 9999).
impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.iso_bytes() {
            Some(bytes) => f.write_str(std::str::from_utf8(&bytes).map_err(|_| fmt::Error)?),
            None => {
                let (year, month, day) = self.civil();
                write!(f, "{year}-{month:02}-{day:02}")
            }
        }
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.iso_bytes() {
            Some(bytes) => match std::str::from_utf8(&bytes) {
                Ok(text) => serializer.serialize_str(text),
                Err(_) => serializer.collect_str(self),
            },
            None => serializer.collect_str(self),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a date such as 2026-01-31")]
pub struct DayError;

/// A bound of a report's window that is neither a date nor an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a date such as 2026-01-31 or an RFC 3339 timestamp such as 2026-01-31T12:00:00Z")]
pub struct WindowBoundError;

impl Rule for WindowBoundError {
    fn code(&self) -> &'static str {
        "invalid_timestamp"
    }
}

/// The instants whose enrollments a report counts: from `from` (inclusive) until `until`
/// (exclusive), either side open when absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

impl Window {
    /// The first instant of `from`: a date means its midnight (UTC), a timestamp itself.
    pub fn parse_from(text: &str) -> Result<Timestamp, WindowBoundError> {
        if let Ok(day) = Day::parse(text) {
            return day.start().ok_or(WindowBoundError);
        }
        Timestamp::parse(text).map_err(|_| WindowBoundError)
    }

    /// The end of `to`, which is inclusive: a date means the whole day, a timestamp that
    /// instant. Returned as the first instant after it, `None` when that is past the last
    /// representable instant (no bound at all).
    pub fn parse_to(text: &str) -> Result<Option<Timestamp>, WindowBoundError> {
        if let Ok(day) = Day::parse(text) {
            return Ok(day.next().start());
        }
        let at = Timestamp::parse(text).map_err(|_| WindowBoundError)?;
        Ok(Timestamp::from_unix_micros(at.unix_micros() + 1))
    }

    /// The window between two bounds. One that ends before it starts holds no instant,
    /// as the bounds say, rather than being an error.
    pub fn new(from: Option<Timestamp>, until: Option<Timestamp>) -> Window {
        let until = match (from, until) {
            (Some(from), Some(until)) => Some(until.max(from)),
            (_, until) => until,
        };
        Window { from, until }
    }

    pub fn contains(&self, at: Timestamp) -> bool {
        self.from.is_none_or(|from| from <= at) && self.until.is_none_or(|until| at < until)
    }

    /// The whole UTC days inside the window and the partial days at its edges, so that a
    /// store keeping per-day counts reads those and only the edges' own rows.
    pub fn split(&self) -> WindowParts {
        let first = self.from.map(|from| {
            let day = Day::of(from);
            if day.start() == Some(from) {
                day
            } else {
                day.next()
            }
        });
        let end = self.until.map(Day::of);
        let mut edges = Vec::new();
        if let (Some(from), Some(until), Some(first), Some(end)) =
            (self.from, self.until, first, end)
            && first > end
        {
            // Both ends inside one day.
            if from < until {
                edges.push(Edge { from, until });
            }
            return WindowParts {
                whole_days: DayRange {
                    first: Some(end),
                    end: Some(end),
                },
                edges,
            };
        }
        if let (Some(from), Some(first_start)) = (self.from, first.and_then(Day::start))
            && from < first_start
        {
            edges.push(Edge {
                from,
                until: first_start,
            });
        }
        if let (Some(until), Some(end_start)) = (self.until, end.and_then(Day::start))
            && end_start < until
        {
            edges.push(Edge {
                from: end_start,
                until,
            });
        }
        WindowParts {
            whole_days: DayRange { first, end },
            edges,
        }
    }
}

/// Days from `first` (inclusive) to `end` (exclusive), either side open when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub first: Option<Day>,
    pub end: Option<Day>,
}

impl DayRange {
    pub fn contains(&self, day: Day) -> bool {
        self.first.is_none_or(|first| first <= day) && self.end.is_none_or(|end| day < end)
    }
}

/// Part of one day: from `from` (inclusive) until `until` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub from: Timestamp,
    pub until: Timestamp,
}

impl Edge {
    pub fn day(&self) -> Day {
        Day::of(self.from)
    }

    pub fn contains(&self, at: Timestamp) -> bool {
        self.from <= at && at < self.until
    }
}

/// A window as whole days plus at most two partial days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowParts {
    pub whole_days: DayRange,
    pub edges: Vec<Edge>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn counts(values: [u64; 5]) -> FunnelCounts {
        let [submitted, approved, rejected, unenrolled, ineligible] = values;
        FunnelCounts {
            submitted,
            approved,
            rejected,
            unenrolled,
            ineligible,
        }
    }

    fn at(micros: i64) -> Timestamp {
        Timestamp::from_unix_micros(micros).unwrap()
    }

    #[test]
    fn rates_follow_the_funnel() {
        // 2 submitted, 3 approved, 1 rejected, 2 unenrolled, 2 ineligible.
        let c = counts([2, 3, 1, 2, 2]);
        assert_eq!(c.total(), 10);
        assert_eq!(c.eligibility_rate(), Some(0.8));
        assert_eq!(c.approval_rate(), Some(5.0 / 6.0));
        assert_eq!(c.unenrollment_rate(), Some(0.4));
        let none = FunnelCounts::default();
        assert_eq!(
            (
                none.eligibility_rate(),
                none.approval_rate(),
                none.unenrollment_rate()
            ),
            (None, None, None)
        );
    }

    #[test]
    fn median_of_odd_and_even_lists() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[7]), Some(7.0));
        assert_eq!(median(&[9, 1, 5]), Some(5.0));
        assert_eq!(median(&[4, 1, 3, 2]), Some(2.5));
        assert_eq!(median_seconds(&[1_500_000, 2_500_000]), Some(2.0));
    }

    #[test]
    fn decision_buckets_keep_two_significant_digits() {
        for (micros, bucket) in [
            (-5, 0),
            (0, 0),
            (9, 9),
            (10, 210),
            (99, 299),
            (100, 310),
            (129_597_500_000, 1212),
            (i64::MAX, 1992),
        ] {
            assert_eq!(decision_bucket(micros), bucket, "{micros}");
        }
    }

    #[test]
    fn days_read_and_write_iso_dates() {
        let day = Day::parse("2026-11-28").unwrap();
        assert_eq!(day.to_string(), "2026-11-28");
        assert_eq!(day.start().unwrap().to_string(), "2026-11-28T00:00:00Z");
        assert_eq!(
            Day::of(Timestamp::parse("2026-11-28T23:59:59.999999Z").unwrap()),
            day
        );
        for bad in [
            "2026-02-30",
            "2026-1-01",
            "2026-13-01",
            "20261128",
            "2026-11-28T00:00:00Z",
            "+026-11-28",
        ] {
            assert_eq!(Day::parse(bad), Err(DayError), "{bad}");
        }
    }

    #[test]
    fn bounds_read_dates_as_whole_days_and_timestamps_inclusively() {
        let from = Window::parse_from("2026-11-01").unwrap();
        let until = Window::parse_to("2026-11-30").unwrap().unwrap();
        assert_eq!(from.to_string(), "2026-11-01T00:00:00Z");
        assert_eq!(until.to_string(), "2026-12-01T00:00:00Z");
        let until = Window::parse_to("2026-11-30T12:00:00+01:00")
            .unwrap()
            .unwrap();
        assert_eq!(until.to_string(), "2026-11-30T11:00:00.000001Z");
        assert_eq!(Window::parse_from("yesterday"), Err(WindowBoundError));
        assert_eq!(
            Window::parse_to("9999-12-31"),
            Ok(None),
            "the end of time is no bound"
        );
        let backwards = Window::new(Some(until), Some(from));
        assert!(!backwards.contains(from) && !backwards.contains(until));
        assert_eq!(backwards.split().edges, vec![]);
    }

    #[test]
    fn a_window_inside_one_day_is_one_edge() {
        let day = MICROS_PER_DAY * 20_000;
        let window = Window::new(Some(at(day + 10)), Some(at(day + 20)));
        let parts = window.split();
        assert_eq!(
            parts.edges,
            vec![Edge {
                from: at(day + 10),
                until: at(day + 20)
            }]
        );
        assert!(!parts.whole_days.contains(Day(20_000)));
    }

    const SPAN: i64 = MICROS_PER_DAY * 5;

    fn bound() -> impl Strategy<Value = Option<i64>> {
        // Midnights are likely, as dates give them.
        prop_oneof![
            Just(None),
            (0..5i64).prop_map(|d| Some(MICROS_PER_DAY * (20_000 + d))),
            (0..SPAN).prop_map(|m| Some(MICROS_PER_DAY * 20_000 + m)),
        ]
    }

    proptest! {
        #[test]
        fn rates_are_fractions_and_null_exactly_without_a_denominator(
            values in proptest::array::uniform5(0u64..1_000)
        ) {
            let c = counts(values);
            for (rate, denominator) in [
                (c.eligibility_rate(), c.total()),
                (c.approval_rate(), c.ever_decided()),
                (c.unenrollment_rate(), c.ever_approved()),
            ] {
                prop_assert_eq!(rate.is_none(), denominator == 0);
                if let Some(rate) = rate {
                    prop_assert!((0.0..=1.0).contains(&rate));
                }
            }
        }

        #[test]
        fn the_median_splits_the_list_in_two(values in proptest::collection::vec(-1_000_000i64..1_000_000, 0..50)) {
            let Some(m) = median(&values) else {
                prop_assert!(values.is_empty());
                return Ok(());
            };
            let below = values.iter().filter(|&&v| (v as f64) < m).count();
            let above = values.iter().filter(|&&v| (v as f64) > m).count();
            prop_assert!(below <= values.len() / 2 && above <= values.len() / 2);
            // Reading only the middle one or two values, as a store does, gives the same median.
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let n = sorted.len();
            let middle = &sorted[(n - 1) / 2..n / 2 + 1];
            prop_assert_eq!(median(middle), Some(m));
        }

        #[test]
        fn days_are_written_as_the_calendar_says(day in -719_528i64..2_932_897) {
            let date = time::Date::from_julian_day(i32::try_from(day + JULIAN_DAY_OF_1970).unwrap()).unwrap();
            let expected = format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day());
            prop_assert_eq!(Day(day).to_string(), expected);
        }

        #[test]
        fn decision_buckets_ascend_with_the_times(a in any::<i64>(), b in any::<i64>()) {
            let (low, high) = (a.min(b), a.max(b));
            prop_assert!(decision_bucket(low) <= decision_bucket(high));
        }

        #[test]
        fn whole_days_and_edges_cover_the_window_exactly_once(
            from in bound(), until in bound(), probes in proptest::collection::vec(-MICROS_PER_DAY..SPAN + MICROS_PER_DAY, 1..40)
        ) {
            let window = Window::new(from.map(at), until.map(at));
            let parts = window.split();
            prop_assert!(parts.edges.len() <= 2);
            for edge in &parts.edges {
                prop_assert!(edge.from < edge.until);
                prop_assert_eq!(Day::of(edge.from), Day::of(at(edge.until.unix_micros() - 1)));
                prop_assert!(!parts.whole_days.contains(edge.day()));
            }
            for probe in probes {
                let probe = at(MICROS_PER_DAY * 20_000 + probe);
                let covered = usize::from(parts.whole_days.contains(Day::of(probe)))
                    + parts.edges.iter().filter(|edge| edge.contains(probe)).count();
                prop_assert_eq!(covered, usize::from(window.contains(probe)), "{}", probe);
            }
        }
    }
}
