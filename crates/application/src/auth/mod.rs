//! API key authentication.
//!
//! A key reads `pik_<prefix>_<secret>`. The prefix finds the stored record and is shown to
//! people to tell keys apart; only an argon2id hash of the secret is stored. A successful
//! verification is cached in process, keyed by a BLAKE2s digest of the presented key (never
//! the key), for `ttl`: the hot path costs a hash and a map look-up, and argon2 runs only on
//! a miss. When an entry is older than `ttl` the record is read again, so a revocation made
//! by another process takes effect here within `ttl`; the revoking process forgets the key
//! at once.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

mod hashing;

use argon2::password_hash::SaltString;
use blake2::{Blake2s256, Digest};
use domain::api_key::KEY_TAG;
use domain::{ApiKeyId, Timestamp};
use ports::{KeyCredentials, SecretHash};
use time::Duration;

use crate::{AppError, Application, Principal};

const PREFIX_LEN: usize = 12;
const SECRET_LEN: usize = 32;

/// How long and how many verified keys are remembered.
#[derive(Debug, Clone, Copy)]
pub struct KeyCacheSettings {
    /// Also the bound on how long a revocation made elsewhere takes to reach this process.
    pub ttl: Duration,
    pub capacity: usize,
}

impl Default for KeyCacheSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::seconds(5),
            capacity: 10_000,
        }
    }
}

/// A full API key as shown once at creation. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(String);

impl ApiKeySecret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKeySecret(<redacted>)")
    }
}

/// The parts of a presented key.
struct PresentedKey<'a> {
    prefix: &'a str,
    secret: &'a str,
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl<'a> PresentedKey<'a> {
    fn parse(presented: &'a str) -> Option<Self> {
        let rest = presented.strip_prefix(KEY_TAG)?.strip_prefix('_')?;
        let (prefix, secret) = rest.split_once('_')?;
        (is_lower_hex(prefix, PREFIX_LEN) && is_lower_hex(secret, SECRET_LEN))
            .then_some(Self { prefix, secret })
    }
}

type Digest32 = [u8; 32];

fn digest(presented: &str) -> Digest32 {
    Blake2s256::digest(presented.as_bytes()).into()
}

#[derive(Debug)]
struct CachedKey {
    principal: Principal,
    secret_hash: SecretHash,
    expires_at: Option<Timestamp>,
    checked_at: Timestamp,
}

#[derive(Debug)]
pub(crate) struct Authenticator {
    settings: KeyCacheSettings,
    verified: Mutex<HashMap<Digest32, CachedKey>>,
    /// One argon2 hash at a time: each needs 19 MiB and most of a core, so a burst of first
    /// requests (or of guesses) must not run dozens at once.
    hasher: hashing::Hasher,
}

impl Authenticator {
    pub(crate) fn new(settings: KeyCacheSettings) -> Self {
        Self {
            settings,
            verified: Mutex::new(HashMap::new()),
            hasher: hashing::Hasher::default(),
        }
    }

    fn with_cache<T>(&self, action: impl FnOnce(&mut HashMap<Digest32, CachedKey>) -> T) -> T {
        // A panic while holding the lock cannot leave the map inconsistent: keep using it.
        let mut guard = self
            .verified
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        action(&mut guard)
    }

    fn fresh(&self, entry: &CachedKey, now: Timestamp) -> bool {
        let within_ttl = entry
            .checked_at
            .checked_add(self.settings.ttl)
            .is_some_and(|limit| now < limit);
        within_ttl && entry.expires_at.is_none_or(|expiry| now < expiry)
    }

    pub(crate) fn forget(&self, key: &ApiKeyId) {
        self.with_cache(|cache| cache.retain(|_, entry| &entry.principal.key_id != key));
    }
}

pub(crate) fn random_hex(len: usize) -> Result<String, AppError> {
    let mut bytes = vec![0u8; len.div_ceil(2)];
    getrandom::getrandom(&mut bytes).map_err(|error| AppError::Internal(Box::new(error)))?;
    let mut text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    text.truncate(len);
    Ok(text)
}

impl Authenticator {
    /// A fresh key: the text to hand out once, its prefix and the hash to store.
    pub(crate) fn generate_key(&self) -> Result<(ApiKeySecret, String, SecretHash), AppError> {
        let prefix = random_hex(PREFIX_LEN)?;
        let secret = random_hex(SECRET_LEN)?;
        let mut salt = [0u8; 16];
        getrandom::getrandom(&mut salt).map_err(|error| AppError::Internal(Box::new(error)))?;
        let salt = SaltString::encode_b64(&salt)
            .map_err(|error| AppError::Internal(Box::new(hashing::HashingFailed::from(error))))?;
        let hash = self
            .hasher
            .turn()
            .hash(&secret, &salt)
            .map_err(|error| AppError::Internal(Box::new(error)))?;
        Ok((
            ApiKeySecret(format!("{KEY_TAG}_{prefix}_{secret}")),
            prefix,
            hash,
        ))
    }
}

