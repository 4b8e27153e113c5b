//! The one place where SQLite errors become port errors.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use ports::StoreError;

pub(crate) fn translate(error: DieselError) -> StoreError {
    match error {
        DieselError::NotFound => StoreError::NotFound,
        // SQLite names the columns, not the constraint: "UNIQUE constraint failed: t.a, t.b".
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, ref info) => {
            if info
                .message()
                .contains("program_instances.workspace_id, program_instances.slug")
            {
                StoreError::SlugTaken
            } else {
                StoreError::Duplicate
            }
        }
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            StoreError::NotFound
        }
        DieselError::DatabaseError(_, ref info)
            if info.message().contains("database is locked") || info.message().contains("busy") =>
        {
            StoreError::Unavailable(Box::new(error))
        }
        other => StoreError::unexpected(other),
    }
}

pub(crate) fn pool_unavailable(error: diesel::r2d2::PoolError) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}

/// The error of a transaction body: a database failure, or a port error decided inside.
#[derive(Debug)]
pub(crate) enum TxError {
    Database(DieselError),
    Store(StoreError),
}

impl From<DieselError> for TxError {
    fn from(error: DieselError) -> Self {
        TxError::Database(error)
    }
}

impl From<TxError> for StoreError {
    fn from(error: TxError) -> Self {
        match error {
            TxError::Database(error) => translate(error),
            TxError::Store(error) => error,
        }
    }
}
