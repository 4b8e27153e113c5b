//! The documents inside resources and events: eligibility criteria, the form and its
//! fields, metadata, form data, who enrolls, verdicts, counts, statuses and event changes.

use std::collections::BTreeSet;

use domain::strict_json::TEXT_PATTERN;
use serde_json::json;
use utoipa::openapi::schema::{
    AdditionalProperties, AnyOfBuilder, ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::*;

/// A metadata value nested at most `levels` deep: a scalar (strings without NUL), or, above
/// one level, a list or an object of values one level shallower. Spelled out level by level
/// rather than recursively, which generated clients (TypeScript) could not type.
fn metadata_value(levels: usize) -> RefOr<Schema> {
    let text = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(TEXT_PATTERN));
    let scalar = ObjectBuilder::new().schema_type(SchemaType::from_iter([
        Type::Number,
        Type::Boolean,
        Type::Null,
    ]));
    let mut value = AnyOfBuilder::new().item(text).item(scalar);
    if levels > 1 {
        let inner = || RefOr::Ref(Ref::from_schema_name(metadata_level_name(levels - 1)));
        value = value.item(ArrayBuilder::new().items(inner())).item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property_names(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(TEXT_PATTERN)),
                ))
                .additional_properties(Some(AdditionalProperties::RefOr(inner()))),
        );
    }
    value.into()
}

fn metadata_level_name(levels: usize) -> String {
    format!("MetadataValue{levels}")
}

/// An instance's free-form custom fields.
#[derive(Debug)]
pub struct Metadata;

impl PartialSchema for Metadata {
    fn schema() -> RefOr<Schema> {
        let top = domain::Metadata::MAX_DEPTH;
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(format!(
                "Free-form custom fields: at most 50 keys of 1 to 40 characters, values nested at \
                 most {top} levels deep (a scalar is one level; each list or object around it one \
                 more), at most 8 KiB (8,192 bytes) as compact JSON; no NUL in keys or strings."
            )))
            .max_properties(Some(domain::Metadata::MAX_KEYS))
            .property_names(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(domain::Metadata::MAX_KEY_CHARS))
                    .pattern(Some(TEXT_PATTERN)),
            ))
            .additional_properties(Some(AdditionalProperties::RefOr(RefOr::Ref(
                Ref::from_schema_name(metadata_level_name(top)),
            ))))
            .examples([json!({ "campaign": "spring-2023", "budgetUsd": 250000 })])
            .into()
    }
}

impl ToSchema for Metadata {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        for levels in 1..=domain::Metadata::MAX_DEPTH {
            schemas.push((metadata_level_name(levels), metadata_value(levels)));
        }
    }
}

/// The values submitted for an instance's form, by field key.
#[derive(Debug)]
pub struct FormData;

impl PartialSchema for FormData {
    fn schema() -> RefOr<Schema> {
        let text = || {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(TEXT_PATTERN))
        };
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "The values of the instance's form fields, by key: checked against its \
                 `formConfig` (every required field present, each value of its field's type and \
                 within its rules, no other key; `null` counts as absent). An instance without a \
                 form takes none.",
            ))
            .property_names(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(domain::FormConfig::KEY_PATTERN)),
            ))
            .additional_properties(Some(AdditionalProperties::RefOr(
                AnyOfBuilder::new()
                    .item(text())
                    .item(ObjectBuilder::new().schema_type(SchemaType::from_iter([
                        Type::Number,
                        Type::Boolean,
                        Type::Null,
                    ])))
                    .item(ArrayBuilder::new().items(text()))
                    .into(),
            )))
            .examples([json!({ "utilityAccountNumber": "0123456789" })])
            .into()
    }
}

impl ToSchema for FormData {}

/// An instance's lifecycle status.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = InstanceStatus)]
pub enum InstanceStatus {
    Active,
    Inactive,
    Archived,
}

