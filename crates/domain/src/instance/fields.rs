//! The value types of a program instance's fields. Each is built only through a constructor
//! that enforces its rules, so a value that exists is a valid one.

use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::timestamp::Timestamp;
use crate::violation::{Rule, Violation, Violations, pointer_token};

pub use crate::strict_json::TextError;
use crate::strict_json::white_space;

/// A display name: 1 to 200 characters once surrounding white space is trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    pub const MAX_CHARS: usize = 200;

    /// The rule as a regular expression: 1 to 200 characters, none NUL, once surrounding
    /// white space is trimmed.
    pub const PATTERN: &str = concat!(
        "^[",
        white_space!(),
        r"]*[^\u0000",
        white_space!(),
        r"](?:[^\u0000]{0,198}[^\u0000",
        white_space!(),
        "])?[",
        white_space!(),
        "]*$"
    );

    pub fn parse(candidate: &str) -> Result<Self, TextError> {
        let trimmed = candidate.trim();
        if trimmed.contains('\0') {
            Err(TextError::NulCharacter)
        } else if trimmed.is_empty() {
            Err(TextError::Blank)
        } else if trimmed.chars().count() > Self::MAX_CHARS {
            Err(TextError::TooLong {
                max: Self::MAX_CHARS,
            })
        } else {
            Ok(Self(trimmed.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free text of at most `MAX` characters, kept exactly as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct BoundedText<const MAX: usize>(String);

impl<const MAX: usize> BoundedText<MAX> {
    pub fn parse(candidate: &str) -> Result<Self, TextError> {
        if candidate.contains('\0') {
            Err(TextError::NulCharacter)
        } else if candidate.chars().count() > MAX {
            Err(TextError::TooLong { max: MAX })
        } else {
            Ok(Self(candidate.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An instance's description, at most 5,000 characters.
pub type Description = BoundedText<5_000>;
/// Organisation-specific terms, at most 50,000 characters.
pub type CustomTerms = BoundedText<50_000>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error(
        "must be lowercase letters and digits in words joined by single hyphens, e.g. battery-rebate-nyc-2023"
    )]
    Malformed,
    #[error("must be at most {max} characters", max = Slug::MAX_LEN)]
    TooLong,
}

impl Rule for SlugError {
    fn code(&self) -> &'static str {
        match self {
            SlugError::Malformed => "invalid_slug",
            SlugError::TooLong => "too_long",
        }
    }
}

/// A URL-friendly identifier: lowercase `a-z0-9` words joined by single hyphens, ≤ 100.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 100;
    /// The rule as a regular expression; the length is bounded separately.
    pub const PATTERN: &str = "^[a-z0-9]+(?:-[a-z0-9]+)*$";

    pub fn parse(candidate: &str) -> Result<Self, SlugError> {
        if candidate.len() > Self::MAX_LEN {
            return Err(SlugError::TooLong);
        }
        let well_formed = !candidate.is_empty()
            && candidate.split('-').all(|word| {
                !word.is_empty()
                    && word
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if well_formed {
            Ok(Self(candidate.to_owned()))
        } else {
            Err(SlugError::Malformed)
        }
    }

    /// The slug a name suggests: ASCII letters and digits lowercased, every other run of
    /// characters a single hyphen, cut at a word boundary to fit; `None` when the name has
    /// no ASCII letter or digit.
    pub fn derive_from(name: &Name) -> Option<Self> {
        let lowered = name.as_str().to_ascii_lowercase();
        let words = lowered
            .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
            .filter(|word| !word.is_empty());
        let mut slug = String::new();
        for word in words {
            let separator = usize::from(!slug.is_empty());
            if slug.len() + separator + word.len() > Self::MAX_LEN {
                if slug.is_empty() {
                    slug.push_str(&word[..Self::MAX_LEN]);
                }
                break;
            }
            if separator == 1 {
                slug.push('-');
            }
            slug.push_str(word);
        }
        Self::parse(&slug).ok()
    }

    /// An instance's id as its slug: for a name that suggests none. An id is lowercase
    /// letters and digits, which is always a slug.
    pub fn of_instance(id: &crate::InstanceId) -> Self {
        Self(id.as_str().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("must be an absolute https or http URL such as https://example.com/logo.png")]
    NotAbsoluteHttp,
    #[error("must be at most {max} characters", max = LogoUrl::MAX_LEN)]
    TooLong,
}

impl Rule for UrlError {
    fn code(&self) -> &'static str {
        match self {
            UrlError::NotAbsoluteHttp => "invalid_url",
            UrlError::TooLong => "too_long",
        }
    }
}

/// An absolute `https` (or `http`) URL of at most 2,048 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct LogoUrl(String);

impl LogoUrl {
    pub const MAX_LEN: usize = 2_048;

    /// The rule: `http` or `https` (any case), `://`, an optional user part, a host name of
    /// ASCII letters, digits, dots and hyphens (IP literals in brackets are not taken), an
    /// optional port, then a path, query or fragment; no white space or control character
    /// anywhere. The length is bounded separately.
    pub const PATTERN: &str = concat!(
        r"^[Hh][Tt][Tt][Pp][Ss]?://(?:[^/?#@\u0000-\u001F\u007F-\u009F",
        white_space!(),
        r"]*@)?[A-Za-z0-9.-]+(?::[0-9]*)?(?:[/?#][^\u0000-\u001F\u007F-\u009F",
        white_space!(),
        r"]*)?$"
    );

    pub fn parse(candidate: &str) -> Result<Self, UrlError> {
        static RULE: LazyLock<Option<regex_lite::Regex>> =
            LazyLock::new(|| regex_lite::Regex::new(LogoUrl::PATTERN).ok());
        if candidate.chars().count() > Self::MAX_LEN {
            return Err(UrlError::TooLong);
        }
        if RULE.as_ref().is_some_and(|rule| rule.is_match(candidate)) {
            Ok(Self(candidate.to_owned()))
        } else {
            Err(UrlError::NotAbsoluteHttp)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free-form custom fields: at most 50 keys of at most 40 characters, values nested at most
/// three levels deep, at most 8 KiB as JSON.
///
/// `from_json` checks the rules; deserialising is the trusted path, for metadata this crate
/// checked and serialised before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Metadata(Map<String, Value>);

impl Metadata {
    pub const MAX_KEYS: usize = 50;
    pub const MAX_KEY_CHARS: usize = 40;
    pub const MAX_BYTES: usize = 8 * 1024;
    /// How deep a value may nest: a scalar is 1, a list or object of scalars 2, and so on.
    pub const MAX_DEPTH: usize = 3;

    /// Pointers in the violations are relative to the metadata object.
    pub fn from_json(value: Value) -> Result<Self, Violations> {
        let Value::Object(map) = value else {
            return Err(Violation::new("", "invalid_type", "must be an object").into());
        };
        let mut violations = Violations::new();
        if map.len() > Self::MAX_KEYS {
            violations.push(Violation::new(
                "",
                "too_many_keys",
                format!("must have at most {} keys", Self::MAX_KEYS),
            ));
        }
        for key in map.keys() {
            let chars = key.chars().count();
            if chars == 0 || chars > Self::MAX_KEY_CHARS {
                violations.push(Violation::new(
                    format!("/{}", pointer_token(key)),
                    "invalid_key",
                    format!("keys must be 1 to {} characters", Self::MAX_KEY_CHARS),
                ));
            }
        }
        for (key, value) in &map {
            if depth(value) > Self::MAX_DEPTH {
                violations.push(Violation::new(
                    format!("/{}", pointer_token(key)),
                    "too_deep",
                    format!(
                        "values nest at most {} levels (lists and objects count one each)",
                        Self::MAX_DEPTH
                    ),
                ));
            }
        }
        if map
            .iter()
            .any(|(key, value)| key.contains('\0') || contains_nul(value))
        {
            violations.push(Violation::new(
                "",
                "invalid_character",
                "keys and strings must not contain NUL (U+0000)",
            ));
        }
        let size = serialized_len(&map);
        if size > Self::MAX_BYTES {
            violations.push(Violation::new(
                "",
                "too_large",
                format!(
                    "must be at most {} bytes as JSON (is {size})",
                    Self::MAX_BYTES
                ),
            ));
        }
        violations.into_result(Self(map))
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    pub fn to_json(&self) -> Value {
        Value::Object(self.0.clone())
    }
}

/// The length of `value` as compact JSON, without building the text.
fn serialized_len(value: &impl Serialize) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => counter.0,
        Err(_) => usize::MAX,
    }
}

/// How deep a JSON value nests: 1 for a scalar, one more for each list or object around.
/// An empty list or object counts as one around a scalar: it is a container all the same.
fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(1),
        Value::Object(members) => 1 + members.values().map(depth).max().unwrap_or(1),
        _ => 1,
    }
}

fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(members) => members
            .iter()
            .any(|(key, value)| key.contains('\0') || contains_nul(value)),
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("endDate must be after startDate")]
pub struct ScheduleError;

impl Rule for ScheduleError {
    fn code(&self) -> &'static str {
        "before_start"
    }
}

/// The window in which an instance runs; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Schedule {
    start: Option<Timestamp>,
    end: Option<Timestamp>,
}

impl Schedule {
    pub fn new(start: Option<Timestamp>, end: Option<Timestamp>) -> Result<Self, ScheduleError> {
        match (start, end) {
            (Some(start), Some(end)) if start >= end => Err(ScheduleError),
            _ => Ok(Self { start, end }),
        }
    }

    pub fn start(&self) -> Option<Timestamp> {
        self.start
    }

    pub fn end(&self) -> Option<Timestamp> {
        self.end
    }

    /// Whether `at` lies within [start, end], open ends included.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start.is_none_or(|start| start <= at) && self.end.is_none_or(|end| at <= end)
    }

    /// Whether the window closed before `at`.
    pub fn has_ended_by(&self, at: Timestamp) -> bool {
        self.end.is_some_and(|end| end < at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            Name::parse("  NYC  ").map(|n| n.as_str().to_owned()),
            Ok("NYC".to_owned())
        );
        assert_eq!(Name::parse("   "), Err(TextError::Blank));
        assert!(Name::parse(&"é".repeat(200)).is_ok());
        assert_eq!(
            Name::parse(&"é".repeat(201)),
            Err(TextError::TooLong { max: 200 })
        );
    }

    #[test]
    fn bounded_text_counts_characters() {
        assert!(Description::parse(&"x".repeat(5_000)).is_ok());
        assert_eq!(
            Description::parse(&"x".repeat(5_001)),
            Err(TextError::TooLong { max: 5_000 })
        );
        assert!(CustomTerms::parse(&"x".repeat(50_000)).is_ok());
        assert!(CustomTerms::parse(&"x".repeat(50_001)).is_err());
    }

    #[test]
    fn slugs_follow_the_word_rule() {
        assert!(Slug::parse("battery-rebate-nyc-2023").is_ok());
        for bad in ["", "-a", "a-", "a--b", "A", "a_b", "a b", "ü"] {
            assert_eq!(Slug::parse(bad), Err(SlugError::Malformed), "{bad}");
        }
        assert_eq!(Slug::parse(&"a".repeat(101)), Err(SlugError::TooLong));
    }

    #[test]
    fn slugs_derive_from_names() {
        let name = Name::parse("NYC Battery Rebate Program 2023").unwrap();
        assert_eq!(
            Slug::derive_from(&name).unwrap().as_str(),
            "nyc-battery-rebate-program-2023"
        );
        let name = Name::parse("  Über --- Café & Co!  ").unwrap();
        assert_eq!(Slug::derive_from(&name).unwrap().as_str(), "ber-caf-co");
        let name = Name::parse("ÜÉ").unwrap();
        assert_eq!(Slug::derive_from(&name), None);
    }

    #[test]
    fn logo_urls_must_be_absolute_http() {
        for good in [
            "https://example.com/logos/nyc-rebate.png",
            "HTTP://localhost:8080/x",
            "https://192.0.2.1/a",
        ] {
            assert!(LogoUrl::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "ftp://example.com/x",
            "https://",
            "https:///x",
            "example.com",
            "https://a b.com",
            "https://x:y/",
            "https://[::1]/a",
        ] {
            assert_eq!(LogoUrl::parse(bad), Err(UrlError::NotAbsoluteHttp), "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(2_048));
        assert_eq!(LogoUrl::parse(&long), Err(UrlError::TooLong));
    }

    #[test]
    fn metadata_limits_are_enforced() {
        assert!(Metadata::from_json(json!({"campaign": "spring", "budget": 10})).is_ok());
        let too_many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        let codes: Vec<_> = Metadata::from_json(Value::Object(too_many))
            .unwrap_err()
            .iter()
            .map(|v| v.code)
            .collect();
        assert_eq!(codes, ["too_many_keys"]);
        let long_key = Metadata::from_json(json!({ "k".repeat(41): 1 })).unwrap_err();
        assert_eq!(
            long_key.iter().next().unwrap().pointer,
            format!("/{}", "k".repeat(41))
        );
        let big = Metadata::from_json(json!({ "blob": "x".repeat(9_000) })).unwrap_err();
        assert_eq!(big.iter().next().unwrap().code, "too_large");
        assert!(Metadata::from_json(json!({"a": {"b": [1, null]}, "c": []})).is_ok());
        let deep = Metadata::from_json(json!({"ok": 1, "deep": {"b": {"c": [1]}}})).unwrap_err();
        let found: Vec<_> = deep.iter().map(|v| (v.pointer.as_str(), v.code)).collect();
        assert_eq!(found, [("/deep", "too_deep")]);
        // An empty object three levels down is a fourth level, as the schema counts it.
        let empty_inside = Metadata::from_json(json!({"a": {"b": {"c": {}}}})).unwrap_err();
        assert_eq!(empty_inside.iter().next().unwrap().code, "too_deep");
        assert!(Metadata::from_json(json!({"a": {"b": {}}})).is_ok());
        assert_eq!(
            Metadata::from_json(json!([1]))
                .unwrap_err()
                .iter()
                .next()
                .unwrap()
                .code,
            "invalid_type"
        );
    }

    #[test]
    fn schedules_need_start_before_end() {
        let a = Timestamp::parse("2023-01-01T00:00:00Z").unwrap();
        let b = Timestamp::parse("2023-12-31T23:59:59Z").unwrap();
        assert!(Schedule::new(Some(a), Some(b)).is_ok());
        assert_eq!(Schedule::new(Some(b), Some(a)), Err(ScheduleError));
        assert_eq!(Schedule::new(Some(a), Some(a)), Err(ScheduleError));
        assert!(Schedule::new(None, Some(a)).is_ok());
    }

    #[test]
    fn text_never_holds_nul() {
        assert_eq!(Name::parse("a\0b"), Err(TextError::NulCharacter));
        assert_eq!(Description::parse("a\0b"), Err(TextError::NulCharacter));
        let nested = Metadata::from_json(json!({"deep": ["ok", {"x": "a\u{0}b"}]})).unwrap_err();
        assert_eq!(nested.iter().next().unwrap().code, "invalid_character");
    }

    proptest! {
        #[test]
        fn every_parsed_slug_is_well_formed(candidate in "[a-z0-9-]{0,110}") {
            if let Ok(slug) = Slug::parse(&candidate) {
                prop_assert!(!slug.as_str().starts_with('-') && !slug.as_str().ends_with('-'));
                prop_assert!(!slug.as_str().contains("--"));
                prop_assert!(slug.as_str().len() <= Slug::MAX_LEN);
            }
        }

        #[test]
        fn derived_slugs_always_parse(name in "\\PC{1,300}") {
            if let Ok(name) = Name::parse(&name)
                && let Some(slug) = Slug::derive_from(&name)
            {
                prop_assert_eq!(Slug::parse(slug.as_str()), Ok(slug.clone()));
            }
        }

        #[test]
        fn names_never_exceed_the_limit(candidate in "\\PC{0,260}") {
            if let Ok(name) = Name::parse(&candidate) {
                prop_assert!(name.as_str().chars().count() <= Name::MAX_CHARS);
                prop_assert_eq!(name.as_str(), name.as_str().trim());
            }
        }

        #[test]
        fn url_parsing_never_panics(candidate in "\\PC{0,80}") {
            let _ = LogoUrl::parse(&candidate);
        }

        #[test]
        fn schedule_contains_its_bounds(start in 0i64..1_000_000, len in 1i64..1_000_000) {
            let start = Timestamp::from_unix_micros(start).unwrap();
            let end = Timestamp::from_unix_micros(start.unix_micros() + len).unwrap();
            let schedule = Schedule::new(Some(start), Some(end)).unwrap();
            prop_assert!(schedule.contains(start) && schedule.contains(end));
            prop_assert!(!schedule.has_ended_by(end));
        }
    }
}
