//! Eligibility checks and enrollments.

use domain::eligibility::{Applicant, Evaluation, evaluate};
use domain::enrollment::{Application as EnrollmentApplication, ApplicationError};
use domain::{Enrollment, EnrollmentId, EnrollmentStatus, InstanceId, ProgramInstance, Scope};
use ports::{EnrollmentCursor, Page, StoreError};

use crate::events::Acting;
use crate::idempotency::answered;
use crate::{AppError, Application, Conflict, Idempotent, Principal};

/// The verdict of an eligibility check.
#[derive(Debug, Clone, PartialEq)]
pub struct EligibilityCheck {
    pub evaluation: Evaluation,
    pub accepting_enrollments: bool,
}

impl Application {
    /// Evaluates an applicant against the instance's criteria; stores nothing.
    pub fn check_eligibility(
        &self,
        who: &Principal,
        instance: &InstanceId,
        applicant: &Applicant,
    ) -> Result<EligibilityCheck, AppError> {
        who.require(Scope::ProgramInstancesRead)?;
        let instance = self.load_instance(who, instance)?;
        Ok(EligibilityCheck {
            evaluation: evaluate(instance.eligibility_criteria(), applicant),
            accepting_enrollments: instance.accepting_enrollments(self.ports.clock.now()),
        })
    }

    /// Enrolls an applicant: `submitted` when eligible, `ineligible` (with the reasons) when
    /// not; refused, storing nothing, when the instance is not accepting enrollments or the
    /// form data is invalid.
    pub fn enroll(
        &self,
        who: &Principal,
        instance: &InstanceId,
        application: EnrollmentApplication,
        idempotent: Option<Idempotent<'_, Enrollment>>,
    ) -> Result<Enrollment, AppError> {
        who.require(Scope::EnrollmentsWrite)?;
        let instance = self.load_instance(who, instance)?;
        let now = self.ports.clock.now();
        self.store_enrollment(who.acting(now), &instance, application, idempotent)
    }

    /// Stores the enrollment of `application` in `instance`, with its event, as `acting`.
    pub(crate) fn store_enrollment(
        &self,
        acting: Acting<'_>,
        instance: &ProgramInstance,
        application: EnrollmentApplication,
        idempotent: Option<Idempotent<'_, Enrollment>>,
    ) -> Result<Enrollment, AppError> {
        let id = EnrollmentId::parse(&self.ports.ids.new_id())
            .map_err(|error| AppError::Internal(Box::new(error)))?;
        let enrollment = Enrollment::apply(id, instance, application, acting.at).map_err(
            |error| match error {
                ApplicationError::NotAccepting => {
                    AppError::Conflict(Conflict::NotAcceptingEnrollments)
                }
                ApplicationError::Invalid(violations) => AppError::Invalid(violations),
            },
        )?;
        let event = self.enrollment_event(acting, &enrollment, None)?;
        let answer = self.answer_of(idempotent, &enrollment)?;
        match self
            .ports
            .enrollments
            .insert_enrollment(&enrollment, &event, answer.as_ref())
        {
            Ok(()) => Ok(enrollment),
            Err(StoreError::NotFound) => Err(AppError::NotFound("program instance")),
            Err(other) => Err(match idempotent {
                Some(idempotent) => answered(idempotent.key, other),
                None => other.into(),
            }),
        }
    }

    fn visible_enrollment(
        &self,
        who: &Principal,
        id: &EnrollmentId,
    ) -> Result<Enrollment, AppError> {
        let not_found = || AppError::NotFound("enrollment");
        self.ports
            .enrollments
            .enrollment(&who.workspace_id, id)?
            .filter(|enrollment| who.grant.can_see(&enrollment.instance_id))
            .ok_or_else(not_found)
    }

    pub fn get_enrollment(
        &self,
        who: &Principal,
        id: &EnrollmentId,
    ) -> Result<Enrollment, AppError> {
        who.require(Scope::EnrollmentsRead)?;
        self.visible_enrollment(who, id)
    }

    /// The instance's enrollments, newest first.
    pub fn list_enrollments(
        &self,
        who: &Principal,
        instance: &InstanceId,
        statuses: Option<Vec<EnrollmentStatus>>,
        after: Option<EnrollmentCursor>,
        limit: usize,
    ) -> Result<Page<Enrollment>, AppError> {
        who.require(Scope::EnrollmentsRead)?;
        let instance = self.load_instance(who, instance)?;
        Ok(self.ports.enrollments.list_enrollments(
            &who.workspace_id,
            instance.id(),
            statuses.as_deref(),
            after.as_ref(),
            limit,
        )?)
    }

    /// Moves an enrollment along its lifecycle, locked meanwhile; the status it already has
    /// is a no-op.
    pub fn update_enrollment_status(
        &self,
        who: &Principal,
        id: &EnrollmentId,
        status: EnrollmentStatus,
        reason: Option<String>,
    ) -> Result<Enrollment, AppError> {
        who.require(Scope::EnrollmentsWrite)?;
        let not_found = || AppError::NotFound("enrollment");
        let locked = self
            .ports
            .enrollments
            .lock_enrollment(&who.workspace_id, id)?
            .filter(|locked| who.grant.can_see(&locked.current().instance_id))
            .ok_or_else(not_found)?;
        let current = locked.current();
        let now = self.ports.clock.now();
        let moved = current
            .transition_to(status, reason, now)
            .map_err(|refused| {
                AppError::Conflict(Conflict::InvalidEnrollmentTransition(refused))
            })?;
        let Some(next) = moved else {
            return Ok(current.clone());
        };
        let event = self.enrollment_event(who.acting(now), &next, Some(current.status))?;
        locked.save(&next, &event)?;
        Ok(next)
    }

    /// How many of the instance's enrollments are in each status (every status listed).
    pub fn enrollment_stats(
        &self,
        who: &Principal,
        instance: &InstanceId,
    ) -> Result<(InstanceId, Vec<(EnrollmentStatus, u64)>), AppError> {
        who.require(Scope::EnrollmentsRead)?;
        let instance = self.load_instance(who, instance)?;
        let counted = self
            .ports
            .enrollments
            .count_enrollments(&who.workspace_id, instance.id())?;
        let all = EnrollmentStatus::ALL
            .into_iter()
            .map(|status| {
                (
                    status,
                    counted
                        .iter()
                        .find(|(s, _)| *s == status)
                        .map_or(0, |(_, n)| *n),
                )
            })
            .collect();
        Ok((instance.id().clone(), all))
    }
}
