//! Program instance use cases.

use domain::{
    EnrollmentFlip, InstanceDraft, InstanceEvent, InstanceId, InstancePatch, PatchError,
    ProgramInstance, Scope, Slug, Timestamp, WorkspaceId,
};
use ports::{
    Event, InstanceCursor, InstanceFilter, InstanceSnapshot, LockedInstance, Page, StoreError,
};
use serde_json::{Map, Value};

use crate::events::Acting;
use crate::idempotency::answered;
use crate::{AppError, Application, Conflict, Idempotent, Principal};

/// Flips of one instance logged at most per pass: a weekly season left alone for years
/// catches up over a few passes rather than in one long transaction.
const FLIPS_PER_INSTANCE: usize = 100;

/// A page request for the instance list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListRequest {
    pub filter: InstanceFilter,
    pub after: Option<InstanceCursor>,
    pub limit: usize,
}

impl Principal {
    /// This caller acting now, for the events of its change.
    pub(crate) fn acting(&self, at: domain::Timestamp) -> Acting<'_> {
        Acting {
            workspace: &self.workspace_id,
            actor: Some(&self.key_id),
            at,
        }
    }
}

impl Application {
    /// Deploys the program `program_slug` in the caller's workspace.
    pub fn create_instance(
        &self,
        who: &Principal,
        program_slug: &Slug,
        draft: InstanceDraft,
        idempotent: Option<Idempotent<'_, ProgramInstance>>,
    ) -> Result<ProgramInstance, AppError> {
        who.require(Scope::ProgramInstancesWrite)?;
        if who.grant.is_restricted() {
            return Err(AppError::Forbidden(
                "a key restricted to some instances cannot create instances",
            ));
        }
        let program = self
            .program_id(program_slug)?
            .ok_or(AppError::NotFound("program"))?;
        let id = InstanceId::parse(&self.ports.ids.new_id())
            .map_err(|error| AppError::Internal(Box::new(error)))?;
        let now = self.ports.clock.now();
        let (instance, event) =
            ProgramInstance::create(id, program, who.workspace_id.clone(), draft, now)
                .map_err(AppError::Invalid)?;
        self.store_new_instance(who.acting(now), instance, &event, idempotent)
    }

    /// A new instance made from `source` (see `ProgramInstance::copy`): `changes` set the
    /// fields they name on the copy. Like a create, a key restricted to some instances
    /// cannot copy.
    pub fn copy_instance(
        &self,
        who: &Principal,
        source: &InstanceId,
        changes: Map<String, Value>,
        idempotent: Option<Idempotent<'_, ProgramInstance>>,
    ) -> Result<ProgramInstance, AppError> {
        who.require(Scope::ProgramInstancesWrite)?;
        if who.grant.is_restricted() {
            return Err(AppError::Forbidden(
                "a key restricted to some instances cannot create instances",
            ));
        }
        let source = self.load_instance(who, source)?;
        let now = self.ports.clock.now();
        self.copy_of(who.acting(now), &source, changes, idempotent)
    }

    /// The operator's copy (`program-instances instances copy`): any instance of the
    /// workspace, logged without a key.
    pub fn copy_instance_as_operator(
        &self,
        workspace: &WorkspaceId,
        source: &InstanceId,
        changes: Map<String, Value>,
    ) -> Result<ProgramInstance, AppError> {
        let source = self
            .ports
            .instances
            .get(workspace, source)?
            .ok_or(AppError::NotFound("program instance"))?;
        let acting = Acting {
            workspace,
            actor: None,
            at: self.ports.clock.now(),
        };
        self.copy_of(acting, &source, changes, None)
    }

    fn copy_of(
        &self,
        acting: Acting<'_>,
        source: &ProgramInstance,
        changes: Map<String, Value>,
        idempotent: Option<Idempotent<'_, ProgramInstance>>,
    ) -> Result<ProgramInstance, AppError> {
        let id = InstanceId::parse(&self.ports.ids.new_id())
            .map_err(|error| AppError::Internal(Box::new(error)))?;
        let (copy, event) = source
            .copy(id, changes, acting.at)
            .map_err(AppError::Invalid)?;
        self.store_new_instance(acting, copy, &event, idempotent)
    }

    /// Stores a new instance with its `created` event (and `enrollmentOpened` when it
    /// accepts enrollments at once), keeping the idempotent answer with it.
    fn store_new_instance(
        &self,
        acting: Acting<'_>,
        instance: ProgramInstance,
        event: &InstanceEvent,
        idempotent: Option<Idempotent<'_, ProgramInstance>>,
    ) -> Result<ProgramInstance, AppError> {
        let mut records = vec![self.instance_event(acting, &instance, event)?];
        if instance.accepting_enrollments(acting.at) {
            records.push(self.flip_event(acting, &instance, EnrollmentFlip::Opened, acting.at)?);
        }
        let answer = self.answer_of(idempotent, &instance)?;
        match self
            .ports
            .instances
            .insert(&instance, &records, answer.as_ref())
        {
            Ok(()) => Ok(instance),
            // The program is not visible to the workspace (the store checks it as it writes).
            Err(StoreError::NotFound) => Err(AppError::NotFound("program")),
            Err(StoreError::SlugTaken) => Err(AppError::Conflict(Conflict::SlugTaken(
                instance.slug().to_string(),
            ))),
            Err(other) => Err(match idempotent {
                Some(idempotent) => answered(idempotent.key, other),
                None => other.into(),
            }),
        }
    }

    /// The instance as it is shown.
    pub fn get_instance(
        &self,
        who: &Principal,
        id: &InstanceId,
    ) -> Result<InstanceSnapshot, AppError> {
        who.require(Scope::ProgramInstancesRead)?;
        who.check_visible(id)?;
        self.ports
            .instances
            .snapshot(&who.workspace_id, id)?
            .ok_or(AppError::NotFound("program instance"))
    }

