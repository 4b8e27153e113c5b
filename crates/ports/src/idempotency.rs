use domain::{Timestamp, WorkspaceId};
use time::Duration;

use crate::StoreError;

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
    /// Headers to replay (e.g. `Location`, `ETag`), name and value.
    pub headers: Vec<(String, String)>,
}

/// What a request with an `Idempotency-Key` may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// This request owns the key: run it, then `complete` or `release`.
    Claimed,
    /// The key's first request finished with this response.
    Replay(StoredResponse),
    /// The key's first request is still running.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

/// Idempotency records, shared by every server process on the database.
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request with this fingerprint, atomically across processes.
    /// A record older than `retention`, or a claim never completed within `lease`, is
    /// forgotten first.
    fn claim(
        &self,
        workspace: &WorkspaceId,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        lease: Duration,
        retention: Duration,
    ) -> Result<IdempotencyClaim, StoreError>;

    /// Stores the response of a claimed key.
    fn complete(
        &self,
        workspace: &WorkspaceId,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), StoreError>;

    /// Gives a claimed key up, so that a retry runs again (e.g. after a server fault).
    fn release(&self, workspace: &WorkspaceId, key: &str) -> Result<(), StoreError>;
}
