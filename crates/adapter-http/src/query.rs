//! Strict query strings: every parameter is known, given once and well-formed; anything
//! else is a 422 naming the parameter.

use domain::violation::Rule;
use domain::{Violation, Violations};
use validator::{Validate, ValidationErrors};

use crate::problem::ApiError;

#[derive(Debug)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
    pub violations: Violations,
}

impl QueryParams {
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        let pairs = actix_web::web::Query::<Vec<(String, String)>>::from_query(query)
            .map_err(|_| {
                ApiError::InvalidQuery(
                    Violation::new("/", "malformed_query", "the query string cannot be decoded")
                        .into(),
                )
            })?
            .into_inner();
        Ok(Self {
            pairs,
            violations: Violations::new(),
        })
    }

    /// The value of `name`, removed from the remaining parameters.
    pub fn take(&mut self, name: &str) -> Option<String> {
        let mut values = Vec::new();
        self.pairs.retain(|(key, value)| {
            let matches = key == name;
            if matches {
                values.push(value.clone());
            }
            !matches
        });
        if values.len() > 1 {
            self.violations.push(Violation::new(
                format!("/{name}"),
                "duplicate_parameter",
                "give this parameter once",
            ));
        }
        values.pop()
    }

    /// The value of `name` parsed by a value-type constructor.
    pub fn parsed<T, E: Rule>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let text = self.take(name)?;
        parse(&text)
            .map_err(|error| {
                self.violations
                    .push(Violation::of(format!("/{name}"), &error))
            })
            .ok()
    }

    pub fn number(&mut self, name: &str) -> Option<u32> {
        let text = self.take(name)?;
        text.parse()
            .map_err(|_| {
                self.violations.push(Violation::new(
                    format!("/{name}"),
                    "invalid_type",
                    "must be a whole number",
                ))
            })
            .ok()
    }

    /// The `cursor` parameter: the fields of a cursor this API issued, read by `position`.
    /// Anything else is recorded as `invalid_cursor`.
    pub fn cursor<T>(&mut self, position: impl FnOnce(Vec<String>) -> Option<T>) -> Option<T> {
        let text = self.take("cursor")?;
        let decoded = crate::cursor::decode(&text).and_then(position);
        if decoded.is_none() {
            self.reject("cursor", "invalid_cursor", "not a cursor this API issued");
        }
        decoded
    }

    /// Records a violation for the parameter `name`.
    pub fn reject(&mut self, name: &str, code: &'static str, message: impl Into<String>) {
        self.violations
            .push(Violation::new(format!("/{name}"), code, message));
    }

    /// Checks declared bounds, rejects every parameter not taken, and reports all problems.
    pub fn finish<T: Validate>(mut self, params: T) -> Result<T, ApiError> {
        if let Err(errors) = params.validate() {
            self.violations.extend(bound_violations(&errors));
        }
        for (key, _) in std::mem::take(&mut self.pairs) {
            self.violations.push(Violation::new(
                format!("/{key}"),
                "unknown_parameter",
                "unknown query parameter",
            ));
        }
        self.violations
            .into_result(params)
            .map_err(ApiError::InvalidQuery)
    }
}

fn bound_violations(errors: &ValidationErrors) -> Violations {
    let mut violations = Violations::new();
    for (field, problems) in errors.field_errors() {
        for problem in problems {
            let code = match problem.code.as_ref() {
                "range" => "out_of_range",
                "length" => "invalid_length",
                _ => "invalid_value",
            };
            let message = problem
                .message
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| {
                    let bound = |key: &str| problem.params.get(key).map(ToString::to_string);
                    match (bound("min"), bound("max")) {
                        (Some(min), Some(max)) => format!("must be between {min} and {max}"),
                        _ => "is out of bounds".to_owned(),
                    }
                });
            violations.push(Violation::new(format!("/{field}"), code, message));
        }
    }
    violations
}
