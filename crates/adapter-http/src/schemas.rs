//! The schemas of the OpenAPI document that are not the serialised views themselves: the
//! request bodies, the documents inside instances and enrollments, and the named string
//! rules. Their patterns are the domain's own constants (`Name::PATTERN`, …), which the
//! domain's tests prove equal to its parsers, so the document states exactly what the
//! server enforces.
//!
//! The request bodies are read by `domain::strict_json::Members`, not deserialised from
//! these types; `tests::bodies_follow_their_schemas` proves the two agree on which
//! members exist, which are required and which take `null`.

// The types below exist for their schemas; they are never built.
#![allow(dead_code)]

use std::collections::BTreeSet;

use domain::enrollment::Customer as DomainCustomer;
use domain::strict_json::{PLAIN_TEXT_PATTERN, TEXT_PATTERN};
use serde_json::json;
use utoipa::openapi::schema::{
    AdditionalProperties, AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, Schema,
    SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// A string schema with a description and the given settings.
macro_rules! string_schema {
    ($(#[doc = $doc:literal])+ $name:ident $(.$setting:ident($value:expr))*) => {
        $(#[doc = $doc])+
        #[derive(Debug)]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let description: Vec<&str> = vec![$($doc.trim()),+];
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some(description.join(" ")))
                    $(.$setting($value))*
                    .into()
            }
        }

        impl ToSchema for $name {}
    };
}

string_schema! {
    /// A server-generated id: a CUID.
    Id.pattern(Some(domain::InstanceId::PATTERN)).examples([json!("cllgn0u4r000008l7eazybfbo")])
}
string_schema! {
    /// An event's id: `evt_` and a CUID.
    EventId.pattern(Some(domain::EventId::PATTERN)).examples([json!("evt_cllgn0u4r000008l7eazybfbo")])
}
string_schema! {
    /// Where deliveries go: an absolute `https` URL (`http` only where the operator allows
    /// it) with a host name or IPv4 address, an optional port and path; no user part, no
    /// fragment; at most 2,048 characters. It must not resolve to a loopback, private,
    /// link-local or multicast address unless the operator allows private destinations.
    WebhookUrl.pattern(Some(domain::webhook::endpoint::WebhookUrl::PATTERN))
        .max_length(Some(domain::webhook::endpoint::WebhookUrl::MAX_LEN))
        .examples([json!("https://hooks.example.com/program-instances")])
}
string_schema! {
    /// A workspace or program id: 1 to 64 letters, digits, `_` or `-`.
    TenantId.pattern(Some(domain::WorkspaceId::PATTERN)).examples([json!("ws_demo")])
}
string_schema! {
    /// Lowercase letters and digits in words joined by single hyphens, at most 100
    /// characters.
    Slug.pattern(Some(domain::Slug::PATTERN)).max_length(Some(domain::Slug::MAX_LEN))
        .examples([json!("battery-rebate-nyc-2023")])
}
string_schema! {
    /// 1 to 200 characters once surrounding white space is trimmed (and stored trimmed);
    /// no NUL.
    Name.pattern(Some(domain::Name::PATTERN)).examples([json!("NYC Battery Rebate Program 2023")])
}
string_schema! {
    /// Text of at most 200 characters that is not blank (it has a character other than
    /// white space) and has no NUL.
    ShortText.pattern(Some(PLAIN_TEXT_PATTERN)).max_length(Some(200))
}
string_schema! {
    /// Text of at most 1,000 characters that is not blank and has no NUL.
    LongText.pattern(Some(PLAIN_TEXT_PATTERN)).max_length(Some(1_000))
}
string_schema! {
    /// At most 5,000 characters, kept exactly as given (it may be empty); no NUL.
    Description.pattern(Some(TEXT_PATTERN)).max_length(Some(5_000))
}
string_schema! {
    /// At most 50,000 characters, kept exactly as given (it may be empty); no NUL.
    CustomTerms.pattern(Some(TEXT_PATTERN)).max_length(Some(50_000))
}
string_schema! {
    /// An RFC 3339 timestamp. Any offset is accepted and normalised to UTC; output always
    /// ends in `Z`. Precision is kept to the microsecond.
    Timestamp.format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .examples([json!("2023-01-01T00:00:00Z")])
}
string_schema! {
    /// An absolute `https` or `http` URL with a host name of ASCII letters, digits, dots and
    /// hyphens (no bracketed IP literal), without white space or control characters, at
    /// most 2,048 characters.
    LogoUrl.pattern(Some(domain::LogoUrl::PATTERN)).max_length(Some(domain::LogoUrl::MAX_LEN))
        .examples([json!("https://example.com/logos/nyc-rebate.png")])
}
string_schema! {
    /// An email address: at most 200 characters, with an `@`; no NUL.
    Email.pattern(Some(DomainCustomer::EMAIL_PATTERN)).max_length(Some(200))
}
string_schema! {
    /// A form field's key: a letter, then letters, digits or `_`; at most 64 characters.
    FieldKey.pattern(Some(domain::FormConfig::KEY_PATTERN)).examples([json!("utilityAccountNumber")])
}
string_schema! {
    /// A regular expression (Rust `regex` syntax, without look-around or back-references)
    /// that submitted text must match; it must compile. Not blank, no NUL, at most 1,000
    /// characters.
    RegexSource.pattern(Some(PLAIN_TEXT_PATTERN)).max_length(Some(1_000))
        .format(Some(SchemaFormat::Custom("regex".into())))
        .examples([json!("^[0-9]{10}$")])
}
string_schema! {
    /// Text to search for: 1 to 200 characters without NUL.
    SearchText.pattern(Some(TEXT_PATTERN)).min_length(Some(1)).max_length(Some(200))
}
string_schema! {
    /// The `nextCursor` of a previous page of the same list, passed back unchanged. A
    /// cursor is opaque and carries a checksum: any other value, or an altered one, is 422.
    Cursor.pattern(Some(crate::cursor::PATTERN))
}

