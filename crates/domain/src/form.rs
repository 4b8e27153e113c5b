//! Enrollment form configuration: the typed fields an instance asks applicants to fill in.

use std::collections::HashSet;

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::strict_json::{
    boolean, child, count, number, object, reject_unknown, string, string_list,
};
use crate::violation::{Violation, Violations};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Text,
    Number,
    Integer,
    Boolean,
    Date,
    Email,
    Phone,
    Select,
    Multiselect,
}

impl FieldType {
    pub const ALL: [FieldType; 9] = [
        FieldType::Text,
        FieldType::Number,
        FieldType::Integer,
        FieldType::Boolean,
        FieldType::Date,
        FieldType::Email,
        FieldType::Phone,
        FieldType::Select,
        FieldType::Multiselect,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Integer => "integer",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Email => "email",
            FieldType::Phone => "phone",
            FieldType::Select => "select",
            FieldType::Multiselect => "multiselect",
        }
    }

    fn is_textual(self) -> bool {
        matches!(self, FieldType::Text | FieldType::Email | FieldType::Phone)
    }

    fn is_numeric(self) -> bool {
        matches!(self, FieldType::Number | FieldType::Integer)
    }

    fn has_options(self) -> bool {
        matches!(self, FieldType::Select | FieldType::Multiselect)
    }
}

/// A regular expression that is known to compile.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    compiled: regex_lite::Regex,
}

impl Pattern {
    pub const MAX_LEN: usize = 1_000;

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.compiled.is_match(text)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FormField {
    key: String,
    label: String,
    #[serde(rename = "type")]
    field_type: FieldType,
    required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pattern: Option<Pattern>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_length: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_length: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<Vec<String>>,
}

impl FormField {
    pub fn key(&self) -> &str {
        &self.key
    }
    pub fn label(&self) -> &str {
        &self.label
    }
    pub fn field_type(&self) -> FieldType {
        self.field_type
    }
    pub fn required(&self) -> bool {
        self.required
    }
    pub fn pattern(&self) -> Option<&Pattern> {
        self.pattern.as_ref()
    }
    pub fn length_range(&self) -> (Option<u32>, Option<u32>) {
        (self.min_length, self.max_length)
    }
    pub fn value_range(&self) -> (Option<f64>, Option<f64>) {
        (self.min, self.max)
    }
    pub fn options(&self) -> Option<&[String]> {
        self.options.as_deref()
    }
}

/// The enrollment form of an instance: at most 100 uniquely keyed fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct FormConfig {
    fields: Vec<FormField>,
}

const FIELD_KEYS: [&str; 11] = [
    "key",
    "label",
    "type",
    "required",
    "helpText",
    "pattern",
    "minLength",
    "maxLength",
    "min",
    "max",
    "options",
];

impl FormConfig {
    pub const MAX_FIELDS: usize = 100;
    const MAX_KEY_LEN: usize = 64;

    /// Parses the strict JSON form; violation pointers are relative to the config object.
    pub fn from_json(value: Value) -> Result<Self, Violations> {
        let mut violations = Violations::new();
        let Some(members) = object(&value, "", &mut violations) else {
            return Err(violations);
        };
        reject_unknown(members, &["fields"], "", &mut violations);
        let fields = match members.get("fields") {
            None | Some(Value::Null) => {
                violations.push(Violation::new("/fields", "required", "fields is required"));
                Vec::new()
            }
            Some(Value::Array(items)) if items.len() > Self::MAX_FIELDS => {
                violations.push(Violation::new(
                    "/fields",
                    "too_many_items",
                    format!("must have at most {} fields", Self::MAX_FIELDS),
                ));
                Vec::new()
            }
            Some(Value::Array(items)) => {
                let mut seen = HashSet::new();
                let mut fields = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    let pointer = format!("/fields/{index}");
                    if let Some(field) = parse_field(item, &pointer, &mut violations) {
                        if !seen.insert(field.key.clone()) {
                            violations.push(Violation::new(
                                format!("{pointer}/key"),
                                "duplicate",
                                format!("key \"{}\" is used by an earlier field", field.key),
                            ));
                        }
                        fields.push(field);
                    }
                }
                fields
            }
            Some(_) => {
                violations.push(Violation::new(
                    "/fields",
                    "invalid_type",
                    "must be a list of fields",
                ));
                Vec::new()
            }
        };
        violations.into_result(Self { fields })
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    pub fn fields(&self) -> &[FormField] {
        &self.fields
    }
}

fn is_identifier(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && key.len() <= FormConfig::MAX_KEY_LEN
}

