//! The hosted enrollment page's use cases: anyone may read a live instance's page and
//! enroll through it, with no key; the rules are those of `enroll`.

use domain::enrollment::Application as EnrollmentApplication;
use domain::{Enrollment, EnrollmentId, ProgramInstance, Slug, Status, WorkspaceId};
use ports::{InstanceFilter, StoreError, StoredResponse};
use serde_json::{Value, json};

use crate::events::Acting;
use crate::{AppError, Application, IdempotencyKey, Idempotent};

/// What a submission of the page did.
#[derive(Debug, Clone, PartialEq)]
pub enum PageSubmission {
    /// Stored now.
    Enrolled(Enrollment),
    /// The form's one-time token was used before (a double submit, a reload): the
    /// enrollment it made.
    AlreadyEnrolled(Enrollment),
}

impl PageSubmission {
    pub fn enrollment(&self) -> &Enrollment {
        match self {
            PageSubmission::Enrolled(enrollment) | PageSubmission::AlreadyEnrolled(enrollment) => {
                enrollment
            }
        }
    }
}

const NOT_FOUND: AppError = AppError::NotFound("enrollment page");

/// A form's one-time token, as the idempotency key of its submission: one per page, so the
/// same token always answers with the enrollment it made first.
fn token_key(slug: &Slug, token: &str) -> IdempotencyKey {
    IdempotencyKey::new(
        format!("enroll-page:{token}"),
        format!("enroll-page:{slug}"),
    )
}

fn enrollment_of(stored: &StoredResponse) -> Option<EnrollmentId> {
    let body: Value = serde_json::from_str(&stored.body).ok()?;
    EnrollmentId::parse(body.get("enrollmentId")?.as_str()?).ok()
}

impl Application {
    /// The instance whose page `slug` names in the workspace; archived ones have none.
    pub fn public_instance(
        &self,
        workspace: &WorkspaceId,
        slug: &Slug,
    ) -> Result<ProgramInstance, AppError> {
        let filter = InstanceFilter {
            slug: Some(slug.to_string()),
            statuses: Some(vec![Status::Active, Status::Inactive]),
            ..InstanceFilter::default()
        };
        let found = self.ports.instances.list(workspace, &filter, None, 1)?;
        let snapshot = found.items.into_iter().next().ok_or(NOT_FOUND)?;
        self.ports
            .instances
            .get(workspace, &snapshot.id)?
            .ok_or(NOT_FOUND)
    }

    /// Enrolls through the page of `slug`, once per one-time `token`.
    pub fn enroll_on_page(
        &self,
        workspace: &WorkspaceId,
        slug: &Slug,
        application: EnrollmentApplication,
        token: &str,
    ) -> Result<PageSubmission, AppError> {
        let instance = self.public_instance(workspace, slug)?;
        let key = token_key(slug, token);
        if let Some(earlier) = self.earlier_submission(workspace, &key)? {
            return Ok(PageSubmission::AlreadyEnrolled(earlier));
        }
        let respond = |enrollment: &Enrollment| {
            Ok(StoredResponse {
                status: 201,
                body: json!({ "enrollmentId": enrollment.id.as_str() }).to_string(),
                headers: Vec::new(),
            })
        };
        let acting = Acting {
            workspace,
            actor: None,
            at: self.ports.clock.now(),
        };
        let idempotent = Idempotent {
            key: &key,
            respond: &respond,
        };
        match self.store_enrollment(acting, &instance, application, Some(idempotent)) {
            Ok(enrollment) => Ok(PageSubmission::Enrolled(enrollment)),
            // A twin submission of the same form finished first.
            Err(AppError::Replay(_) | AppError::IdempotencyInProgress) => self
                .earlier_submission(workspace, &key)?
                .map(PageSubmission::AlreadyEnrolled)
                .ok_or(AppError::IdempotencyInProgress),
            Err(other) => Err(other),
        }
    }

    fn earlier_submission(
        &self,
        workspace: &WorkspaceId,
        key: &IdempotencyKey,
    ) -> Result<Option<Enrollment>, AppError> {
        let Some(answer) = self.answer_in(workspace, key)? else {
            return Ok(None);
        };
        let id = enrollment_of(&answer).ok_or_else(|| {
            AppError::Internal(Box::new(StoreError::unexpected(
                "a page submission's answer names no enrollment",
            )))
        })?;
        Ok(self.ports.enrollments.enrollment(workspace, &id)?)
    }
}
