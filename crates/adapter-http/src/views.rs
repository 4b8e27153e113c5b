//! The JSON representations of domain values, as the API shows them: each a struct that is
//! what is serialised and what the OpenAPI document describes (`ToSchema`), so the two
//! cannot drift apart. Domain types are described through `value_type`s from `schemas`.

use application::{
    Document, HistoryEntry, InstanceSnapshot, LoggedEvent, Page, Participation,
    ParticipationReport, Representations,
};
use domain::eligibility::{CriterionResult, Evaluation};
use domain::enrollment::{Customer, Device};
use domain::participation::Day;
use domain::webhook::endpoint::{Delivery, WebhookEndpoint};
use domain::{
    ApiKey, ApiKeyId, DeliveryId, Enrollment, EnrollmentId, EnrollmentStatus, EventId, EventType,
    InstanceEvent, InstanceId, Program, ProgramId, ScopeSet, Status, Timestamp, WebhookEndpointId,
    Workspace, WorkspaceId,
};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use utoipa::ToSchema;

use crate::schemas;

/// A program instance: every field, `null` when unset.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ProgramInstance)]
pub struct InstanceView<'a> {
    #[schema(value_type = schemas::Id)]
    id: &'a InstanceId,
    #[schema(value_type = schemas::TenantId)]
    program_id: &'a ProgramId,
    #[schema(value_type = schemas::TenantId)]
    workspace_id: &'a WorkspaceId,
    #[schema(value_type = schemas::Name)]
    name: &'a str,
    #[schema(required = true, value_type = Option<schemas::Description>)]
    description: Option<&'a str>,
    #[schema(value_type = schemas::Slug)]
    slug: &'a str,
    #[schema(required = true, value_type = Option<schemas::LogoUrl>)]
    logo_url: Option<&'a str>,
    #[schema(required = true, value_type = Option<schemas::EligibilityCriteria>)]
    eligibility_criteria: Option<&'a RawValue>,
    #[schema(required = true, value_type = Option<schemas::CustomTerms>)]
    custom_terms: Option<&'a str>,
    #[schema(required = true, value_type = Option<schemas::FormConfig>)]
    form_config: Option<&'a RawValue>,
    #[schema(required = true, value_type = Option<schemas::Timestamp>)]
    start_date: Option<Timestamp>,
    #[schema(required = true, value_type = Option<schemas::Timestamp>)]
    end_date: Option<Timestamp>,
    #[schema(value_type = schemas::InstanceStatus)]
    status: Status,
    #[schema(required = true, value_type = Option<schemas::Metadata>)]
    metadata: Option<&'a RawValue>,
    /// Starts at 1, +1 on every change; the `ETag` is `"<version>"`.
    #[schema(minimum = 1)]
    version: i64,
    /// `status` is `active` and now is within [startDate, endDate].
    accepting_enrollments: bool,
    #[schema(value_type = schemas::Timestamp)]
    created_at: Timestamp,
    #[schema(value_type = schemas::Timestamp)]
    updated_at: Timestamp,
}

pub fn instance(instance: &InstanceSnapshot, now: Timestamp) -> InstanceView<'_> {
    InstanceView {
        id: &instance.id,
        program_id: &instance.program_id,
        workspace_id: &instance.workspace_id,
        name: &instance.name,
        description: instance.description.as_deref(),
        slug: &instance.slug,
        logo_url: instance.logo_url.as_deref(),
        eligibility_criteria: instance.eligibility_criteria.as_deref(),
        custom_terms: instance.custom_terms.as_deref(),
        form_config: instance.form_config.as_deref(),
        start_date: instance.schedule.start(),
        end_date: instance.schedule.end(),
        status: instance.status,
        metadata: instance.metadata.as_deref(),
        version: instance.version,
        accepting_enrollments: instance.accepting_enrollments(now),
        created_at: instance.created_at,
        updated_at: instance.updated_at,
    }
}