string_schema! {
    /// 1 to 255 visible ASCII characters, chosen by the client: the first answer to a POST
    /// with it is kept 24 hours for the workspace, and replayed to a retry with the same
    /// body.
    IdempotencyKey.pattern(Some("^[!-~]{1,255}$"))
}

/// `Idempotency-Key`, on every POST.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// Makes the request safe to retry: the same key with the same body replays the first
    /// answer; with another body, 422 `idempotency_mismatch`; while the first still runs,
    /// 409 `idempotency_in_progress`.
    #[param(rename = "Idempotency-Key", value_type = Option<IdempotencyKey>)]
    idempotency_key: Option<String>,
}

/// A program instance's id in the path.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct InstanceIdParam {
    /// The instance's id.
    #[param(value_type = Id)]
    id: String,
}

/// An event's id in the path.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EventIdParam {
    /// The event's id.
    #[param(value_type = EventId)]
    id: String,
}

/// The filters of `GET /events`; both are optional and they combine.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct EventFilters {
    /// Events of one of these types (a comma-separated list).
    #[param(rename = "type", style = Form, explode = false, min_items = 1)]
    kind: Option<Vec<EventType>>,
    /// Events of this instance (and of its enrollments).
    #[param(value_type = Option<Id>)]
    program_instance_id: Option<String>,
}

/// An enrollment's id in the path.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EnrollmentIdParam {
    /// The enrollment's id.
    #[param(value_type = Id)]
    id: String,
}

/// A key's id in the path.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct KeyIdParam {
    /// The key's id.
    #[param(value_type = Id)]
    id: String,
}

/// The query of a paginated list.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// How many items, 1 to 100 (20 when absent).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// Where to continue: the `nextCursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
    cursor: Option<String>,
}

/// The filters of `GET /programInstances`; every one is optional and they combine.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct InstanceFilters {
    /// Instances of this program.
    #[param(value_type = Option<TenantId>)]
    program_id: Option<String>,
    /// Instances in one of these statuses (a comma-separated list).
    #[param(style = Form, explode = false, min_items = 1)]
    status: Option<Vec<InstanceStatus>>,
    /// The instance with this slug.
    #[param(value_type = Option<Slug>)]
    slug: Option<String>,
    /// Instances whose name contains this text, ignoring case.
    #[param(value_type = Option<SearchText>)]
    q: Option<String>,
    /// Instances accepting enrollments at this instant.
    #[param(value_type = Option<Timestamp>)]
    active_at: Option<String>,
    /// Instances created at or after this instant.
    #[param(value_type = Option<Timestamp>)]
    created_after: Option<String>,
    /// Instances created before this instant.
    #[param(value_type = Option<Timestamp>)]
    created_before: Option<String>,
}

