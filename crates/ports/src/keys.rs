use std::fmt;

use domain::{ApiKeyId, Grant, Timestamp, WorkspaceId};

use crate::{Page, StoreError};

/// A key as stored: never the secret itself, only its argon2id hash.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub id: ApiKeyId,
    pub workspace_id: WorkspaceId,
    pub name: Option<String>,
    /// The non-secret part of the key that finds its record and tells keys apart.
    pub prefix: String,
    /// PHC string of the argon2id hash of the secret.
    pub secret_hash: String,
    pub grant: Grant,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// Kept to the minute (see `KeyStore::touch`).
    pub last_used_at: Option<Timestamp>,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("id", &self.id)
            .field("workspace_id", &self.workspace_id)
            .field("prefix", &self.prefix)
            .field("secret_hash", &"<redacted>")
            .field("grant", &self.grant)
            .field("expires_at", &self.expires_at)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// A key to store.
pub type NewKey = StoredKey;

/// API keys.
pub trait KeyStore: Send + Sync {
    /// # Errors
    /// MUST return `Duplicate` when the id or prefix is taken, `NotFound` when the
    /// workspace does not exist.
    fn insert(&self, key: &NewKey) -> Result<(), StoreError>;

    /// The key with this id in this workspace, revoked and expired ones included.
    fn find(&self, workspace: &WorkspaceId, id: &ApiKeyId)
    -> Result<Option<StoredKey>, StoreError>;

    /// The key with this prefix, revoked and expired ones included.
    fn find_by_prefix(&self, prefix: &str) -> Result<Option<StoredKey>, StoreError>;

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
    ) -> Result<StoredKey, StoreError>;

    /// Records that the key was used at `at`. To keep writes rare it MAY skip the write
    /// when the stored time is less than a minute older; a missing key is not an error.
    fn touch(&self, id: &ApiKeyId, at: Timestamp) -> Result<(), StoreError>;

    /// The workspace's keys, newest first, after the key `after`.
    fn list(
        &self,
        workspace: &WorkspaceId,
        after: Option<&ApiKeyId>,
        limit: usize,
    ) -> Result<Page<StoredKey>, StoreError>;
}
