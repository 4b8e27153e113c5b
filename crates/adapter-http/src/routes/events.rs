//! `/events`: the workspace's event log.

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use application::{EventFilter, EventsRequest};
use domain::{EventId, EventType, InstanceId};
use validator::Validate;

use crate::HttpState;
use crate::auth::Caller;
use crate::path::found;
use crate::problem::ApiError;
use crate::query::QueryParams;
use crate::reply::Reply;
use crate::schemas::EventIdParam;
use crate::{cursor, schemas, views};

const DEFAULT_LIMIT: u32 = 20;

#[derive(Debug, Validate)]
struct LogBounds {
    #[validate(range(min = 1, max = 100))]
    limit: Option<u32>,
}

fn event_types(text: &str) -> Result<Vec<EventType>, domain::event::UnknownEventType> {
    text.split(',').map(|kind| kind.trim().parse()).collect()
}

/// A log position, as a cursor.
pub(crate) fn position_cursor(position: i64) -> String {
    cursor::encode(&[&position.to_string()])
}

/// The position a cursor made by `position_cursor` holds.
pub(crate) fn cursor_position(fields: Vec<String>) -> Option<i64> {
    let [position] = fields.as_slice() else {
        return None;
    };
    position
        .parse::<i64>()
        .ok()
        .filter(|position| *position >= 0)
}

fn events_request(query: &str) -> Result<EventsRequest, ApiError> {
    let mut params = QueryParams::parse(query)?;
    let filter = EventFilter {
        types: params.parsed("type", event_types),
        instance_id: params.parsed("programInstanceId", InstanceId::parse),
        only_instances: None,
    };
    let after = params.cursor(cursor_position).unwrap_or(0);
    let bounds = LogBounds {
        limit: params.number("limit"),
    };
    let bounds = params.finish(bounds)?;
    Ok(EventsRequest {
        filter,
        after,
        limit: bounds.limit.unwrap_or(DEFAULT_LIMIT) as usize,
    })
}

/// The workspace's events, oldest first
///
/// A poller that keeps passing the last `nextCursor` receives every event exactly once, in
/// commit order, however many writers commit concurrently. Every page has a `nextCursor`,
/// the last one included.
#[utoipa::path(
    get, path = "/events", operation_id = "listEvents", tag = "events",
    params(schemas::EventFilters, schemas::PageQuery),
    responses((status = 200, description = "A page of the event log.", body = views::EventLogPageView))
)]
pub async fn list(
    state: Data<HttpState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let request = events_request(req.query_string())?;
    let after = request.after;
    let page = state
        .call(move |app| app.list_events(&caller.0, request))
        .await?;
    let last = page.items.last().map_or(after, |last| last.position);
    let view = views::event_log_page(&page, position_cursor(last));
    Ok(Reply::json(StatusCode::OK, &view)?.into_response())
}

/// One event
#[utoipa::path(
    get, path = "/events/{id}", operation_id = "getEvent", tag = "events",
    params(EventIdParam),
    responses((status = 200, description = "The event.", body = views::LoggedEventView))
)]
pub async fn get(
    state: Data<HttpState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = found(EventId::parse(&id), "event")?;
    let logged = state.call(move |app| app.get_event(&caller.0, &id)).await?;
    Ok(Reply::json(StatusCode::OK, &views::logged_event(&logged))?.into_response())
}
