//! Reading strict JSON documents: request bodies and the documents inside them. Every
//! object is read through [`Members`], so one rule holds for every member of every body:
//!
//! - a member nobody asked for is a violation naming it (`unknown_field`, or `read_only`);
//! - `null` for an optional member means absent ([`Member::optional`]); for a required one
//!   it is a `required` violation ([`Members::required`]);
//! - in a merge patch (RFC 7396), `null` clears an optional member ([`Member::clearable`])
//!   and is a `required` violation on a required one ([`Members::non_null`]).
//!
//! Every reader records a violation at the value's pointer when the value is wrong and goes
//! on, so one pass reports every problem of a document at once.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::violation::{Rule, Violation, Violations, pointer_token};

/// The characters of Unicode's White_Space property (what `str::trim` removes), as the body
/// of a regular-expression class that ECMA-262, Python and Rust engines read alike.
macro_rules! white_space {
    () => {
        r"\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
    };
}
pub(crate) use white_space;

/// Text without NUL, as a regular expression (for API documents).
pub const TEXT_PATTERN: &str = r"^[^\u0000]*$";

/// [`plain_text`] as a regular expression: a character that is neither NUL nor white space,
/// and no NUL anywhere. The length is bounded separately.
pub const PLAIN_TEXT_PATTERN: &str =
    concat!(r"^[^\u0000]*[^\u0000", white_space!(), r"][^\u0000]*$");

pub(crate) fn child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", pointer_token(key))
}

/// One member of an object, as the document gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Member<T> {
    Absent,
    Null,
    Present(T),
    /// Present but wrong; the violation is recorded.
    Invalid,
}

impl<T> Member<T> {
    /// An optional member: absent and `null` both mean "not set".
    pub fn optional(self) -> Option<T> {
        match self {
            Member::Present(value) => Some(value),
            _ => None,
        }
    }

    /// An optional member of a merge patch: `None` leaves it unchanged, `Some(None)` clears it.
    pub fn clearable(self) -> Option<Option<T>> {
        match self {
            Member::Absent | Member::Invalid => None,
            Member::Null => Some(None),
            Member::Present(value) => Some(Some(value)),
        }
    }

    /// Whether the member was given a value, valid or not.
    pub fn is_given(&self) -> bool {
        matches!(self, Member::Present(_) | Member::Invalid)
    }
}

/// The members of one JSON object, taken one at a time, with the violations found so far.
#[derive(Debug)]
pub struct Members {
    members: Map<String, Value>,
    pointer: String,
    violations: Violations,
}

impl Members {
    /// Reads `members`, located at `pointer`. Members that are `read_only` or not `writable`
    /// are recorded as violations at once.
    pub fn new(
        members: Map<String, Value>,
        pointer: &str,
        writable: &[&str],
        read_only: &[&str],
    ) -> Self {
        let mut violations = Violations::new();
        for key in members.keys() {
            if read_only.contains(&key.as_str()) {
                violations.push(Violation::new(
                    child(pointer, key),
                    "read_only",
                    format!("{key} is read-only"),
                ));
            } else if !writable.contains(&key.as_str()) {
                violations.push(Violation::new(
                    child(pointer, key),
                    "unknown_field",
                    format!("unknown field; the fields are {}", writable.join(", ")),
                ));
            }
        }
        Self {
            members,
            pointer: pointer.to_owned(),
            violations,
        }
    }

    /// Reads `value` as an object of the `known` members; anything but an object is an
    /// `invalid_type` violation.
    pub fn of(value: Value, pointer: &str, known: &[&str]) -> Result<Self, Violations> {
        match value {
            Value::Object(members) => Ok(Self::new(members, pointer, known, &[])),
            _ => Err(Violation::new(pointer, "invalid_type", "must be an object").into()),
        }
    }

    /// Where `key` is, for violations.
    pub fn pointer_of(&self, key: &str) -> String {
        child(&self.pointer, key)
    }

    /// The member as given.
    pub fn take(&mut self, key: &str) -> Member<Value> {
        match self.members.remove(key) {
            None => Member::Absent,
            Some(Value::Null) => Member::Null,
            Some(value) => Member::Present(value),
        }
    }

