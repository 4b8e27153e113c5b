//! Enrollments: one customer's participation in one program instance, and its lifecycle
//! (`submitted` → `approved` or `rejected`; `approved` → `unenrolled`; `ineligible`,
//! `rejected` and `unenrolled` are final).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::eligibility::{Applicant, Evaluation, evaluate};
use crate::form::validate_form_data;
use crate::ids::{EnrollmentId, InstanceId, WorkspaceId};
use crate::instance::ProgramInstance;
use crate::strict_json::{
    Members, TextError, document, non_negative_number, object, plain_text, string,
};
use crate::timestamp::Timestamp;
use crate::violation::{Rule, Violation, Violations};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EnrollmentStatus {
    Submitted,
    Approved,
    Rejected,
    Unenrolled,
    Ineligible,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of submitted, approved, rejected, unenrolled, ineligible")]
pub struct UnknownEnrollmentStatus;

impl Rule for UnknownEnrollmentStatus {
    fn code(&self) -> &'static str {
        "invalid_value"
    }
}

/// A refused move of an enrollment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot move an enrollment from {from} to {to}")]
pub struct InvalidEnrollmentTransition {
    pub from: EnrollmentStatus,
    pub to: EnrollmentStatus,
    pub allowed: &'static [EnrollmentStatus],
}

impl EnrollmentStatus {
    pub const ALL: [EnrollmentStatus; 5] = [
        EnrollmentStatus::Submitted,
        EnrollmentStatus::Approved,
        EnrollmentStatus::Rejected,
        EnrollmentStatus::Unenrolled,
        EnrollmentStatus::Ineligible,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EnrollmentStatus::Submitted => "submitted",
            EnrollmentStatus::Approved => "approved",
            EnrollmentStatus::Rejected => "rejected",
            EnrollmentStatus::Unenrolled => "unenrolled",
            EnrollmentStatus::Ineligible => "ineligible",
        }
    }

    pub fn allowed_targets(self) -> &'static [EnrollmentStatus] {
        match self {
            EnrollmentStatus::Submitted => {
                &[EnrollmentStatus::Approved, EnrollmentStatus::Rejected]
            }
            EnrollmentStatus::Approved => &[EnrollmentStatus::Unenrolled],
            EnrollmentStatus::Rejected
            | EnrollmentStatus::Unenrolled
            | EnrollmentStatus::Ineligible => &[],
        }
    }

    /// `Ok(None)` for the status it already has (a no-op), `Ok(Some(target))` for an allowed
    /// move.
    pub fn transition(
        self,
        target: EnrollmentStatus,
    ) -> Result<Option<EnrollmentStatus>, InvalidEnrollmentTransition> {
        if self == target {
            Ok(None)
        } else if self.allowed_targets().contains(&target) {
            Ok(Some(target))
        } else {
            Err(InvalidEnrollmentTransition {
                from: self,
                to: target,
                allowed: self.allowed_targets(),
            })
        }
    }
}

impl FromStr for EnrollmentStatus {
    type Err = UnknownEnrollmentStatus;
    fn from_str(text: &str) -> Result<Self, UnknownEnrollmentStatus> {
        EnrollmentStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or(UnknownEnrollmentStatus)
    }
}

impl fmt::Display for EnrollmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

use crate::eligibility::MAX_ATTRIBUTE_CHARS as SHORT;

/// Who enrolls. Every member is optional text; unknown members are refused.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utility: Option<String>,
}

const CUSTOMER_KEYS: [&str; 7] = [
    "externalId",
    "name",
    "email",
    "region",
    "postalCode",
    "customerType",
    "utility",
];

/// The device enrolled, if any.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Device {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
}

impl Customer {
    /// The email rule as a regular expression: no NUL, and an `@` (so never blank). The
    /// length is bounded separately.
    pub const EMAIL_PATTERN: &str = r"^[^\u0000]*@[^\u0000]*$";

