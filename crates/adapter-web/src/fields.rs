//! The page's fields: which ones an instance asks for, how each shows, and how a submitted
//! form becomes an enrollment body (and its violations come back to the fields).

use std::collections::BTreeMap;

use domain::ProgramInstance;
use domain::form::{FieldType, FormField};
use serde_json::{Map, Value, json};

/// One control of the page, ready to render.
#[derive(Debug, Clone, Default)]
pub struct FieldView {
    pub id: String,
    pub name: String,
    pub label: String,
    /// `input`, `checkbox`, `select` or `checkboxes`.
    pub control: &'static str,
    pub input_type: &'static str,
    pub required: bool,
    pub value: String,
    pub checked: bool,
    pub options: Vec<OptionView>,
    pub help: Option<String>,
    pub pattern: Option<String>,
    pub min_length: Option<u32>,
    pub max_length: Option<u32>,
    pub min: Option<String>,
    pub max: Option<String>,
    pub step: Option<&'static str>,
    pub error: Option<String>,
    pub autofocus: bool,
}

#[derive(Debug, Clone)]
pub struct OptionView {
    pub id: String,
    pub value: String,
    pub selected: bool,
}

/// What was submitted: each name with its values, in order.
pub type Submitted = BTreeMap<String, Vec<String>>;

fn first<'a>(submitted: &'a Submitted, name: &str) -> &'a str {
    submitted
        .get(name)
        .and_then(|values| values.first())
        .map_or("", String::as_str)
}

fn html_id(name: &str) -> String {
    format!(
        "f-{}",
        name.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
    )
}

fn text_field(name: &str, label: &str, input_type: &'static str, required: bool) -> FieldView {
    FieldView {
        id: html_id(name),
        name: name.to_owned(),
        label: label.to_owned(),
        control: "input",
        input_type,
        required,
        ..FieldView::default()
    }
}

/// The customer's fields: name and email always, then those the criteria ask about.
pub fn customer_fields(instance: &ProgramInstance) -> Vec<FieldView> {
    let criteria = instance.eligibility_criteria();
    let mut fields = vec![
        text_field("customer.name", "Full name", "text", true),
        text_field("customer.email", "Email", "email", true),
    ];
    let asked = |present: bool, name: &str, label: &str| {
        present.then(|| text_field(name, label, "text", true))
    };
    fields.extend(
        [
            asked(
                criteria.is_some_and(|c| c.regions().is_some()),
                "customer.region",
                "Region or state",
            ),
            asked(
                criteria.is_some_and(|c| c.postal_codes().is_some()),
                "customer.postalCode",
                "Postal code",
            ),
            asked(
                criteria.is_some_and(|c| c.customer_types().is_some()),
                "customer.customerType",
                "Customer type (for example residential)",
            ),
            asked(
                criteria.is_some_and(|c| c.utilities().is_some()),
                "customer.utility",
                "Utility",
            ),
        ]
        .into_iter()
        .flatten(),
    );
    fields
}

/// The device's fields the criteria ask about.
pub fn device_fields(instance: &ProgramInstance) -> Vec<FieldView> {
    let Some(criteria) = instance.eligibility_criteria() else {
        return Vec::new();
    };
    let mut fields = Vec::new();
    if criteria.device_types().is_some() {
        fields.push(text_field(
            "device.type",
            "Device type (for example battery)",
            "text",
            true,
        ));
    }
    if criteria.minimum_capacity().is_some() || criteria.maximum_capacity().is_some() {
        let mut capacity = text_field("device.capacity", "Capacity (kWh)", "number", true);
        capacity.min = Some("0".to_owned());
        capacity.step = Some("any");
        fields.push(capacity);
    }
    if criteria.manufacturers().is_some() {
        fields.push(text_field(
            "device.manufacturer",
            "Manufacturer",
            "text",
            true,
        ));
    }
    fields
}

fn number_text(value: f64) -> String {
    value.to_string()
}

fn form_field(field: &FormField) -> FieldView {
    let name = format!("form.{}", field.key());
    let (min_length, max_length) = field.length_range();
    let (min, max) = field.value_range();
    let mut view = FieldView {
        id: html_id(&name),
        name,
        label: field.label().to_owned(),
        control: "input",
        input_type: "text",
        required: field.required(),
        help: field.help_text().map(str::to_owned),
        ..FieldView::default()
    };
    match field.field_type() {
        FieldType::Text | FieldType::Email | FieldType::Phone => {
            view.input_type = match field.field_type() {
                FieldType::Email => "email",
                FieldType::Phone => "tel",
                _ => "text",
            };
            view.pattern = field.pattern().map(|pattern| pattern.source().to_owned());
            view.min_length = min_length;
            view.max_length = max_length;
        }
        FieldType::Number | FieldType::Integer => {
            view.input_type = "number";
            view.min = min.map(number_text);
            view.max = max.map(number_text);
            view.step = Some(if field.field_type() == FieldType::Integer {
                "1"
            } else {
                "any"
            });
        }
        FieldType::Date => view.input_type = "date",
        FieldType::Boolean => view.control = "checkbox",
        FieldType::Select | FieldType::Multiselect => {
            view.control = if field.field_type() == FieldType::Select {
                "select"
            } else {
                "checkboxes"
            };
            view.options = field
                .options()
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(index, option)| OptionView {
                    id: format!("{}-{index}", view.id),
                    value: option.clone(),
                    selected: false,
                })
                .collect();
        }
    }
    view
}

