//! Enrollment form configuration: the typed fields an instance asks applicants to fill in.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::strict_json::{Members, boolean, child, count, integral, number, string, string_list};
use crate::violation::{Violation, Violations};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    compiled: Arc<regex_lite::Regex>,
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

/// Trusted: for a form this crate validated and serialised (see `FormConfig`).
impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let source = String::deserialize(deserializer)?;
        let compiled = compile(&source).map_err(serde::de::Error::custom)?;
        Ok(Self { source, compiled })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormField {
    key: String,
    label: String,
    #[serde(rename = "type")]
    field_type: FieldType,
    #[serde(default)]
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
    fn to_json(&self) -> Value {
        let mut members = Map::new();
        members.insert("key".into(), Value::from(self.key.as_str()));
        members.insert("label".into(), Value::from(self.label.as_str()));
        members.insert("type".into(), Value::from(self.field_type.as_str()));
        members.insert("required".into(), Value::from(self.required));
        let optional = [
            ("helpText", self.help_text.as_deref().map(Value::from)),
            (
                "pattern",
                self.pattern.as_ref().map(|p| Value::from(p.source())),
            ),
            ("minLength", self.min_length.map(Value::from)),
            ("maxLength", self.max_length.map(Value::from)),
            ("min", self.min.map(Value::from)),
            ("max", self.max.map(Value::from)),
            ("options", self.options.clone().map(Value::from)),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                members.insert(key.into(), value);
            }
        }
        Value::Object(members)
    }

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
    pub fn help_text(&self) -> Option<&str> {
        self.help_text.as_deref()
    }
}

/// The enrollment form of an instance: at most 100 uniquely keyed fields.
///
/// `from_json` parses a form from outside, checking every rule. Deserialising is the trusted
/// path, for a form this crate checked and serialised before (read back from storage): it
/// checks nothing but the shape.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
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
    /// A field key's rule as a regular expression.
    pub const KEY_PATTERN: &str = "^[A-Za-z][A-Za-z0-9_]{0,63}$";

    /// Parses the strict JSON form; violation pointers are relative to the config object.
    pub fn from_json(value: Value) -> Result<Self, Violations> {
        let mut read = Members::of(value, "", &["fields"])?;
        let fields = read.read("fields", |value, pointer, violations| {
            let Value::Array(items) = value else {
                violations.push(Violation::new(
                    pointer,
                    "invalid_type",
                    "must be a list of fields",
                ));
                return None;
            };
            if items.len() > Self::MAX_FIELDS {
                violations.push(Violation::new(
                    pointer,
                    "too_many_items",
                    format!("must have at most {} fields", Self::MAX_FIELDS),
                ));
                return None;
            }
            let mut seen = HashSet::new();
            let mut fields = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                let at = format!("{pointer}/{index}");
                if let Some(field) = parse_field(item, &at, violations) {
                    if !seen.insert(field.key.clone()) {
                        violations.push(Violation::new(
                            format!("{at}/key"),
                            "duplicate",
                            format!("key \"{}\" is used by an earlier field", field.key),
                        ));
                    }
                    fields.push(field);
                }
            }
            Some(fields)
        });
        let fields = read.required("fields", fields).unwrap_or_default();
        read.finish(Self { fields })
    }

    /// The strict JSON form, as `from_json` reads it and as it serialises.
    pub fn to_json(&self) -> Value {
        let fields = self.fields.iter().map(FormField::to_json).collect();
        let mut members = Map::new();
        members.insert("fields".into(), Value::Array(fields));
        Value::Object(members)
    }

    pub fn fields(&self) -> &[FormField] {
        &self.fields
    }
}

fn invalid(pointer: &str, code: &'static str, message: impl Into<String>) -> Violation {
    Violation::new(pointer, code, message)
}

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && text.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

fn is_phone(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    (7..=15).contains(&digits)
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

fn is_date(text: &str) -> bool {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format).is_ok()
}

