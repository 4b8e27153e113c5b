//! Webhook endpoints and the outbox of their deliveries.
//!
//! The outbox is filled from the event log, not by the writes that log events: the
//! dispatcher reads the log after `webhook_dispatch_head` and adds one delivery per
//! subscribed endpoint, moving the head in the same transaction, so each event is dispatched
//! exactly once and a change never waits for webhooks. Workers then claim due deliveries
//! with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent processes claim
//! different rows; SQLite has one writer at a time) and record each attempt's outcome.

use std::collections::{BTreeMap, HashMap};

use diesel::dsl::count_star;
use diesel::prelude::*;
use domain::webhook::endpoint::{Delivery, DeliveryState, WebhookEndpoint};
use domain::{DeliveryId, EventId, EventType, Timestamp, WebhookEndpointId, WorkspaceId};
use ports::{
    ClaimLimits, ClaimedDelivery, DeliveryCursor, EndpointStreak, LockedEndpoint, Page,
    RecordedAttempt, StoreError, WebhookStore,
};

use crate::column_types::At;
use crate::connection::{AnyConnection, TxError, execute_on_each_engine};
use crate::events::{EventColumns, event_columns, log, logged};
use crate::paging::{page_of, rows_to_fetch};
use crate::rows::corrupt;
use crate::schema::{events, webhook_deliveries, webhook_dispatch_head, webhook_endpoints};
use crate::store::{Backend, SqlStore};
use crate::webhook_rows::{DeliveryRow, EndpointRow};

/// Holds the workspace's row until the transaction ends, so that endpoint counts and
/// inserts of one workspace take turns (SQLite's writers take turns anyway).
fn lock_workspace(conn: &mut AnyConnection, workspace: &WorkspaceId) -> Result<(), TxError> {
    if let AnyConnection::Postgres(pg) = conn {
        use crate::schema::workspaces;
        workspaces::table
            .filter(workspaces::id.eq(workspace.as_str()))
            .select(workspaces::id)
            .for_update()
            .load::<String>(pg)?;
    }
    Ok(())
}

fn endpoints_in(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
) -> Result<Vec<EndpointRow>, diesel::result::Error> {
    webhook_endpoints::table
        .filter(webhook_endpoints::workspace_id.eq(workspace.as_str()))
        .order((
            webhook_endpoints::created_at.asc(),
            webhook_endpoints::id.asc(),
        ))
        .select(EndpointRow::as_select())
        .load(conn)
}

fn delivery_row(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    endpoint: &WebhookEndpointId,
    id: &DeliveryId,
) -> Result<Option<DeliveryRow>, diesel::result::Error> {
    webhook_deliveries::table
        .filter(webhook_deliveries::workspace_id.eq(workspace.as_str()))
        .filter(webhook_deliveries::endpoint_id.eq(endpoint.as_str()))
        .filter(webhook_deliveries::id.eq(id.as_str()))
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()
}