    /// The member read by `parse`, which records what is wrong with a given value at the
    /// pointer it is handed and returns `None` then.
    pub fn read<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(Value, &str, &mut Violations) -> Option<T>,
    ) -> Member<T> {
        match self.take(key) {
            Member::Present(value) => {
                let pointer = self.pointer_of(key);
                match parse(value, &pointer, &mut self.violations) {
                    Some(parsed) => Member::Present(parsed),
                    None => Member::Invalid,
                }
            }
            Member::Absent => Member::Absent,
            Member::Null => Member::Null,
            Member::Invalid => Member::Invalid,
        }
    }

    /// A required member: it must be given, and not as `null`.
    pub fn required<T>(&mut self, key: &str, member: Member<T>) -> Option<T> {
        match member {
            Member::Absent | Member::Null => {
                self.violate(Violation::new(
                    self.pointer_of(key),
                    "required",
                    format!("{key} is required"),
                ));
                None
            }
            other => other.optional(),
        }
    }

    /// A required member in a merge patch: it may be left out, but not cleared with `null`.
    pub fn non_null<T>(&mut self, key: &str, member: Member<T>) -> Option<T> {
        match member {
            Member::Null => {
                self.violate(Violation::new(
                    self.pointer_of(key),
                    "required",
                    format!("{key} cannot be null"),
                ));
                None
            }
            other => other.optional(),
        }
    }

    pub fn violate(&mut self, violation: Violation) {
        self.violations.push(violation);
    }

    /// How many violations were found so far.
    pub fn violation_count(&self) -> usize {
        self.violations.len()
    }

    /// `value` when nothing was violated, every violation otherwise.
    pub fn finish<T>(self, value: T) -> Result<T, Violations> {
        self.violations.into_result(value)
    }
}

/// A string member parsed by a value-type constructor.
pub fn text<T, E: Rule>(
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> impl FnOnce(Value, &str, &mut Violations) -> Option<T> {
    move |value, pointer, violations| {
        let Value::String(text) = value else {
            violations.push(Violation::new(pointer, "invalid_type", "must be a string"));
            return None;
        };
        parse(&text)
            .map_err(|error| violations.push(Violation::of(pointer, &error)))
            .ok()
    }
}

/// A nested document parsed by a constructor whose violations are relative to it.
pub fn document<T>(
    parse: impl FnOnce(Value) -> Result<T, Violations>,
) -> impl FnOnce(Value, &str, &mut Violations) -> Option<T> {
    move |value, pointer, violations| {
        parse(value)
            .map_err(|found| violations.extend(found.nested_in(pointer)))
            .ok()
    }
}

/// Why a string is not plain text: the rule every free-text member follows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be blank")]
    Blank,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    /// U+0000 cannot be stored as text by PostgreSQL, and is never meaningful in this API.
    #[error("must not contain the NUL character (U+0000)")]
    NulCharacter,
}

impl Rule for TextError {
    fn code(&self) -> &'static str {
        match self {
            TextError::Blank => "blank",
            TextError::TooLong { .. } => "too_long",
            TextError::NulCharacter => "invalid_character",
        }
    }
}

/// Text that is not blank (it has a character other than white space), has no NUL, and
/// has at most `max_chars` characters; kept exactly as given.
pub fn plain_text(text: &str, max_chars: usize) -> Result<String, TextError> {
    if text.contains('\0') {
        Err(TextError::NulCharacter)
    } else if text.trim().is_empty() {
        Err(TextError::Blank)
    } else if text.chars().count() > max_chars {
        Err(TextError::TooLong { max: max_chars })
    } else {
        Ok(text.to_owned())
    }
}

/// A [`plain_text`] member.
pub fn string(max_chars: usize) -> impl FnOnce(Value, &str, &mut Violations) -> Option<String> {
    text(move |text| plain_text(text, max_chars))
}

/// A JSON object, any members.
pub fn object(
    value: Value,
    pointer: &str,
    violations: &mut Violations,
) -> Option<Map<String, Value>> {
    match value {
        Value::Object(members) => Some(members),
        _ => {
            violations.push(Violation::new(pointer, "invalid_type", "must be an object"));
            None
        }
    }
}

pub fn boolean(value: Value, pointer: &str, violations: &mut Violations) -> Option<bool> {
    let parsed = value.as_bool();
    if parsed.is_none() {
        violations.push(Violation::new(
            pointer,
            "invalid_type",
            "must be true or false",
        ));
    }
    parsed
}

pub fn number(value: Value, pointer: &str, violations: &mut Violations) -> Option<f64> {
    let parsed = value.as_f64().filter(|n| n.is_finite());
    if parsed.is_none() {
        violations.push(Violation::new(pointer, "invalid_type", "must be a number"));
    }
    parsed
}

pub fn non_negative_number(
    value: Value,
    pointer: &str,
    violations: &mut Violations,
) -> Option<f64> {
    let parsed = number(value, pointer, violations)?;
    if parsed < 0.0 {
        violations.push(Violation::new(pointer, "negative", "must not be negative"));
        return None;
    }
    Some(parsed)
}

/// An integer as JSON Schema has it: a number without a fractional part, `3.0` included.
pub fn integral(value: &Value) -> Option<i128> {
    if let Some(n) = value.as_i64() {
        return Some(i128::from(n));
    }
    if let Some(n) = value.as_u64() {
        return Some(i128::from(n));
    }
    value
        .as_f64()
        .filter(|n| n.fract() == 0.0 && n.abs() < 1e30)
        .map(|n| n as i128)
}

pub fn count(value: Value, pointer: &str, violations: &mut Violations) -> Option<u32> {
    let parsed = integral(&value).and_then(|n| u32::try_from(n).ok());
    if parsed.is_none() {
        violations.push(Violation::new(
            pointer,
            "invalid_type",
            "must be an integer from 0 to 4294967295",
        ));
    }
    parsed
}