impl FormField {
    /// Checks one submitted value of this field; `pointer` locates it.
    fn check(&self, value: &Value, pointer: &str) -> Option<Violation> {
        let kind = self.field_type.as_str();
        match self.field_type {
            FieldType::Text | FieldType::Email | FieldType::Phone => {
                let Some(text) = value.as_str() else {
                    return Some(invalid(
                        pointer,
                        "invalid_type",
                        format!("must be a string ({kind})"),
                    ));
                };
                if text.contains('\0') {
                    return Some(invalid(
                        pointer,
                        "invalid_character",
                        "must not contain NUL (U+0000)",
                    ));
                }
                let chars = u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
                if let Some(min) = self.min_length.filter(|min| chars < *min) {
                    return Some(invalid(
                        pointer,
                        "too_short",
                        format!("must be at least {min} characters"),
                    ));
                }
                if let Some(max) = self.max_length.filter(|max| chars > *max) {
                    return Some(invalid(
                        pointer,
                        "too_long",
                        format!("must be at most {max} characters"),
                    ));
                }
                if let Some(pattern) = self
                    .pattern
                    .as_ref()
                    .filter(|pattern| !pattern.is_match(text))
                {
                    return Some(invalid(
                        pointer,
                        "pattern_mismatch",
                        format!("must match {}", pattern.source()),
                    ));
                }
                if self.field_type == FieldType::Email && !is_email(text) {
                    return Some(invalid(
                        pointer,
                        "invalid_email",
                        "must be an email address",
                    ));
                }
                if self.field_type == FieldType::Phone && !is_phone(text) {
                    return Some(invalid(
                        pointer,
                        "invalid_phone",
                        "must be a phone number of 7 to 15 digits",
                    ));
                }
                None
            }
            FieldType::Number | FieldType::Integer => {
                let number = if self.field_type == FieldType::Integer {
                    integral(value).map(|n| n as f64)
                } else {
                    value.as_f64()
                };
                let Some(number) = number else {
                    return Some(invalid(
                        pointer,
                        "invalid_type",
                        format!(
                            "must be a{} {kind}",
                            if kind == "integer" { "n" } else { "" }
                        ),
                    ));
                };
                if let Some(min) = self.min.filter(|min| number < *min) {
                    return Some(invalid(
                        pointer,
                        "below_minimum",
                        format!("must be at least {min}"),
                    ));
                }
                if let Some(max) = self.max.filter(|max| number > *max) {
                    return Some(invalid(
                        pointer,
                        "above_maximum",
                        format!("must be at most {max}"),
                    ));
                }
                None
            }
            FieldType::Boolean => (!value.is_boolean())
                .then(|| invalid(pointer, "invalid_type", "must be true or false")),
            FieldType::Date => match value.as_str() {
                Some(text) if is_date(text) => None,
                Some(_) => Some(invalid(
                    pointer,
                    "invalid_date",
                    "must be a date such as 2024-05-31",
                )),
                None => Some(invalid(
                    pointer,
                    "invalid_type",
                    "must be a date string such as 2024-05-31",
                )),
            },
            FieldType::Select => match value.as_str() {
                Some(choice) if self.offers(choice) => None,
                Some(_) => Some(invalid(pointer, "invalid_option", self.options_message())),
                None => Some(invalid(pointer, "invalid_type", "must be a string")),
            },
            FieldType::Multiselect => {
                let Some(choices) = value.as_array() else {
                    return Some(invalid(
                        pointer,
                        "invalid_type",
                        "must be a list of options",
                    ));
                };
                if self.required && choices.is_empty() {
                    return Some(invalid(pointer, "required", "choose at least one option"));
                }
                let mut seen = HashSet::new();
                for (index, choice) in choices.iter().enumerate() {
                    let at = format!("{pointer}/{index}");
                    match choice.as_str() {
                        Some(text) if !self.offers(text) => {
                            return Some(invalid(&at, "invalid_option", self.options_message()));
                        }
                        Some(text) if !seen.insert(text) => {
                            return Some(invalid(&at, "duplicate", "chosen twice"));
                        }
                        Some(_) => {}
                        None => return Some(invalid(&at, "invalid_type", "must be a string")),
                    }
                }
                None
            }
        }
    }

