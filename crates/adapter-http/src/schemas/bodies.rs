//! The request bodies.
//!
//! Schema and reader in step: a body is never deserialised from the type here (which only
//! describes it, and is never built); it is read by its reader, a `from_json` built on
//! `domain::strict_json::Members` (`InstanceDraft::from_json`, `key_body::key_from`, …),
//! which refuses unknown and read-only members and reports every violation at once.
//! `api_doc::tests::bodies_follow_their_schemas` parses each operation's example with its
//! reader and checks, member by member, that what the schema declares (present, required,
//! nullable) is what the reader takes: a member added to one and not the other fails it.

use std::collections::BTreeSet;

use utoipa::ToSchema;

use super::*;

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
    /// `UTC` when absent.
    time_zone: Option<TimeZone>,
    /// At most 12 windows that share no day (422 `overlapping_seasons`); `null` or absent:
    /// no seasonal limit.
    #[schema(min_items = 1, max_items = 12)]
    seasons: Option<Vec<Season>>,
}

/// The body of `POST /programInstances/{id}/copies`: the fields to set on the copy.
/// `slug` is required; an absent member is copied from the source; `null` clears an
/// optional member (`name`, `status` and `timeZone` cannot be `null`). The same rules as a
/// creation apply to the result.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({ "slug": "battery-rebate-nyc-2024", "name": "NYC Battery Rebate Program 2024",
    "startDate": "2024-01-01T00:00:00Z", "endDate": "2024-12-31T23:59:59Z" }))]
pub struct InstanceCopy {
    #[serde(default)]
    name: Name,
    /// Unique within the workspace (409 `slug_taken`).
    slug: Slug,
    description: Option<Description>,
    logo_url: Option<LogoUrl>,
    eligibility_criteria: Option<EligibilityCriteria>,
    custom_terms: Option<CustomTerms>,
    form_config: Option<FormConfig>,
    start_date: Option<Timestamp>,
    end_date: Option<Timestamp>,
    /// `inactive` when absent.
    #[serde(default)]
    status: InitialStatus,
    metadata: Option<Metadata>,
    #[serde(default)]
    time_zone: TimeZone,
    #[schema(min_items = 1, max_items = 12)]
    seasons: Option<Vec<Season>>,
}

/// The body of `PATCH /programInstances/{id}`: a JSON Merge Patch (RFC 7396). An absent
/// member is unchanged; `null` clears an optional member; `name`, `slug`, `status` and
/// `timeZone` cannot be `null`. Object members (`eligibilityCriteria`, `formConfig`, `metadata`) are
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
    #[serde(default)]
    time_zone: TimeZone,
    /// Replaces the windows whole; `null` removes the seasonal limit.
    #[schema(min_items = 1, max_items = 12)]
    seasons: Option<Vec<Season>>,
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