    /// The instance's enrollment form as a JSON Schema (draft 2020-12) document.
    pub fn instance_form(
        &self,
        who: &Principal,
        id: &InstanceId,
    ) -> Result<serde_json::Value, AppError> {
        who.require(Scope::ProgramInstancesRead)?;
        let instance = self.load_instance(who, id)?;
        Ok(domain::form_schema::json_schema(
            instance.form_config(),
            instance.name().as_str(),
        ))
    }

    /// The instance, when the caller's key may see it.
    pub(crate) fn load_instance(
        &self,
        who: &Principal,
        id: &InstanceId,
    ) -> Result<ProgramInstance, AppError> {
        who.check_visible(id)?;
        self.ports
            .instances
            .get(&who.workspace_id, id)?
            .ok_or(AppError::NotFound("program instance"))
    }

    /// Applies a merge patch to the instance, locked meanwhile: concurrent patches apply one
    /// after another, none lost. With `if_match`, the instance must still be at one of those
    /// versions.
    pub fn update_instance(
        &self,
        who: &Principal,
        id: &InstanceId,
        patch: InstancePatch,
        if_match: Option<&[i64]>,
    ) -> Result<ProgramInstance, AppError> {
        who.require(Scope::ProgramInstancesWrite)?;
        who.check_visible(id)?;
        let locked = self
            .ports
            .instances
            .lock(&who.workspace_id, id)?
            .ok_or(AppError::NotFound("program instance"))?;
        let current = locked.current();
        if if_match.is_some_and(|versions| !versions.contains(&current.version())) {
            return Err(AppError::PreconditionFailed);
        }
        let now = self.ports.clock.now();
        let outcome = current.apply(patch, now).map_err(|error| match error {
            PatchError::Invalid(violations) => AppError::Invalid(violations),
            PatchError::Lifecycle(lifecycle) => AppError::Conflict(lifecycle.into()),
        })?;
        if !outcome.changed() {
            return Ok(outcome.instance);
        }
        // Flips that time brought about before this change and no server has logged yet
        // come first, all of them: the change moves the next one past now.
        let mut records = self.due_flip_events(locked.as_ref(), now, usize::MAX)?.0;
        for event in &outcome.events {
            records.push(self.instance_event(who.acting(now), &outcome.instance, event)?);
        }
        if let Some(flip) = outcome.flip {
            records.push(self.flip_event(who.acting(now), &outcome.instance, flip, now)?);
        }
        match locked.save(&outcome.instance, &records) {
            Ok(()) => Ok(outcome.instance),
            Err(StoreError::SlugTaken) => Err(AppError::Conflict(Conflict::SlugTaken(
                outcome.instance.slug().to_string(),
            ))),
            Err(other) => Err(other.into()),
        }
    }

    /// The events of the flips of a locked instance that time brought about up to `now`
    /// (at most `limit`), and the next flip not among them.
    fn due_flip_events(
        &self,
        locked: &dyn LockedInstance,
        now: Timestamp,
        limit: usize,
    ) -> Result<(Vec<Event>, Option<Timestamp>), AppError> {
        let current = locked.current();
        let Some(first) = locked.next_flip() else {
            return Ok((Vec::new(), None));
        };
        let due = current.enrollment_window().flips_due(first, now, limit);
        let by_time = Acting {
            workspace: current.workspace_id(),
            actor: None,
            at: now,
        };
        let events = due
            .flips
            .iter()
            .map(|(flip, at)| self.flip_event(by_time, current, *flip, *at))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((events, due.next))
    }

    /// Logs `enrollmentOpened`/`enrollmentClosed` for the flips that time has brought about
    /// up to now, for at most `batch` instances; returns how many instances it looked at.
    /// Any number of processes may run this at once: each instance is locked while its
    /// flips are logged and its next flip moved on, so each flip is logged once.
    pub fn log_due_flips(&self, batch: usize) -> Result<usize, AppError> {
        let now = self.ports.clock.now();
        let due = self.ports.instances.flips_due(now, batch)?;
        for (workspace, id) in &due {
            let Some(locked) = self.ports.instances.lock(workspace, id)? else {
                continue;
            };
            // Another process may have logged them since they were read.
            if locked.next_flip().is_none_or(|next| next > now) {
                continue;
            }
            let (events, next) = self.due_flip_events(locked.as_ref(), now, FLIPS_PER_INSTANCE)?;
            locked.record_flips(&events, next)?;
        }
        Ok(due.len())
    }

    pub fn delete_instance(&self, who: &Principal, id: &InstanceId) -> Result<(), AppError> {
        who.require(Scope::ProgramInstancesWrite)?;
        who.check_visible(id)?;
        let locked = self
            .ports
            .instances
            .lock(&who.workspace_id, id)?
            .ok_or(AppError::NotFound("program instance"))?;
        let now = self.ports.clock.now();
        let event = self.instance_deleted_event(who.acting(now), locked.current())?;
        match locked.delete(&event) {
            Ok(()) => Ok(()),
            Err(StoreError::HasEnrollments) => Err(AppError::Conflict(Conflict::HasEnrollments)),
            Err(other) => Err(other.into()),
        }
    }

    pub fn list_instances(
        &self,
        who: &Principal,
        request: ListRequest,
    ) -> Result<Page<InstanceSnapshot>, AppError> {
        who.require(Scope::ProgramInstancesRead)?;
        let mut filter = request.filter;
        if let Some(visible) = who.grant.instances() {
            filter.only_ids = Some(visible.iter().cloned().collect());
        }
        Ok(self.ports.instances.list(
            &who.workspace_id,
            &filter,
            request.after.as_ref(),
            request.limit,
        )?)
    }
}
