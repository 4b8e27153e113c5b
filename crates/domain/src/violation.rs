//! Field-level validation failures, addressed by JSON Pointer (RFC 6901) so that an API can
//! name exactly which part of a request is wrong.

use std::fmt;

/// One broken rule at one place in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON Pointer to the offending value, e.g. `/eligibilityCriteria/regions/2`.
    pub pointer: String,
    /// Stable machine-readable code, e.g. `too_long`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

impl Violation {
    pub fn new(pointer: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            code,
            message: message.into(),
        }
    }

    /// The violation of a value-type rule, located at `pointer`.
    pub fn of(pointer: impl Into<String>, rule: &impl Rule) -> Self {
        Self::new(pointer, rule.code(), rule.to_string())
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pointer, self.message)
    }
}

/// An error of a value-type constructor that knows its stable code.
pub trait Rule: std::error::Error {
    fn code(&self) -> &'static str;
}

/// A non-empty list of violations: the error of parsing a whole document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Violations(Vec<Violation>);

impl Violations {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn push(&mut self, violation: Violation) {
        self.0.push(violation);
    }

    pub fn extend(&mut self, other: Violations) {
        self.0.extend(other.0);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Violation> {
        self.0.iter()
    }

    /// Prefixes every pointer, for a document nested inside another at `prefix`.
    pub fn nested_in(mut self, prefix: &str) -> Self {
        for violation in &mut self.0 {
            violation.pointer = format!("{prefix}{}", violation.pointer);
        }
        self
    }

    /// `Ok(value)` when nothing was violated, the violations otherwise.
    pub fn into_result<T>(self, value: T) -> Result<T, Violations> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl From<Violation> for Violations {
    fn from(violation: Violation) -> Self {
        Self(vec![violation])
    }
}

impl IntoIterator for Violations {
    type Item = Violation;
    type IntoIter = std::vec::IntoIter<Violation>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        write!(
            f,
            "{count} {} invalid",
            if count == 1 { "field is" } else { "fields are" }
        )
    }
}

impl std::error::Error for Violations {}

/// Escapes one reference token of a JSON Pointer (RFC 6901 §4).
pub fn pointer_token(token: &str) -> String {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1")
    } else {
        token.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_prefixes_every_pointer() {
        let mut violations = Violations::new();
        violations.push(Violation::new("/regions", "empty", "must not be empty"));
        let nested = violations.nested_in("/eligibilityCriteria");
        assert_eq!(
            nested.iter().next().map(|v| v.pointer.as_str()),
            Some("/eligibilityCriteria/regions")
        );
    }

    #[test]
    fn display_counts_fields() {
        let mut violations = Violations::new();
        violations.push(Violation::new("/a", "x", "x"));
        assert_eq!(violations.to_string(), "1 field is invalid");
        violations.push(Violation::new("/b", "x", "x"));
        assert_eq!(violations.to_string(), "2 fields are invalid");
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(pointer_token("a/b~c"), "a~1b~0c");
    }
}