/// The status a new instance starts in: `active` (the default) or `inactive`.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum InitialStatus {
    Active,
    Inactive,
}

/// An enrollment's status.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EnrollmentStatus {
    Submitted,
    Approved,
    Rejected,
    Unenrolled,
    Ineligible,
}

/// Who sees a catalog program: every workspace, or those it is shared with.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Private,
}

/// What an event tells of.
#[derive(Debug, ToSchema)]
pub enum EventType {
    #[serde(rename = "programInstance.created")]
    InstanceCreated,
    #[serde(rename = "programInstance.updated")]
    InstanceUpdated,
    #[serde(rename = "programInstance.statusChanged")]
    InstanceStatusChanged,
    #[serde(rename = "programInstance.deleted")]
    InstanceDeleted,
    #[serde(rename = "programInstance.enrollmentOpened")]
    InstanceEnrollmentOpened,
    #[serde(rename = "programInstance.enrollmentClosed")]
    InstanceEnrollmentClosed,
    #[serde(rename = "enrollment.created")]
    EnrollmentCreated,
    #[serde(rename = "enrollment.statusChanged")]
    EnrollmentStatusChanged,
    #[serde(rename = "webhookEndpoint.disabled")]
    WebhookEndpointDisabled,
}

/// Where a delivery stands.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    Pending,
    Succeeded,
    Failed,
}

/// What an event carries: the resource after the change (`object`: as a read of it showed
/// it then), and, for a change, the changed fields before it (`previous`) and the reason
/// given (`reason`, for enrollment moves).
#[derive(Debug, ToSchema)]
pub struct EventData {
    #[schema(value_type = Object)]
    object: serde_json::Value,
    #[schema(value_type = Object, required = false)]
    previous: Option<serde_json::Value>,
    reason: Option<String>,
}

/// Who may enroll. Every criterion is optional (`null` means not set) and a set one must
/// be met; lists match case-insensitively and hold no exact duplicate.
/// `maximumCapacity` must not be less than `minimumCapacity`.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({ "regions": ["NY"], "deviceTypes": ["battery"], "minimumCapacity": 5.0 }))]
pub struct EligibilityCriteria {
    #[schema(min_items = 1, max_items = 1000)]
    regions: Option<BTreeSet<ShortText>>,
    #[schema(min_items = 1, max_items = 1000)]
    postal_codes: Option<BTreeSet<ShortText>>,
    #[schema(min_items = 1, max_items = 1000)]
    device_types: Option<BTreeSet<ShortText>>,
    #[schema(minimum = 0)]
    minimum_capacity: Option<f64>,
    #[schema(minimum = 0)]
    maximum_capacity: Option<f64>,
    #[schema(min_items = 1, max_items = 1000)]
    customer_types: Option<BTreeSet<ShortText>>,
    #[schema(min_items = 1, max_items = 1000)]
    utilities: Option<BTreeSet<ShortText>>,
    #[schema(min_items = 1, max_items = 1000)]
    manufacturers: Option<BTreeSet<ShortText>>,
}

/// A yearly window, in the instance's `timeZone`: open from 00:00 on `opens` to 24:00 on
/// `closes`, both days included; `closes` before `opens` wraps the new year.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({ "opens": "05-01", "closes": "09-30" }))]
pub struct Season {
    opens: MonthDay,
    closes: MonthDay,
}

/// The enrollment form: at most 100 fields with distinct keys.
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "fields": [{ "key": "utilityAccountNumber", "label": "Utility account number",
    "type": "text", "required": true, "pattern": "^[0-9]{10}$", "maxLength": 10 }] }))]
pub struct FormConfig {
    #[schema(max_items = 100)]
    fields: Vec<FormField>,
}

/// One form field; its `type` decides which settings apply.
#[derive(Debug, ToSchema)]
#[serde(untagged)]
pub enum FormField {
    Text(TextField),
    Number(NumberField),
    Choice(ChoiceField),
    Plain(PlainField),
}

