//! Seasons: yearly windows in an instance's own time zone, and the one rule that says
//! whether an instance accepts enrollments at an instant and when that next changes.
//!
//! Zones come from the IANA database bundled into the binary (jiff's `tzdb-bundle-always`):
//! reading a zone is a lookup in memory, never a file, so the crate stays pure.

use std::fmt;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use serde_json::Value;

use super::{Schedule, Status};
use crate::timestamp::Timestamp;
use crate::violation::{Rule, Violation, Violations};

/// An IANA time zone (`America/New_York`), with its daylight-saving rules.
#[derive(Clone)]
pub struct Zone {
    name: String,
    rules: TimeZone,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an IANA time zone name such as America/New_York")]
pub struct UnknownTimeZone;

impl Rule for UnknownTimeZone {
    fn code(&self) -> &'static str {
        "unknown_time_zone"
    }
}

impl Zone {
    /// The zone of that exact IANA name (`UTC` included); fixed offsets such as `+02:00`
    /// are not zones and are refused.
    pub fn parse(name: &str) -> Result<Self, UnknownTimeZone> {
        // The database also answers for names that differ in case only; the name is kept
        // as the database spells it, so that two spellings are never two zones.
        let rules = jiff::tz::db().get(name).map_err(|_| UnknownTimeZone)?;
        let canonical = rules.iana_name().ok_or(UnknownTimeZone)?;
        if canonical != name {
            return Err(UnknownTimeZone);
        }
        Ok(Self {
            name: name.to_owned(),
            rules,
        })
    }

    /// Every name `parse` accepts, in the database's order.
    pub fn names() -> Vec<String> {
        jiff::tz::db()
            .available()
            .map(|name| name.as_str().to_owned())
            .collect()
    }