/// A catalog program. The workspaces a private program is shared with are never shown.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Program)]
pub struct ProgramView<'a> {
    #[schema(value_type = schemas::TenantId)]
    id: &'a ProgramId,
    #[schema(value_type = schemas::Slug)]
    slug: &'a str,
    #[schema(value_type = schemas::Name)]
    name: &'a str,
    #[schema(required = true, value_type = Option<schemas::Description>)]
    description: Option<&'a str>,
    #[schema(value_type = schemas::Visibility)]
    visibility: &'static str,
    #[schema(value_type = schemas::Timestamp)]
    created_at: Timestamp,
}

pub fn program(program: &Program) -> ProgramView<'_> {
    ProgramView {
        id: &program.id,
        slug: program.slug.as_str(),
        name: program.name.as_str(),
        description: program.description.as_ref().map(|text| text.as_str()),
        visibility: program.visibility.as_str(),
        created_at: program.created_at,
    }
}

/// An entry of an instance's history: `type` and what the event carries (`changes`, or
/// `from` and `to`), beside who did it and when.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = InstanceHistoryEntry)]
pub struct EventView<'a> {
    /// The event's position in the instance's history.
    #[schema(pattern = "^[0-9]+$")]
    id: String,
    #[schema(value_type = schemas::Id)]
    instance_id: &'a InstanceId,
    #[serde(flatten)]
    #[schema(value_type = schemas::InstanceChange)]
    event: &'a InstanceEvent,
    /// The key that acted; `null` for the operator's command line.
    #[schema(required = true, value_type = Option<schemas::Id>)]
    actor_key_id: Option<&'a ApiKeyId>,
    #[schema(value_type = schemas::Timestamp)]
    occurred_at: Timestamp,
}

pub fn event<'a>(instance_id: &'a InstanceId, entry: &'a HistoryEntry) -> EventView<'a> {
    EventView {
        id: entry.position.to_string(),
        instance_id,
        event: &entry.change,
        actor_key_id: entry.actor.as_ref(),
        occurred_at: entry.occurred_at,
    }
}

/// An event of the workspace's log.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Event)]
pub struct LoggedEventView<'a> {
    #[schema(value_type = schemas::EventId)]
    id: &'a EventId,
    #[serde(rename = "type")]
    #[schema(value_type = schemas::EventType)]
    kind: EventType,
    #[schema(value_type = schemas::TenantId)]
    workspace_id: &'a WorkspaceId,
    #[schema(value_type = schemas::Timestamp)]
    created_at: Timestamp,
    /// The key that acted; `null` for the operator's command line and the public
    /// enrollment page.
    #[schema(required = true, value_type = Option<schemas::Id>)]
    actor_key_id: Option<&'a ApiKeyId>,
    #[schema(value_type = schemas::EventData)]
    data: &'a RawValue,
}

pub fn logged_event(logged: &LoggedEvent) -> LoggedEventView<'_> {
    let event = &logged.event;
    LoggedEventView {
        id: &event.id,
        kind: event.kind,
        workspace_id: &event.workspace_id,
        created_at: event.created_at,
        actor_key_id: event.actor.as_ref(),
        data: &event.data,
    }
}

/// A page of the event log: `nextCursor` is always given, so a poller resumes from it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = EventLogPage)]
pub struct EventLogPageView<'a> {
    #[schema(value_type = Vec<LoggedEventView<'static>>)]
    data: Vec<LoggedEventView<'a>>,
    /// Whether more events are available now.
    has_more: bool,
    /// Pass it as `cursor` to read on from here, now or later.
    #[schema(value_type = schemas::Cursor)]
    next_cursor: String,
}

pub fn event_log_page(page: &Page<LoggedEvent>, next_cursor: String) -> EventLogPageView<'_> {
    EventLogPageView {
        data: page.items.iter().map(logged_event).collect(),
        has_more: page.has_more,
        next_cursor,
    }
}

/// Resources rendered as the API shows them, for the events that carry them.
#[derive(Debug, Default)]
pub struct ApiRepresentations;

impl Representations for ApiRepresentations {
    fn instance(
        &self,
        instance: &InstanceSnapshot,
        at: Timestamp,
    ) -> Result<Document, serde_json::Error> {
        serde_json::value::to_raw_value(&self::instance(instance, at))
    }

