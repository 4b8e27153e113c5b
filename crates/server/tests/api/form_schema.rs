//! `GET /programInstances/{id}/form`: the enrollment form as a JSON Schema document, checked
//! here with a JSON Schema validator against submissions the API takes and refuses.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[actix_web::test]
async fn the_form_is_a_json_schema_that_agrees_with_enrollment() {
    let app = spawn_app().await;
    let key = &app.a.key;
    let instance = app
        .create_instance(
            key,
            json!({
                "name": "Battery Rebate",
                "formConfig": {"fields": [
                    {"key": "utilityAccountNumber", "label": "Utility account number", "type": "text",
                     "required": true, "pattern": "^[0-9]{10}$", "maxLength": 10},
                    {"key": "batteryKwh", "label": "Battery size (kWh)", "type": "number", "min": 1, "max": 100},
                    {"key": "installer", "label": "Installer", "type": "select", "options": ["acme", "volt"]},
                    {"key": "uses", "label": "Uses", "type": "multiselect", "options": ["backup", "solar"]},
                    {"key": "owner", "label": "I own the home", "type": "boolean", "required": true},
                    {"key": "installed", "label": "Installed on", "type": "date"},
                    {"key": "phone", "label": "Phone", "type": "phone"}
                ]}
            }),
        )
        .await;
    let id = instance["id"].as_str().unwrap();
    let reply = app.get(&format!("/programInstances/{id}/form"), key).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    assert_eq!(reply.content_type(), "application/schema+json");
    let schema = reply.body;
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["title"], "Battery Rebate");
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();

    let valid = json!({
        "utilityAccountNumber": "0123456789", "batteryKwh": 13.5, "installer": "acme",
        "uses": ["backup"], "owner": true, "installed": "2024-05-31", "phone": "+1 212 555 0100"
    });
    let invalid = json!({
        "utilityAccountNumber": "12", "batteryKwh": 500, "installer": "other",
        "uses": ["backup", "backup"], "installed": "31/05/2024", "colour": "red"
    });
    assert!(validator.is_valid(&valid));
    let failures: Vec<String> = validator
        .iter_errors(&invalid)
        .map(|error| error.instance_path.to_string())
        .collect();
    for place in [
        "/utilityAccountNumber",
        "/batteryKwh",
        "/installer",
        "/uses",
        "/installed",
        "",
    ] {
        assert!(
            failures.iter().any(|f| f == place),
            "{place} in {failures:?}"
        );
    }

    // The API agrees: the valid data enrolls, the invalid is refused field by field.
    let enroll = |form: &Value| json!({ "customer": {"name": "Ann"}, "formData": form });
    let path = format!("/programInstances/{id}/enrollments");
    let accepted = app.post(&path, key, &enroll(&valid)).await;
    assert_eq!(accepted.status.as_u16(), 201, "{}", accepted.body);
    let refused = app.post(&path, key, &enroll(&invalid)).await;
    refused.problem(422, "validation_failed");
    assert!(
        refused.violations().len() >= 6,
        "{:?}",
        refused.violations()
    );

    let other = app
        .get(&format!("/programInstances/{id}/form"), &app.b.key)
        .await;
    other.problem(404, "not_found");
}
