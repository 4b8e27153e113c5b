//! The bodies of eligibility checks, enrollments and enrollment status changes.

use domain::eligibility::Applicant;
use domain::enrollment::{Application, Customer, Device};
use domain::{Enrollment, EnrollmentStatus, Violation};
use serde_json::{Map, Value};

use crate::body::{Member, Members};
use crate::problem::ApiError;

/// `POST /programInstances/{id}/enrollments`: `{ customer, device?, formData? }`.
pub fn application_from(members: Map<String, Value>) -> Result<Application, ApiError> {
    let mut read = Members::new(
        members,
        &["customer", "device", "formData"],
        &["id", "status", "eligibility", "createdAt"],
    );
    let customer = read.document("customer", |value| Customer::from_json(&value));
    let customer = read.required("customer", customer);
    let device = read
        .document("device", |value| Device::from_json(&value))
        .into_option();
    let form_data = match read.raw("formData") {
        Member::Present(Value::Object(data)) => data,
        Member::Present(_) => {
            read.violations.push(Violation::new(
                "/formData",
                "invalid_type",
                "must be an object",
            ));
            Map::new()
        }
        _ => Map::new(),
    };
    read.finish(Application {
        customer: customer.unwrap_or_default(),
        device: device.unwrap_or_default(),
        form_data,
    })
}

fn text(read: &mut Members, key: &str) -> Option<String> {
    read.text(key, |text| {
        Ok::<_, domain::instance::TextError>(text.to_owned())
    })
    .into_option()
}

/// `POST /programInstances/{id}/eligibility`: the applicant's attributes, all optional.
pub fn applicant_from(members: Map<String, Value>) -> Result<Applicant, ApiError> {
    const KEYS: [&str; 7] = [
        "region",
        "postalCode",
        "deviceType",
        "capacity",
        "customerType",
        "utility",
        "manufacturer",
    ];
    let mut read = Members::new(members, &KEYS, &[]);
    let capacity = match read.raw("capacity") {
        Member::Present(value) => match value.as_f64().filter(|n| n.is_finite() && *n >= 0.0) {
            Some(capacity) => Some(capacity),
            None => {
                read.violations.push(Violation::new(
                    "/capacity",
                    "invalid_type",
                    "must be a non-negative number",
                ));
                None
            }
        },
        _ => None,
    };
    let applicant = Applicant {
        region: text(&mut read, "region"),
        postal_code: text(&mut read, "postalCode"),
        device_type: text(&mut read, "deviceType"),
        capacity,
        customer_type: text(&mut read, "customerType"),
        utility: text(&mut read, "utility"),
        manufacturer: text(&mut read, "manufacturer"),
    };
    read.finish(applicant)
}

/// `PATCH /enrollments/{id}`: `{ status, reason? }`.
pub fn status_change_from(
    members: Map<String, Value>,
) -> Result<(EnrollmentStatus, Option<String>), ApiError> {
    let mut read = Members::new(
        members,
        &["status", "reason"],
        &["id", "instanceId", "eligibility", "createdAt", "updatedAt"],
    );
    let status = read.text("status", |text| text.parse::<EnrollmentStatus>());
    let status = read.required("status", status);
    let reason = match read.raw("reason") {
        Member::Present(Value::String(text)) => Enrollment::parse_reason(&text)
            .map_err(|violation| read.violations.push(violation))
            .ok(),
        Member::Present(_) => {
            read.violations.push(Violation::new(
                "/reason",
                "invalid_type",
                "must be a string",
            ));
            None
        }
        _ => None,
    };
    let checked = read.finish(reason)?;
    status
        .map(|status| (status, checked))
        .ok_or_else(|| ApiError::internal("status checked as required"))
}