    fn offers(&self, choice: &str) -> bool {
        self.options
            .as_ref()
            .is_some_and(|options| options.iter().any(|option| option == choice))
    }

    fn options_message(&self) -> String {
        format!(
            "must be one of {}",
            self.options.as_deref().unwrap_or_default().join(", ")
        )
    }
}

impl FormConfig {
    /// Checks submitted form data: every required field present, every value of its field's
    /// type and within its rules, no unknown keys. `null` counts as absent. Violation
    /// pointers are relative to the data object.
    ///
    /// ```
    /// use domain::FormConfig;
    /// use serde_json::json;
    ///
    /// let form = FormConfig::from_json(json!({"fields": [
    ///     {"key": "account", "label": "Account", "type": "text", "required": true, "pattern": "^[0-9]{10}$"}
    /// ]})).unwrap();
    /// assert!(form.validate(json!({"account": "0123456789"}).as_object().unwrap()).is_ok());
    /// let errors = form.validate(json!({"account": "12", "colour": "red"}).as_object().unwrap()).unwrap_err();
    /// let codes: Vec<_> = errors.iter().map(|v| (v.pointer.as_str(), v.code)).collect();
    /// assert_eq!(codes, [("/colour", "unknown_field"), ("/account", "pattern_mismatch")]);
    /// ```
    pub fn validate(&self, data: &serde_json::Map<String, Value>) -> Result<(), Violations> {
        let mut violations = Violations::new();
        for key in data
            .keys()
            .filter(|key| !self.fields.iter().any(|field| &field.key == *key))
        {
            violations.push(invalid(
                &child("", key),
                "unknown_field",
                "this form has no such field",
            ));
        }
        for field in &self.fields {
            let pointer = child("", &field.key);
            match data.get(&field.key).filter(|value| !value.is_null()) {
                None if field.required => violations.push(invalid(
                    &pointer,
                    "required",
                    format!("{} is required", field.label),
                )),
                None => {}
                Some(value) => {
                    if let Some(violation) = field.check(value, &pointer) {
                        violations.push(violation);
                    }
                }
            }
        }
        violations.into_result(())
    }
}

/// Validates form data against an instance's form, if it has one; without a form, no data
/// is expected.
pub fn validate_form_data(
    form: Option<&FormConfig>,
    data: &serde_json::Map<String, Value>,
) -> Result<(), Violations> {
    match form {
        Some(form) => form.validate(data),
        None => FormConfig::default().validate(data),
    }
}

fn is_identifier(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && key.len() <= FormConfig::MAX_KEY_LEN
}

