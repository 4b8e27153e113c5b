use domain::Timestamp;

/// The wall clock, injected so that rules stay testable.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// Fresh unique identifiers (CUIDs).
pub trait IdGenerator: Send + Sync {
    fn new_id(&self) -> String;
}
