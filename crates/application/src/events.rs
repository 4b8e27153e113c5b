//! The event log: what each change logs, and reading the log.

use domain::{
    ApiKeyId, Enrollment, EnrollmentFlip, EnrollmentStatus, EventId, EventType, InstanceEvent,
    InstanceId, ProgramInstance, Scope, Timestamp, WorkspaceId,
};
use ports::{Document, Event, EventFilter, InstanceSnapshot, LoggedEvent, Page};
use serde_json::{Map, Value};

use crate::{AppError, Application, Principal};

/// A page request for the event log.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventsRequest {
    pub filter: EventFilter,
    /// The position after which to read (0: from the start).
    pub after: i64,
    pub limit: usize,
}

/// One entry of an instance's history, as the log tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub position: i64,
    pub change: InstanceEvent,
    pub actor: Option<ApiKeyId>,
    pub occurred_at: Timestamp,
}

/// Who changed something and when, for the events of one change.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Acting<'a> {
    pub workspace: &'a WorkspaceId,
    pub actor: Option<&'a ApiKeyId>,
    pub at: Timestamp,
}

fn internal(error: impl std::error::Error + Send + Sync + 'static) -> AppError {
    AppError::Internal(Box::new(error))
}

/// `{ "object": …, ... }` with the other `members` an event type carries (`previous`,
/// `reason`, `at`, `copiedFrom`).
fn data(
    object: &serde_json::value::RawValue,
    members: impl IntoIterator<Item = (&'static str, Value)>,
) -> Result<Document, AppError> {
    let object: Value = serde_json::from_str(object.get()).map_err(internal)?;
    let mut all = Map::new();
    all.insert("object".to_owned(), object);
    all.extend(
        members
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value)),
    );
    serde_json::value::to_raw_value(&all).map_err(internal)
}

impl Application {
    fn event(
        &self,
        acting: Acting<'_>,
        kind: EventType,
        instance: &InstanceId,
        data: Document,
    ) -> Result<Event, AppError> {
        let id = EventId::parse(&format!("evt_{}", self.ports.ids.new_id())).map_err(internal)?;
        Ok(Event {
            id,
            kind,
            workspace_id: acting.workspace.clone(),
            instance_id: Some(instance.clone()),
            actor: acting.actor.cloned(),
            created_at: acting.at,
            data,
        })
    }

    fn instance_object(
        &self,
        instance: &ProgramInstance,
        at: Timestamp,
    ) -> Result<Document, AppError> {
        let snapshot = InstanceSnapshot::of(instance).map_err(internal)?;
        self.ports
            .representations
            .instance(&snapshot, at)
            .map_err(internal)
    }

    /// The event that logs a change of `instance` the domain decided on (`instance` is the
    /// instance after it).
    pub(crate) fn instance_event(
        &self,
        acting: Acting<'_>,
        instance: &ProgramInstance,
        change: &InstanceEvent,
    ) -> Result<Event, AppError> {
        let previous = match change {
            InstanceEvent::Created => None,
            other => Some(other.previous()),
        };
        let copied_from = match change {
            InstanceEvent::Created => instance.copied_from(),
            _ => None,
        };
        let members = previous
            .map(|previous| ("previous", previous))
            .into_iter()
            .chain(copied_from.map(|source| ("copiedFrom", Value::from(source.as_str()))));
        let object = self.instance_object(instance, acting.at)?;
        self.event(
            acting,
            EventType::of_instance_change(change),
            instance.id(),
            data(&object, members)?,
        )
    }

    pub(crate) fn instance_deleted_event(
        &self,
        acting: Acting<'_>,
        instance: &ProgramInstance,
    ) -> Result<Event, AppError> {
        let object = self.instance_object(instance, acting.at)?;
        self.event(
            acting,
            EventType::InstanceDeleted,
            instance.id(),
            data(&object, [])?,
        )
    }