    pub fn utc() -> Self {
        Self {
            name: "UTC".to_owned(),
            rules: TimeZone::UTC,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The calendar day `at` falls on in this zone.
    pub fn local_day(&self, at: Timestamp) -> MonthDay {
        let date = self.local_date(at);
        MonthDay {
            month: date.month().unsigned_abs(),
            day: date.day().unsigned_abs(),
        }
    }

    /// `at` as people read it in this zone: "May 1, 2026 at 00:00 EDT".
    pub fn describe(&self, at: Timestamp) -> String {
        jiff::Timestamp::from_microsecond(at.unix_micros())
            .map(|instant| {
                instant
                    .to_zoned_datetime(self.rules.clone())
                    .strftime("%B %-d, %Y at %H:%M %Z")
                    .to_string()
            })
            .unwrap_or_else(|_| at.to_rfc3339())
    }

    fn local_date(&self, at: Timestamp) -> Date {
        // Every instant a Timestamp holds (years 0 to 9999) is one jiff holds too.
        jiff::Timestamp::from_microsecond(at.unix_micros())
            .map(|instant| self.rules.to_datetime(instant).date())
            .unwrap_or(Date::MIN)
    }

    /// The first instant of `date` in this zone: its midnight, or where a daylight-saving
    /// gap swallowed midnight, the first instant after the gap (when the day begins).
    fn start_of(&self, date: Date) -> Option<Timestamp> {
        let instant = self.rules.to_timestamp(DateTime::from(date)).ok()?;
        Timestamp::from_unix_micros(instant.as_microsecond())
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Zone").field(&self.name).finish()
    }
}

/// A day of the year, `MM-DD`. Read from a request it is a day of a non-leap year;
/// as the day an instant falls on it may also be 02-29, ordered between 02-28 and 03-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    month: u8,
    day: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a day of a non-leap year written MM-DD, such as 05-01")]
pub struct InvalidDay;

impl Rule for InvalidDay {
    fn code(&self) -> &'static str {
        "invalid_day"
    }
}

const DAYS_IN_MONTH: [u8; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

impl MonthDay {
    /// Every day `parse` accepts (those of a non-leap year), as it is written.
    pub fn every_day() -> Vec<String> {
        all_days()
            .filter(|day| (day.month, day.day) != (2, 29))
            .map(|day| day.to_string())
            .collect()
    }

    pub fn parse(text: &str) -> Result<Self, InvalidDay> {
        let bytes = text.as_bytes();
        if bytes.len() != 5 || bytes[2] != b'-' {
            return Err(InvalidDay);
        }
        let two_digits = |at: usize| -> Result<u8, InvalidDay> {
            match (bytes[at], bytes[at + 1]) {
                (tens @ b'0'..=b'9', units @ b'0'..=b'9') => Ok((tens - b'0') * 10 + units - b'0'),
                _ => Err(InvalidDay),
            }
        };
        let (month, day) = (two_digits(0)?, two_digits(3)?);
        let days = DAYS_IN_MONTH
            .get(usize::from(month).wrapping_sub(1))
            .ok_or(InvalidDay)?;
        if day == 0 || day > *days {
            return Err(InvalidDay);
        }
        Ok(Self { month, day })
    }

    /// Its place in a leap year, 1 (01-01) to 366 (12-31): 02-29 is 60.
    pub fn ordinal(&self) -> usize {
        let before: usize = (0..usize::from(self.month) - 1)
            .map(|month| usize::from(if month == 1 { 29 } else { DAYS_IN_MONTH[month] }))
            .sum();
        before + usize::from(self.day)
    }

    fn in_year(&self, year: i16) -> Option<Date> {
        Date::new(
            year,
            i8::try_from(self.month).ok()?,
            i8::try_from(self.day).ok()?,
        )
        .ok()
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

/// A yearly window: open from 00:00 on `opens` to 24:00 on `closes`, both local days
/// included; `closes` before `opens` wraps the new year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeasonWindow {
    pub opens: MonthDay,
    pub closes: MonthDay,
}

impl SeasonWindow {
    fn wraps(&self) -> bool {
        self.closes < self.opens
    }

    pub fn contains(&self, day: MonthDay) -> bool {
        if self.wraps() {
            day >= self.opens || day <= self.closes
        } else {
            self.opens <= day && day <= self.closes
        }
    }
}

/// One to twelve windows that share no day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seasons(Vec<SeasonWindow>);

/// At most this many windows in a year.
pub const MAX_SEASONS: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("overlaps an earlier season")]
pub struct OverlappingSeasons;

impl Rule for OverlappingSeasons {
    fn code(&self) -> &'static str {
        "overlapping_seasons"
    }
}

impl Seasons {
    /// Reads `[{ "opens": "MM-DD", "closes": "MM-DD" }, …]`; every violation is reported
    /// with its pointer below `/seasons`.
    pub fn from_json(value: Value) -> Result<Self, Violations> {
        let mut violations = Violations::new();
        let Value::Array(items) = value else {
            violations.push(Violation::new(
                "",
                "invalid_type",
                "must be an array of { opens, closes } windows, or null",
            ));
            return Err(violations);
        };
        if items.is_empty() || items.len() > MAX_SEASONS {
            violations.push(Violation::new(
                "",
                "invalid_length",
                format!("must hold 1 to {MAX_SEASONS} windows (null for no seasonal limit)"),
            ));
            return Err(violations);
        }
        let mut windows = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            match window_from_json(item) {
                Ok(window) => windows.push(Some(window)),
                Err(errors) => {
                    violations.extend(errors.nested_in(&format!("/{index}")));
                    windows.push(None);
                }
            }
        }
        for later in 1..windows.len() {
            let Some(window) = windows[later] else {
                continue;
            };
            let overlaps = windows[..later]
                .iter()
                .flatten()
                .any(|earlier| share_a_day(earlier, &window));
            if overlaps {
                violations.push(Violation::of(format!("/{later}"), &OverlappingSeasons));
            }
        }
        if !violations.is_empty() {
            return Err(violations);
        }
        Ok(Self(windows.into_iter().flatten().collect()))
    }