/// A list of 1 to `max_items` distinct items, each parsed by `item` (which records its own
/// violations at the item's pointer).
pub fn list_of<T>(
    max_items: usize,
    mut item: impl FnMut(Value, &str, &mut Violations) -> Option<T>,
) -> impl FnOnce(Value, &str, &mut Violations) -> Option<Vec<T>> {
    move |value, pointer, violations| {
        let Value::Array(items) = value else {
            violations.push(Violation::new(pointer, "invalid_type", "must be a list"));
            return None;
        };
        if items.is_empty() {
            violations.push(Violation::new(pointer, "empty", "must not be empty"));
            return None;
        }
        if items.len() > max_items {
            violations.push(Violation::new(
                pointer,
                "too_many_items",
                format!("must have at most {max_items} items"),
            ));
            return None;
        }
        let before = violations.len();
        let mut seen = HashSet::with_capacity(items.len());
        let mut list = Vec::with_capacity(items.len());
        for (index, value) in items.into_iter().enumerate() {
            let at = format!("{pointer}/{index}");
            if !seen.insert(value.to_string()) {
                violations.push(Violation::new(at, "duplicate", "listed twice"));
                continue;
            }
            if let Some(parsed) = item(value, &at, violations) {
                list.push(parsed);
            }
        }
        (violations.len() == before).then_some(list)
    }
}

/// A list of distinct [`plain_text`] strings.
pub fn string_list(
    max_items: usize,
    max_chars: usize,
) -> impl FnOnce(Value, &str, &mut Violations) -> Option<Vec<String>> {
    list_of(max_items, move |value, pointer, violations| {
        string(max_chars)(value, pointer, violations)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn members(value: Value, known: &[&str]) -> Members {
        Members::of(value, "", known).unwrap()
    }

    fn codes(found: Violations) -> Vec<(String, &'static str)> {
        found.into_iter().map(|v| (v.pointer, v.code)).collect()
    }

    #[test]
    fn unknown_and_read_only_members_are_named() {
        let value = json!({"nme": "x", "id": "y", "name": "z"});
        let Value::Object(map) = value else { panic!() };
        let reader = Members::new(map, "", &["name"], &["id"]);
        assert_eq!(
            codes(reader.finish(()).unwrap_err()),
            [
                ("/id".to_owned(), "read_only"),
                ("/nme".to_owned(), "unknown_field")
            ]
        );
    }

    #[test]
    fn members_distinguish_absent_null_and_invalid() {
        let mut reader = members(json!({"a": null, "b": 3, "c": " ok "}), &["a", "b", "c"]);
        assert_eq!(reader.read("a", string(10)), Member::Null);
        assert_eq!(reader.read("b", string(10)), Member::Invalid);
        assert_eq!(
            reader.read("c", string(10)),
            Member::Present(" ok ".to_owned())
        );
        assert_eq!(reader.read("d", string(10)), Member::Absent);
        assert_eq!(
            codes(reader.finish(()).unwrap_err()),
            [("/b".to_owned(), "invalid_type")]
        );
    }

    #[test]
    fn null_is_absent_when_optional_and_refused_when_required() {
        let mut reader = members(json!({"a": null, "b": null}), &["a", "b"]);
        let a = reader.read("a", string(10));
        assert_eq!(a.optional(), None);
        let b = reader.read("b", string(10));
        assert_eq!(reader.required("b", b), None);
        assert_eq!(
            codes(reader.finish(()).unwrap_err()),
            [("/b".to_owned(), "required")]
        );
    }

    #[test]
    fn plain_text_names_its_broken_rule() {
        assert_eq!(plain_text("a\0b", 10), Err(TextError::NulCharacter));
        assert_eq!(plain_text(" \u{3000}\t", 10), Err(TextError::Blank));
        assert_eq!(plain_text("abc", 2), Err(TextError::TooLong { max: 2 }));
        assert_eq!(plain_text(" x ", 3).as_deref(), Ok(" x "));
    }

    #[test]
    fn integers_are_numbers_without_a_fraction() {
        let mut violations = Violations::new();
        assert_eq!(count(json!(3.0), "/n", &mut violations), Some(3));
        assert_eq!(count(json!(3), "/n", &mut violations), Some(3));
        assert_eq!(count(json!(3.5), "/n", &mut violations), None);
        assert_eq!(count(json!(-1), "/n", &mut violations), None);
        assert_eq!(count(json!(4_294_967_296_u64), "/n", &mut violations), None);
        assert_eq!(violations.len(), 3);
    }

    #[test]
    fn lists_report_each_bad_item_and_duplicates() {
        let mut reader = members(json!({"l": ["a", "", "a", 3]}), &["l"]);
        assert_eq!(reader.read("l", string_list(10, 5)), Member::Invalid);
        assert_eq!(
            codes(reader.finish(()).unwrap_err()),
            [
                ("/l/1".to_owned(), "blank"),
                ("/l/2".to_owned(), "duplicate"),
                ("/l/3".to_owned(), "invalid_type")
            ]
        );
    }
}