    /// Parses the strict JSON form; violation pointers are relative to the object.
    pub fn from_json(value: Value) -> Result<Self, Violations> {
        let mut read = Members::of(value, "", &CUSTOMER_KEYS)?;
        let mut text = |key: &str| read.read(key, string(SHORT)).optional();
        let customer = Customer {
            external_id: text("externalId"),
            name: text("name"),
            email: text("email"),
            region: text("region"),
            postal_code: text("postalCode"),
            customer_type: text("customerType"),
            utility: text("utility"),
        };
        if customer
            .email
            .as_deref()
            .is_some_and(|email| !email.contains('@'))
        {
            read.violate(Violation::new(
                "/email",
                "invalid_email",
                "must be an email address",
            ));
        }
        read.finish(customer)
    }
}

impl Device {
    /// Parses the strict JSON form; violation pointers are relative to the object.
    pub fn from_json(value: Value) -> Result<Self, Violations> {
        let mut read = Members::of(value, "", &["type", "capacity", "manufacturer"])?;
        let device = Device {
            device_type: read.read("type", string(SHORT)).optional(),
            capacity: read.read("capacity", non_negative_number).optional(),
            manufacturer: read.read("manufacturer", string(SHORT)).optional(),
        };
        read.finish(device)
    }
}

/// What eligibility is judged on: the customer's and the device's attributes.
pub fn applicant_of(customer: &Customer, device: &Device) -> Applicant {
    Applicant {
        region: customer.region.clone(),
        postal_code: customer.postal_code.clone(),
        device_type: device.device_type.clone(),
        capacity: device.capacity,
        customer_type: customer.customer_type.clone(),
        utility: customer.utility.clone(),
        manufacturer: device.manufacturer.clone(),
    }
}

/// Why an application is refused before anything is stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApplicationError {
    #[error("the program instance is not accepting enrollments")]
    NotAccepting,
    #[error("{0}")]
    Invalid(Violations),
}

/// Every stored field of an enrollment, for storage adapters to rebuild one.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrollment {
    pub id: EnrollmentId,
    pub workspace_id: WorkspaceId,
    pub instance_id: InstanceId,
    /// The instance's `revision` when the enrollment was made: the design it saw.
    pub instance_revision: i64,
    pub customer: Customer,
    pub device: Device,
    pub form_data: Map<String, Value>,
    pub eligibility: Evaluation,
    pub status: EnrollmentStatus,
    pub status_reason: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When it was approved or rejected; `None` before that, and for decisions made before
    /// decisions were recorded.
    pub decided_at: Option<Timestamp>,
}

/// What an applicant submits.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    pub customer: Customer,
    pub device: Device,
    pub form_data: Map<String, Value>,
}

impl Application {
    /// Parses an enrollment body: `customer` is required, `device` and `formData` optional
    /// (`formData` is checked against the instance's form when enrolling).
    pub fn from_json(members: Map<String, Value>) -> Result<Self, Violations> {
        let mut read = Members::new(
            members,
            "",
            &["customer", "device", "formData"],
            &["id", "status", "eligibility", "createdAt", "decidedAt"],
        );
        let customer = read.read("customer", document(Customer::from_json));
        let customer = read.required("customer", customer);
        let device = read.read("device", document(Device::from_json)).optional();
        let form_data = read.read("formData", object).optional();
        read.finish(Application {
            customer: customer.unwrap_or_default(),
            device: device.unwrap_or_default(),
            form_data: form_data.unwrap_or_default(),
        })
    }
}

const MAX_REASON_CHARS: usize = 1_000;