    fn enrollment(&self, enrollment: &Enrollment) -> Result<Document, serde_json::Error> {
        serde_json::value::to_raw_value(&self::enrollment(enrollment))
    }

    fn endpoint(&self, endpoint: &WebhookEndpoint) -> Result<Document, serde_json::Error> {
        serde_json::value::to_raw_value(&self::endpoint(endpoint, Shown::Absent))
    }

    fn event(&self, event: &application::Event) -> Result<String, serde_json::Error> {
        serde_json::to_string(&LoggedEventView {
            id: &event.id,
            kind: event.kind,
            workspace_id: &event.workspace_id,
            created_at: event.created_at,
            actor_key_id: event.actor.as_ref(),
            data: &event.data,
        })
    }
}

/// A webhook endpoint. Its `secret` is shown only when created or rotated.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = WebhookEndpoint)]
pub struct EndpointView<'a> {
    #[schema(value_type = schemas::Id)]
    id: &'a WebhookEndpointId,
    #[schema(value_type = schemas::TenantId)]
    workspace_id: &'a WorkspaceId,
    #[schema(value_type = schemas::WebhookUrl)]
    url: &'a str,
    /// The event types delivered; `null` for every type.
    #[schema(required = true, value_type = Option<Vec<schemas::EventType>>)]
    event_types: Option<Vec<EventType>>,
    #[schema(required = true, value_type = Option<schemas::Description>)]
    description: Option<&'a str>,
    /// No delivery is attempted while disabled (set by hand, or after 5 days of failures).
    disabled: bool,
    #[schema(value_type = schemas::Timestamp)]
    created_at: Timestamp,
    #[schema(value_type = schemas::Timestamp)]
    updated_at: Timestamp,
    #[serde(skip_serializing_if = "Shown::is_absent")]
    #[schema(ignore)]
    secret: Shown<'a>,
}

/// An endpoint just created, or its secret just rotated: `secret` (`whsec_` and base64) is
/// shown in this answer only.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    record: EndpointView<'static>,
    #[schema(required = true, pattern = "^whsec_[A-Za-z0-9+/]+={0,2}$")]
    secret: Option<String>,
}

pub fn endpoint<'a>(endpoint: &'a WebhookEndpoint, secret: Shown<'a>) -> EndpointView<'a> {
    EndpointView {
        id: &endpoint.id,
        workspace_id: &endpoint.workspace_id,
        url: endpoint.url.as_str(),
        event_types: endpoint
            .event_types
            .as_ref()
            .map(|types| types.iter().copied().collect()),
        description: endpoint.description.as_ref().map(|d| d.as_str()),
        disabled: endpoint.disabled,
        created_at: endpoint.created_at,
        updated_at: endpoint.updated_at,
        secret,
    }
}

/// One event on its way to one endpoint.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = WebhookDelivery)]
pub struct DeliveryView<'a> {
    #[schema(value_type = schemas::Id)]
    id: &'a DeliveryId,
    #[schema(value_type = schemas::Id)]
    endpoint_id: &'a WebhookEndpointId,
    #[schema(value_type = schemas::EventId)]
    event_id: &'a EventId,
    #[schema(value_type = schemas::EventType)]
    event_type: EventType,
    #[schema(value_type = schemas::DeliveryState)]
    state: &'static str,
    /// Attempts made so far.
    attempts: u32,
    /// The status of the last attempt's response; `null` when none came.
    #[schema(required = true)]
    last_status: Option<u16>,
    /// Why the last attempt failed; `null` when it did not.
    #[schema(required = true)]
    last_error: Option<&'a str>,
    /// How long the last attempt took.
    #[schema(required = true)]
    last_duration_ms: Option<u64>,
    /// When the next attempt is due; `null` once the delivery is over.
    #[schema(required = true, value_type = Option<schemas::Timestamp>)]
    next_attempt_at: Option<Timestamp>,
    #[schema(value_type = schemas::Timestamp)]
    created_at: Timestamp,
    #[schema(value_type = schemas::Timestamp)]
    updated_at: Timestamp,
}