/// The fields of the instance's own form.
pub fn form_fields(instance: &ProgramInstance) -> Vec<FieldView> {
    instance
        .form_config()
        .map(|form| form.fields().iter().map(form_field).collect())
        .unwrap_or_default()
}

/// The consent checkbox, when the instance has terms.
pub fn consent_field(instance: &ProgramInstance) -> Option<FieldView> {
    instance.custom_terms().map(|_| FieldView {
        id: "f-consent".to_owned(),
        name: "consent".to_owned(),
        label: "I have read and accept the terms".to_owned(),
        control: "checkbox",
        required: true,
        ..FieldView::default()
    })
}

/// Puts the submitted values back into the fields, so that a form shown again keeps them.
pub fn keep_values(fields: &mut [FieldView], submitted: &Submitted) {
    for field in fields {
        let values = submitted.get(&field.name).cloned().unwrap_or_default();
        match field.control {
            "checkbox" => field.checked = !values.is_empty(),
            "select" | "checkboxes" => {
                for option in &mut field.options {
                    option.selected = values.contains(&option.value);
                }
            }
            _ => field.value = values.first().cloned().unwrap_or_default(),
        }
    }
}

/// The enrollment body a submission makes: empty answers are absent; numbers that do not
/// read as numbers stay text, so the domain names them.
pub fn enrollment_body(instance: &ProgramInstance, submitted: &Submitted) -> Map<String, Value> {
    let text = |name: &str| {
        let value = first(submitted, name).trim();
        (!value.is_empty()).then(|| Value::from(value))
    };
    let mut customer = Map::new();
    for (member, name) in [
        ("name", "customer.name"),
        ("email", "customer.email"),
        ("region", "customer.region"),
        ("postalCode", "customer.postalCode"),
        ("customerType", "customer.customerType"),
        ("utility", "customer.utility"),
    ] {
        if let Some(value) = text(name) {
            customer.insert(member.to_owned(), value);
        }
    }
    let mut device = Map::new();
    if let Some(value) = text("device.type") {
        device.insert("type".to_owned(), value);
    }
    if let Some(value) = text("device.capacity") {
        device.insert("capacity".to_owned(), number_or_text(&value, false));
    }
    if let Some(value) = text("device.manufacturer") {
        device.insert("manufacturer".to_owned(), value);
    }
    let mut form_data = Map::new();
    for field in instance
        .form_config()
        .map(|form| form.fields())
        .unwrap_or_default()
    {
        let name = format!("form.{}", field.key());
        let value = match field.field_type() {
            FieldType::Boolean => Some(Value::Bool(submitted.contains_key(&name))),
            FieldType::Multiselect => submitted
                .get(&name)
                .filter(|values| !values.is_empty())
                .map(|values| json!(values)),
            FieldType::Number => text(&name).map(|value| number_or_text(&value, false)),
            FieldType::Integer => text(&name).map(|value| number_or_text(&value, true)),
            _ => text(&name),
        };
        if let Some(value) = value {
            form_data.insert(field.key().to_owned(), value);
        }
    }
    let mut body = Map::new();
    body.insert("customer".to_owned(), Value::Object(customer));
    if !device.is_empty() {
        body.insert("device".to_owned(), Value::Object(device));
    }
    body.insert("formData".to_owned(), Value::Object(form_data));
    body
}

fn number_or_text(value: &Value, integer: bool) -> Value {
    let Some(text) = value.as_str() else {
        return value.clone();
    };
    let parsed = if integer {
        text.parse::<i64>().ok().map(Value::from)
    } else {
        text.parse::<f64>()
            .ok()
            .filter(|number| number.is_finite())
            .map(Value::from)
    };
    parsed.unwrap_or_else(|| value.clone())
}

/// The field a violation's pointer (into the enrollment body) belongs to.
pub fn field_of(pointer: &str) -> Option<String> {
    let mut parts = pointer.trim_start_matches('/').split('/');
    match (parts.next()?, parts.next()) {
        ("customer", Some(member)) => Some(format!("customer.{member}")),
        ("device", Some(member)) => Some(format!("device.{member}")),
        ("formData", Some(key)) => Some(format!("form.{key}")),
        _ => None,
    }
}
