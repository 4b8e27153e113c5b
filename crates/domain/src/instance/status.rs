//! The instance lifecycle: `active` ⇄ `inactive`, either → `archived`, and `archived` is
//! terminal.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::timestamp::Timestamp;
use crate::violation::Rule;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Inactive,
    Archived,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of active, inactive, archived")]
pub struct UnknownStatus;

impl Rule for UnknownStatus {
    fn code(&self) -> &'static str {
        "invalid_value"
    }
}

/// Why a status change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("the instance is archived, which is terminal and read-only")]
    Archived,
    #[error("cannot move from {from} to {to}")]
    InvalidTransition {
        from: Status,
        to: Status,
        allowed: &'static [Status],
    },
    #[error("cannot activate: the instance's endDate {end_date} is in the past")]
    CannotActivate { end_date: Timestamp },
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Active, Status::Inactive, Status::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Inactive => "inactive",
            Status::Archived => "archived",
        }
    }

    /// The statuses this one may move to.
    pub fn allowed_targets(self) -> &'static [Status] {
        match self {
            Status::Active => &[Status::Inactive, Status::Archived],
            Status::Inactive => &[Status::Active, Status::Archived],
            Status::Archived => &[],
        }
    }

    /// Decides a move to `target` for an instance whose schedule ends at `end_date`.
    /// `Ok(None)` when the status is already `target` (a no-op), `Ok(Some(target))` when the
    /// move happens.
    pub fn transition(
        self,
        target: Status,
        end_date: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Option<Status>, LifecycleError> {
        if self == Status::Archived {
            return Err(LifecycleError::Archived);
        }
        if self == target {
            return Ok(None);
        }
        if !self.allowed_targets().contains(&target) {
            return Err(LifecycleError::InvalidTransition {
                from: self,
                to: target,
                allowed: self.allowed_targets(),
            });
        }
        match end_date {
            Some(end_date) if target == Status::Active && end_date < now => {
                Err(LifecycleError::CannotActivate { end_date })
            }
            _ => Ok(Some(target)),
        }
    }
}

impl FromStr for Status {
    type Err = UnknownStatus;
    fn from_str(text: &str) -> Result<Self, UnknownStatus> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or(UnknownStatus)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;
    use proptest::prelude::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    const NOW: &str = "2026-06-01T00:00:00Z";

    #[test]
    fn active_and_inactive_toggle() {
        assert_eq!(
            Active.transition(Inactive, None, at(NOW)),
            Ok(Some(Inactive))
        );
        assert_eq!(Inactive.transition(Active, None, at(NOW)), Ok(Some(Active)));
    }

    #[test]
    fn both_live_statuses_can_archive() {
        assert_eq!(
            Active.transition(Archived, None, at(NOW)),
            Ok(Some(Archived))
        );
        assert_eq!(
            Inactive.transition(Archived, None, at(NOW)),
            Ok(Some(Archived))
        );
    }

    #[test]
    fn archived_is_terminal_even_for_itself() {
        for target in Status::ALL {
            assert_eq!(
                Archived.transition(target, None, at(NOW)),
                Err(LifecycleError::Archived)
            );
        }
    }

    #[test]
    fn same_status_is_a_no_op() {
        assert_eq!(
            Active.transition(Active, Some(at("2020-01-01T00:00:00Z")), at(NOW)),
            Ok(None)
        );
        assert_eq!(Inactive.transition(Inactive, None, at(NOW)), Ok(None));
    }

    #[test]
    fn activation_after_the_end_is_refused() {
        let ended = at("2026-05-31T23:59:59Z");
        assert_eq!(
            Inactive.transition(Active, Some(ended), at(NOW)),
            Err(LifecycleError::CannotActivate { end_date: ended })
        );
        assert_eq!(
            Inactive.transition(Active, Some(at(NOW)), at(NOW)),
            Ok(Some(Active))
        );
        assert_eq!(
            Active.transition(Inactive, Some(ended), at(NOW)),
            Ok(Some(Inactive))
        );
    }

    #[test]
    fn statuses_parse_from_their_names_only() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        assert_eq!("Active".parse::<Status>(), Err(UnknownStatus));
        assert_eq!("deleted".parse::<Status>(), Err(UnknownStatus));
    }

    fn any_status() -> impl Strategy<Value = Status> {
        prop_oneof![Just(Active), Just(Inactive), Just(Archived)]
    }

    proptest! {
        #[test]
        fn transitions_follow_the_table(
            from in any_status(),
            to in any_status(),
            end in proptest::option::of(0i64..2_000_000),
            now in 0i64..2_000_000,
        ) {
            let end = end.and_then(Timestamp::from_unix_micros);
            let now = Timestamp::from_unix_micros(now).unwrap();
            let outcome = from.transition(to, end, now);
            match outcome {
                Ok(None) => prop_assert!(from == to && from != Archived),
                Ok(Some(target)) => {
                    prop_assert_eq!(target, to);
                    prop_assert!(from.allowed_targets().contains(&to));
                    prop_assert!(to != Active || end.is_none_or(|e| e >= now));
                }
                Err(LifecycleError::Archived) => prop_assert_eq!(from, Archived),
                Err(LifecycleError::InvalidTransition { allowed, .. }) => {
                    prop_assert!(!allowed.contains(&to));
                    prop_assert_ne!(from, to);
                }
                Err(LifecycleError::CannotActivate { end_date }) => {
                    prop_assert_eq!(to, Active);
                    prop_assert!(end_date < now);
                }
            }
        }
    }
}
