//! API key management: minting, listing and revoking keys, by the operator (trusted) or by a
//! key with `apiKeys:manage`, which can never hand out or touch more than it can see itself.

use domain::{ApiKey, ApiKeyId, Grant, Scope, Timestamp, Violation, Violations, WorkspaceId};
use ports::{Page, StoreError};

use crate::idempotency::answered;
use crate::{ApiKeySecret, AppError, Application, Conflict, Idempotent, Principal};

/// A key to mint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRequest {
    pub workspace_id: WorkspaceId,
    pub name: Option<String>,
    pub grant: Grant,
    pub expires_at: Option<Timestamp>,
}

/// How many fresh prefixes to try when one collides with an existing key's.
const PREFIX_ATTEMPTS: usize = 3;

impl Application {
    /// Mints a key (trusted: the operator's command line); the secret is returned here and
    /// never again.
    pub fn create_key(&self, request: KeyRequest) -> Result<(ApiKey, ApiKeySecret), AppError> {
        self.mint_key(request, None)
    }

    fn mint_key(
        &self,
        request: KeyRequest,
        idempotent: Option<Idempotent<'_, ApiKey>>,
    ) -> Result<(ApiKey, ApiKeySecret), AppError> {
        let now = self.ports.clock.now();
        if request.expires_at.is_some_and(|expiry| expiry <= now) {
            let violation = Violation::new(
                "/expiresAt",
                "in_the_past",
                "expiresAt must be in the future",
            );
            return Err(AppError::Invalid(violation.into()));
        }
        let id = ApiKeyId::parse(&self.ports.ids.new_id())
            .map_err(|error| AppError::Internal(Box::new(error)))?;
        for _ in 0..PREFIX_ATTEMPTS {
            let (secret, prefix, secret_hash) = self.authenticator.generate_key()?;
            let key = ApiKey {
                id: id.clone(),
                workspace_id: request.workspace_id.clone(),
                name: request.name.clone(),
                prefix,
                grant: request.grant.clone(),
                expires_at: request.expires_at,
                revoked_at: None,
                created_at: now,
                last_used_at: None,
            };
            // What a replay shows: the record, never the secret (which is not kept).
            let answer = self.answer_of(idempotent, &key)?;
            match self.ports.keys.insert(&key, &secret_hash, answer.as_ref()) {
                Ok(()) => return Ok((key, secret)),
                Err(StoreError::Duplicate) => continue,
                Err(StoreError::NotFound) => return Err(AppError::NotFound("workspace")),
                Err(other) => {
                    return Err(match idempotent {
                        Some(idempotent) => answered(idempotent.key, other),
                        None => other.into(),
                    });
                }
            }
        }
        Err(AppError::Conflict(Conflict::AlreadyExists("key")))
    }

    /// Mints a key for the caller's workspace that sees no more than the caller: its scopes
    /// are a subset of the caller's, and a restricted caller can only mint keys restricted
    /// to (some of) its own instances, which must exist.
    pub fn create_key_as(
        &self,
        who: &Principal,
        name: Option<String>,
        grant: Grant,
        expires_at: Option<Timestamp>,
        idempotent: Option<Idempotent<'_, ApiKey>>,
    ) -> Result<(ApiKey, ApiKeySecret), AppError> {
        who.require(Scope::ApiKeysManage)?;
        if !who.grant.covers(&grant) {
            let scopes = grant
                .scopes()
                .iter()
                .filter(|scope| !who.grant.allows(*scope))
                .collect();
            return Err(AppError::GrantExceedsCaller { scopes });
        }
        if let Some(instances) = grant.instances() {
            let mut violations = Violations::new();
            for (index, id) in instances.iter().enumerate() {
                if self.ports.instances.get(&who.workspace_id, id)?.is_none() {
                    violations.push(Violation::new(
                        format!("/instances/{index}"),
                        "unknown_instance",
                        format!("{id} is not a program instance of this workspace"),
                    ));
                }
            }
            violations.into_result(()).map_err(AppError::Invalid)?;
        }
        self.mint_key(
            KeyRequest {
                workspace_id: who.workspace_id.clone(),
                name,
                grant,
                expires_at,
            },
            idempotent,
        )
    }

    /// The keys of the caller's workspace that the caller covers, newest first. A page may
    /// hold fewer than `limit` keys when the caller cannot see some.
    pub fn list_keys(
        &self,
        who: &Principal,
        after: Option<ApiKeyId>,
        limit: usize,
    ) -> Result<Page<ApiKey>, AppError> {
        who.require(Scope::ApiKeysManage)?;
        let limit = limit.max(1);
        let mut visible = Vec::new();
        let mut cursor = after;
        loop {
            let page = self
                .ports
                .keys
                .list(&who.workspace_id, cursor.as_ref(), limit)?;
            let examined = page.items.len();
            for (index, key) in page.items.into_iter().enumerate() {
                cursor = Some(key.id.clone());
                if who.grant.covers(&key.grant) {
                    visible.push(key);
                }
                if visible.len() == limit {
                    let has_more = page.has_more || index + 1 < examined;
                    return Ok(Page {
                        items: visible,
                        has_more,
                    });
                }
            }
            if !page.has_more {
                return Ok(Page {
                    items: visible,
                    has_more: false,
                });
            }
        }
    }

    /// Revokes a key of the caller's workspace that the caller covers; others are "not
    /// found". Revoking twice is harmless.
    pub fn revoke_key_as(&self, who: &Principal, id: &ApiKeyId) -> Result<ApiKey, AppError> {
        who.require(Scope::ApiKeysManage)?;
        let not_found = || AppError::NotFound("key");
        let key = self
            .ports
            .keys
            .find(&who.workspace_id, id)?
            .ok_or_else(not_found)?;
        if !who.grant.covers(&key.grant) {
            return Err(not_found());
        }
        self.revoke_key(Some(&who.workspace_id), id)
    }

    /// Revokes a key: at once in this process, within the key cache's TTL elsewhere.
    pub fn revoke_key(
        &self,
        workspace: Option<&WorkspaceId>,
        id: &ApiKeyId,
    ) -> Result<ApiKey, AppError> {
        let revoked = match self
            .ports
            .keys
            .revoke(workspace, id, self.ports.clock.now())
        {
            Ok(key) => key,
            Err(StoreError::NotFound) => return Err(AppError::NotFound("key")),
            Err(other) => return Err(other.into()),
        };
        self.authenticator.forget(id);
        Ok(revoked)
    }
}
