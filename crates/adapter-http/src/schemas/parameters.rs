//! The parameters of operations: ids in paths, `Idempotency-Key`, and the filters and
//! pages of lists and reports.

use serde_json::json;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AnyOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::{PartialSchema, ToSchema};

use super::*;

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
    /// `revision`: a row per instance revision (each with enrollments in the window, and
    /// each instance's current one) instead of per instance.
    #[param(inline)]
    group_by: Option<ReportGroupBy>,
}

/// How the participation report's rows are grouped.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportGroupBy {
    Revision,
}
