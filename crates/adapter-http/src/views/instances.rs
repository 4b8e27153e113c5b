//! Catalog programs and program instances.

use application::InstanceSnapshot;
use domain::instance::Seasons;
use domain::{InstanceId, Program, ProgramId, Status, Timestamp, WorkspaceId};
use serde::Serialize;
use serde_json::value::RawValue;
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
    /// The zone in which `seasons` are read.
    #[schema(value_type = schemas::TimeZone)]
    time_zone: &'a str,
    /// Yearly windows in which enrollments are taken; `null`: no seasonal limit.
    #[schema(required = true, value_type = Option<Vec<schemas::Season>>)]
    seasons: Option<serde_json::Value>,
    #[schema(value_type = schemas::InstanceStatus)]
    status: Status,
    #[schema(required = true, value_type = Option<schemas::Metadata>)]
    metadata: Option<&'a RawValue>,
    /// The design customers see: starts at 1, +1 with every change of `name`,
    /// `description`, `logoUrl`, `eligibilityCriteria`, `customTerms` or `formConfig`.
    #[schema(minimum = 1)]
    revision: i64,
    /// The instance this one was copied from.
    #[schema(required = true, value_type = Option<schemas::Id>)]
    copied_from: Option<&'a InstanceId>,
    /// Starts at 1, +1 on every change; the `ETag` is `"<version>"`.
    #[schema(minimum = 1)]
    version: i64,
    /// `status` is `active`, now is within [startDate, endDate], and, with `seasons`, on a
    /// day of one of them in `timeZone`.
    accepting_enrollments: bool,
    /// The next instant at which `acceptingEnrollments` flips by the passing of time alone;
    /// `null` when it never will.
    #[schema(required = true, value_type = Option<schemas::Timestamp>)]
    next_change_at: Option<Timestamp>,
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
        time_zone: instance.time_zone.as_str(),
        seasons: instance.seasons.as_ref().map(Seasons::to_json),
        status: instance.status,
        metadata: instance.metadata.as_deref(),
        revision: instance.revision,
        copied_from: instance.copied_from.as_ref(),
        version: instance.version,
        accepting_enrollments: instance.accepting_enrollments(now),
        next_change_at: instance.next_change_at(now),
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