fn parse_field(value: Value, pointer: &str, violations: &mut Violations) -> Option<FormField> {
    let mut read = match Members::of(value, pointer, &FIELD_KEYS) {
        Ok(read) => read,
        Err(found) => {
            violations.extend(found);
            return None;
        }
    };
    let key = read.read("key", |value, at, violations| {
        let key = string(FormConfig::MAX_KEY_LEN)(value, at, violations)?;
        if !is_identifier(&key) {
            violations.push(Violation::new(
                at,
                "invalid_key",
                "must be an identifier: a letter, then letters, digits or '_', at most 64",
            ));
            return None;
        }
        Some(key)
    });
    let key = read.required("key", key);
    let label = read.read("label", string(200));
    let label = read.required("label", label);
    let field_type = read.read("type", |value, at, violations| {
        let found = value
            .as_str()
            .and_then(|text| FieldType::ALL.into_iter().find(|t| t.as_str() == text));
        if found.is_none() {
            let names: Vec<_> = FieldType::ALL.iter().map(|t| t.as_str()).collect();
            violations.push(Violation::new(
                at,
                "invalid_value",
                format!("must be one of {}", names.join(", ")),
            ));
        }
        found
    });
    let field_type = read.required("type", field_type);
    let required = read.read("required", boolean);
    let help_text = read.read("helpText", string(1_000));
    let pattern = read.read("pattern", parse_pattern);
    let min_length = read.read("minLength", count);
    let max_length = read.read("maxLength", count);
    let min = read.read("min", number);
    let max = read.read("max", number);
    let options = read.read("options", string_list(500, 200));

    if let Some(field_type) = field_type {
        let mut not_applicable = |key: &str, given: bool| {
            if given {
                read.violate(Violation::new(
                    read.pointer_of(key),
                    "not_applicable",
                    format!("{key} does not apply to a {} field", field_type.as_str()),
                ));
            }
        };
        if !field_type.is_textual() {
            not_applicable("pattern", pattern.is_given());
            not_applicable("minLength", min_length.is_given());
            not_applicable("maxLength", max_length.is_given());
        }
        if !field_type.is_numeric() {
            not_applicable("min", min.is_given());
            not_applicable("max", max.is_given());
        }
        if !field_type.has_options() {
            not_applicable("options", options.is_given());
        } else if !options.is_given() {
            read.violate(Violation::new(
                read.pointer_of("options"),
                "required",
                "select and multiselect fields need a non-empty list of options",
            ));
        }
    }
    let (min_length, max_length) = (min_length.optional(), max_length.optional());
    if let (Some(low), Some(high)) = (min_length, max_length)
        && high < low
    {
        read.violate(Violation::new(
            read.pointer_of("maxLength"),
            "below_minimum",
            "maxLength must not be less than minLength",
        ));
    }
    let (min, max) = (min.optional(), max.optional());
    if let (Some(low), Some(high)) = (min, max)
        && high < low
    {
        read.violate(Violation::new(
            read.pointer_of("max"),
            "below_minimum",
            "max must not be less than min",
        ));
    }
    let field = (|| {
        Some(FormField {
            key: key?,
            label: label?,
            field_type: field_type?,
            required: required.optional().unwrap_or(false),
            help_text: help_text.optional(),
            pattern: pattern.optional(),
            min_length,
            max_length,
            min,
            max,
            options: options.optional(),
        })
    })();
    match read.finish(field) {
        Ok(field) => field,
        Err(found) => {
            violations.extend(found);
            None
        }
    }
}

/// Compiles a pattern once per process: every instance read back from storage carries its
/// form, and compiling the same few patterns again on every read would dominate list
/// requests. The memo is bounded, so arbitrary patterns cannot grow it without limit.
fn compile(source: &str) -> Result<Arc<regex_lite::Regex>, regex_lite::Error> {
    const CAPACITY: usize = 1_024;
    static COMPILED: OnceLock<Mutex<HashMap<String, Arc<regex_lite::Regex>>>> = OnceLock::new();
    let memo = COMPILED.get_or_init(Mutex::default);
    if let Some(found) = memo
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(source)
    {
        return Ok(found.clone());
    }
    let compiled = Arc::new(regex_lite::Regex::new(source)?);
    let mut memo = memo.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if memo.len() >= CAPACITY {
        memo.clear();
    }
    memo.insert(source.to_owned(), compiled.clone());
    Ok(compiled)
}

