//! argon2id for key secrets, in one reusable block of memory.
//!
//! A hash needs 19 MiB. Allocated afresh for each, on whichever thread runs it, the blocks
//! stayed in that thread's allocator arena: a process that had verified keys on a few threads
//! kept three times the memory it needed (67 MiB peak under the benchmark, 19 MiB of it per
//! arena). Hashing runs one at a time anyway (each needs most of a core), so one block,
//! behind the lock that takes the turns, is enough.

use std::sync::{Mutex, MutexGuard};

use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use ports::SecretHash;

/// argon2 failed where it cannot fail for well-formed parameters; carried as a source.
#[derive(Debug, thiserror::Error)]
#[error("hashing a new key failed: {0}")]
pub(crate) struct HashingFailed(argon2::password_hash::Error);

impl From<argon2::password_hash::Error> for HashingFailed {
    fn from(error: argon2::password_hash::Error) -> Self {
        Self(error)
    }
}

/// The turn to hash, and the memory the turn holder hashes in.
#[derive(Debug, Default)]
pub(crate) struct Hasher {
    memory: Mutex<Vec<Block>>,
}

/// A turn to hash, held while the caller works with the result.
pub(crate) struct Turn<'a>(MutexGuard<'a, Vec<Block>>);

impl Hasher {
    /// Waits for the turn: one hash at a time.
    pub(crate) fn turn(&self) -> Turn<'_> {
        // A panic while holding the memory cannot leave it inconsistent: it is overwritten.
        Turn(
            self.memory
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }
}

impl Turn<'_> {
    fn compute(
        &mut self,
        argon2: &Argon2<'_>,
        secret: &str,
        salt: Salt<'_>,
        len: usize,
    ) -> argon2::password_hash::Result<Output> {
        let mut salt_bytes = [0u8; 64];
        let salt = salt.decode_b64(&mut salt_bytes)?;
        self.0
            .resize(argon2.params().block_count(), Block::default());
        Output::init_with(len, |out| {
            Ok(argon2.hash_password_into_with_memory(
                secret.as_bytes(),
                salt,
                out,
                &mut self.0[..],
            )?)
        })
    }

    /// The PHC string of the argon2id hash of `secret` with `salt`, default parameters.
    pub(crate) fn hash(
        &mut self,
        secret: &str,
        salt: &SaltString,
    ) -> Result<SecretHash, HashingFailed> {
        let argon2 = Argon2::default();
        let output = self
            .compute(&argon2, secret, salt.as_salt(), Params::DEFAULT_OUTPUT_LEN)
            .map_err(HashingFailed)?;
        let phc = PasswordHash {
            algorithm: Algorithm::default().ident(),
            version: Some(Version::default().into()),
            params: ParamsString::try_from(argon2.params()).map_err(HashingFailed)?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(SecretHash(phc.to_string()))
    }

    /// Whether `secret` hashes to the stored PHC string, with the parameters it names; the
    /// comparison takes constant time.
    pub(crate) fn matches(&mut self, secret: &str, stored: &SecretHash) -> bool {
        let Ok(phc) = PasswordHash::new(&stored.0) else {
            return false;
        };
        let (Some(expected), Some(salt)) = (phc.hash, phc.salt) else {
            return false;
        };
        let algorithm = Algorithm::try_from(phc.algorithm);
        let version = phc.version.map(Version::try_from).transpose();
        let params = Params::try_from(&phc);
        let (Ok(algorithm), Ok(version), Ok(params)) = (algorithm, version, params) else {
            return false;
        };
        let argon2 = Argon2::new(algorithm, version.unwrap_or_default(), params);
        self.compute(&argon2, secret, salt, expected.len())
            .is_ok_and(|output| output == expected)
    }
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    use super::*;

    #[test]
    fn hashes_are_standard_phc_strings_both_ways() {
        let hasher = Hasher::default();
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        let ours = hasher.turn().hash("the secret", &salt).unwrap();
        let theirs = Argon2::default()
            .hash_password(b"the secret", &salt)
            .unwrap()
            .to_string();
        assert_eq!(ours.0, theirs);
        let phc = PasswordHash::new(&ours.0).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"the secret", &phc)
                .is_ok()
        );
        assert!(hasher.turn().matches("the secret", &SecretHash(theirs)));
        assert!(!hasher.turn().matches("another secret", &ours));
        assert!(
            !hasher
                .turn()
                .matches("the secret", &SecretHash("garbage".into()))
        );
    }
}