/// One pass of the dispatcher in a write transaction; how many events it dispatched.
fn dispatch(
    conn: &mut AnyConnection,
    now: Timestamp,
    limit: usize,
    new_id: &(dyn Fn() -> Result<DeliveryId, StoreError> + Sync),
) -> Result<usize, TxError> {
    use webhook_dispatch_head::dsl as head;
    let this_head = head::webhook_dispatch_head.filter(head::id.eq(1));
    // Another process dispatching right now has the head: leave the batch to it.
    let position: Option<i64> = match conn {
        AnyConnection::Postgres(pg) => this_head
            .select(head::log_position)
            .for_update()
            .skip_locked()
            .first(pg)
            .optional()?,
        AnyConnection::Sqlite(lite) => this_head
            .select(head::log_position)
            .first(lite)
            .optional()?,
    };
    let Some(position) = position else {
        return Ok(0);
    };
    let batch: Vec<(i64, String, String, String, At)> = events::table
        .filter(events::log_position.gt(position))
        .order(events::log_position.asc())
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .select((
            events::log_position.assume_not_null(),
            events::id,
            events::workspace_id,
            events::kind,
            events::created_at,
        ))
        .load(conn)?;
    let Some(last) = batch.last().map(|event| event.0) else {
        return Ok(0);
    };
    let workspaces: Vec<&str> = batch
        .iter()
        .map(|(_, _, workspace, _, _)| workspace.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut endpoints: BTreeMap<String, Vec<WebhookEndpoint>> = BTreeMap::new();
    let enabled = webhook_endpoints::table
        .filter(webhook_endpoints::workspace_id.eq_any(&workspaces))
        .filter(webhook_endpoints::disabled.eq(false))
        .select(EndpointRow::as_select())
        .load::<EndpointRow>(conn)?;
    for row in enabled {
        let endpoint = row.into_domain()?;
        endpoints
            .entry(endpoint.workspace_id.to_string())
            .or_default()
            .push(endpoint);
    }
    let mut deliveries = Vec::new();
    for (_, event_id, workspace, kind, created_at) in &batch {
        let kind: EventType = kind
            .parse()
            .map_err(|error| TxError::Store(corrupt("event", error)))?;
        let event_id =
            EventId::parse(event_id).map_err(|error| TxError::Store(corrupt("event", error)))?;
        let subscribed = endpoints
            .get(workspace)
            .into_iter()
            .flatten()
            .filter(|endpoint| endpoint.created_at <= created_at.0 && endpoint.subscribes_to(kind));
        for endpoint in subscribed {
            let delivery = Delivery {
                id: new_id()?,
                workspace_id: endpoint.workspace_id.clone(),
                endpoint_id: endpoint.id.clone(),
                event_id: event_id.clone(),
                event_type: kind,
                state: DeliveryState::Pending,
                attempts: 0,
                last_status: None,
                last_error: None,
                last_duration_ms: None,
                next_attempt_at: Some(now),
                created_at: now,
                updated_at: now,
            };
            deliveries.push(DeliveryRow::from_domain(&delivery));
        }
    }
    // At most this many rows per insert, well below either engine's limit on bound values.
    for rows in deliveries.chunks(500) {
        execute_on_each_engine!(
            conn,
            diesel::insert_into(webhook_deliveries::table).values(rows)
        );
    }
    diesel::update(this_head)
        .set(head::log_position.eq(last))
        .execute(conn)?;
    Ok(batch.len())
}

/// A claimed delivery's row, its endpoint's and its event's.
type ClaimedRows = (DeliveryRow, EndpointRow, EventColumns);

/// Claims due deliveries in a write transaction, within `limits`: their rows, leased until
/// `lease_until`, with their endpoints and events.
fn claim(
    conn: &mut AnyConnection,
    now: Timestamp,
    lease_until: Timestamp,
    limits: &ClaimLimits,
) -> Result<Vec<ClaimedRows>, TxError> {
    use webhook_deliveries::dsl as d;
    use webhook_endpoints::dsl as e;
    let limit = i64::try_from(limits.limit).unwrap_or(i64::MAX);
    let busy: Vec<&str> = limits.busy.iter().map(WebhookEndpointId::as_str).collect();
    // Only the deliveries are locked (an endpoint's row is left to its own changes), so the
    // enabled endpoints are a semi-join, not a join.
    macro_rules! due {
        () => {
            d::webhook_deliveries
                .filter(d::state.eq(DeliveryState::Pending.as_str()))
                .filter(d::next_attempt_at.le(At(now)))
                .filter(diesel::dsl::not(d::endpoint_id.eq_any(&busy)))
                .filter(
                    d::endpoint_id.eq_any(
                        e::webhook_endpoints
                            .filter(e::disabled.eq(false))
                            .select(e::id),
                    ),
                )
                .order(d::next_attempt_at.asc())
                .limit(limit)
                .select((d::workspace_id, d::id, d::endpoint_id))
        };
    }
    let due: Vec<(String, String, String)> = match conn {
        AnyConnection::Postgres(pg) => due!().for_update().skip_locked().load(pg)?,
        AnyConnection::Sqlite(lite) => due!().load(lite)?,
    };
    let mut taken: HashMap<&str, usize> = HashMap::new();
    let mut workspaces = Vec::new();
    let mut ids = Vec::new();
    for (workspace, id, endpoint) in &due {
        let count = taken.entry(endpoint.as_str()).or_default();
        if *count < limits.per_endpoint {
            *count += 1;
            workspaces.push(workspace.as_str());
            ids.push(id.as_str());
        }
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let these = || d::workspace_id.eq_any(&workspaces).and(d::id.eq_any(&ids));
    diesel::update(d::webhook_deliveries.filter(these()))
        .set(d::next_attempt_at.eq(At(lease_until)))
        .execute(conn)?;
    let rows = d::webhook_deliveries
        .inner_join(
            e::webhook_endpoints.on(e::workspace_id
                .eq(d::workspace_id)
                .and(e::id.eq(d::endpoint_id))),
        )
        .inner_join(events::table.on(events::id.eq(d::event_id)))
        .filter(these())
        .order((d::created_at.asc(), d::id.asc()))
        .select((
            DeliveryRow::as_select(),
            EndpointRow::as_select(),
            event_columns!(),
        ))
        .load::<ClaimedRows>(conn)?;
    Ok(rows)
}

/// Records one attempt; `clears_streak` false skips an answer's clearing of the endpoint's
/// failing streak (a later answer in the same batch clears it).
fn record(
    conn: &mut AnyConnection,
    attempt: &RecordedAttempt,
    clears_streak: bool,
) -> Result<(), TxError> {
    use webhook_deliveries::dsl as d;
    use webhook_endpoints::dsl as e;
    let delivery = &attempt.delivery;
    let row = DeliveryRow::from_domain(delivery);
    diesel::update(
        d::webhook_deliveries
            .filter(d::workspace_id.eq(&row.workspace_id))
            .filter(d::id.eq(&row.id)),
    )
    .set(&row)
    .execute(conn)?;
    let endpoint = e::webhook_endpoints
        .filter(e::workspace_id.eq(delivery.workspace_id.as_str()))
        .filter(e::id.eq(delivery.endpoint_id.as_str()));
    match &attempt.streak {
        EndpointStreak::Answered if !clears_streak => {}
        EndpointStreak::Answered => {
            diesel::update(endpoint.filter(e::failing_since.is_not_null()))
                .set(e::failing_since.eq(None::<At>))
                .execute(conn)?;
        }
        EndpointStreak::Failed {
            at,
            disable_if_failing_since,
            disabled,
        } => {
            diesel::update(endpoint.filter(e::failing_since.is_null()))
                .set(e::failing_since.eq(Some(At(*at))))
                .execute(conn)?;
            let turned_off = diesel::update(
                endpoint
                    .filter(e::disabled.eq(false))
                    .filter(e::failing_since.le(At(*disable_if_failing_since))),
            )
            .set((e::disabled.eq(true), e::updated_at.eq(At(*at))))
            .execute(conn)?;
            if turned_off > 0 {
                log(conn, std::slice::from_ref(disabled))?;
            }
        }
    }
    Ok(())
}

fn claimed(rows: Vec<ClaimedRows>) -> Result<Vec<ClaimedDelivery>, StoreError> {
    rows.into_iter()
        .map(|(delivery, endpoint, event)| {
            Ok(ClaimedDelivery {
                delivery: delivery.into_domain()?,
                endpoint: endpoint.into_domain()?,
                event: logged(event)?.event,
            })
        })
        .collect()
}

impl<B: Backend> WebhookStore for SqlStore<B> {
    fn insert_endpoint(&self, endpoint: &WebhookEndpoint, limit: usize) -> Result<(), StoreError> {
        let row = EndpointRow::from_domain(endpoint)?;
        self.write(|conn| {
            lock_workspace(conn, &endpoint.workspace_id)?;
            let count: i64 = webhook_endpoints::table
                .filter(webhook_endpoints::workspace_id.eq(&row.workspace_id))
                .select(count_star())
                .first(conn)?;
            if usize::try_from(count).unwrap_or(usize::MAX) >= limit {
                return Err(TxError::Store(StoreError::LimitReached));
            }
            diesel::insert_into(webhook_endpoints::table)
                .values(&row)
                .execute(conn)?;
            Ok(())
        })
    }

    fn endpoint(
        &self,
        workspace: &WorkspaceId,
        id: &WebhookEndpointId,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        self.read(|conn| {
            webhook_endpoints::table
                .filter(webhook_endpoints::workspace_id.eq(workspace.as_str()))
                .filter(webhook_endpoints::id.eq(id.as_str()))
                .select(EndpointRow::as_select())
                .first(conn)
                .optional()
        })?
        .map(EndpointRow::into_domain)
        .transpose()
    }

    fn endpoints(&self, workspace: &WorkspaceId) -> Result<Vec<WebhookEndpoint>, StoreError> {
        self.read(|conn| endpoints_in(conn, workspace))?
            .into_iter()
            .map(EndpointRow::into_domain)
            .collect()
    }

    fn lock_endpoint<'s>(
        &'s self,
        workspace: &WorkspaceId,
        id: &WebhookEndpointId,
    ) -> Result<Option<Box<dyn LockedEndpoint + 's>>, StoreError> {
        self.lock_endpoint_row(workspace, id)
    }

    fn deliveries(
        &self,
        workspace: &WorkspaceId,
        endpoint: &WebhookEndpointId,
        after: Option<&DeliveryCursor>,
        limit: usize,
    ) -> Result<Page<Delivery>, StoreError> {
        use webhook_deliveries::dsl as d;
        let rows = self.read(|conn| {
            let mut query = d::webhook_deliveries
                .filter(d::workspace_id.eq(workspace.as_str()))
                .filter(d::endpoint_id.eq(endpoint.as_str()))
                .into_boxed();
            if let Some(cursor) = after {
                let at = At(cursor.created_at);
                query = query
                    .filter(d::created_at.le(at))
                    .filter(d::created_at.lt(at).or(d::id.lt(cursor.id.as_str())));
            }
            query
                .order((d::created_at.desc(), d::id.desc()))
                .limit(rows_to_fetch(limit))
                .select(DeliveryRow::as_select())
                .load::<DeliveryRow>(conn)
        })?;
        let deliveries = rows
            .into_iter()
            .map(DeliveryRow::into_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page_of(deliveries, limit))
    }

    fn delivery(
        &self,
        workspace: &WorkspaceId,
        endpoint: &WebhookEndpointId,
        id: &DeliveryId,
    ) -> Result<Option<Delivery>, StoreError> {
        self.read(|conn| delivery_row(conn, workspace, endpoint, id))?
            .map(DeliveryRow::into_domain)
            .transpose()
    }

    fn retry_delivery(
        &self,
        workspace: &WorkspaceId,
        endpoint: &WebhookEndpointId,
        id: &DeliveryId,
        now: Timestamp,
    ) -> Result<Option<Delivery>, StoreError> {
        use webhook_deliveries::dsl as d;
        self.write(|conn| {
            let Some(current) = delivery_row(conn, workspace, endpoint, id)? else {
                return Ok(None);
            };
            let retried = current.into_domain()?.retried(now);
            let row = DeliveryRow::from_domain(&retried);
            diesel::update(
                d::webhook_deliveries
                    .filter(d::workspace_id.eq(&row.workspace_id))
                    .filter(d::id.eq(&row.id)),
            )
            .set(&row)
            .execute(conn)?;
            Ok(Some(retried))
        })
    }

    fn dispatch_events(
        &self,
        now: Timestamp,
        limit: usize,
        new_id: &(dyn Fn() -> Result<DeliveryId, StoreError> + Sync),
    ) -> Result<usize, StoreError> {
        self.sequence_events()?;
        // Most rounds find nothing new: a read says so without taking the writer's lock.
        let behind = self.read(|conn| {
            let dispatched: i64 = webhook_dispatch_head::table
                .select(webhook_dispatch_head::log_position)
                .first(conn)?;
            diesel::select(diesel::dsl::exists(
                events::table.filter(events::log_position.gt(dispatched)),
            ))
            .get_result::<bool>(conn)
        })?;
        if !behind {
            return Ok(0);
        }
        self.write(|conn| dispatch(conn, now, limit, new_id))
    }

    fn claim_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limits: &ClaimLimits,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let due = self.read(|conn| {
            diesel::select(diesel::dsl::exists(
                webhook_deliveries::table
                    .filter(webhook_deliveries::state.eq(DeliveryState::Pending.as_str()))
                    .filter(webhook_deliveries::next_attempt_at.le(At(now))),
            ))
            .get_result::<bool>(conn)
        })?;
        if !due {
            return Ok(Vec::new());
        }
        let rows = self.write(|conn| claim(conn, now, lease_until, limits))?;
        claimed(rows)
    }

    fn record_attempts(&self, attempts: &[RecordedAttempt]) -> Result<(), StoreError> {
        if attempts.is_empty() {
            return Ok(());
        }
        // An endpoint's streak is cleared by its last answer in the batch only: a healthy
        // batch costs one statement per endpoint for it, not one per attempt.
        let mut last_answer: HashMap<&WebhookEndpointId, usize> = HashMap::new();
        for (i, attempt) in attempts.iter().enumerate() {
            if matches!(attempt.streak, EndpointStreak::Answered) {
                last_answer.insert(&attempt.delivery.endpoint_id, i);
            }
        }
        self.write(|conn| {
            for (i, attempt) in attempts.iter().enumerate() {
                let clears = last_answer.get(&attempt.delivery.endpoint_id) == Some(&i);
                record(conn, attempt, clears)?;
            }
            Ok(())
        })
    }

    fn oldest_pending(&self) -> Result<Option<Timestamp>, StoreError> {
        use webhook_deliveries::dsl as d;
        let oldest: Option<At> = self.read(|conn| {
            d::webhook_deliveries
                .filter(d::state.eq(DeliveryState::Pending.as_str()))
                .order(d::created_at.asc())
                .select(d::created_at)
                .first(conn)
                .optional()
        })?;
        Ok(oldest.map(|at| at.0))
    }
}
