//! `Idempotency-Key`: the first answer to a request with a key is kept for a day, per
//! workspace and key, and replayed to retries of the same request. The answer is written in
//! the same transaction as the change it answers, so after any failure a key either has its
//! answer and its change, or neither (and a retry runs again at once). Records live in the
//! database, so this holds across every server process on it.

use domain::Timestamp;
use ports::{IdempotencyRecord, IdempotentAnswer, StoreError, StoredResponse};
use time::Duration;

use crate::{AppError, Application, Principal};

/// How long an answer is replayed.
const RETENTION: Duration = Duration::hours(24);

/// A request's idempotency key, with what makes a retry the same request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    key: String,
    fingerprint: String,
}

impl IdempotencyKey {
    /// `fingerprint` digests what makes two requests the same (method, path, body).
    pub fn new(key: impl Into<String>, fingerprint: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            fingerprint: fingerprint.into(),
        }
    }
}

/// How the result of a use case is answered, made before the change is stored, so that the
/// answer is kept with it.
pub type Respond<'a, T> = &'a (dyn Fn(&T) -> Result<StoredResponse, AppError> + Sync);

/// An idempotent run of a use case: the key, and how its result is answered.
pub struct Idempotent<'a, T> {
    pub key: &'a IdempotencyKey,
    pub respond: Respond<'a, T>,
}

// By hand: a derive would ask `T: Copy`, and only references are copied.
impl<T> Clone for Idempotent<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Idempotent<'_, T> {}

impl<T> std::fmt::Debug for Idempotent<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idempotent")
            .field("key", self.key)
            .finish_non_exhaustive()
    }
}

fn not_before(now: Timestamp) -> Timestamp {
    now.checked_add(-RETENTION).unwrap_or(now)
}

impl Application {
    /// The answer to replay when the key was answered before: `None` when it was not.
    ///
    /// # Errors
    /// `IdempotencyMismatch` when the key answered a different request.
    pub fn idempotent_answer(
        &self,
        who: &Principal,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredResponse>, AppError> {
        self.answer_in(&who.workspace_id, key)
    }

    pub(crate) fn answer_in(
        &self,
        workspace: &domain::WorkspaceId,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredResponse>, AppError> {
        let now = self.ports.clock.now();
        self.ports
            .idempotency
            .answer(workspace, &key.key, not_before(now))?
            .map(|record| replay(key, record))
            .transpose()
    }

    /// Keeps the answer to a request that changed nothing (a refusal, a computation).
    ///
    /// # Errors
    /// `Replay` with the answer kept first, when a twin of this request was answered
    /// meanwhile; `IdempotencyMismatch`, `IdempotencyInProgress` as for any idempotent write.
    pub fn keep_idempotent_answer(
        &self,
        who: &Principal,
        key: &IdempotencyKey,
        response: StoredResponse,
    ) -> Result<(), AppError> {
        let answer = self.answer(key, response);
        self.ports
            .idempotency
            .keep_answer(&who.workspace_id, &answer)
            .map_err(|error| answered(key, error))
    }

    /// The answer to keep with the change that `value` is the result of.
    pub(crate) fn answer_of<T>(
        &self,
        idempotent: Option<Idempotent<'_, T>>,
        value: &T,
    ) -> Result<Option<IdempotentAnswer>, AppError> {
        idempotent
            .map(|idempotent| Ok(self.answer(idempotent.key, (idempotent.respond)(value)?)))
            .transpose()
    }

    fn answer(&self, key: &IdempotencyKey, response: StoredResponse) -> IdempotentAnswer {
        let now = self.ports.clock.now();
        IdempotentAnswer {
            key: key.key.clone(),
            record: IdempotencyRecord {
                fingerprint: key.fingerprint.clone(),
                response,
            },
            answered_at: now,
            replaces_before: not_before(now),
        }
    }
}

fn replay(key: &IdempotencyKey, record: IdempotencyRecord) -> Result<StoredResponse, AppError> {
    if record.fingerprint == key.fingerprint {
        Ok(record.response)
    } else {
        Err(AppError::IdempotencyMismatch)
    }
}

/// What a write that carried an answer for `key` failed with, for the caller.
pub(crate) fn answered(key: &IdempotencyKey, error: StoreError) -> AppError {
    match error {
        StoreError::KeyAnswered(record) => match replay(key, record) {
            Ok(response) => AppError::Replay(response),
            Err(mismatch) => mismatch,
        },
        StoreError::KeyBusy => AppError::IdempotencyInProgress,
        other => other.into(),
    }
}