impl Enrollment {
    /// Enrolls in `instance`: refused unless it accepts enrollments at `now` and the form data
    /// satisfies its form (pointers under `/formData`); stored as `submitted` when every
    /// criterion passes and `ineligible` otherwise, with the results kept either way.
    pub fn apply(
        id: EnrollmentId,
        instance: &ProgramInstance,
        application: Application,
        now: Timestamp,
    ) -> Result<Self, ApplicationError> {
        if !instance.accepting_enrollments(now) {
            return Err(ApplicationError::NotAccepting);
        }
        validate_form_data(instance.form_config(), &application.form_data)
            .map_err(|violations| ApplicationError::Invalid(violations.nested_in("/formData")))?;
        let eligibility = evaluate(
            instance.eligibility_criteria(),
            &applicant_of(&application.customer, &application.device),
        );
        let status = if eligibility.eligible {
            EnrollmentStatus::Submitted
        } else {
            EnrollmentStatus::Ineligible
        };
        Ok(Self {
            id,
            workspace_id: instance.workspace_id().clone(),
            instance_id: instance.id().clone(),
            instance_revision: instance.revision(),
            customer: application.customer,
            device: application.device,
            form_data: application.form_data,
            eligibility,
            status,
            status_reason: None,
            version: 1,
            created_at: now,
            updated_at: now,
            decided_at: None,
        })
    }

    /// Moves to `target` with an optional reason; `Ok(None)` when it already has that status.
    pub fn transition_to(
        &self,
        target: EnrollmentStatus,
        reason: Option<String>,
        now: Timestamp,
    ) -> Result<Option<Enrollment>, InvalidEnrollmentTransition> {
        let Some(status) = self.status.transition(target)? else {
            return Ok(None);
        };
        let decides = matches!(
            status,
            EnrollmentStatus::Approved | EnrollmentStatus::Rejected
        );
        Ok(Some(Enrollment {
            status,
            status_reason: reason,
            version: self.version + 1,
            updated_at: now,
            decided_at: if decides { Some(now) } else { self.decided_at },
            ..self.clone()
        }))
    }