    pub fn to_json(&self) -> Value {
        Value::Array(
            self.0
                .iter()
                .map(|window| {
                    serde_json::json!({
                        "opens": window.opens.to_string(),
                        "closes": window.closes.to_string(),
                    })
                })
                .collect(),
        )
    }

    pub fn windows(&self) -> &[SeasonWindow] {
        &self.0
    }

    pub fn contains(&self, day: MonthDay) -> bool {
        self.0.iter().any(|window| window.contains(day))
    }

    /// One character per day of a leap year (`ordinal` 1 to 366), `1` inside a season:
    /// what storage compares the day of an instant with, without zone arithmetic.
    pub fn day_map(&self) -> String {
        all_days()
            .map(|day| if self.contains(day) { '1' } else { '0' })
            .collect()
    }
}

/// Every day of a leap year, in order.
fn all_days() -> impl Iterator<Item = MonthDay> {
    (1..=12_u8).flat_map(|month| {
        let days = if month == 2 {
            29
        } else {
            DAYS_IN_MONTH[usize::from(month) - 1]
        };
        (1..=days).map(move |day| MonthDay { month, day })
    })
}

fn share_a_day(a: &SeasonWindow, b: &SeasonWindow) -> bool {
    all_days().any(|day| a.contains(day) && b.contains(day))
}

fn window_from_json(value: Value) -> Result<SeasonWindow, Violations> {
    let mut violations = Violations::new();
    let Value::Object(mut members) = value else {
        violations.push(Violation::new(
            "",
            "invalid_type",
            "must be an object { opens, closes }",
        ));
        return Err(violations);
    };
    let mut day = |name: &str| -> Option<MonthDay> {
        match members.remove(name) {
            Some(Value::String(text)) => match MonthDay::parse(&text) {
                Ok(day) => Some(day),
                Err(error) => {
                    violations.push(Violation::of(format!("/{name}"), &error));
                    None
                }
            },
            Some(_) => {
                violations.push(Violation::new(
                    format!("/{name}"),
                    "invalid_type",
                    "must be a string MM-DD",
                ));
                None
            }
            None => {
                violations.push(Violation::new(
                    format!("/{name}"),
                    "required",
                    "is required",
                ));
                None
            }
        }
    };
    let (opens, closes) = (day("opens"), day("closes"));
    for unknown in members.keys() {
        violations.push(Violation::new(
            format!("/{unknown}"),
            "unknown_field",
            "is not a field of a season (opens, closes)",
        ));
    }
    match (opens, closes) {
        (Some(opens), Some(closes)) if violations.is_empty() => Ok(SeasonWindow { opens, closes }),
        _ => Err(violations),
    }
}

/// Which way `acceptingEnrollments` turned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollmentFlip {
    Opened,
    Closed,
}

impl EnrollmentFlip {
    /// The flip from one reading of `accepting` to the next, if they differ.
    pub fn between(before: bool, after: bool) -> Option<Self> {
        match (before, after) {
            (false, true) => Some(Self::Opened),
            (true, false) => Some(Self::Closed),
            _ => None,
        }
    }
}

/// The flips that time has brought about, in order, and the next one still ahead.
#[derive(Debug, Clone, PartialEq)]
pub struct DueFlips {
    pub flips: Vec<(EnrollmentFlip, Timestamp)>,
    /// The next flip not in `flips`: after `now`, or the one the limit cut off.
    pub next: Option<Timestamp>,
}

/// When enrollments are taken: an instance's status, dates, and seasons in its zone.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrollmentWindow<'a> {
    pub status: Status,
    pub schedule: Schedule,
    pub seasons: Option<&'a Seasons>,
    pub zone: &'a Zone,
}