/// The filter of `GET /programInstances/{id}/enrollments`.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnrollmentFilters {
    /// Enrollments in one of these statuses (a comma-separated list).
    #[param(style = Form, explode = false, min_items = 1)]
    status: Option<Vec<EnrollmentStatus>>,
}

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

string_schema! {
    /// What an API key may do.
    Scope.enum_values(Some(domain::Scope::ALL.map(domain::Scope::as_str)))
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

/// A new webhook endpoint. `eventTypes` absent or `null` means every type.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({ "url": "https://hooks.example.com/program-instances", "eventTypes": ["enrollment.created"] }))]
pub struct NewWebhookEndpoint {
    url: WebhookUrl,
    #[schema(min_items = 1)]
    event_types: Option<BTreeSet<EventType>>,
    description: Option<Description>,
}

/// A JSON Merge Patch of a webhook endpoint: `eventTypes: null` means every type,
/// `description: null` clears it.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({ "disabled": false }))]
pub struct WebhookEndpointChanges {
    #[serde(default)]
    url: WebhookUrl,
    #[schema(min_items = 1)]
    event_types: Option<BTreeSet<EventType>>,
    description: Option<Description>,
    #[serde(default)]
    disabled: bool,
}

/// A webhook endpoint's id in the path.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EndpointIdParam {
    /// The endpoint's id.
    #[param(value_type = Id)]
    id: String,
}

/// A delivery of an endpoint, in the path.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeliveryPathParams {
    /// The endpoint's id.
    #[param(value_type = Id)]
    id: String,
    /// The delivery's id.
    #[param(value_type = Id, rename = "deliveryId")]
    delivery_id: String,
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

/// The body of `POST /programs/{programSlug}/instances`. Only `name` is required; every
/// other member may be left out or sent as `null`, which means the same. Unknown and
/// read-only members are refused (422), as is an `endDate` not after `startDate`.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({
    "name": "NYC Battery Rebate Program 2023",
    "description": "Battery rebate program for NYC residents",
    "slug": "battery-rebate-nyc-2023",
    "logoUrl": "https://example.com/logos/nyc-rebate.png",
    "eligibilityCriteria": { "regions": ["NY"], "deviceTypes": ["battery"], "minimumCapacity": 5.0 },
    "customTerms": "Participants must be NYC residents with proof of purchase...",
    "startDate": "2023-01-01T00:00:00Z",
    "endDate": "2023-12-31T23:59:59Z"
}))]
pub struct NewInstance {
    name: Name,
    /// Derived from `name` when absent; unique within the workspace (409 `slug_taken`).
    slug: Option<Slug>,
    description: Option<Description>,
    logo_url: Option<LogoUrl>,
    eligibility_criteria: Option<EligibilityCriteria>,
    custom_terms: Option<CustomTerms>,
    form_config: Option<FormConfig>,
    start_date: Option<Timestamp>,
    /// After `startDate` when both are set.
    end_date: Option<Timestamp>,
    status: Option<InitialStatus>,
    metadata: Option<Metadata>,
}

/// The body of `PATCH /programInstances/{id}`: a JSON Merge Patch (RFC 7396). An absent
/// member is unchanged; `null` clears an optional member; `name`, `slug` and `status`
/// cannot be `null`. Object members (`eligibilityCriteria`, `formConfig`, `metadata`) are
/// merged into the current value, and the result must be valid. The resulting `endDate`
/// must be after the resulting `startDate`.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({ "status": "inactive", "description": null }))]
pub struct InstanceChanges {
    #[serde(default)]
    name: Name,
    #[serde(default)]
    slug: Slug,
    description: Option<Description>,
    logo_url: Option<LogoUrl>,
    eligibility_criteria: Option<EligibilityCriteria>,
    custom_terms: Option<CustomTerms>,
    form_config: Option<FormConfig>,
    start_date: Option<Timestamp>,
    end_date: Option<Timestamp>,
    /// A move along the lifecycle; the status it already has is a no-op.
    #[serde(default)]
    status: InstanceStatus,
    metadata: Option<Metadata>,
}

