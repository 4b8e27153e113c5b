use domain::enrollment::InvalidEnrollmentTransition;
use domain::{LifecycleError, Scope, Status, Timestamp, Violations};
use ports::{StoreError, StoredResponse};

/// Why a use case refused or failed. Translated once into a response by each inbound adapter.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid key: missing, malformed, unknown, revoked or expired, deliberately alike.
    #[error("a valid API key is required")]
    Unauthenticated,
    #[error("this key lacks the scope {0}")]
    MissingScope(Scope),
    #[error("{0}")]
    Forbidden(&'static str),
    /// A key may not mint a key that sees more than it does.
    #[error("a key cannot grant more than it holds{}", describe_scopes(.scopes))]
    GrantExceedsCaller { scopes: Vec<Scope> },
    /// Absent, or invisible to the caller: the two are never told apart.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Invalid(Violations),
    #[error(transparent)]
    Conflict(Conflict),
    /// The caller's `If-Match` names a version that is no longer current.
    #[error("the instance has changed since the version given in If-Match")]
    PreconditionFailed,
    /// The request's idempotency key was answered before (by a twin of this request that
    /// finished first): this is the answer, and nothing else was done.
    #[error("the idempotency key was answered before")]
    Replay(StoredResponse),
    #[error("this Idempotency-Key was used for a different request; use a new key")]
    IdempotencyMismatch,
    #[error("a request with this Idempotency-Key is still being processed; retry shortly")]
    IdempotencyInProgress,
    #[error("storage is unavailable")]
    Unavailable(#[source] StoreError),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

fn describe_scopes(scopes: &[Scope]) -> String {
    if scopes.is_empty() {
        ": the new key would see instances this key cannot".to_owned()
    } else {
        let names: Vec<_> = scopes.iter().map(|scope| scope.as_str()).collect();
        format!(": it lacks {}", names.join(", "))
    }
}

/// A request that contradicts the current state.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Conflict {
    #[error("the slug \"{0}\" is already used by another instance of this workspace")]
    SlugTaken(String),
    #[error("a workspace has at most {0} webhook endpoints")]
    TooManyEndpoints(usize),
    #[error("the instance is archived, which is terminal and read-only")]
    Archived,
    #[error("cannot move from {from} to {to}")]
    InvalidTransition {
        from: Status,
        to: Status,
        allowed: &'static [Status],
    },
    #[error("cannot activate: endDate {end_date} is in the past")]
    CannotActivate { end_date: Timestamp },
    #[error("the instance has enrollments; archive it instead")]
    HasEnrollments,
    #[error(
        "the program instance is not accepting enrollments (it is not active, or not within its dates)"
    )]
    NotAcceptingEnrollments,
    #[error(transparent)]
    InvalidEnrollmentTransition(InvalidEnrollmentTransition),
    #[error("{0} already exists")]
    AlreadyExists(&'static str),
    #[error("the program is public: every workspace sees it, and it has nobody to share with")]
    PublicProgram,
}

impl From<LifecycleError> for Conflict {
    fn from(error: LifecycleError) -> Self {
        match error {
            LifecycleError::Archived => Conflict::Archived,
            LifecycleError::InvalidTransition { from, to, allowed } => {
                Conflict::InvalidTransition { from, to, allowed }
            }
            LifecycleError::CannotActivate { end_date } => Conflict::CannotActivate { end_date },
        }
    }
}

impl From<StoreError> for AppError {
    /// The translation for failures a use case does not expect; expected ones (such as
    /// `SlugTaken` on insert) are matched where they can happen.
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(_) => AppError::Unavailable(error),
            other => AppError::Internal(Box::new(other)),
        }
    }
}

impl AppError {
    /// Logs a failure an operator must see (a fault, storage unavailable) with all its
    /// causes; refusals of a request are the caller's business and are not logged here.
    /// Every inbound adapter logs through this, once per failed request.
    pub fn log(&self) {
        match self {
            AppError::Internal(source) => {
                tracing::error!(error = %error_chain(source.as_ref()), "request failed");
            }
            AppError::Unavailable(source) => {
                tracing::warn!(error = %error_chain(source), "storage unavailable");
            }
            _ => {}
        }
    }
}

/// An error and all its causes on one line, for a log or a terminal.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    std::iter::successors(Some(error), |error| error.source())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}