fn parse_field(value: &Value, pointer: &str, violations: &mut Violations) -> Option<FormField> {
    let members = object(value, pointer, violations)?;
    let before = violations.len();
    reject_unknown(members, &FIELD_KEYS, pointer, violations);
    let get = |key: &str| members.get(key).filter(|value| !value.is_null());
    let required_member = |key: &str, violations: &mut Violations| {
        let found = get(key);
        if found.is_none() {
            violations.push(Violation::new(
                child(pointer, key),
                "required",
                format!("{key} is required"),
            ));
        }
        found
    };

    let key = required_member("key", violations)
        .and_then(|v| string(v, &child(pointer, "key"), 64, violations));
    if let Some(text) = &key
        && !is_identifier(text)
    {
        violations.push(Violation::new(
            child(pointer, "key"),
            "invalid_key",
            "must be an identifier: a letter, then letters, digits or '_', at most 64",
        ));
    }
    let label = required_member("label", violations)
        .and_then(|v| string(v, &child(pointer, "label"), 200, violations));
    let field_type = required_member("type", violations).and_then(|v| {
        let found = v
            .as_str()
            .and_then(|text| FieldType::ALL.into_iter().find(|t| t.as_str() == text));
        if found.is_none() {
            let names: Vec<_> = FieldType::ALL.iter().map(|t| t.as_str()).collect();
            violations.push(Violation::new(
                child(pointer, "type"),
                "invalid_value",
                format!("must be one of {}", names.join(", ")),
            ));
        }
        found
    });
    let required =
        get("required").and_then(|v| boolean(v, &child(pointer, "required"), violations));
    let help_text =
        get("helpText").and_then(|v| string(v, &child(pointer, "helpText"), 1_000, violations));
    let pattern =
        get("pattern").and_then(|v| parse_pattern(v, &child(pointer, "pattern"), violations));
    let min_length =
        get("minLength").and_then(|v| count(v, &child(pointer, "minLength"), violations));
    let max_length =
        get("maxLength").and_then(|v| count(v, &child(pointer, "maxLength"), violations));
    let min = get("min").and_then(|v| number(v, &child(pointer, "min"), violations));
    let max = get("max").and_then(|v| number(v, &child(pointer, "max"), violations));
    let options = get("options")
        .and_then(|v| string_list(v, &child(pointer, "options"), (500, 200), violations));

    if let Some(field_type) = field_type {
        let not_applicable = |key: &str, present: bool, violations: &mut Violations| {
            if present {
                violations.push(Violation::new(
                    child(pointer, key),
                    "not_applicable",
                    format!("{key} does not apply to a {} field", field_type.as_str()),
                ));
            }
        };
        if !field_type.is_textual() {
            not_applicable("pattern", get("pattern").is_some(), violations);
            not_applicable("minLength", get("minLength").is_some(), violations);
            not_applicable("maxLength", get("maxLength").is_some(), violations);
        }
        if !field_type.is_numeric() {
            not_applicable("min", get("min").is_some(), violations);
            not_applicable("max", get("max").is_some(), violations);
        }
        if field_type.has_options() {
            if get("options").is_none() {
                violations.push(Violation::new(
                    child(pointer, "options"),
                    "required",
                    "select and multiselect fields need a non-empty list of options",
                ));
            }
        } else {
            not_applicable("options", get("options").is_some(), violations);
        }
    }
    if let (Some(low), Some(high)) = (min_length, max_length)
        && high < low
    {
        violations.push(Violation::new(
            child(pointer, "maxLength"),
            "below_minimum",
            "maxLength must not be less than minLength",
        ));
    }
    if let (Some(low), Some(high)) = (min, max)
        && high < low
    {
        violations.push(Violation::new(
            child(pointer, "max"),
            "below_minimum",
            "max must not be less than min",
        ));
    }
    if violations.len() != before {
        return None;
    }
    Some(FormField {
        key: key?,
        label: label?,
        field_type: field_type?,
        required: required.unwrap_or(false),
        help_text,
        pattern,
        min_length,
        max_length,
        min,
        max,
        options,
    })
}