pub fn delivery(delivery: &Delivery) -> DeliveryView<'_> {
    DeliveryView {
        id: &delivery.id,
        endpoint_id: &delivery.endpoint_id,
        event_id: &delivery.event_id,
        event_type: delivery.event_type,
        state: delivery.state.as_str(),
        attempts: delivery.attempts,
        last_status: delivery.last_status,
        last_error: delivery.last_error.as_deref(),
        last_duration_ms: delivery.last_duration_ms,
        next_attempt_at: delivery.next_attempt_at,
        created_at: delivery.created_at,
        updated_at: delivery.updated_at,
    }
}

/// A page of a list: `{ data, hasMore, nextCursor }`. `nextCursor` is given when more follow.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageView<T> {
    data: Vec<T>,
    has_more: bool,
    next_cursor: Option<String>,
}

/// The schema of a `PageView` of one kind of item, named for the document.
macro_rules! page_schema {
    ($(#[doc = $doc:literal])+ $name:ident of $item:ty) => {
        $(#[doc = $doc])+
        #[derive(Debug, ToSchema)]
        #[serde(rename_all = "camelCase")]
        #[allow(dead_code)]
        pub struct $name {
            data: Vec<$item>,
            has_more: bool,
            /// Given when `hasMore` is true: pass it as `cursor` for the next page.
            #[schema(required = true)]
            next_cursor: Option<schemas::Cursor>,
        }
    };
}

page_schema! {
    /// A page of program instances, newest first.
    InstancePage of InstanceView<'static>
}
page_schema! {
    /// The catalog: every program fits one page.
    ProgramPage of ProgramView<'static>
}
page_schema! {
    /// A page of an instance's history, oldest first.
    EventPage of EventView<'static>
}
page_schema! {
    /// The workspace's webhook endpoints: every one fits one page.
    EndpointPage of EndpointView<'static>
}
page_schema! {
    /// A page of an endpoint's deliveries, newest first.
    DeliveryPage of DeliveryView<'static>
}
page_schema! {
    /// A page of the workspace's API keys.
    KeyPage of KeyView<'static>
}
page_schema! {
    /// A page of an instance's enrollments, newest first.
    EnrollmentPage of EnrollmentView<'static>
}

/// A page of `items` rendered by `render`, with the cursor of its last item when more
/// follow.
pub fn page<'a, T, V: Serialize>(
    page: &'a Page<T>,
    render: impl Fn(&'a T) -> V,
    cursor_of: impl Fn(&T) -> String,
) -> PageView<V> {
    PageView {
        data: page.items.iter().map(render).collect(),
        has_more: page.has_more,
        next_cursor: page.items.last().filter(|_| page.has_more).map(cursor_of),
    }
}

/// A list that always fits one page.
pub fn whole<V: Serialize>(data: Vec<V>) -> PageView<V> {
    PageView {
        data,
        has_more: false,
        next_cursor: None,
    }
}

/// A workspace, as the operator's command line prints it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceView<'a> {
    id: &'a WorkspaceId,
    name: &'a str,
    created_at: Timestamp,
}

pub fn workspace(workspace: &Workspace) -> WorkspaceView<'_> {
    WorkspaceView {
        id: &workspace.id,
        name: workspace.name.as_str(),
        created_at: workspace.created_at,
    }
}

/// An API key's record: never its secret or hash, only the prefix that tells keys apart.
/// `key`, the secret, is given once: in the answer that created the key (`null` in a
/// replay of that answer, and absent elsewhere).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ApiKey)]
pub struct KeyView<'a> {
    #[schema(value_type = schemas::Id)]
    id: &'a ApiKeyId,
    #[schema(value_type = schemas::TenantId)]
    workspace_id: &'a WorkspaceId,
    #[schema(required = true, value_type = Option<schemas::Name>)]
    name: Option<&'a str>,
    /// The start of the secret, to tell keys apart (`pik_` and 8 characters).
    prefix: String,
    #[schema(value_type = BTreeSet<schemas::Scope>)]
    scopes: ScopeSet,
    /// The instances the key is restricted to; `null` when it sees the whole workspace.
    #[schema(required = true, value_type = Option<BTreeSet<schemas::Id>>)]
    instances: Option<&'a BTreeSet<InstanceId>>,
    #[schema(required = true, value_type = Option<schemas::Timestamp>)]
    expires_at: Option<Timestamp>,
    #[schema(required = true, value_type = Option<schemas::Timestamp>)]
    revoked_at: Option<Timestamp>,
    #[schema(required = true, value_type = Option<schemas::Timestamp>)]
    last_used_at: Option<Timestamp>,
    #[schema(value_type = schemas::Timestamp)]
    created_at: Timestamp,
    #[serde(skip_serializing_if = "Shown::is_absent")]
    #[schema(ignore)]
    key: Shown<'a>,
}

