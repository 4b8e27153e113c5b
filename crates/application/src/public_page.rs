//! The hosted enrollment page's use cases: anyone may read a live instance's page and
//! enroll through it, with no key; the rules are those of `enroll`.
//!
//! Each form carries a one-time token. A submission's idempotency key is made of the token,
//! the instance and the answers, so a double submit or a reload of the *same* answers is
//! one enrollment, and different answers sent with the same token (Back, fix a typo, send
//! again) are a submission of their own: they are stored, and confirmed with their own
//! reference. A confirmation therefore always names an enrollment holding what was sent.

use blake2::{Blake2s256, Digest};
use domain::enrollment::Application as EnrollmentApplication;
use domain::violation::Rule;
use domain::{Enrollment, EnrollmentId, ProgramInstance, Slug, Status, WorkspaceId};
use ports::{StoreError, StoredResponse};
use serde_json::{Value, json};

use crate::auth::random_hex;
use crate::events::Acting;
use crate::{AppError, Application, IdempotencyKey, Idempotent};

/// What a submission of the page did.
#[derive(Debug, Clone, PartialEq)]
pub enum PageSubmission {
    /// Stored now.
    Enrolled(Enrollment),
    /// These answers were sent with this form's token before (a double submit, a reload):
    /// the enrollment they made.
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

/// How many hex digits a form token has (16 random bytes).
const TOKEN_DIGITS: usize = 32;

/// A page form's one-time token, as made by `FormToken::fresh`: parsed once where a form
/// is read, so that a submission without a readable token cannot reach the use case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormToken(String);

/// A form whose token is missing, repeated or not one this service made: the form is
/// shown again (with a fresh token) rather than guessed at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this form could not be read; please check your answers and send it again")]
pub struct UnreadableToken;

impl Rule for UnreadableToken {
    fn code(&self) -> &'static str {
        "expired_form"
    }
}

impl FormToken {
    /// A new token for a form about to be shown.
    ///
    /// # Errors
    /// `Internal` when the system has no randomness to give.
    pub fn fresh() -> Result<Self, AppError> {
        random_hex(TOKEN_DIGITS).map(FormToken)
    }

    /// The token a form sent back: exactly one value of 32 lowercase hex digits.
    pub fn parse(values: &[String]) -> Result<Self, UnreadableToken> {
        match values {
            [token]
                if token.len() == TOKEN_DIGITS
                    && token
                        .bytes()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
            {
                Ok(FormToken(token.clone()))
            }
            _ => Err(UnreadableToken),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const NOT_FOUND: AppError = AppError::NotFound("enrollment page");

/// The idempotency key of a submission: what was sent, through which form, to which
/// instance. Only the very same submission replays.
fn submission_key(
    instance: &ProgramInstance,
    token: &FormToken,
    application: &EnrollmentApplication,
) -> Result<IdempotencyKey, AppError> {
    let answers =
        serde_json::to_vec(application).map_err(|error| AppError::Internal(Box::new(error)))?;
    let digest = Blake2s256::new()
        .chain_update(instance.id().as_str())
        .chain_update(b"\n")
        .chain_update(token.as_str())
        .chain_update(b"\n")
        .chain_update(&answers)
        .finalize();
    let digest: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let key = format!("enroll-page:{digest}");
    Ok(IdempotencyKey::new(key.clone(), key))
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
        self.ports
            .instances
            .get_by_slug(workspace, slug)?
            .filter(|instance| instance.status() != Status::Archived)
            .ok_or(NOT_FOUND)
    }

    /// Enrolls through the page of `instance` (as `public_instance` found it), once per
    /// form token and answers.
    pub fn enroll_on_page(
        &self,
        instance: &ProgramInstance,
        application: EnrollmentApplication,
        token: &FormToken,
    ) -> Result<PageSubmission, AppError> {
        let workspace = instance.workspace_id();
        let key = submission_key(instance, token, &application)?;
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
        match self.store_enrollment(acting, instance, application, Some(idempotent)) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn values(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|text| (*text).to_owned()).collect()
    }

    #[test]
    fn a_form_token_is_one_value_of_32_lowercase_hex_digits() {
        let made = FormToken::fresh().unwrap();
        assert_eq!(
            FormToken::parse(&values(&[made.as_str()])),
            Ok(made.clone())
        );
        for unreadable in [
            values(&[]),
            values(&[""]),
            values(&["zz"]),
            values(&[&made.as_str()[1..]]),
            values(&["0123456789ABCDEF0123456789ABCDEF"]),
            values(&[&format!("{}é", &made.as_str()[1..])]),
            values(&[made.as_str(), made.as_str()]),
        ] {
            assert_eq!(
                FormToken::parse(&unreadable),
                Err(UnreadableToken),
                "{unreadable:?}"
            );
        }
        assert_ne!(FormToken::fresh().unwrap(), made, "tokens are random");
    }
}