fn parse_pattern(value: &Value, pointer: &str, violations: &mut Violations) -> Option<Pattern> {
    let source = string(value, pointer, Pattern::MAX_LEN, violations)?;
    match regex_lite::Regex::new(&source) {
        Ok(compiled) => Some(Pattern { source, compiled }),
        Err(error) => {
            violations.push(Violation::new(
                pointer,
                "invalid_pattern",
                format!("does not compile: {error}"),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn violations(value: Value) -> Vec<(String, &'static str)> {
        FormConfig::from_json(value)
            .unwrap_err()
            .into_iter()
            .map(|v| (v.pointer, v.code))
            .collect()
    }

    #[test]
    fn the_documented_example_parses_and_round_trips() {
        let example = json!({ "fields": [ { "key": "utilityAccountNumber", "label": "Utility account number",
            "type": "text", "required": true, "pattern": "^[0-9]{10}$", "maxLength": 10 } ] });
        let form = FormConfig::from_json(example.clone()).unwrap();
        assert_eq!(form.to_json(), example);
    }

    #[test]
    fn select_fields_need_unique_options() {
        let field = |options: Value| json!({"fields": [{"key": "k", "label": "K", "type": "select", "options": options}]});
        assert!(FormConfig::from_json(field(json!(["a", "b"]))).is_ok());
        assert_eq!(
            violations(field(json!([]))),
            [("/fields/0/options".to_owned(), "empty")]
        );
        assert_eq!(
            violations(field(json!(["a", "a"]))),
            [("/fields/0/options/1".to_owned(), "duplicate")]
        );
        let missing = json!({"fields": [{"key": "k", "label": "K", "type": "multiselect"}]});
        assert_eq!(
            violations(missing),
            [("/fields/0/options".to_owned(), "required")]
        );
    }

    #[test]
    fn keys_are_unique_identifiers() {
        let two = json!({"fields": [
            {"key": "a", "label": "A", "type": "text"}, {"key": "a", "label": "B", "type": "text"}]});
        assert_eq!(violations(two), [("/fields/1/key".to_owned(), "duplicate")]);
        let bad = json!({"fields": [{"key": "1a", "label": "A", "type": "text"}]});
        assert_eq!(
            violations(bad),
            [("/fields/0/key".to_owned(), "invalid_key")]
        );
    }

    #[test]
    fn types_patterns_and_unknown_keys_are_checked() {
        let bad_type = json!({"fields": [{"key": "a", "label": "A", "type": "colour"}]});
        assert_eq!(
            violations(bad_type),
            [("/fields/0/type".to_owned(), "invalid_value")]
        );
        let bad_pattern =
            json!({"fields": [{"key": "a", "label": "A", "type": "text", "pattern": "(["}]});
        assert_eq!(
            violations(bad_pattern),
            [("/fields/0/pattern".to_owned(), "invalid_pattern")]
        );
        let unknown =
            json!({"fields": [{"key": "a", "label": "A", "type": "text", "colour": "red"}]});
        assert_eq!(
            violations(unknown),
            [("/fields/0/colour".to_owned(), "unknown_field")]
        );
        assert_eq!(
            violations(json!({"field": []})),
            [
                ("/field".to_owned(), "unknown_field"),
                ("/fields".to_owned(), "required")
            ]
        );
    }

    #[test]
    fn options_and_ranges_apply_only_to_their_types() {
        let options_on_text =
            json!({"fields": [{"key": "a", "label": "A", "type": "text", "options": ["x"]}]});
        assert_eq!(
            violations(options_on_text),
            [("/fields/0/options".to_owned(), "not_applicable")]
        );
        let pattern_on_number =
            json!({"fields": [{"key": "a", "label": "A", "type": "number", "pattern": "x"}]});
        assert_eq!(
            violations(pattern_on_number),
            [("/fields/0/pattern".to_owned(), "not_applicable")]
        );
        let inverted =
            json!({"fields": [{"key": "a", "label": "A", "type": "integer", "min": 5, "max": 1}]});
        assert_eq!(
            violations(inverted),
            [("/fields/0/max".to_owned(), "below_minimum")]
        );
    }

    #[test]
    fn at_most_one_hundred_fields() {
        let fields: Vec<_> = (0..101)
            .map(|i| json!({"key": format!("f{i}"), "label": "F", "type": "boolean"}))
            .collect();
        assert_eq!(
            violations(json!({ "fields": fields })),
            [("/fields".to_owned(), "too_many_items")]
        );
    }

    proptest! {
        #[test]
        fn parsing_never_panics_on_arbitrary_json(text in "\\PC{0,200}") {
            if let Ok(value) = serde_json::from_str::<Value>(&text) {
                let _ = FormConfig::from_json(value);
            }
        }

        #[test]
        fn valid_configs_round_trip(count in 0usize..20, required in any::<bool>()) {
            let fields: Vec<_> = (0..count)
                .map(|i| json!({"key": format!("f{i}"), "label": "F", "type": "integer", "required": required, "min": 0.0, "max": 10.0}))
                .collect();
            let value = json!({ "fields": fields });
            let form = FormConfig::from_json(value.clone()).unwrap();
            prop_assert_eq!(form.to_json(), value);
        }
    }
}
