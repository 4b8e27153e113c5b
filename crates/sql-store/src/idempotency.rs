//! Idempotency answers: read before a request runs, written in the transaction of the change
//! they answer.

use diesel::prelude::*;
use domain::{Timestamp, WorkspaceId};
use ports::{IdempotencyRecord, IdempotencyStore, IdempotentAnswer, StoreError, StoredResponse};

use crate::column_types::{At, JsonText};
use crate::connection::{AnyConnection, TxError};
use crate::rows::{corrupt, read_json};
use crate::schema::idempotency_records as records;
use crate::store::{Backend, SqlStore};

/// A kept answer's columns. Status and body are null only in rows of an earlier design
/// (claims never completed), which count as no answer.
type AnswerRow = (String, Option<i32>, Option<String>, Option<JsonText>, At);

fn record_of(
    (fingerprint, status, body, headers, _): AnswerRow,
) -> Result<Option<IdempotencyRecord>, StoreError> {
    let (Some(status), Some(body)) = (status, body) else {
        return Ok(None);
    };
    let what = "idempotency record";
    Ok(Some(IdempotencyRecord {
        fingerprint,
        response: StoredResponse {
            status: u16::try_from(status).map_err(|error| corrupt(what, error))?,
            body,
            headers: match headers {
                Some(headers) => read_json(what, &headers)?,
                None => Vec::new(),
            },
        },
    }))
}

fn answer_row(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    key: &str,
) -> QueryResult<Option<AnswerRow>> {
    records::table
        .filter(records::workspace_id.eq(workspace.as_str()))
        .filter(records::key.eq(key))
        .select((
            records::fingerprint,
            records::response_status,
            records::response_body,
            records::response_headers,
            records::created_at,
        ))
        .first(conn)
        .optional()
}

/// Inside a write transaction: takes the key, makes sure it has no live answer, and writes
/// this one. The change it answers is written in the same transaction, after this.
pub(crate) fn keep<B: Backend>(
    backend: &B,
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    answer: &IdempotentAnswer,
) -> Result<(), TxError> {
    if !backend.take_idempotency_key(conn, &format!("{workspace}\n{}", answer.key))? {
        return Err(TxError::Store(StoreError::KeyBusy));
    }
    if let Some(row) = answer_row(conn, workspace, &answer.key)? {
        let kept_at = row.4;
        if kept_at >= At(answer.replaces_before)
            && let Some(record) = record_of(row)?
        {
            return Err(TxError::Store(StoreError::KeyAnswered(record)));
        }
        diesel::delete(
            records::table
                .filter(records::workspace_id.eq(workspace.as_str()))
                .filter(records::key.eq(&answer.key)),
        )
        .execute(conn)?;
    }
    let response = &answer.record.response;
    diesel::insert_into(records::table)
        .values((
            records::workspace_id.eq(workspace.as_str()),
            records::key.eq(&answer.key),
            records::fingerprint.eq(&answer.record.fingerprint),
            records::response_status.eq(i32::from(response.status)),
            records::response_body.eq(&response.body),
            records::response_headers.eq(JsonText::of(&response.headers)?),
            records::created_at.eq(At(answer.answered_at)),
        ))
        .execute(conn)?;
    Ok(())
}

impl<B: Backend> IdempotencyStore for SqlStore<B> {
    fn answer(
        &self,
        workspace: &WorkspaceId,
        key: &str,
        not_before: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        match self.read(|conn| answer_row(conn, workspace, key))? {
            Some(row) if row.4 >= At(not_before) => record_of(row),
            _ => Ok(None),
        }
    }

    fn keep_answer(
        &self,
        workspace: &WorkspaceId,
        answer: &IdempotentAnswer,
    ) -> Result<(), StoreError> {
        self.write(|conn| keep(&self.backend, conn, workspace, answer))
    }
}
