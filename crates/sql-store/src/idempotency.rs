use diesel::prelude::*;
use domain::{Timestamp, WorkspaceId};
use ports::{IdempotencyClaim, IdempotencyStore, StoreError, StoredResponse};
use time::Duration;

use crate::column_types::{At, JsonText};
use crate::connection::{Backend, SqlStore, on_engine};
use crate::rows::{corrupt, read_json};
use crate::schema::idempotency_records as records;

type RecordRow = (String, Option<i32>, Option<String>, Option<JsonText>);

fn before(now: Timestamp, duration: Duration) -> Result<At, StoreError> {
    now.checked_add(-duration)
        .map(At)
        .ok_or_else(|| corrupt("instant", now))
}

impl<B: Backend> IdempotencyStore for SqlStore<B> {
    fn claim(
        &self,
        workspace: &WorkspaceId,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        lease: Duration,
        retention: Duration,
    ) -> Result<IdempotencyClaim, StoreError> {
        let expired = records::created_at.lt(before(now, retention)?);
        let abandoned = records::response_status
            .is_null()
            .and(records::created_at.lt(before(now, lease)?));
        let this = records::table
            .filter(records::workspace_id.eq(workspace.as_str()))
            .filter(records::key.eq(key));
        let (inserted, existing) = self.write_statements(|conn| {
            diesel::delete(this.filter(expired.or(abandoned))).execute(conn)?;
            let claim = diesel::insert_into(records::table)
                .values((
                    records::workspace_id.eq(workspace.as_str()),
                    records::key.eq(key),
                    records::fingerprint.eq(fingerprint),
                    records::created_at.eq(At(now)),
                ))
                .on_conflict_do_nothing();
            let inserted = on_engine!(conn, |engine| claim.execute(engine))?;
            if inserted == 1 {
                return Ok((true, None));
            }
            let existing: Option<RecordRow> = this
                .select((
                    records::fingerprint,
                    records::response_status,
                    records::response_body,
                    records::response_headers,
                ))
                .first(conn)
                .optional()?;
            Ok((false, existing))
        })?;
        if inserted {
            return Ok(IdempotencyClaim::Claimed);
        }
        // Gone between the insert and the read (released meanwhile): the client retries.
        let Some((stored_fingerprint, status, body, headers)) = existing else {
            return Ok(IdempotencyClaim::InProgress);
        };
        if stored_fingerprint != fingerprint {
            return Ok(IdempotencyClaim::Mismatch);
        }
        let (Some(status), Some(body)) = (status, body) else {
            return Ok(IdempotencyClaim::InProgress);
        };
        let what = "idempotency record";
        Ok(IdempotencyClaim::Replay(StoredResponse {
            status: u16::try_from(status).map_err(|error| corrupt(what, error))?,
            body,
            headers: match headers {
                Some(headers) => read_json(what, &headers)?,
                None => Vec::new(),
            },
        }))
    }

    fn complete(
        &self,
        workspace: &WorkspaceId,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        let headers = JsonText::of(&response.headers)?;
        self.write_statements(|conn| {
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
            .execute(conn)?;
            Ok(())
        })
    }

    fn release(&self, workspace: &WorkspaceId, key: &str) -> Result<(), StoreError> {
        self.write_statements(|conn| {
            diesel::delete(
                records::table
                    .filter(records::workspace_id.eq(workspace.as_str()))
                    .filter(records::key.eq(key)),
            )
            .execute(conn)?;
            Ok(())
        })
    }
}
