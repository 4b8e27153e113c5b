use std::error::Error;

use crate::IdempotencyRecord;

/// How a storage operation can fail. Each method says which variants it returns besides
/// `Unavailable` and `Unexpected`, which any may.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// Another instance of the workspace already has this slug.
    #[error("the slug is already used in this workspace")]
    SlugTaken,
    /// The record has enrollments and cannot be deleted.
    #[error("the record has enrollments")]
    HasEnrollments,
    /// The workspace has as many records of this kind as it may have.
    #[error("the limit is reached")]
    LimitReached,
    /// A record with this identity already exists.
    #[error("already exists")]
    Duplicate,
    /// The idempotency key already has a live answer: this one was not written, nor the
    /// change that went with it.
    #[error("the idempotency key was answered already")]
    KeyAnswered(IdempotencyRecord),
    /// Another request with the idempotency key is being written right now.
    #[error("the idempotency key is in use")]
    KeyBusy,
    /// The database cannot be reached or is overloaded; retrying later may succeed.
    #[error("storage unavailable")]
    Unavailable(#[source] Box<dyn Error + Send + Sync>),
    /// Anything else: a bug or a corrupt record. The source says what, for the logs only.
    #[error("unexpected storage failure")]
    Unexpected(#[source] Box<dyn Error + Send + Sync>),
}

impl StoreError {
    pub fn unexpected(error: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        StoreError::Unexpected(error.into())
    }
}