    /// The event of a flip of `acceptingEnrollments` at `at` (the change's time, or the
    /// instant time brought it about): `{ "object": the instance as at `at`, "at": … }`.
    pub(crate) fn flip_event(
        &self,
        acting: Acting<'_>,
        instance: &ProgramInstance,
        flip: EnrollmentFlip,
        at: Timestamp,
    ) -> Result<Event, AppError> {
        let object = self.instance_object(instance, at)?;
        self.event(
            acting,
            EventType::of_flip(flip),
            instance.id(),
            data(&object, [("at", Value::from(at.to_rfc3339()))])?,
        )
    }

    /// The event of a new enrollment (`previous` is `None`) or of its move from `previous`.
    pub(crate) fn enrollment_event(
        &self,
        acting: Acting<'_>,
        enrollment: &Enrollment,
        previous: Option<EnrollmentStatus>,
    ) -> Result<Event, AppError> {
        let object = self
            .ports
            .representations
            .enrollment(enrollment)
            .map_err(internal)?;
        let (kind, data) = match previous {
            None => (EventType::EnrollmentCreated, data(&object, [])?),
            Some(from) => {
                let previous = ("previous", serde_json::json!({ "status": from.as_str() }));
                let reason = enrollment
                    .status_reason
                    .as_deref()
                    .map(|reason| ("reason", Value::from(reason)));
                (
                    EventType::EnrollmentStatusChanged,
                    data(&object, std::iter::once(previous).chain(reason))?,
                )
            }
        };
        self.event(acting, kind, &enrollment.instance_id, data)
    }

    /// The workspace's events in log order: every event once, in commit order, for a
    /// reader that keeps passing the last position it read.
    pub fn list_events(
        &self,
        who: &Principal,
        request: EventsRequest,
    ) -> Result<Page<LoggedEvent>, AppError> {
        who.require(Scope::EventsRead)?;
        let mut filter = request.filter;
        if let Some(visible) = who.grant.instances() {
            filter.only_instances = Some(visible.iter().cloned().collect());
        }
        Ok(self
            .ports
            .events
            .events(&who.workspace_id, &filter, request.after, request.limit)?)
    }

    pub fn get_event(&self, who: &Principal, id: &EventId) -> Result<LoggedEvent, AppError> {
        who.require(Scope::EventsRead)?;
        self.ports
            .events
            .event(&who.workspace_id, id)?
            .filter(|logged| match &logged.event.instance_id {
                Some(instance) => who.grant.can_see(instance),
                None => !who.grant.is_restricted(),
            })
            .ok_or(AppError::NotFound("event"))
    }

    /// The instance's history, oldest first: its created, updated and statusChanged
    /// events, read from the log.
    pub fn instance_history(
        &self,
        who: &Principal,
        id: &InstanceId,
        after: i64,
        limit: usize,
    ) -> Result<Page<HistoryEntry>, AppError> {
        who.require(Scope::ProgramInstancesRead)?;
        let instance = self.load_instance(who, id)?;
        let filter = EventFilter {
            types: Some(EventType::INSTANCE_HISTORY.to_vec()),
            instance_id: Some(instance.id().clone()),
            only_instances: None,
        };
        let page = self
            .ports
            .events
            .events(&who.workspace_id, &filter, after, limit)?;
        let entries = page
            .items
            .into_iter()
            .map(history_entry)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            items: entries,
            has_more: page.has_more,
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the logged event {0} does not describe a change of an instance")]
struct NotAnInstanceChange(EventId);

fn history_entry(logged: LoggedEvent) -> Result<HistoryEntry, AppError> {
    let event = logged.event;
    let data: Value = serde_json::from_str(event.data.get()).map_err(internal)?;
    let member = |name: &str| data.get(name).cloned().unwrap_or(Value::Null);
    let change = InstanceEvent::from_logged(event.kind, &member("object"), &member("previous"))
        .ok_or_else(|| internal(NotAnInstanceChange(event.id.clone())))?;
    Ok(HistoryEntry {
        position: logged.position,
        change,
        actor: event.actor,
        occurred_at: event.created_at,
    })
}