impl Application {
    /// The principal of a key verified within the cache's time-to-live, without I/O and
    /// without argon2; `None` means `authenticate` must decide.
    pub fn cached_principal(&self, presented: &str) -> Option<Principal> {
        let now = self.ports.clock.now();
        let auth = &self.authenticator;
        auth.with_cache(|cache| {
            cache
                .get(&digest(presented))
                .filter(|entry| auth.fresh(entry, now))
                .map(|entry| entry.principal.clone())
        })
    }

    /// Verifies a presented key against storage (and argon2 when it was not verified
    /// before), then caches the result.
    ///
    /// # Errors
    /// `Unauthenticated` alike for malformed, unknown, revoked, expired and wrong keys.
    pub fn authenticate(&self, presented: &str) -> Result<Principal, AppError> {
        let parts = PresentedKey::parse(presented).ok_or(AppError::Unauthenticated)?;
        let now = self.ports.clock.now();
        let key_digest = digest(presented);
        let stored = self.ports.keys.credentials(parts.prefix)?;
        let usable = stored.filter(|credentials| credentials.key.is_usable(now));
        let Some(KeyCredentials { key, secret_hash }) = usable else {
            self.authenticator
                .with_cache(|cache| cache.remove(&key_digest));
            return Err(AppError::Unauthenticated);
        };
        let verified = || {
            self.authenticator.with_cache(|cache| {
                cache
                    .get(&key_digest)
                    .is_some_and(|entry| entry.secret_hash == secret_hash)
            })
        };
        // Held until the key is cached, so that requests with the same key queued behind
        // this one find it verified instead of running argon2 again.
        let mut _turn = None;
        if !verified() {
            let turn = _turn.insert(self.authenticator.hasher.turn());
            if !verified() && !turn.matches(parts.secret, &secret_hash) {
                return Err(AppError::Unauthenticated);
            }
        }
        // This path runs at most once per cache TTL per key, so neither is this write on
        // every request; the store itself writes at most once a minute.
        if let Err(error) = self.ports.keys.touch(&key.id, now) {
            tracing::warn!(error = %error, key = %key.id, "could not record the key's last use");
        }
        Ok(self.remember(key_digest, key, secret_hash, now))
    }

    fn remember(
        &self,
        key_digest: Digest32,
        key: domain::ApiKey,
        secret_hash: SecretHash,
        now: Timestamp,
    ) -> Principal {
        let principal = Principal {
            workspace_id: key.workspace_id,
            key_id: key.id,
            grant: key.grant,
        };
        let entry = CachedKey {
            principal: principal.clone(),
            secret_hash,
            expires_at: key.expires_at,
            checked_at: now,
        };
        let auth = &self.authenticator;
        auth.with_cache(|cache| {
            if cache.len() >= auth.settings.capacity {
                cache.retain(|_, entry| auth.fresh(entry, now));
            }
            if cache.len() >= auth.settings.capacity {
                cache.clear();
            }
            cache.insert(key_digest, entry);
        });
        principal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_verify() {
        let authenticator = Authenticator::new(KeyCacheSettings::default());
        let (secret, prefix, hash) = authenticator.generate_key().unwrap();
        let parsed = PresentedKey::parse(secret.expose()).unwrap();
        assert_eq!(parsed.prefix, prefix);
        let mut turn = authenticator.hasher.turn();
        assert!(turn.matches(parsed.secret, &hash));
        assert!(!turn.matches(&"0".repeat(SECRET_LEN), &hash));
        assert!(hash.0.starts_with("$argon2id$"));
    }

    #[test]
    fn malformed_keys_do_not_parse() {
        let good = format!("pik_{}_{}", "a".repeat(12), "b".repeat(32));
        assert!(PresentedKey::parse(&good).is_some());
        for bad in [
            String::new(),
            "pik_".to_owned(),
            format!("pk_{}_{}", "a".repeat(12), "b".repeat(32)),
            format!("pik_{}_{}", "A".repeat(12), "b".repeat(32)),
            format!("pik_{}_{}", "a".repeat(11), "b".repeat(32)),
            format!("pik_{}_{}_", "a".repeat(12), "b".repeat(32)),
        ] {
            assert!(PresentedKey::parse(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let authenticator = Authenticator::new(KeyCacheSettings::default());
        let (secret, _, _) = authenticator.generate_key().unwrap();
        assert!(!format!("{secret:?}").contains(&secret.expose()[4..]));
    }
}