    /// A reason given with a status change: plain text of at most 1,000 characters.
    pub fn parse_reason(text: &str) -> Result<String, TextError> {
        plain_text(text, MAX_REASON_CHARS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instance::{InstanceDraft, Name, Status};
    use crate::{EligibilityCriteria, FormConfig, ProgramId};
    use EnrollmentStatus::*;
    use serde_json::json;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn instance(status: Status, start: Option<&str>, end: Option<&str>) -> ProgramInstance {
        let draft = InstanceDraft {
            name: Some(Name::parse("Rebate").unwrap()),
            status: Some(status),
            start_date: start.map(at),
            end_date: end.map(at),
            eligibility_criteria: Some(EligibilityCriteria::from_json(json!({"regions": ["NY"]})).unwrap()),
            form_config: Some(FormConfig::from_json(json!({"fields": [{"key": "acct", "label": "Account", "type": "text", "required": true}]})).unwrap()),
            ..InstanceDraft::default()
        };
        ProgramInstance::create(
            InstanceId::parse(&format!("c{}", "1".repeat(24))).unwrap(),
            ProgramId::parse("prog_x").unwrap(),
            WorkspaceId::parse("ws_a").unwrap(),
            draft,
            at("2026-01-01T00:00:00Z"),
        )
        .unwrap()
        .0
    }

    fn application(region: &str) -> Application {
        Application {
            customer: Customer {
                region: Some(region.into()),
                ..Customer::default()
            },
            device: Device::default(),
            form_data: json!({"acct": "123"}).as_object().unwrap().clone(),
        }
    }

    fn id() -> EnrollmentId {
        EnrollmentId::parse(&format!("c{}", "e".repeat(24))).unwrap()
    }

    const NOW: &str = "2026-06-01T00:00:00Z";

    #[test]
    fn eligible_applicants_are_submitted_and_others_ineligible() {
        let live = instance(Status::Active, None, None);
        let yes = Enrollment::apply(id(), &live, application("ny"), at(NOW)).unwrap();
        assert_eq!((yes.status, yes.eligibility.eligible), (Submitted, true));
        let no = Enrollment::apply(id(), &live, application("CA"), at(NOW)).unwrap();
        assert_eq!((no.status, no.eligibility.results.len()), (Ineligible, 1));
    }

    #[test]
    fn only_an_instance_accepting_enrollments_takes_them() {
        for closed in [
            instance(Status::Inactive, None, None),
            instance(Status::Active, Some("2027-01-01T00:00:00Z"), None),
            instance(Status::Active, None, Some("2026-05-01T00:00:00Z")),
        ] {
            assert_eq!(
                Enrollment::apply(id(), &closed, application("NY"), at(NOW)),
                Err(ApplicationError::NotAccepting)
            );
        }
    }

    #[test]
    fn form_violations_are_reported_under_form_data() {
        let live = instance(Status::Active, None, None);
        let mut bad = application("NY");
        bad.form_data = json!({"acct": 5}).as_object().unwrap().clone();
        let Err(ApplicationError::Invalid(violations)) =
            Enrollment::apply(id(), &live, bad, at(NOW))
        else {
            panic!("422 expected")
        };
        assert_eq!(violations.iter().next().unwrap().pointer, "/formData/acct");
    }

    #[test]
    fn the_lifecycle_follows_its_table() {
        let expected = [
            (Submitted, Approved, true),
            (Submitted, Rejected, true),
            (Approved, Unenrolled, true),
            (Submitted, Unenrolled, false),
            (Approved, Rejected, false),
            (Approved, Submitted, false),
            (Rejected, Approved, false),
            (Unenrolled, Approved, false),
            (Ineligible, Submitted, false),
            (Ineligible, Approved, false),
        ];
        for (from, to, allowed) in expected {
            assert_eq!(from.transition(to).is_ok(), allowed, "{from} -> {to}");
        }
        for status in EnrollmentStatus::ALL {
            assert_eq!(
                status.transition(status),
                Ok(None),
                "same status is a no-op"
            );
        }
    }

    #[test]
    fn a_transition_bumps_the_version_and_keeps_the_reason() {
        let live = instance(Status::Active, None, None);
        let submitted = Enrollment::apply(id(), &live, application("NY"), at(NOW)).unwrap();
        let approved = submitted
            .transition_to(
                Approved,
                Some("documents ok".into()),
                at("2026-06-02T00:00:00Z"),
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                approved.status,
                approved.version,
                approved.status_reason.as_deref()
            ),
            (Approved, 2, Some("documents ok"))
        );
        assert_eq!(submitted.decided_at, None);
        assert_eq!(approved.decided_at, Some(at("2026-06-02T00:00:00Z")));
        assert_eq!(
            approved.transition_to(Approved, None, at(NOW)).unwrap(),
            None
        );
        let unenrolled = approved
            .transition_to(Unenrolled, None, at("2026-07-01T00:00:00Z"))
            .unwrap()
            .unwrap();
        assert_eq!(
            unenrolled.decided_at, approved.decided_at,
            "unenrolling is no decision"
        );
    }

    #[test]
    fn customers_and_devices_are_strict() {
        let codes = |result: Result<Customer, Violations>| -> Vec<(String, &'static str)> {
            result
                .unwrap_err()
                .into_iter()
                .map(|v| (v.pointer, v.code))
                .collect()
        };
        assert_eq!(
            codes(Customer::from_json(json!({"nmae": "x"}))),
            [("/nmae".to_owned(), "unknown_field")]
        );
        assert_eq!(
            codes(Customer::from_json(json!({"email": "nope"}))),
            [("/email".to_owned(), "invalid_email")]
        );
        assert!(Device::from_json(json!({"type": "battery", "capacity": -1})).is_err());
        assert_eq!(
            Device::from_json(json!({"type": "battery", "capacity": 13.5}))
                .unwrap()
                .capacity,
            Some(13.5)
        );
    }
}