impl EnrollmentWindow<'_> {
    /// The one rule: active, within [startDate, endDate], and, with seasons, on a day of
    /// one of them in the instance's zone.
    pub fn accepting(&self, at: Timestamp) -> bool {
        self.status == Status::Active
            && self.schedule.contains(at)
            && self
                .seasons
                .is_none_or(|seasons| seasons.contains(self.zone.local_day(at)))
    }

    /// The first instant after `now` at which `accepting` differs from `accepting(now)` by
    /// the passing of time alone; `None` when it never will.
    ///
    /// `accepting` can only change where one of its terms does: at `startDate`, just after
    /// `endDate` (it is included), and at the first instant of a local day (a season's
    /// `opens`, or the day after its `closes`). Those candidates are tried in order; between
    /// two of them nothing changes.
    pub fn next_change(&self, now: Timestamp) -> Option<Timestamp> {
        if self.status != Status::Active || self.schedule.has_ended_by(now) {
            return None;
        }
        let accepting_now = self.accepting(now);
        let mut candidates: Vec<Timestamp> = Vec::new();
        candidates.extend(self.schedule.start().filter(|start| *start > now));
        candidates.extend(
            self.schedule
                .end()
                .and_then(|end| end.checked_add(time::Duration::microseconds(1))),
        );
        if let Some(seasons) = self.seasons {
            // Seasons repeat every year: from the year before the first instant that can
            // matter (a wrapping window may have opened then) to two years past it, every
            // window's boundaries are enough to find the next change.
            let from = self
                .schedule
                .start()
                .filter(|start| *start > now)
                .unwrap_or(now);
            let year = self.zone.local_date(from).year();
            for year in year.saturating_sub(1)..=year.saturating_add(2) {
                for window in seasons.windows() {
                    candidates.extend(
                        window
                            .opens
                            .in_year(year)
                            .and_then(|date| self.zone.start_of(date)),
                    );
                    candidates.extend(
                        window
                            .closes
                            .in_year(year)
                            .and_then(|date| date.tomorrow().ok())
                            .and_then(|date| self.zone.start_of(date)),
                    );
                }
            }
        }
        candidates.retain(|candidate| *candidate > now);
        candidates.sort_unstable();
        candidates
            .into_iter()
            .find(|candidate| self.accepting(*candidate) != accepting_now)
    }

    /// The flips from `first` (an instant `next_change` predicted) up to and including `now`,
    /// at most `limit` of them. An instant at which nothing turns (the rule changed since it
    /// was predicted) gives no flip.
    pub fn flips_due(&self, first: Timestamp, now: Timestamp, limit: usize) -> DueFlips {
        let mut flips = Vec::new();
        let mut next = Some(first);
        while let Some(at) = next {
            if at > now || flips.len() >= limit {
                break;
            }
            let before = at
                .checked_add(time::Duration::microseconds(-1))
                .is_some_and(|just_before| self.accepting(just_before));
            if let Some(flip) = EnrollmentFlip::between(before, self.accepting(at)) {
                flips.push((flip, at));
            }
            next = self.next_change(at);
        }
        DueFlips { flips, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn seasons(value: Value) -> Seasons {
        Seasons::from_json(value).unwrap()
    }

    fn active<'a>(seasons: Option<&'a Seasons>, zone: &'a Zone) -> EnrollmentWindow<'a> {
        EnrollmentWindow {
            status: Status::Active,
            schedule: Schedule::default(),
            seasons,
            zone,
        }
    }

    #[test]
    fn zones_are_iana_names_spelled_as_the_database_spells_them() {
        assert_eq!(
            Zone::parse("America/New_York").unwrap().as_str(),
            "America/New_York"
        );
        assert_eq!(Zone::parse("UTC").unwrap(), Zone::utc());
        for refused in [
            "america/new_york",
            "+02:00",
            "EST5EDT6",
            "",
            "Mars/Olympus",
            "UTC ",
        ] {
            assert_eq!(
                Zone::parse(refused).err(),
                Some(UnknownTimeZone),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn every_listed_zone_name_is_accepted() {
        let names = Zone::names();
        assert!(names.len() > 300, "{}", names.len());
        assert!(names.iter().any(|name| name == "UTC"));
        assert!(names.iter().any(|name| name == "America/New_York"));
        for name in &names {
            assert_eq!(Zone::parse(name).map(|zone| zone.name), Ok(name.clone()));
        }
    }

    #[test]
    fn the_listed_days_are_exactly_the_days_parse_accepts() {
        let listed = MonthDay::every_day();
        assert_eq!(listed.len(), 365);
        for month in 0..100 {
            for day in 0..100 {
                let text = format!("{month:02}-{day:02}");
                assert_eq!(
                    listed.contains(&text),
                    MonthDay::parse(&text).is_ok(),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn days_are_days_of_a_non_leap_year() {
        assert_eq!(MonthDay::parse("05-01").unwrap().to_string(), "05-01");
        for refused in [
            "02-29",
            "13-01",
            "00-10",
            "04-31",
            "4-01",
            "04-1",
            "04/01",
            "04-01 ",
            "٠٤-٠١",
        ] {
            assert_eq!(MonthDay::parse(refused), Err(InvalidDay), "{refused:?}");
        }
        assert_eq!(MonthDay::parse("01-01").unwrap().ordinal(), 1);
        assert_eq!(MonthDay::parse("03-01").unwrap().ordinal(), 61);
        assert_eq!(MonthDay::parse("12-31").unwrap().ordinal(), 366);
    }

    #[test]
    fn a_window_opening_in_new_york_opens_at_its_local_midnight_whatever_the_season() {
        let zone = Zone::parse("America/New_York").unwrap();
        let summer = seasons(json!([{ "opens": "07-01", "closes": "09-30" }]));
        let window = active(Some(&summer), &zone);
        assert_eq!(
            window.next_change(at("2026-06-15T00:00:00Z")),
            Some(at("2026-07-01T04:00:00Z"))
        );
        assert!(!window.accepting(at("2026-07-01T03:59:59.999999Z")));
        assert!(window.accepting(at("2026-07-01T04:00:00Z")));
        // Closes at 24:00 on 09-30, still daylight time.
        assert_eq!(
            window.next_change(at("2026-07-02T00:00:00Z")),
            Some(at("2026-10-01T04:00:00Z"))
        );
        let winter = seasons(json!([{ "opens": "01-15", "closes": "02-28" }]));
        assert_eq!(
            active(Some(&winter), &zone).next_change(at("2026-12-25T00:00:00Z")),
            Some(at("2027-01-15T05:00:00Z"))
        );
    }

    #[test]
    fn a_window_closing_before_it_opens_wraps_the_new_year() {
        let zone = Zone::utc();
        let winter = seasons(json!([{ "opens": "11-01", "closes": "02-28" }]));
        let window = active(Some(&winter), &zone);
        assert!(window.accepting(at("2026-12-31T23:59:59Z")));
        assert!(window.accepting(at("2027-01-01T00:00:00Z")));
        assert!(
            !window.accepting(at("2028-02-29T12:00:00Z")),
            "a leap day after 02-28"
        );
        assert_eq!(
            window.next_change(at("2027-01-10T00:00:00Z")),
            Some(at("2027-03-01T00:00:00Z"))
        );
    }

    #[test]
    fn windows_that_share_a_day_are_refused_at_the_later_one() {
        let refused = Seasons::from_json(json!([
            { "opens": "05-01", "closes": "06-30" },
            { "opens": "08-01", "closes": "09-30" },
            { "opens": "06-30", "closes": "07-15" },
        ]))
        .unwrap_err();
        let found: Vec<_> = refused
            .iter()
            .map(|v| (v.pointer.clone(), v.code))
            .collect();
        assert_eq!(found, [("/2".to_owned(), "overlapping_seasons")]);
        // Adjacent windows do not overlap, and never close between them.
        let adjacent = seasons(json!([
            { "opens": "05-01", "closes": "06-30" },
            { "opens": "07-01", "closes": "07-31" },
        ]));
        let zone = Zone::utc();
        assert_eq!(
            active(Some(&adjacent), &zone).next_change(at("2026-06-01T00:00:00Z")),
            Some(at("2026-08-01T00:00:00Z"))
        );
    }

    #[test]
    fn malformed_seasons_name_their_field() {
        let cases = [
            (json!([]), ""),
            (json!("05-01"), ""),
            (json!([{ "opens": "02-29", "closes": "03-10" }]), "/0/opens"),
            (json!([{ "opens": "01-01" }]), "/0/closes"),
            (
                json!([{ "opens": "01-01", "closes": "01-02", "note": 1 }]),
                "/0/note",
            ),
            (json!([{ "opens": 5, "closes": "01-02" }]), "/0/opens"),
        ];
        for (value, pointer) in cases {
            let refused = Seasons::from_json(value.clone()).unwrap_err();
            assert!(
                refused.iter().any(|v| v.pointer == pointer),
                "{value}: {refused:?}"
            );
        }
        let thirteen: Vec<Value> = (1..=13)
            .map(|month| json!({ "opens": format!("{:02}-01", month.min(12)), "closes": format!("{:02}-02", month.min(12)) }))
            .collect();
        assert!(Seasons::from_json(Value::Array(thirteen)).is_err());
    }

    #[test]
    fn the_dates_bound_the_seasons_and_nothing_changes_once_ended_or_inactive() {
        let zone = Zone::utc();
        let summer = seasons(json!([{ "opens": "06-01", "closes": "08-31" }]));
        let window = EnrollmentWindow {
            status: Status::Active,
            schedule: Schedule::new(
                Some(at("2026-07-15T12:00:00Z")),
                Some(at("2027-06-10T00:00:00Z")),
            )
            .unwrap(),
            seasons: Some(&summer),
            zone: &zone,
        };
        assert_eq!(
            window.next_change(at("2026-01-01T00:00:00Z")),
            Some(at("2026-07-15T12:00:00Z"))
        );
        assert_eq!(
            window.next_change(at("2026-07-16T00:00:00Z")),
            Some(at("2026-09-01T00:00:00Z"))
        );
        assert_eq!(
            window.next_change(at("2026-10-01T00:00:00Z")),
            Some(at("2027-06-01T00:00:00Z"))
        );
        assert_eq!(
            window.next_change(at("2027-06-05T00:00:00Z")),
            Some(at("2027-06-10T00:00:00.000001Z"))
        );
        assert_eq!(window.next_change(at("2027-06-11T00:00:00Z")), None);
        let inactive = EnrollmentWindow {
            status: Status::Inactive,
            ..window
        };
        assert_eq!(inactive.next_change(at("2026-01-01T00:00:00Z")), None);
    }

    const ZONES: [&str; 8] = [
        "UTC",
        "America/New_York",
        "Europe/London",
        "Australia/Sydney",
        "Asia/Kolkata",
        "America/Sao_Paulo",
        "Pacific/Chatham",
        "America/Havana",
    ];

    fn day() -> impl Strategy<Value = MonthDay> {
        (1..=12_u8, 1..=31_u8).prop_filter_map("a day of a non-leap year", |(month, day)| {
            MonthDay::parse(&format!("{month:02}-{day:02}")).ok()
        })
    }

    fn some_seasons() -> impl Strategy<Value = Option<Seasons>> {
        prop::option::of(prop::collection::vec((day(), day()), 1..4)).prop_map(|windows| {
            windows.and_then(|windows| {
                let value = windows
                    .iter()
                    .map(|(opens, closes)| json!({ "opens": opens.to_string(), "closes": closes.to_string() }))
                    .collect();
                Seasons::from_json(Value::Array(value)).ok()
            })
        })
    }

    /// An instant from 2019 to 2031, to the second.
    fn instant() -> impl Strategy<Value = Timestamp> {
        (1_546_300_800_i64..1_924_992_000)
            .prop_map(|seconds| Timestamp::from_unix_micros(seconds * 1_000_000).unwrap())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The predicted flip is exactly where the rule changes: the state holds until just
        /// before it (checked at every local midnight and sampled instants in between) and
        /// differs from it on; with no flip predicted, nothing changes for three years.
        #[test]
        fn the_next_change_is_exactly_where_accepting_flips(
            zone in prop::sample::select(ZONES.to_vec()),
            seasons in some_seasons(),
            start in prop::option::of(instant()),
            length in 1_i64..400 * 86_400,
            has_end in any::<bool>(),
            now in instant(),
            samples in prop::collection::vec(0.0_f64..1.0, 20),
        ) {
            let zone = Zone::parse(zone).unwrap();
            let end = if has_end {
                start.unwrap_or(now).checked_add(time::Duration::seconds(length))
            } else {
                None
            };
            let schedule = Schedule::new(start, end).unwrap();
            let window = EnrollmentWindow { status: Status::Active, schedule, seasons: seasons.as_ref(), zone: &zone };
            let state = window.accepting(now);
            let horizon = now.checked_add(time::Duration::days(3 * 366)).unwrap();
            let next = window.next_change(now);
            if let Some(next) = next {
                prop_assert!(next > now);
                prop_assert_ne!(window.accepting(next), state);
                prop_assert_eq!(window.accepting(next.checked_add(time::Duration::microseconds(-1)).unwrap()), state);
            }
            let until = next.unwrap_or(horizon).min(horizon);
            let span = until.unix_micros() - now.unix_micros();
            let mut checked: Vec<Timestamp> = samples
                .iter()
                .filter_map(|fraction| Timestamp::from_unix_micros(now.unix_micros() + (span as f64 * fraction) as i64))
                .collect();
            // Every local midnight in between, where a season turns.
            let mut date = zone.local_date(now);
            while let Some(midnight) = date.tomorrow().ok().and_then(|next_day| zone.start_of(next_day)) {
                if midnight >= until {
                    break;
                }
                checked.push(midnight);
                date = zone.local_date(midnight);
            }
            for instant in checked.into_iter().filter(|instant| *instant > now && *instant < until) {
                prop_assert_eq!(window.accepting(instant), state, "at {}", instant.to_rfc3339());
            }
        }

        /// Catching up from a predicted flip gives every flip up to now, alternating from the
        /// state before it, each where the rule turns, and leaves the next one ahead.
        #[test]
        fn due_flips_are_every_turn_up_to_now_in_order(
            zone in prop::sample::select(ZONES.to_vec()),
            seasons in some_seasons(),
            start in prop::option::of(instant()),
            length in 1_i64..400 * 86_400,
            has_end in any::<bool>(),
            since in instant(),
            later in 0_i64..3 * 366 * 86_400,
        ) {
            let zone = Zone::parse(zone).unwrap();
            let end = if has_end {
                start.unwrap_or(since).checked_add(time::Duration::seconds(length))
            } else {
                None
            };
            let schedule = Schedule::new(start, end).unwrap();
            let window = EnrollmentWindow { status: Status::Active, schedule, seasons: seasons.as_ref(), zone: &zone };
            let now = since.checked_add(time::Duration::seconds(later)).unwrap();
            let Some(first) = window.next_change(since) else {
                return Ok(());
            };
            let due = window.flips_due(first, now, 10_000);
            let mut state = window.accepting(since);
            let mut previous = since;
            for (flip, at) in &due.flips {
                prop_assert!(*at > previous && *at <= now);
                prop_assert_eq!(Some(*flip), EnrollmentFlip::between(state, !state));
                prop_assert_eq!(window.next_change(previous), Some(*at));
                state = !state;
                previous = *at;
            }
            prop_assert_eq!(window.accepting(now), state);
            if let Some(next) = due.next {
                prop_assert!(next > now);
                prop_assert_eq!(window.next_change(now), Some(next));
            } else {
                prop_assert_eq!(window.next_change(now), None);
            }
            let one = window.flips_due(first, now, 1);
            prop_assert_eq!(&one.flips[..], &due.flips[..due.flips.len().min(1)]);
            if due.flips.len() > 1 {
                prop_assert_eq!(one.next, Some(due.flips[1].1));
            }
        }
    }
}