fn parse_pattern(value: Value, pointer: &str, violations: &mut Violations) -> Option<Pattern> {
    let source = string(Pattern::MAX_LEN)(value, pointer, violations)?;
    match compile(&source) {
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
    fn the_json_form_is_the_serialised_form() {
        let every_member = json!({ "fields": [
            { "key": "a", "label": "A", "type": "text", "required": false, "helpText": "h",
              "pattern": "^x$", "minLength": 1, "maxLength": 9 },
            { "key": "n", "label": "N", "type": "number", "required": true, "min": 0.5, "max": 9.5 },
            { "key": "s", "label": "S", "type": "multiselect", "required": false, "options": ["x", "y"] } ] });
        let form = FormConfig::from_json(every_member.clone()).unwrap();
        assert_eq!(form.to_json(), every_member);
        assert_eq!(serde_json::to_value(&form).unwrap(), every_member);
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

    fn every_type() -> FormConfig {
        FormConfig::from_json(json!({"fields": [
            {"key": "account", "label": "Account", "type": "text", "required": true, "pattern": "^[0-9]{10}$", "maxLength": 10},
            {"key": "note", "label": "Note", "type": "text", "minLength": 2},
            {"key": "kwh", "label": "kWh", "type": "number", "min": 0, "max": 100},
            {"key": "panels", "label": "Panels", "type": "integer", "min": 1},
            {"key": "owner", "label": "Owner", "type": "boolean"},
            {"key": "installed", "label": "Installed", "type": "date"},
            {"key": "email", "label": "Email", "type": "email"},
            {"key": "phone", "label": "Phone", "type": "phone"},
            {"key": "tier", "label": "Tier", "type": "select", "options": ["basic", "plus"]},
            {"key": "extras", "label": "Extras", "type": "multiselect", "options": ["a", "b"]}
        ]}))
        .unwrap()
    }

    fn check(data: Value) -> Vec<(String, &'static str)> {
        match every_type().validate(data.as_object().unwrap()) {
            Ok(()) => Vec::new(),
            Err(violations) => violations
                .into_iter()
                .map(|v| (v.pointer, v.code))
                .collect(),
        }
    }

    #[test]
    fn valid_data_of_every_type_passes() {
        let data = json!({"account": "0123456789", "note": "hi", "kwh": 12.5, "panels": 10, "owner": true,
            "installed": "2024-02-29", "email": "a@example.com", "phone": "+1 (212) 555-0100",
            "tier": "plus", "extras": ["a", "b"]});
        assert_eq!(check(data), []);
        assert_eq!(
            check(json!({"account": "0123456789", "note": null})),
            [],
            "null is absent"
        );
    }

    #[test]
    fn every_rule_is_named() {
        let base = || json!({"account": "0123456789"});
        let cases: Vec<(Value, &str, &str)> = vec![
            (json!({}), "/account", "required"),
            (json!({"account": 123}), "/account", "invalid_type"),
            (json!({"account": "12345"}), "/account", "pattern_mismatch"),
            (json!({"account": "01234567891"}), "/account", "too_long"),
            (json!({"note": "x"}), "/note", "too_short"),
            (json!({"kwh": "12"}), "/kwh", "invalid_type"),
            (json!({"kwh": 101}), "/kwh", "above_maximum"),
            (json!({"kwh": -1}), "/kwh", "below_minimum"),
            (json!({"panels": 1.5}), "/panels", "invalid_type"),
            (json!({"panels": 0}), "/panels", "below_minimum"),
            (json!({"owner": "yes"}), "/owner", "invalid_type"),
            (
                json!({"installed": "2023-02-29"}),
                "/installed",
                "invalid_date",
            ),
            (json!({"email": "not-an-email"}), "/email", "invalid_email"),
            (json!({"phone": "12"}), "/phone", "invalid_phone"),
            (json!({"tier": "gold"}), "/tier", "invalid_option"),
            (json!({"extras": ["a", "a"]}), "/extras/1", "duplicate"),
            (json!({"extras": ["c"]}), "/extras/0", "invalid_option"),
            (json!({"extras": "a"}), "/extras", "invalid_type"),
            (json!({"unknown": 1}), "/unknown", "unknown_field"),
        ];
        for (extra, pointer, code) in cases {
            let mut data = base();
            if extra.as_object().unwrap().is_empty() {
                data = json!({});
            }
            for (key, value) in extra.as_object().unwrap() {
                data[key] = value.clone();
            }
            assert_eq!(check(data.clone()), [(pointer.to_owned(), code)], "{data}");
        }
    }

    #[test]
    fn without_a_form_no_data_is_expected() {
        assert!(validate_form_data(None, json!({}).as_object().unwrap()).is_ok());
        assert!(validate_form_data(None, json!({"x": 1}).as_object().unwrap()).is_err());
    }

    proptest! {
        #[test]
        fn validation_never_panics_on_arbitrary_json(text in "\\PC{0,200}", key in prop_oneof![Just("account"), Just("kwh"), Just("extras"), Just("installed"), Just("phone")]) {
            let value = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
            let mut data = serde_json::Map::new();
            data.insert(key.to_owned(), value);
            let _ = every_type().validate(&data);
        }
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
