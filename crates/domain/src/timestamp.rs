//! Instants in UTC with microsecond precision: what every supported database stores exactly,
//! so a value read back equals the value written.

use std::fmt;

use serde::{Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::violation::Rule;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an RFC 3339 timestamp such as 2023-01-01T00:00:00Z")]
pub struct TimestampError;

impl Rule for TimestampError {
    fn code(&self) -> &'static str {
        "invalid_timestamp"
    }
}

impl Timestamp {
    /// Normalises any offset to UTC and truncates below the microsecond. (An instant whose
    /// UTC form is past what `time` represents keeps its offset: `parse` refuses those.)
    pub fn from_datetime(value: OffsetDateTime) -> Self {
        let utc = value.checked_to_offset(UtcOffset::UTC).unwrap_or(value);
        let micros = utc.microsecond();
        Self(utc.replace_nanosecond(micros * 1_000).unwrap_or(utc))
    }

    /// Parses RFC 3339 with any offset; refused when its UTC form falls outside the years
    /// 0 to 9999, which RFC 3339 cannot write (`9999-12-31T23:59:59-01:00`).
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        OffsetDateTime::parse(text, &Rfc3339)
            .ok()
            .and_then(|at| at.checked_to_offset(UtcOffset::UTC))
            .filter(|utc| (0..10_000).contains(&utc.year()))
            .map(Self::from_datetime)
            .ok_or(TimestampError)
    }

    /// `None` outside the years 0 to 9999, which RFC 3339 cannot write.
    pub fn from_unix_micros(micros: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
            .ok()
            .filter(|at| (0..10_000).contains(&at.year()))
            .map(Self)
    }

    pub fn unix_micros(&self) -> i64 {
        // Microseconds since 1970 fit in i64 for every year time can represent.
        i64::try_from(self.0.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
    }

    pub fn as_datetime(&self) -> OffsetDateTime {
        self.0
    }

    pub fn checked_add(&self, duration: Duration) -> Option<Self> {
        self.0.checked_add(duration).map(Self::from_datetime)
    }

    /// RFC 3339 with a `Z` suffix.
    pub fn to_rfc3339(&self) -> String {
        self.to_string()
    }
}

/// RFC 3339 in UTC: the seconds' fraction only when there is one, without trailing zeros.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (date, time) = (self.0.date(), self.0.time());
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            date.year(),
            u8::from(date.month()),
            date.day(),
            time.hour(),
            time.minute(),
            time.second()
        )?;
        let micros = time.microsecond();
        if micros != 0 {
            let fraction = format!("{micros:06}");
            write!(f, ".{}", fraction.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn offsets_are_normalised_to_utc_with_z() {
        let parsed = Timestamp::parse("2023-01-01T02:00:00+02:00");
        assert_eq!(
            parsed.map(|t| t.to_string()),
            Ok("2023-01-01T00:00:00Z".to_owned())
        );
    }

    #[test]
    fn nanoseconds_are_truncated_to_microseconds() {
        let parsed = Timestamp::parse("2023-01-01T00:00:00.123456789Z");
        assert_eq!(
            parsed.map(|t| t.to_string()),
            Ok("2023-01-01T00:00:00.123456Z".to_owned())
        );
    }

    #[test]
    fn instants_rfc3339_cannot_write_are_refused() {
        let year_10000 = 253_402_300_800_000_000;
        assert!(Timestamp::from_unix_micros(year_10000 - 1).is_some());
        assert_eq!(Timestamp::from_unix_micros(year_10000), None);
        assert_eq!(Timestamp::from_unix_micros(-62_167_219_200_000_001), None);
        // Offsets that carry the instant past the years RFC 3339 writes, once in UTC.
        for beyond in ["9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+00:01"] {
            assert_eq!(Timestamp::parse(beyond), Err(TimestampError), "{beyond}");
        }
        assert!(Timestamp::parse("9999-12-31T23:59:59+23:59").is_ok());
    }

    proptest! {
        #[test]
        fn display_is_rfc3339_and_parses_back(micros in -62_167_219_200_000_000i64..253_402_300_800_000_000) {
            let at = Timestamp::from_unix_micros(micros).unwrap();
            prop_assert_eq!(at.to_string(), at.0.format(&Rfc3339).unwrap());
            prop_assert_eq!(Timestamp::parse(&at.to_string()), Ok(at));
        }
    }

    #[test]
    fn garbage_is_refused() {
        for bad in ["", "2023-01-01", "yesterday", "2023-13-01T00:00:00Z"] {
            assert_eq!(Timestamp::parse(bad), Err(TimestampError), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn micros_round_trip(micros in -62_135_596_800_000_000i64..253_402_300_799_000_000i64) {
            let stamp = Timestamp::from_unix_micros(micros);
            prop_assert_eq!(stamp.map(|s| s.unix_micros()), Some(micros));
        }

        #[test]
        fn rendering_then_parsing_is_identity(micros in 0i64..4_102_444_800_000_000i64) {
            let Some(stamp) = Timestamp::from_unix_micros(micros) else { return Ok(()) };
            prop_assert_eq!(Timestamp::parse(&stamp.to_rfc3339()), Ok(stamp));
        }
    }
}