/// An applicant's attributes, to check against an instance's criteria. Every member is
/// optional (`null` means absent); a criterion about a missing attribute fails.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({ "region": "NY", "deviceType": "battery", "capacity": 13.5 }))]
pub struct Applicant {
    region: Option<ShortText>,
    postal_code: Option<ShortText>,
    device_type: Option<ShortText>,
    #[schema(minimum = 0)]
    capacity: Option<f64>,
    customer_type: Option<ShortText>,
    utility: Option<ShortText>,
    manufacturer: Option<ShortText>,
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

/// The body of `POST /programInstances/{id}/enrollments`. `customer` is required; `device`
/// and `formData` may be left out or `null`.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({
    "customer": { "externalId": "cust-42", "name": "Ada Lovelace", "email": "ada@example.com", "region": "NY" },
    "device": { "type": "battery", "capacity": 13.5, "manufacturer": "tesla" }
}))]
pub struct NewEnrollment {
    customer: Customer,
    device: Option<Device>,
    form_data: Option<FormData>,
}

/// The body of `PATCH /enrollments/{id}`.
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "status": "approved", "reason": "documents verified" }))]
pub struct EnrollmentStatusChange {
    /// The target status; the status it already has is a no-op.
    status: EnrollmentStatus,
    reason: Option<LongText>,
}

/// The body of `POST /apiKeys`: a key for the caller's own workspace.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({ "name": "billing integration", "scopes": ["programInstances:read"] }))]
pub struct NewApiKey {
    name: Name,
    /// A subset of the caller's own scopes.
    #[schema(min_items = 1)]
    scopes: BTreeSet<Scope>,
    /// Restricts the key to these instances (within the caller's own restriction, if any).
    #[schema(min_items = 1, max_items = 1000)]
    instances: Option<BTreeSet<Id>>,
    /// In the future.
    expires_at: Option<Timestamp>,
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

/// One invalid member of a body (`pointer`, a JSON Pointer) or query (`parameter`).
#[derive(Debug, ToSchema)]
pub struct InvalidField {
    pointer: Option<String>,
    parameter: Option<String>,
    /// Stable and machine-readable, e.g. `too_long`, `required`, `before_start`.
    code: String,
    message: String,
}

/// An error, as RFC 9457 describes it (`application/problem+json`).
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    r#type: String,
    title: String,
    status: u16,
    detail: String,
    /// Stable and machine-readable, e.g. `validation_failed`, `slug_taken`.
    code: String,
    /// Equals the response's `X-Request-Id`.
    request_id: String,
    /// Every invalid member at once (422).
    errors: Option<Vec<InvalidField>>,
    /// The scope the key lacks (403 `missing_scope`).
    required_scope: Option<Scope>,
    /// A refused status change (409 `invalid_transition`): from, to, and the allowed targets.
    from: Option<String>,
    to: Option<String>,
    allowed: Option<Vec<String>>,
}

/// Whether the process is up, or ready.
#[derive(Debug, ToSchema)]
pub struct Health {
    /// `ok` (`/healthz`) or `ready` (`/readyz`).
    status: String,
}

/// A bound of a report's window: a date (`YYYY-MM-DD`, a whole UTC day) or an RFC 3339
/// timestamp.
#[derive(Debug)]
pub struct WindowBound;

impl PartialSchema for WindowBound {
    fn schema() -> RefOr<Schema> {
        let formatted = |format| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(format)))
        };
        AnyOfBuilder::new()
            .item(formatted(KnownFormat::Date))
            .item(formatted(KnownFormat::DateTime))
            .description(Some(
                "A date (YYYY-MM-DD: a whole UTC day) or an RFC 3339 timestamp.",
            ))
            .examples([json!("2026-11-01")])
            .into()
    }
}

impl ToSchema for WindowBound {}

/// The filters of `GET /reports/participation`; every one is optional and they combine.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ReportFilters {
    /// Instances of this program.
    #[param(value_type = Option<TenantId>)]
    program_id: Option<String>,
    /// Instances in one of these statuses (a comma-separated list).
    #[param(style = Form, explode = false, min_items = 1)]
    status: Option<Vec<InstanceStatus>>,
    /// Enrollments created at or after this instant (a date: from its first instant).
    #[param(value_type = Option<WindowBound>)]
    from: Option<String>,
    /// Enrollments created at or before this instant (a date: until its end). A window
    /// that ends before it starts holds no enrollment.
    #[param(value_type = Option<WindowBound>)]
    to: Option<String>,
}
