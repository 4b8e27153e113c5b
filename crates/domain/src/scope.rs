//! What a key may do: scopes, and an optional restriction to some program instances.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::ids::InstanceId;
use crate::violation::Rule;

/// Declares `Scope` with its names: one list, from which the enum, `Scope::ALL` and every
/// name are made, so that no list of scopes elsewhere (messages, the OpenAPI document, the
/// command line) is written by hand.
macro_rules! scopes {
    ($($variant:ident => $name:literal,)+) => {
        /// What a key may do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Scope {
            $($variant,)+
        }

        impl Scope {
            /// Every scope, in the order documents list them.
            pub const ALL: [Scope; [$(Scope::$variant,)+].len()] = [$(Scope::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Scope::$variant => $name,)+
                }
            }
        }
    };
}

scopes! {
    ProgramsRead => "programs:read",
    ProgramInstancesRead => "programInstances:read",
    ProgramInstancesWrite => "programInstances:write",
    EnrollmentsRead => "enrollments:read",
    EnrollmentsWrite => "enrollments:write",
    ApiKeysManage => "apiKeys:manage",
    EventsRead => "events:read",
    WebhooksManage => "webhooks:manage",
}

/// A name that is no scope; its message lists the scopes there are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScope;

impl fmt::Display for UnknownScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown scope; the scopes are ")?;
        for (n, scope) in Scope::ALL.iter().enumerate() {
            if n > 0 {
                f.write_str(", ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownScope {}

impl Rule for UnknownScope {
    fn code(&self) -> &'static str {
        "invalid_scope"
    }
}

impl Scope {
    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl FromStr for Scope {
    type Err = UnknownScope;
    fn from_str(text: &str) -> Result<Self, UnknownScope> {
        Scope::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or(UnknownScope)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A set of scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScopeSet(u8);

impl ScopeSet {
    pub fn full() -> Self {
        Scope::ALL.into_iter().collect()
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn is_subset_of(self, other: ScopeSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn is_full(self) -> bool {
        self == Self::full()
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL
            .into_iter()
            .filter(move |scope| self.contains(*scope))
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(scopes: I) -> Self {
        Self(scopes.into_iter().fold(0, |bits, scope| bits | scope.bit()))
    }
}

impl Serialize for ScopeSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// What one key is allowed: its scopes, and the instances it is restricted to, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    scopes: ScopeSet,
    instances: Option<BTreeSet<InstanceId>>,
}

impl Grant {
    pub fn new(scopes: ScopeSet, instances: Option<BTreeSet<InstanceId>>) -> Self {
        Self { scopes, instances }
    }

    pub fn full() -> Self {
        Self::new(ScopeSet::full(), None)
    }

    pub fn scopes(&self) -> ScopeSet {
        self.scopes
    }

    /// The instances this grant is limited to; `None` means every instance of the workspace.
    pub fn instances(&self) -> Option<&BTreeSet<InstanceId>> {
        self.instances.as_ref()
    }

    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(scope)
    }

    pub fn can_see(&self, instance: &InstanceId) -> bool {
        self.instances
            .as_ref()
            .is_none_or(|allowed| allowed.contains(instance))
    }

    pub fn is_restricted(&self) -> bool {
        self.instances.is_some()
    }

    /// Whether a key with `other` would see nothing this grant does not.
    pub fn covers(&self, other: &Grant) -> bool {
        let instances_covered = match (&self.instances, &other.instances) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(mine), Some(theirs)) => theirs.is_subset(mine),
        };
        other.scopes.is_subset_of(self.scopes) && instances_covered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(tail: char) -> InstanceId {
        InstanceId::parse(&format!("c{}", tail.to_string().repeat(24))).unwrap()
    }

    #[test]
    fn each_scope_round_trips_through_its_name() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse(), Ok(scope));
        }
        assert_eq!("programs:write".parse::<Scope>(), Err(UnknownScope));
    }

    #[test]
    fn scopes_are_listed_once_in_declaration_order_and_fit_a_set() {
        for (n, scope) in Scope::ALL.into_iter().enumerate() {
            assert_eq!(scope as usize, n, "{scope}");
        }
        assert!(
            Scope::ALL.len() <= 8,
            "ScopeSet keeps a scope a bit of one byte"
        );
        assert_eq!(ScopeSet::full().iter().count(), Scope::ALL.len());
    }

    #[test]
    fn the_unknown_scope_message_names_every_scope() {
        let message = UnknownScope.to_string();
        for scope in Scope::ALL {
            assert!(message.contains(scope.as_str()), "{scope}: {message}");
        }
    }

    #[test]
    fn a_full_grant_allows_every_scope() {
        let full = Grant::full();
        for scope in Scope::ALL {
            assert!(full.allows(scope), "{scope}");
        }
    }

    #[test]
    fn a_scoped_grant_allows_exactly_its_scopes() {
        for granted in Scope::ALL {
            let grant = Grant::new([granted].into_iter().collect(), None);
            for asked in Scope::ALL {
                assert_eq!(
                    grant.allows(asked),
                    asked == granted,
                    "{granted} asked {asked}"
                );
            }
        }
    }

    #[test]
    fn restriction_hides_other_instances() {
        let grant = Grant::new(ScopeSet::full(), Some([instance('a')].into()));
        assert!(grant.can_see(&instance('a')));
        assert!(!grant.can_see(&instance('b')));
        assert!(Grant::full().can_see(&instance('b')));
    }

    #[test]
    fn covering_needs_both_scopes_and_instances() {
        let read: ScopeSet = [Scope::ProgramInstancesRead].into_iter().collect();
        let restricted = Grant::new(ScopeSet::full(), Some([instance('a')].into()));
        assert!(Grant::full().covers(&restricted));
        assert!(!restricted.covers(&Grant::full()));
        assert!(restricted.covers(&Grant::new(read, Some([instance('a')].into()))));
        assert!(!restricted.covers(&Grant::new(
            read,
            Some([instance('a'), instance('b')].into())
        )));
        assert!(!Grant::new(read, None).covers(&Grant::full()));
    }
}
