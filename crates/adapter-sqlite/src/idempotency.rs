use diesel::prelude::*;
use domain::{Timestamp, WorkspaceId};
use ports::{IdempotencyClaim, IdempotencyStore, StoreError, StoredResponse};
use time::Duration;

use crate::SqliteStore;
use ports::records::corrupt;

use crate::failure::translate;
use crate::schema::idempotency_records as records;

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.whole_microseconds()).unwrap_or(i64::MAX)
}

type RecordRow = (String, Option<i32>, Option<String>, Option<String>);

impl IdempotencyStore for SqliteStore {
    fn claim(
        &self,
        workspace: &WorkspaceId,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        lease: Duration,
        retention: Duration,
    ) -> Result<IdempotencyClaim, StoreError> {
        let now = now.unix_micros();
        let mut conn = self.writer()?;
        let this = records::table
            .filter(records::workspace_id.eq(workspace.as_str()))
            .filter(records::key.eq(key));
        let expired = records::created_at.lt(now - micros(retention));
        let abandoned = records::response_status
            .is_null()
            .and(records::created_at.lt(now - micros(lease)));
        diesel::delete(this.filter(expired.or(abandoned)))
            .execute(&mut *conn)
            .map_err(translate)?;
        let inserted = diesel::insert_into(records::table)
            .values((
                records::workspace_id.eq(workspace.as_str()),
                records::key.eq(key),
                records::fingerprint.eq(fingerprint),
                records::created_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(&mut *conn)
            .map_err(translate)?;
        if inserted == 1 {
            return Ok(IdempotencyClaim::Claimed);
        }
        let existing: Option<RecordRow> = this
            .select((
                records::fingerprint,
                records::response_status,
                records::response_body,
                records::response_headers,
            ))
            .first(&mut *conn)
            .optional()
            .map_err(translate)?;
        // Gone between the insert and the read (released meanwhile): the client retries.
        let Some((stored_fingerprint, status, body, headers)) = existing else {
            return Ok(IdempotencyClaim::InProgress);
        };
        if stored_fingerprint != fingerprint {
            return Ok(IdempotencyClaim::Mismatch);
        }
        match (status, body) {
            (Some(status), Some(body)) => {
                let status = u16::try_from(status).map_err(|e| corrupt("idempotency record", e))?;
                let headers: Vec<(String, String)> = headers
                    .map(|text| serde_json::from_str(&text))
                    .transpose()
                    .map_err(|e| corrupt("idempotency record", e))?
                    .unwrap_or_default();
                Ok(IdempotencyClaim::Replay(StoredResponse {
                    status,
                    body,
                    headers,
                }))
            }
            _ => Ok(IdempotencyClaim::InProgress),
        }
    }

    fn complete(
        &self,
        workspace: &WorkspaceId,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        let headers = serde_json::to_string(&response.headers).map_err(StoreError::unexpected)?;
        diesel::update(
            records::table
                .filter(records::workspace_id.eq(workspace.as_str()))
                .filter(records::key.eq(key)),
        )
        .set((
            records::response_status.eq(i32::from(response.status)),
            records::response_body.eq(&response.body),
            records::response_headers.eq(headers),
        ))
        .execute(&mut *conn)
        .map(|_| ())
        .map_err(translate)
    }

    fn release(&self, workspace: &WorkspaceId, key: &str) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        diesel::delete(
            records::table
                .filter(records::workspace_id.eq(workspace.as_str()))
                .filter(records::key.eq(key)),
        )
        .execute(&mut *conn)
        .map(|_| ())
        .map_err(translate)
    }
}
