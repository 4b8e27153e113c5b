use diesel::prelude::*;
use domain::{ApiKeyId, Timestamp, WorkspaceId};
use ports::{KeyStore, NewKey, Page, StoreError, StoredKey};

use crate::SqliteStore;
use crate::failure::translate;
use crate::rows::KeyRow;
use crate::schema::api_keys;

const MINUTE_IN_MICROS: i64 = 60_000_000;

impl KeyStore for SqliteStore {
    fn insert(&self, key: &NewKey) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        diesel::insert_into(api_keys::table)
            .values(KeyRow::from_domain(key))
            .execute(&mut *conn)
            .map(|_| ())
            .map_err(translate)
    }

    fn find(
        &self,
        workspace: &WorkspaceId,
        id: &ApiKeyId,
    ) -> Result<Option<StoredKey>, StoreError> {
        let mut conn = self.conn()?;
        api_keys::table
            .filter(api_keys::workspace_id.eq(workspace.as_str()))
            .filter(api_keys::id.eq(id.as_str()))
            .select(KeyRow::as_select())
            .first(&mut *conn)
            .optional()
            .map_err(translate)?
            .map(KeyRow::into_domain)
            .transpose()
    }

    fn find_by_prefix(&self, prefix: &str) -> Result<Option<StoredKey>, StoreError> {
        let mut conn = self.conn()?;
        api_keys::table
            .filter(api_keys::prefix.eq(prefix))
            .select(KeyRow::as_select())
            .first(&mut *conn)
            .optional()
            .map_err(translate)?
            .map(KeyRow::into_domain)
            .transpose()
    }

    fn revoke(
        &self,
        workspace: Option<&WorkspaceId>,
        id: &ApiKeyId,
        at: Timestamp,
    ) -> Result<StoredKey, StoreError> {
        let mut conn = self.writer()?;
        let mut target = api_keys::table
            .filter(api_keys::id.eq(id.as_str()))
            .into_boxed();
        if let Some(workspace) = workspace {
            target = target.filter(api_keys::workspace_id.eq(workspace.as_str()));
        }
        let matching: Vec<String> = target
            .select(api_keys::id)
            .load(&mut *conn)
            .map_err(translate)?;
        if matching.is_empty() {
            return Err(StoreError::NotFound);
        }
        let this = api_keys::table.filter(api_keys::id.eq(id.as_str()));
        diesel::update(this.filter(api_keys::revoked_at.is_null()))
            .set(api_keys::revoked_at.eq(at.unix_micros()))
            .execute(&mut *conn)
            .map_err(translate)?;
        this.select(KeyRow::as_select())
            .first(&mut *conn)
            .map_err(translate)?
            .into_domain()
    }

    fn touch(&self, id: &ApiKeyId, at: Timestamp) -> Result<(), StoreError> {
        let at = at.unix_micros();
        let stale = api_keys::last_used_at
            .is_null()
            .or(api_keys::last_used_at.lt(at - MINUTE_IN_MICROS));
        let mut conn = self.writer()?;
        diesel::update(
            api_keys::table
                .filter(api_keys::id.eq(id.as_str()))
                .filter(stale),
        )
        .set(api_keys::last_used_at.eq(at))
        .execute(&mut *conn)
        .map(|_| ())
        .map_err(translate)
    }

    fn list(
        &self,
        workspace: &WorkspaceId,
        after: Option<&ApiKeyId>,
        limit: usize,
    ) -> Result<Page<StoredKey>, StoreError> {
        let mut conn = self.conn()?;
        let mut query = api_keys::table
            .filter(api_keys::workspace_id.eq(workspace.as_str()))
            .select(KeyRow::as_select())
            .into_boxed();
        if let Some(after) = after {
            let anchor = api_keys::table
                .filter(api_keys::workspace_id.eq(workspace.as_str()))
                .filter(api_keys::id.eq(after.as_str()))
                .select((api_keys::created_at, api_keys::id))
                .first::<(i64, String)>(&mut *conn)
                .optional()
                .map_err(translate)?;
            let Some((created_at, id)) = anchor else {
                return Ok(Page {
                    items: Vec::new(),
                    has_more: false,
                });
            };
            query = query.filter(
                api_keys::created_at
                    .lt(created_at)
                    .or(api_keys::created_at.eq(created_at).and(api_keys::id.lt(id))),
            );
        }
        let rows = query
            .order((api_keys::created_at.desc(), api_keys::id.desc()))
            .limit(ports::rows_to_fetch(limit))
            .load::<KeyRow>(&mut *conn)
            .map_err(translate)?;
        let keys = rows
            .into_iter()
            .map(KeyRow::into_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(keys, limit))
    }
}