/// A key just created: its record and its secret `key`, shown this once (`null` in a replay
/// of the answer, which never keeps the secret).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    record: KeyView<'static>,
    #[schema(required = true)]
    key: Option<String>,
}

/// Whether and how a key's secret is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown<'a> {
    Absent,
    /// Not shown again: `null`.
    Withheld,
    Secret(&'a str),
}

impl Shown<'_> {
    fn is_absent(&self) -> bool {
        *self == Shown::Absent
    }
}

impl Serialize for Shown<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Shown::Secret(secret) => serializer.serialize_str(secret),
            Shown::Absent | Shown::Withheld => serializer.serialize_none(),
        }
    }
}

pub fn key<'a>(key: &'a ApiKey, secret: Shown<'a>) -> KeyView<'a> {
    KeyView {
        id: &key.id,
        workspace_id: &key.workspace_id,
        name: key.name.as_deref(),
        prefix: key.display_prefix(),
        scopes: key.grant.scopes(),
        instances: key.grant.instances(),
        expires_at: key.expires_at,
        revoked_at: key.revoked_at,
        last_used_at: key.last_used_at,
        created_at: key.created_at,
        key: secret,
    }
}

/// An enrollment, with the eligibility verdict it was given.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Enrollment)]
pub struct EnrollmentView<'a> {
    #[schema(value_type = schemas::Id)]
    id: &'a EnrollmentId,
    #[schema(value_type = schemas::Id)]
    instance_id: &'a InstanceId,
    #[schema(value_type = schemas::TenantId)]
    workspace_id: &'a WorkspaceId,
    #[schema(value_type = schemas::EnrollmentStatus)]
    status: EnrollmentStatus,
    /// The reason given with the last status change, if any.
    #[schema(required = true, value_type = Option<schemas::LongText>)]
    status_reason: Option<&'a str>,
    #[schema(value_type = schemas::Customer)]
    customer: &'a Customer,
    #[schema(value_type = schemas::Device)]
    device: &'a Device,
    #[schema(value_type = schemas::FormData)]
    form_data: &'a Map<String, Value>,
    #[schema(value_type = schemas::Verdict)]
    eligibility: &'a Evaluation,
    #[schema(minimum = 1)]
    version: i64,
    #[schema(value_type = schemas::Timestamp)]
    created_at: Timestamp,
    #[schema(value_type = schemas::Timestamp)]
    updated_at: Timestamp,
    /// When it was approved or rejected: `null` before that, and for decisions made
    /// before decision times were recorded.
    #[schema(required = true, value_type = Option<schemas::Timestamp>)]
    decided_at: Option<Timestamp>,
}

pub fn enrollment(enrollment: &Enrollment) -> EnrollmentView<'_> {
    EnrollmentView {
        id: &enrollment.id,
        instance_id: &enrollment.instance_id,
        workspace_id: &enrollment.workspace_id,
        status: enrollment.status,
        status_reason: enrollment.status_reason.as_deref(),
        customer: &enrollment.customer,
        device: &enrollment.device,
        form_data: &enrollment.form_data,
        eligibility: &enrollment.eligibility,
        version: enrollment.version,
        created_at: enrollment.created_at,
        updated_at: enrollment.updated_at,
        decided_at: enrollment.decided_at,
    }
}

/// The count of an instance's enrollments in every status (zero included), and the total.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = EnrollmentStats)]
pub struct StatsView<'a> {
    #[schema(value_type = schemas::Id)]
    instance_id: &'a InstanceId,
    total: u64,
    #[schema(value_type = schemas::CountsByStatus)]
    counts: BTreeMap<&'static str, u64>,
}

