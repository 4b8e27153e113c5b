//! API keys as callers see them: what a key may do and its life, never its secret.

use crate::ids::{ApiKeyId, WorkspaceId};
use crate::scope::Grant;
use crate::timestamp::Timestamp;

/// What every key begins with: `pik_<prefix>_<secret>`.
pub const KEY_TAG: &str = "pik";

/// A key's record. The secret is shown once, at creation, and only an argon2id hash of it
/// is ever stored: neither is part of this type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub workspace_id: WorkspaceId,
    pub name: Option<String>,
    /// The non-secret part of the key that finds its record and tells keys apart.
    pub prefix: String,
    pub grant: Grant,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// Kept to the minute: recording every use would make each request a write.
    pub last_used_at: Option<Timestamp>,
}

impl ApiKey {
    /// Neither revoked nor expired at `now`.
    pub fn is_usable(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|expiry| now < expiry)
    }

    /// The beginning of the key as people see it, e.g. `pik_1a2b3c4d5e6f`.
    pub fn display_prefix(&self) -> String {
        format!("{KEY_TAG}_{}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(expires_at: Option<&str>, revoked_at: Option<&str>) -> ApiKey {
        let at = |text: &str| Timestamp::parse(text).unwrap();
        ApiKey {
            id: ApiKeyId::parse("cllgn0u4r000008l7eazybfbo").unwrap(),
            workspace_id: WorkspaceId::parse("ws_a").unwrap(),
            name: None,
            prefix: "0123456789ab".into(),
            grant: Grant::full(),
            expires_at: expires_at.map(at),
            revoked_at: revoked_at.map(at),
            created_at: at("2026-01-01T00:00:00Z"),
            last_used_at: None,
        }
    }

    #[test]
    fn a_key_is_usable_until_it_expires_or_is_revoked() {
        let now = Timestamp::parse("2026-06-01T00:00:00Z").unwrap();
        assert!(key(None, None).is_usable(now));
        assert!(key(Some("2026-06-01T00:00:01Z"), None).is_usable(now));
        assert!(!key(Some("2026-06-01T00:00:00Z"), None).is_usable(now));
        assert!(!key(None, Some("2026-05-01T00:00:00Z")).is_usable(now));
    }

    #[test]
    fn the_display_prefix_is_the_tagged_prefix() {
        assert_eq!(key(None, None).display_prefix(), "pik_0123456789ab");
    }
}
