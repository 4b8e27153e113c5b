//! The kinds of events in a workspace's log. What an event carries (the resource as it was)
//! is rendered where resources are, beside the API; the domain names what happened.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::instance::{EnrollmentFlip, InstanceEvent};
use crate::violation::Rule;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    InstanceCreated,
    InstanceUpdated,
    InstanceStatusChanged,
    InstanceDeleted,
    InstanceEnrollmentOpened,
    InstanceEnrollmentClosed,
    EnrollmentCreated,
    EnrollmentStatusChanged,
    WebhookEndpointDisabled,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event type; the types are {}", EventType::list())]
pub struct UnknownEventType;

impl Rule for UnknownEventType {
    fn code(&self) -> &'static str {
        "invalid_event_type"
    }
}

impl EventType {
    pub const ALL: [EventType; 9] = [
        EventType::InstanceCreated,
        EventType::InstanceUpdated,
        EventType::InstanceStatusChanged,
        EventType::InstanceDeleted,
        EventType::InstanceEnrollmentOpened,
        EventType::InstanceEnrollmentClosed,
        EventType::EnrollmentCreated,
        EventType::EnrollmentStatusChanged,
        EventType::WebhookEndpointDisabled,
    ];

    /// The types that make up an instance's own history.
    pub const INSTANCE_HISTORY: [EventType; 3] = [
        EventType::InstanceCreated,
        EventType::InstanceUpdated,
        EventType::InstanceStatusChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::InstanceCreated => "programInstance.created",
            EventType::InstanceUpdated => "programInstance.updated",
            EventType::InstanceStatusChanged => "programInstance.statusChanged",
            EventType::InstanceDeleted => "programInstance.deleted",
            EventType::InstanceEnrollmentOpened => "programInstance.enrollmentOpened",
            EventType::InstanceEnrollmentClosed => "programInstance.enrollmentClosed",
            EventType::EnrollmentCreated => "enrollment.created",
            EventType::EnrollmentStatusChanged => "enrollment.statusChanged",
            EventType::WebhookEndpointDisabled => "webhookEndpoint.disabled",
        }
    }

    /// The type logged for a change the domain decided on.
    pub fn of_instance_change(event: &InstanceEvent) -> Self {
        match event {
            InstanceEvent::Created => EventType::InstanceCreated,
            InstanceEvent::Updated { .. } => EventType::InstanceUpdated,
            InstanceEvent::StatusChanged { .. } => EventType::InstanceStatusChanged,
        }
    }

    /// The type logged when `acceptingEnrollments` flips.
    pub fn of_flip(flip: EnrollmentFlip) -> Self {
        match flip {
            EnrollmentFlip::Opened => EventType::InstanceEnrollmentOpened,
            EnrollmentFlip::Closed => EventType::InstanceEnrollmentClosed,
        }
    }

    fn list() -> String {
        EventType::ALL.map(EventType::as_str).join(", ")
    }
}

impl FromStr for EventType {
    type Err = UnknownEventType;
    fn from_str(text: &str) -> Result<Self, UnknownEventType> {
        EventType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or(UnknownEventType)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_back_from_its_name() {
        for kind in EventType::ALL {
            assert_eq!(kind.as_str().parse(), Ok(kind));
        }
        assert_eq!(
            "programInstance.created ".parse::<EventType>(),
            Err(UnknownEventType)
        );
    }
}