pub fn stats<'a>(instance_id: &'a InstanceId, counts: &[(EnrollmentStatus, u64)]) -> StatsView<'a> {
    StatsView {
        instance_id,
        total: counts.iter().map(|(_, n)| n).sum(),
        counts: counts
            .iter()
            .map(|(status, count)| (status.as_str(), *count))
            .collect(),
    }
}

/// The verdict of an eligibility check: one result per criterion the instance sets.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = EligibilityCheck)]
pub struct EligibilityView<'a> {
    eligible: bool,
    accepting_enrollments: bool,
    #[schema(value_type = Vec<schemas::CriterionResult>)]
    results: &'a [CriterionResult],
}

pub fn eligibility(evaluation: &Evaluation, accepting_enrollments: bool) -> EligibilityView<'_> {
    EligibilityView {
        eligible: evaluation.eligible,
        accepting_enrollments,
        results: &evaluation.results,
    }
}

/// New enrollments on one UTC day.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DailyEnrollments)]
pub struct DailyView {
    /// The UTC day, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date)]
    date: Day,
    enrollments: u64,
}

/// Enrollment figures: counts by status, the rates between them and the median decision
/// time. A rate is `null` when its denominator is 0.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ParticipationFigures)]
pub struct FiguresView {
    /// Every enrollment created in the window.
    enrollments: u64,
    submitted: u64,
    approved: u64,
    rejected: u64,
    unenrolled: u64,
    ineligible: u64,
    /// Not ineligible / all.
    #[schema(required = true, minimum = 0, maximum = 1)]
    eligibility_rate: Option<f64>,
    /// Ever approved (approved or unenrolled) / ever decided (approved, rejected or
    /// unenrolled).
    #[schema(required = true, minimum = 0, maximum = 1)]
    approval_rate: Option<f64>,
    /// Unenrolled / ever approved.
    #[schema(required = true, minimum = 0, maximum = 1)]
    unenrollment_rate: Option<f64>,
    /// The median time from submission to approval or rejection, in seconds, over the
    /// decisions whose time is known.
    #[schema(required = true, minimum = 0)]
    median_decision_seconds: Option<f64>,
    /// New enrollments per UTC day, days with none left out, oldest first.
    daily: Vec<DailyView>,
}

/// One instance's row of the participation report.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = InstanceParticipation)]
pub struct ParticipationRowView<'a> {
    #[schema(value_type = schemas::Id)]
    instance_id: &'a InstanceId,
    name: &'a str,
    #[schema(value_type = schemas::InstanceStatus)]
    status: &'static str,
    #[serde(flatten)]
    figures: FiguresView,
}

/// The participation report: one row per instance in scope (those without enrollments
/// included), by name, then the same figures across all of them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ParticipationReport)]
pub struct ParticipationView<'a> {
    data: Vec<ParticipationRowView<'a>>,
    totals: FiguresView,
}

pub fn figures(participation: &Participation) -> FiguresView {
    let counts = &participation.counts;
    FiguresView {
        enrollments: counts.total(),
        submitted: counts.submitted,
        approved: counts.approved,
        rejected: counts.rejected,
        unenrolled: counts.unenrolled,
        ineligible: counts.ineligible,
        eligibility_rate: counts.eligibility_rate(),
        approval_rate: counts.approval_rate(),
        unenrollment_rate: counts.unenrollment_rate(),
        median_decision_seconds: participation.median_decision_seconds,
        daily: participation
            .daily
            .iter()
            .map(|&(date, enrollments)| DailyView { date, enrollments })
            .collect(),
    }
}

pub fn participation(report: &ParticipationReport) -> ParticipationView<'_> {
    ParticipationView {
        data: report
            .instances
            .iter()
            .map(|row| ParticipationRowView {
                instance_id: &row.id,
                name: &row.name,
                status: row.status.as_str(),
                figures: figures(&row.participation),
            })
            .collect(),
        totals: figures(&report.totals),
    }
}
