use std::fmt;

use domain::{ApiKey, ApiKeyId, Timestamp, WorkspaceId};

use crate::{IdempotentAnswer, Page, StoreError};

/// The PHC string of the argon2id hash of a key's secret. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHash(pub String);

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(<redacted>)")
    }
}

/// A key with what verifies it: only the authentication path reads this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCredentials {
    pub key: ApiKey,
    pub secret_hash: SecretHash,
}

/// API keys.
pub trait KeyStore: Send + Sync {
    /// Stores a key and, when given, the idempotent answer that goes with it, atomically.
    ///
    /// # Errors
    /// MUST return `Duplicate` when the id or prefix is taken, `NotFound` when the
    /// workspace does not exist; see `IdempotencyStore` for the answer's errors.
    fn insert(
        &self,
        key: &ApiKey,
        secret_hash: &SecretHash,
        answer: Option<&IdempotentAnswer>,
    ) -> Result<(), StoreError>;

    /// The key with this id in this workspace, revoked and expired ones included.
    fn find(&self, workspace: &WorkspaceId, id: &ApiKeyId) -> Result<Option<ApiKey>, StoreError>;

    /// The key with this prefix and its hash, revoked and expired ones included.
    fn credentials(&self, prefix: &str) -> Result<Option<KeyCredentials>, StoreError>;

    /// Marks the key revoked at `at`; revoking twice keeps the first time. With a
    /// workspace, only a key of that workspace is found.
    ///
    /// # Errors
    /// MUST return `NotFound` when there is no such key.
    fn revoke(
        &self,
        workspace: Option<&WorkspaceId>,
        id: &ApiKeyId,
        at: Timestamp,
    ) -> Result<ApiKey, StoreError>;

    /// Records that the key was used at `at`. To keep writes rare it MAY skip the write
    /// when the stored time is less than a minute older; a missing key is not an error.
    fn touch(&self, id: &ApiKeyId, at: Timestamp) -> Result<(), StoreError>;

    /// The workspace's keys, newest first, after the key `after`.
    fn list(
        &self,
        workspace: &WorkspaceId,
        after: Option<&ApiKeyId>,
        limit: usize,
    ) -> Result<Page<ApiKey>, StoreError>;
}
