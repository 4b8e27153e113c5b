use domain::{Timestamp, WorkspaceId};

use crate::StoreError;

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
    /// Headers to replay (e.g. `Location`, `ETag`), name and value.
    pub headers: Vec<(String, String)>,
}

/// What the first request with an idempotency key was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// What makes a retry the same request.
    pub fingerprint: String,
    pub response: StoredResponse,
}

/// An answer to keep for an idempotency key: written in the same transaction as the change
/// it answers, or alone for a request that changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentAnswer {
    pub key: String,
    pub record: IdempotencyRecord,
    pub answered_at: Timestamp,
    /// An answer to the same key kept before this instant has expired, and is replaced.
    pub replaces_before: Timestamp,
}

/// Idempotency answers, shared by every server process on the database.
///
/// Every write that takes an `IdempotentAnswer` (here and in the other stores) MUST write the
/// answer in the same transaction as its change, or neither, and MUST return
/// `KeyAnswered` (writing nothing) when the key has a live answer, and `KeyBusy` when another
/// transaction is writing an answer for the same key (where the store can tell; otherwise it
/// waits for it).
pub trait IdempotencyStore: Send + Sync {
    /// The answer kept for `key` in the workspace, unless it was kept before `not_before`.
    fn answer(
        &self,
        workspace: &WorkspaceId,
        key: &str,
        not_before: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;

    /// Keeps the answer to a request that changed nothing (a refusal, a computation).
    fn keep_answer(
        &self,
        workspace: &WorkspaceId,
        answer: &IdempotentAnswer,
    ) -> Result<(), StoreError>;
}
