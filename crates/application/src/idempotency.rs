//! `Idempotency-Key`: the first answer to a request with a key is kept for a day, per
//! workspace and key, and replayed to retries of the same request. Records live in the
//! database, so this holds across every server process on it.

use ports::{IdempotencyClaim, StoredResponse};
use time::Duration;

use crate::{AppError, Application, Principal};

/// How long an answer is replayed.
const RETENTION: Duration = Duration::hours(24);
/// A claim not settled within this time belongs to a process that died; it is retaken.
const LEASE: Duration = Duration::minutes(1);

impl Application {
    /// Claims `key` for a request with this fingerprint (what makes two requests the same),
    /// or says why the request must not run: its answer is known, it is running, or the key
    /// was used for another request.
    pub fn claim_idempotency_key(
        &self,
        who: &Principal,
        key: &str,
        fingerprint: &str,
    ) -> Result<IdempotencyClaim, AppError> {
        let now = self.ports.clock.now();
        Ok(self.ports.idempotency.claim(
            &who.workspace_id,
            key,
            fingerprint,
            now,
            LEASE,
            RETENTION,
        )?)
    }

    /// Settles a claimed key: with the answer to replay, or, for a server fault (which is no
    /// answer), by giving the key up so that a retry runs the request again.
    pub fn settle_idempotency_key(
        &self,
        who: &Principal,
        key: &str,
        answer: Option<&StoredResponse>,
    ) -> Result<(), AppError> {
        let store = &self.ports.idempotency;
        Ok(match answer {
            Some(response) => store.complete(&who.workspace_id, key, response),
            None => store.release(&who.workspace_id, key),
        }?)
    }
}