#[derive(Debug, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TextFieldType {
    Text,
    Email,
    Phone,
}

/// A text, email or phone field. `maxLength` must not be less than `minLength`.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TextField {
    key: FieldKey,
    label: ShortText,
    r#type: TextFieldType,
    /// `false` when absent.
    required: Option<bool>,
    help_text: Option<LongText>,
    pattern: Option<RegexSource>,
    #[schema(minimum = 0, maximum = 4_294_967_295_u64)]
    min_length: Option<u32>,
    #[schema(minimum = 0, maximum = 4_294_967_295_u64)]
    max_length: Option<u32>,
}

#[derive(Debug, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NumberFieldType {
    Number,
    Integer,
}

/// A number or integer field. `max` must not be less than `min`.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NumberField {
    key: FieldKey,
    label: ShortText,
    r#type: NumberFieldType,
    /// `false` when absent.
    required: Option<bool>,
    help_text: Option<LongText>,
    min: Option<f64>,
    max: Option<f64>,
}

#[derive(Debug, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChoiceFieldType {
    Select,
    Multiselect,
}

/// A select or multiselect field, with the options to choose from.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChoiceField {
    key: FieldKey,
    label: ShortText,
    r#type: ChoiceFieldType,
    /// `false` when absent.
    required: Option<bool>,
    help_text: Option<LongText>,
    #[schema(min_items = 1, max_items = 500)]
    options: BTreeSet<ShortText>,
}

#[derive(Debug, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PlainFieldType {
    Boolean,
    Date,
}

/// A boolean or date (`YYYY-MM-DD`) field.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlainField {
    key: FieldKey,
    label: ShortText,
    r#type: PlainFieldType,
    /// `false` when absent.
    required: Option<bool>,
    help_text: Option<LongText>,
}

/// Who enrolls. Every member is optional (`null` means absent).
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Customer {
    external_id: Option<ShortText>,
    name: Option<ShortText>,
    email: Option<Email>,
    region: Option<ShortText>,
    postal_code: Option<ShortText>,
    customer_type: Option<ShortText>,
    utility: Option<ShortText>,
}

/// The device enrolled. Every member is optional (`null` means absent).
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Device {
    r#type: Option<ShortText>,
    #[schema(minimum = 0)]
    capacity: Option<f64>,
    manufacturer: Option<ShortText>,
}

/// One field's change in an `updated` event: its value before and after, as the API shows
/// it (`null` when unset).
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldChange {
    field: ChangeableField,
    #[schema(value_type = Value)]
    before: (),
    #[schema(value_type = Value)]
    after: (),
}

#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum ChangeableField {
    Name,
    Slug,
    Description,
    LogoUrl,
    EligibilityCriteria,
    CustomTerms,
    FormConfig,
    StartDate,
    EndDate,
    Metadata,
    TimeZone,
    Seasons,
}

/// What happened: `created`; `updated` with the changed fields other than `status`; or
/// `statusChanged` with `from` and `to`.
#[derive(Debug, ToSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum InstanceChange {
    Created,
    Updated {
        changes: Vec<FieldChange>,
    },
    StatusChanged {
        from: InstanceStatus,
        to: InstanceStatus,
    },
}

/// The verdict on one criterion.
#[derive(Debug, ToSchema)]
pub struct CriterionResult {
    /// The criterion's name, e.g. `regions`.
    criterion: String,
    passed: bool,
    reason: String,
}

/// The eligibility verdict kept on an enrollment.
#[derive(Debug, ToSchema)]
pub struct Verdict {
    eligible: bool,
    results: Vec<CriterionResult>,
}

/// Enrollments by status; every status is listed, zero included.
#[derive(Debug, ToSchema)]
pub struct CountsByStatus {
    submitted: u64,
    approved: u64,
    rejected: u64,
    unenrolled: u64,
    ineligible: u64,
}
