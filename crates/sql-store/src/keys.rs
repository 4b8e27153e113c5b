use diesel::prelude::*;
use domain::{ApiKey, ApiKeyId, Timestamp, WorkspaceId};
use ports::{IdempotentAnswer, KeyCredentials, KeyStore, Page, SecretHash, StoreError};
use time::Duration;

use crate::column_types::At;
use crate::connection::{AnyConnection, TxError};
use crate::idempotency::keep;
use crate::paging::{page_of, rows_to_fetch};
use crate::rows::{KeyRow, NewKeyRow, corrupt};
use crate::schema::api_keys;
use crate::store::{Backend, SqlStore};

/// How stale a key's recorded last use may get before a use writes it again.
const LAST_USE_GRANULARITY: Duration = Duration::minutes(1);

impl<B: Backend> KeyStore for SqlStore<B> {
    fn insert(
        &self,
        key: &ApiKey,
        secret_hash: &SecretHash,
        answer: Option<&IdempotentAnswer>,
    ) -> Result<(), StoreError> {
        let row = NewKeyRow::new(key, &secret_hash.0);
        let insert = |conn: &mut AnyConnection| -> Result<(), TxError> {
            diesel::insert_into(api_keys::table)
                .values(&row)
                .execute(conn)?;
            Ok(())
        };
        match answer {
            None => self.write_statement(insert),
            Some(answer) => self.write(|conn| {
                keep(&self.backend, conn, &key.workspace_id, answer)?;
                insert(conn)
            }),
        }
    }

    fn find(&self, workspace: &WorkspaceId, id: &ApiKeyId) -> Result<Option<ApiKey>, StoreError> {
        self.read(|conn| {
            api_keys::table
                .filter(api_keys::workspace_id.eq(workspace.as_str()))
                .filter(api_keys::id.eq(id.as_str()))
                .select(KeyRow::as_select())
                .first(conn)
                .optional()
        })?
        .map(KeyRow::into_domain)
        .transpose()
    }

    fn credentials(&self, prefix: &str) -> Result<Option<KeyCredentials>, StoreError> {
        let found = self.read(|conn| {
            api_keys::table
                .filter(api_keys::prefix.eq(prefix))
                .select((KeyRow::as_select(), api_keys::secret_hash))
                .first::<(KeyRow, String)>(conn)
                .optional()
        })?;
        found
            .map(|(row, hash)| {
                Ok(KeyCredentials {
                    key: row.into_domain()?,
                    secret_hash: SecretHash(hash),
                })
            })
            .transpose()
    }

    fn revoke(
        &self,
        workspace: Option<&WorkspaceId>,
        id: &ApiKeyId,
        at: Timestamp,
    ) -> Result<ApiKey, StoreError> {
        let row = self.write(|conn| {
            let mut target = api_keys::table
                .filter(api_keys::id.eq(id.as_str()))
                .into_boxed();
            if let Some(workspace) = workspace {
                target = target.filter(api_keys::workspace_id.eq(workspace.as_str()));
            }
            let found: Option<String> = target.select(api_keys::id).first(conn).optional()?;
            if found.is_none() {
                return Err(TxError::Store(StoreError::NotFound));
            }
            let this = api_keys::table.filter(api_keys::id.eq(id.as_str()));
            diesel::update(this.filter(api_keys::revoked_at.is_null()))
                .set(api_keys::revoked_at.eq(At(at)))
                .execute(conn)?;
            Ok(this.select(KeyRow::as_select()).first(conn)?)
        })?;
        row.into_domain()
    }

    fn touch(&self, id: &ApiKeyId, at: Timestamp) -> Result<(), StoreError> {
        let stale_before = at
            .checked_add(-LAST_USE_GRANULARITY)
            .ok_or_else(|| corrupt("instant", at))?;
        let stale = api_keys::last_used_at
            .is_null()
            .or(api_keys::last_used_at.lt(At(stale_before)));
        self.write_statement(|conn| {
            diesel::update(
                api_keys::table
                    .filter(api_keys::id.eq(id.as_str()))
                    .filter(stale),
            )
            .set(api_keys::last_used_at.eq(At(at)))
            .execute(conn)?;
            Ok(())
        })
    }

    fn list(
        &self,
        workspace: &WorkspaceId,
        after: Option<&ApiKeyId>,
        limit: usize,
    ) -> Result<Page<ApiKey>, StoreError> {
        let rows = self.read(|conn| {
            let mut query = api_keys::table
                .filter(api_keys::workspace_id.eq(workspace.as_str()))
                .select(KeyRow::as_select())
                .into_boxed();
            if let Some(after) = after {
                let anchor = api_keys::table
                    .filter(api_keys::workspace_id.eq(workspace.as_str()))
                    .filter(api_keys::id.eq(after.as_str()))
                    .select((api_keys::created_at, api_keys::id))
                    .first::<(At, String)>(conn)
                    .optional()?;
                let Some((created_at, id)) = anchor else {
                    return Ok(Vec::new());
                };
                query = query
                    .filter(api_keys::created_at.le(created_at))
                    .filter(api_keys::created_at.lt(created_at).or(api_keys::id.lt(id)));
            }
            query
                .order((api_keys::created_at.desc(), api_keys::id.desc()))
                .limit(rows_to_fetch(limit))
                .load::<KeyRow>(conn)
        })?;
        let keys = rows
            .into_iter()
            .map(KeyRow::into_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page_of(keys, limit))
    }
}
