//! An instance's enrollment form as a JSON Schema (draft 2020-12) document, so that any
//! front end can render and pre-check it: it states the rules of `FormConfig::validate`
//! (which checks a few of them, a real calendar date or an email address, more precisely).

use serde_json::{Map, Value, json};

use crate::form::{FieldType, FormConfig, FormField};

/// `validate`'s phone rule: 7 to 15 digits, with spaces and `+-().` anywhere.
const PHONE_PATTERN: &str = r"^(?:[ +\-().]*[0-9]){7,15}[ +\-().]*$";
/// A calendar date such as 2024-05-31 (the range of each part; `format` says the rest).
const DATE_PATTERN: &str = r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$";

fn field_schema(field: &FormField) -> Value {
    let mut schema = Map::new();
    schema.insert("title".into(), Value::from(field.label()));
    if let Some(help) = field.help_text() {
        schema.insert("description".into(), Value::from(help));
    }
    let (min_length, max_length) = field.length_range();
    let (minimum, maximum) = field.value_range();
    let mut set = |key: &str, value: Value| {
        schema.insert(key.to_owned(), value);
    };
    match field.field_type() {
        FieldType::Text | FieldType::Email | FieldType::Phone => {
            set("type", json!("string"));
            if let Some(min) = min_length {
                set("minLength", json!(min));
            }
            if let Some(max) = max_length {
                set("maxLength", json!(max));
            }
            match field.field_type() {
                FieldType::Email => set("format", json!("email")),
                FieldType::Phone => set("pattern", json!(PHONE_PATTERN)),
                _ => {}
            }
            // A field's own pattern wins over the phone rule's; both are checked on submit.
            if let Some(pattern) = field.pattern() {
                set("pattern", json!(pattern.source()));
            }
        }
        FieldType::Number | FieldType::Integer => {
            let kind = if field.field_type() == FieldType::Integer {
                "integer"
            } else {
                "number"
            };
            set("type", json!(kind));
            if let Some(min) = minimum {
                set("minimum", json!(min));
            }
            if let Some(max) = maximum {
                set("maximum", json!(max));
            }
        }
        FieldType::Boolean => set("type", json!("boolean")),
        FieldType::Date => {
            set("type", json!("string"));
            set("format", json!("date"));
            set("pattern", json!(DATE_PATTERN));
        }
        FieldType::Select => {
            set("type", json!("string"));
            set("enum", json!(field.options().unwrap_or_default()));
        }
        FieldType::Multiselect => {
            set("type", json!("array"));
            set(
                "items",
                json!({ "type": "string", "enum": field.options().unwrap_or_default() }),
            );
            set("uniqueItems", json!(true));
            if field.required() {
                set("minItems", json!(1));
            }
        }
    }
    Value::Object(schema)
}

/// The form of an instance titled `title` (its name); without a form, a schema that takes
/// only an empty object.
pub fn json_schema(form: Option<&FormConfig>, title: &str) -> Value {
    let fields = form.map(FormConfig::fields).unwrap_or_default();
    let properties: Map<String, Value> = fields
        .iter()
        .map(|field| (field.key().to_owned(), field_schema(field)))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|field| field.required())
        .map(FormField::key)
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_type_has_its_schema() {
        let form = FormConfig::from_json(json!({"fields": [
            {"key": "account", "label": "Account", "type": "text", "required": true, "pattern": "^[0-9]{10}$", "maxLength": 10},
            {"key": "email", "label": "Email", "type": "email"},
            {"key": "phone", "label": "Phone", "type": "phone"},
            {"key": "size", "label": "Size", "type": "number", "min": 1.5, "max": 20},
            {"key": "count", "label": "Count", "type": "integer", "min": 1},
            {"key": "owner", "label": "Owner", "type": "boolean"},
            {"key": "installed", "label": "Installed", "type": "date"},
            {"key": "kind", "label": "Kind", "type": "select", "options": ["a", "b"]},
            {"key": "uses", "label": "Uses", "type": "multiselect", "options": ["x", "y"], "required": true}
        ]}))
        .unwrap();
        let schema = json_schema(Some(&form), "Battery <Rebate>");
        assert_eq!(schema["required"], json!(["account", "uses"]));
        assert_eq!(schema["additionalProperties"], false);
        let properties = &schema["properties"];
        assert_eq!(properties["account"]["pattern"], "^[0-9]{10}$");
        assert_eq!(properties["account"]["maxLength"], 10);
        assert_eq!(properties["email"]["format"], "email");
        assert_eq!(properties["size"]["minimum"], 1.5);
        assert_eq!(properties["count"]["type"], "integer");
        assert_eq!(properties["owner"]["type"], "boolean");
        assert_eq!(properties["installed"]["format"], "date");
        assert_eq!(properties["kind"]["enum"], json!(["a", "b"]));
        assert_eq!(properties["uses"]["items"]["enum"], json!(["x", "y"]));
        assert_eq!(properties["uses"]["minItems"], 1);
        let phone = regex_lite::Regex::new(PHONE_PATTERN).unwrap();
        for (text, ok) in [
            ("+1 (212) 555-0100", true),
            ("12345", false),
            ("555-0100x", false),
        ] {
            let data = json!({"account": "0123456789", "uses": ["x"], "phone": text});
            let checked = form.validate(data.as_object().unwrap()).is_ok();
            assert_eq!((phone.is_match(text), checked), (ok, ok), "{text}");
        }
        let empty = json_schema(None, "No form");
        assert_eq!(empty["properties"], json!({}));
    }
}
