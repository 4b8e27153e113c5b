//! Using the domain crate on its own, as another Rust service would: build an instance's
//! eligibility criteria and enrollment form, evaluate an applicant, validate form data and
//! enroll, with no server and no database.
//!
//! `cargo run -p domain --example eligibility`

use domain::eligibility::Applicant;
use domain::enrollment::{Application, Customer, Device};
use domain::{
    EligibilityCriteria, Enrollment, EnrollmentId, FormConfig, InstanceDraft, InstanceId, Name,
    ProgramId, ProgramInstance, Timestamp, WorkspaceId,
};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // What the product document's example deploys, with a form added.
    let criteria = EligibilityCriteria::from_json(json!({
        "regions": ["NY"], "deviceTypes": ["battery"], "minimumCapacity": 5.0
    }))?;
    let form = FormConfig::from_json(json!({ "fields": [
        { "key": "utilityAccountNumber", "label": "Utility account number", "type": "text",
          "required": true, "pattern": "^[0-9]{10}$", "maxLength": 10 }
    ]}))?;

    // Evaluate an applicant against the criteria: one result per criterion, with a reason.
    let applicant = Applicant {
        region: Some("ny".into()),
        device_type: Some("battery".into()),
        capacity: Some(4.0),
        ..Applicant::default()
    };
    let evaluation = criteria.evaluate(&applicant);
    println!("eligible: {}", evaluation.eligible);
    for result in &evaluation.results {
        println!(
            "  {:<16} {:<5} {}",
            result.criterion, result.passed, result.reason
        );
    }

    // Validate submitted form data: every broken rule is named by a JSON Pointer.
    let submitted = json!({ "utilityAccountNumber": "12-34", "colour": "blue" });
    if let Err(violations) = form.validate(submitted.as_object().ok_or("an object")?) {
        for violation in violations.iter() {
            println!(
                "form: {} {} ({})",
                violation.pointer, violation.code, violation.message
            );
        }
    }

    // Or go all the way: an instance, and an enrollment in it. The clock is an argument.
    let now = Timestamp::parse("2026-06-01T12:00:00Z")?;
    let draft = InstanceDraft {
        name: Some(Name::parse("NYC Battery Rebate Program")?),
        eligibility_criteria: Some(criteria),
        form_config: Some(form),
        ..InstanceDraft::default()
    };
    let (instance, _created) = ProgramInstance::create(
        InstanceId::parse("cllgn0u4r000008l7eazybfbo")?,
        ProgramId::parse("prog_battery_rebate")?,
        WorkspaceId::parse("ws_123456")?,
        draft,
        now,
    )?;
    let application = Application {
        customer: Customer {
            region: Some("NY".into()),
            ..Customer::default()
        },
        device: Device {
            device_type: Some("battery".into()),
            capacity: Some(13.5),
            manufacturer: None,
        },
        form_data: json!({ "utilityAccountNumber": "0123456789" })
            .as_object()
            .ok_or("an object")?
            .clone(),
    };
    let enrollment = Enrollment::apply(
        EnrollmentId::parse("cmwyd4sxo00007durwv7hbypq")?,
        &instance,
        application,
        now,
    )?;
    println!(
        "enrollment {} is {} (slug of the instance: {})",
        enrollment.id,
        enrollment.status,
        instance.slug()
    );
    Ok(())
}
