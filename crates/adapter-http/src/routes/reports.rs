//! `/reports`: figures across a workspace's instances.

use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT, HeaderValue, Quality, QualityItem, VARY};
use actix_web::mime::Mime;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use application::{ParticipationRequest, ReportGrouping, ReportScope};
use domain::ProgramId;
use domain::participation::Window;
use validator::Validate;

use crate::HttpState;
use crate::auth::Caller;
use crate::problem::ApiError;
use crate::query::QueryParams;
use crate::reply::Reply;
use crate::routes::instances::statuses;
use crate::{report_formats, schemas, views};

#[derive(Debug, Validate)]
struct NoBounds {}

fn participation_request(query: &str) -> Result<ParticipationRequest, ApiError> {
    let mut params = QueryParams::parse(query)?;
    let scope = ReportScope {
        program_id: params.parsed("programId", ProgramId::parse),
        statuses: params.parsed("status", statuses),
        only_instances: None,
    };
    let from = params.parsed("from", Window::parse_from);
    let until = params.parsed("to", Window::parse_to).flatten();
    let grouping = match params.take("groupBy").as_deref() {
        None => ReportGrouping::Instance,
        Some("revision") => ReportGrouping::Revision,
        Some(_) => {
            params.reject("groupBy", "invalid_value", "the one grouping is `revision`");
            ReportGrouping::Instance
        }
    };
    params.finish(NoBounds {})?;
    Ok(ParticipationRequest {
        scope,
        window: Window::new(from, until),
        grouping,
    })
}

/// The representations this resource has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
    Svg,
}

impl Format {
    /// The first of the `Accept` header's types this resource has (JSON when none is);
    /// ranges that do not parse are passed over.
    fn wanted(req: &HttpRequest) -> Format {
        let Some(accept) = req.headers().get(ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Format::Json;
        };
        accept
            .split(',')
            .filter_map(|range| range.trim().parse::<QualityItem<Mime>>().ok())
            // `q=0` means "not this one".
            .filter(|range| range.quality > Quality::ZERO)
            .find_map(|range| match range.item.essence_str() {
                "application/json" => Some(Format::Json),
                "text/csv" => Some(Format::Csv),
                "image/svg+xml" => Some(Format::Svg),
                _ => None,
            })
            .unwrap_or(Format::Json)
    }
}

/// Compares the workspace's instances by their enrollment funnels
///
/// One row per instance in scope, those without enrollments included, then the same
/// figures across all of them. `groupBy=revision` splits each instance's row by revision:
/// one row per revision with enrollments in the window, and one for the current revision,
/// each with `revision` and `revisionAt`. `Accept: text/csv` gives a header row and a row
/// per instance (empty cells for `null`; grouped, a `revision` column after `status`);
/// `Accept: image/svg+xml` a chart of each instance's enrollments, eligible and approved
/// (grouped, a group of bars per revision). An instance-restricted key sees its instances
/// only.
#[utoipa::path(
    get, path = "/reports/participation", operation_id = "getParticipationReport", tag = "reports",
    params(schemas::ReportFilters),
    responses((status = 200, description = "The report.", content(
        (views::ParticipationView = "application/json"),
        (String = "text/csv"),
        (String = "image/svg+xml"),
    )))
)]
pub async fn participation(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let request = participation_request(req.query_string())?;
    let format = Format::wanted(&req);
    let report = state
        .call(move |app| app.participation_report(&caller.0, request))
        .await?;
    let reply = match format {
        Format::Json => Reply::json(StatusCode::OK, &views::participation(&report))?,
        Format::Csv => Reply::text(
            StatusCode::OK,
            "text/csv; charset=utf-8; header=present",
            report_formats::csv(&report),
        ),
        Format::Svg => Reply::text(
            StatusCode::OK,
            "image/svg+xml; charset=utf-8",
            report_formats::svg(&report),
        ),
    };
    let mut response = reply.into_response();
    response
        .headers_mut()
        .insert(VARY, HeaderValue::from_static("Accept"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::Format;

    fn wanted(accept: Option<&str>) -> Format {
        let request = match accept {
            Some(accept) => TestRequest::default().insert_header(("Accept", accept)),
            None => TestRequest::default(),
        };
        Format::wanted(&request.to_http_request())
    }

    #[test]
    fn the_first_acceptable_type_listed_is_served() {
        assert_eq!(wanted(None), Format::Json);
        assert_eq!(wanted(Some("*/*")), Format::Json);
        assert_eq!(wanted(Some("text/html, Text/CSV")), Format::Csv);
        assert_eq!(
            wanted(Some("image/svg+xml, application/json;q=0.5")),
            Format::Svg
        );
        assert_eq!(wanted(Some("application/json;q=0, text/csv")), Format::Csv);
        assert_eq!(wanted(Some("text/csv;q=0")), Format::Json);
        assert_eq!(wanted(Some("not a type, image/svg+xml")), Format::Svg);
    }
}
