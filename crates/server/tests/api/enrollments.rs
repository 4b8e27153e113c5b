use domain::Scope;
use serde_json::{Value, json};

use crate::helpers::{TestApp, key_with, scoped, spawn_app};

/// A live instance with every criterion and a small form; returns its path.
async fn enrolling_instance(app: &TestApp, key: &str, name: &str) -> String {
    let body = json!({
        "name": name,
        "eligibilityCriteria": { "regions": ["NY"], "postalCodes": ["10001"], "deviceTypes": ["battery"],
            "minimumCapacity": 5.0, "maximumCapacity": 20.0, "customerTypes": ["residential"],
            "utilities": ["coned"], "manufacturers": ["tesla"] },
        "formConfig": { "fields": [
            { "key": "utilityAccountNumber", "label": "Utility account number", "type": "text", "required": true, "pattern": "^[0-9]{10}$", "maxLength": 10 },
            { "key": "panels", "label": "Panels", "type": "integer", "min": 1, "max": 50 },
            { "key": "tier", "label": "Tier", "type": "select", "options": ["basic", "plus"] }
        ] },
        "endDate": "2099-12-31T23:59:59Z"
    });
    format!(
        "/programInstances/{}",
        app.create_instance(key, body).await["id"].as_str().unwrap()
    )
}

fn application(region: &str, capacity: f64) -> Value {
    json!({
        "customer": { "externalId": "cust-42", "name": "Ada Lovelace", "email": "ada@example.com", "region": region,
            "postalCode": "10001", "customerType": "residential", "utility": "ConEd" },
        "device": { "type": "battery", "capacity": capacity, "manufacturer": "Tesla" },
        "formData": { "utilityAccountNumber": "0123456789", "panels": 12, "tier": "plus" }
    })
}

#[actix_web::test]
async fn eligibility_checks_report_every_criterion_and_store_nothing() {
    let app = spawn_app().await;
    let path = enrolling_instance(&app, &app.a.key, "Check").await;
    let applicant = json!({"region": "ny", "postalCode": "10001", "deviceType": "Battery", "capacity": 13.5,
        "customerType": "residential", "utility": "coned", "manufacturer": "tesla"});
    let yes = app
        .post(&format!("{path}/eligibility"), &app.a.key, &applicant)
        .await;
    assert_eq!(yes.status.as_u16(), 200, "{}", yes.body);
    assert_eq!(
        (
            yes.body["eligible"].clone(),
            yes.body["acceptingEnrollments"].clone()
        ),
        (json!(true), json!(true))
    );
    assert_eq!(yes.body["results"].as_array().map(Vec::len), Some(8));

    let no = app
        .post(
            &format!("{path}/eligibility"),
            &app.a.key,
            &json!({"region": "CA"}),
        )
        .await;
    assert_eq!(no.body["eligible"], false);
    let failed: Vec<_> = no.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["passed"] == false)
        .map(|r| r["criterion"].clone())
        .collect();
    assert_eq!(failed.len(), 8);
    assert_eq!(
        no.body["results"][0]["reason"],
        "region CA is not one of NY"
    );
    assert_eq!(no.body["results"][1]["reason"], "no postal code was given");

    let bad = app
        .post(
            &format!("{path}/eligibility"),
            &app.a.key,
            &json!({"regoin": "NY", "capacity": -2}),
        )
        .await;
    bad.problem(422, "validation_failed");
    assert_eq!(
        bad.violations(),
        [
            ("/regoin".into(), "unknown_field".into()),
            ("/capacity".into(), "negative".into())
        ]
    );
    assert_eq!(
        app.get(&format!("{path}/enrollments"), &app.a.key)
            .await
            .body["data"],
        json!([])
    );
}

#[actix_web::test]
async fn eligible_and_ineligible_applicants_are_stored_with_their_results() {
    let app = spawn_app().await;
    let path = enrolling_instance(&app, &app.a.key, "Enroll").await;
    let eligible = app
        .post(
            &format!("{path}/enrollments"),
            &app.a.key,
            &application("NY", 13.5),
        )
        .await;
    assert_eq!(eligible.status.as_u16(), 201, "{}", eligible.body);
    let id = eligible.body["id"].as_str().unwrap();
    assert_eq!(
        eligible.header("location"),
        Some(format!("/enrollments/{id}"))
    );
    assert_eq!(eligible.body["status"], "submitted");
    assert_eq!(eligible.body["eligibility"]["eligible"], true);
    assert_eq!(
        eligible.body["eligibility"]["results"]
            .as_array()
            .map(Vec::len),
        Some(8)
    );
    assert_eq!(eligible.body["customer"]["name"], "Ada Lovelace");
    assert_eq!(eligible.body["formData"]["panels"], 12);
    assert_eq!(
        app.get(&format!("/enrollments/{id}"), &app.a.key)
            .await
            .body,
        eligible.body
    );

    let ineligible = app
        .post(
            &format!("{path}/enrollments"),
            &app.a.key,
            &application("NY", 2.0),
        )
        .await;
    assert_eq!(ineligible.status.as_u16(), 201);
    assert_eq!(ineligible.body["status"], "ineligible");
    let failed: Vec<_> = ineligible.body["eligibility"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["passed"] == false)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["criterion"], "minimumCapacity");

    let listed = app.get(&format!("{path}/enrollments"), &app.a.key).await;
    let statuses: Vec<_> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].clone())
        .collect();
    assert_eq!(statuses, [json!("ineligible"), json!("submitted")]);
    let only = app
        .get(&format!("{path}/enrollments?status=ineligible"), &app.a.key)
        .await;
    assert_eq!(only.body["data"].as_array().map(Vec::len), Some(1));
    let page = app
        .get(&format!("{path}/enrollments?limit=1"), &app.a.key)
        .await;
    let cursor = page.body["nextCursor"].as_str().unwrap();
    let next = app
        .get(
            &format!("{path}/enrollments?limit=1&cursor={cursor}"),
            &app.a.key,
        )
        .await;
    assert_eq!(next.body["data"][0]["id"], id);
    assert_eq!(next.body["hasMore"], false);
    app.get(&format!("{path}/enrollments?status=pending"), &app.a.key)
        .await
        .problem(422, "invalid_query");
}

#[actix_web::test]
async fn closed_instances_refuse_enrollments_and_store_nothing() {
    let app = spawn_app().await;
    let cases = [
        json!({"name": "Inactive", "status": "inactive"}),
        json!({"name": "Not yet", "startDate": "2099-01-01T00:00:00Z"}),
        json!({"name": "Over", "endDate": "2001-01-01T00:00:00Z"}),
    ];
    let mut paths = Vec::new();
    for body in cases {
        paths.push(format!(
            "/programInstances/{}",
            app.create_instance(&app.a.key, body).await["id"]
                .as_str()
                .unwrap()
        ));
    }
    let archived = app.instance_named(&app.a.key, "Archived").await;
    let archived_path = format!("/programInstances/{}", archived["id"].as_str().unwrap());
    app.patch(&archived_path, &app.a.key, &json!({"status": "archived"}))
        .await;
    paths.push(archived_path);
    for path in paths {
        let body = json!({"customer": {"name": "x"}});
        app.post(&format!("{path}/enrollments"), &app.a.key, &body)
            .await
            .problem(409, "not_accepting_enrollments");
        assert_eq!(
            app.get(&format!("{path}/enrollments"), &app.a.key)
                .await
                .body["data"],
            json!([]),
            "{path}"
        );
    }
}

#[actix_web::test]
async fn form_data_breaking_the_form_is_a_named_422() {
    let app = spawn_app().await;
    let path = enrolling_instance(&app, &app.a.key, "Form").await;
    let cases = [
        (json!({}), "/formData/utilityAccountNumber", "required"),
        (
            json!({"utilityAccountNumber": 123}),
            "/formData/utilityAccountNumber",
            "invalid_type",
        ),
        (
            json!({"utilityAccountNumber": "12ab"}),
            "/formData/utilityAccountNumber",
            "pattern_mismatch",
        ),
        (
            json!({"utilityAccountNumber": "0123456789", "panels": 99}),
            "/formData/panels",
            "above_maximum",
        ),
        (
            json!({"utilityAccountNumber": "0123456789", "panels": 2.5}),
            "/formData/panels",
            "invalid_type",
        ),
        (
            json!({"utilityAccountNumber": "0123456789", "tier": "gold"}),
            "/formData/tier",
            "invalid_option",
        ),
        (
            json!({"utilityAccountNumber": "0123456789", "colour": "red"}),
            "/formData/colour",
            "unknown_field",
        ),
    ];
    for (form_data, pointer, code) in cases {
        let mut body = application("NY", 13.5);
        body["formData"] = form_data.clone();
        let reply = app
            .post(&format!("{path}/enrollments"), &app.a.key, &body)
            .await;
        reply.problem(422, "validation_failed");
        assert_eq!(
            reply.violations(),
            [(pointer.to_owned(), code.to_owned())],
            "{form_data}"
        );
    }
    let strict = app
        .post(
            &format!("{path}/enrollments"),
            &app.a.key,
            &json!({"customer": {"nmae": "x"}, "extra": 1}),
        )
        .await;
    assert_eq!(
        strict.violations(),
        [
            ("/extra".into(), "unknown_field".into()),
            ("/customer/nmae".into(), "unknown_field".into())
        ]
    );
    let missing = app
        .post(&format!("{path}/enrollments"), &app.a.key, &json!({}))
        .await;
    assert_eq!(
        missing.violations(),
        [("/customer".into(), "required".into())]
    );
    assert_eq!(
        app.get(&format!("{path}/enrollments"), &app.a.key)
            .await
            .body["data"],
        json!([]),
        "nothing stored"
    );
}

#[actix_web::test]
async fn every_enrollment_transition_is_allowed_or_refused_as_specified() {
    let app = spawn_app().await;
    let path = enrolling_instance(&app, &app.a.key, "Lifecycle").await;
    let enroll = |region: &'static str| {
        let (app, path) = (&app, path.clone());
        async move {
            let created = app
                .post(
                    &format!("{path}/enrollments"),
                    &app.a.key,
                    &application(region, 13.5),
                )
                .await;
            format!("/enrollments/{}", created.body["id"].as_str().unwrap())
        }
    };
    let set = |enrollment: String, status: &'static str| {
        let app = &app;
        async move {
            app.patch(
                &enrollment,
                &app.a.key,
                &json!({"status": status, "reason": "checked"}),
            )
            .await
        }
    };

    let approved = enroll("NY").await;
    let reply = set(approved.clone(), "approved").await;
    assert_eq!(
        (reply.body["status"].clone(), reply.body["version"].clone()),
        (json!("approved"), json!(2))
    );
    assert_eq!(reply.body["statusReason"], "checked");
    assert_eq!(
        set(approved.clone(), "approved").await.body["version"],
        2,
        "the same status is a no-op"
    );
    let refused = set(approved.clone(), "submitted").await;
    refused.problem(409, "invalid_transition");
    assert_eq!(refused.body["allowed"], json!(["unenrolled"]));
    app.patch(&approved, &app.a.key, &json!({"status": "rejected"}))
        .await
        .problem(409, "invalid_transition");
    assert_eq!(
        set(approved.clone(), "unenrolled").await.body["status"],
        "unenrolled"
    );
    for target in ["approved", "submitted", "rejected"] {
        set(approved.clone(), target)
            .await
            .problem(409, "invalid_transition");
    }

    let rejected = enroll("NY").await;
    assert_eq!(
        set(rejected.clone(), "rejected").await.body["status"],
        "rejected"
    );
    set(rejected.clone(), "approved")
        .await
        .problem(409, "invalid_transition");

    let ineligible = enroll("CA").await;
    let refused = set(ineligible.clone(), "approved").await;
    refused.problem(409, "invalid_transition");
    assert_eq!(refused.body["allowed"], json!([]));

    let submitted = enroll("NY").await;
    set(submitted.clone(), "unenrolled")
        .await
        .problem(409, "invalid_transition");
    let unknown = app
        .patch(&submitted, &app.a.key, &json!({"status": "pending"}))
        .await;
    unknown.problem(422, "validation_failed");
    assert_eq!(
        unknown.violations(),
        [("/status".into(), "invalid_value".into())]
    );
    let missing = app
        .patch(&submitted, &app.a.key, &json!({"reason": "x"}))
        .await;
    assert_eq!(
        missing.violations(),
        [("/status".into(), "required".into())]
    );
    app.patch(
        "/enrollments/cllgn0u4r000008l7eazybfbo",
        &app.a.key,
        &json!({"status": "approved"}),
    )
    .await
    .problem(404, "not_found");
}

#[actix_web::test]
async fn stats_count_a_mixed_set_and_enrollments_block_deletion() {
    let app = spawn_app().await;
    let path = enrolling_instance(&app, &app.a.key, "Stats").await;
    let mut ids = Vec::new();
    for (region, capacity) in [
        ("NY", 13.5),
        ("NY", 13.5),
        ("NY", 13.5),
        ("CA", 13.5),
        ("NY", 1.0),
    ] {
        let created = app
            .post(
                &format!("{path}/enrollments"),
                &app.a.key,
                &application(region, capacity),
            )
            .await;
        ids.push(format!(
            "/enrollments/{}",
            created.body["id"].as_str().unwrap()
        ));
    }
    app.patch(&ids[0], &app.a.key, &json!({"status": "approved"}))
        .await;
    app.patch(&ids[1], &app.a.key, &json!({"status": "rejected"}))
        .await;
    let stats = app.get(&format!("{path}/stats"), &app.a.key).await;
    assert_eq!(stats.status.as_u16(), 200, "{}", stats.body);
    assert_eq!(stats.body["total"], 5);
    assert_eq!(
        stats.body["counts"],
        json!({"submitted": 1, "approved": 1, "rejected": 1, "unenrolled": 0, "ineligible": 2})
    );
    app.delete(&path, &app.a.key)
        .await
        .problem(409, "has_enrollments");
    assert_eq!(
        app.get(&path, &app.a.key).await.status.as_u16(),
        200,
        "still there"
    );
    let archived = app
        .patch(&path, &app.a.key, &json!({"status": "archived"}))
        .await;
    assert_eq!(archived.body["status"], "archived", "archive it instead");
}

#[actix_web::test]
async fn enrollments_stay_in_their_workspace_and_behind_restrictions() {
    let app = spawn_app().await;
    let path = enrolling_instance(&app, &app.a.key, "Private").await;
    let other_path = enrolling_instance(&app, &app.a.key, "Other").await;
    let created = app
        .post(
            &format!("{path}/enrollments"),
            &app.a.key,
            &application("NY", 13.5),
        )
        .await;
    let enrollment = format!("/enrollments/{}", created.body["id"].as_str().unwrap());
    let other = app
        .post(
            &format!("{other_path}/enrollments"),
            &app.a.key,
            &application("NY", 13.5),
        )
        .await;
    let other_enrollment = format!("/enrollments/{}", other.body["id"].as_str().unwrap());

    app.get(&enrollment, &app.b.key)
        .await
        .problem(404, "not_found");
    app.patch(&enrollment, &app.b.key, &json!({"status": "approved"}))
        .await
        .problem(404, "not_found");
    for suffix in ["enrollments", "stats"] {
        app.get(&format!("{path}/{suffix}"), &app.b.key)
            .await
            .problem(404, "not_found");
    }
    app.post(
        &format!("{path}/enrollments"),
        &app.b.key,
        &application("NY", 13.5),
    )
    .await
    .problem(404, "not_found");
    app.post(&format!("{path}/eligibility"), &app.b.key, &json!({}))
        .await
        .problem(404, "not_found");

    let instance_id = path.trim_start_matches("/programInstances/");
    let restricted = key_with(
        &app.app,
        &app.a.id,
        scoped(
            &[Scope::EnrollmentsRead, Scope::EnrollmentsWrite],
            Some(&[instance_id]),
        ),
    );
    assert_eq!(app.get(&enrollment, &restricted).await.status.as_u16(), 200);
    app.get(&other_enrollment, &restricted)
        .await
        .problem(404, "not_found");
    app.get(&format!("{other_path}/enrollments"), &restricted)
        .await
        .problem(404, "not_found");
    app.get(&format!("{other_path}/stats"), &restricted)
        .await
        .problem(404, "not_found");
    let read_only = key_with(&app.app, &app.a.id, scoped(&[Scope::EnrollmentsRead], None));
    let refused = app
        .post(
            &format!("{path}/enrollments"),
            &read_only,
            &application("NY", 13.5),
        )
        .await;
    assert_eq!(
        refused.problem(403, "missing_scope")["requiredScope"],
        "enrollments:write"
    );
}

#[actix_web::test]
async fn every_criteria_and_form_rule_is_a_named_422() {
    let app = spawn_app().await;
    let field = |extra: Value| {
        let mut field = json!({"key": "a", "label": "A", "type": "text"});
        for (key, value) in extra.as_object().unwrap() {
            field[key] = value.clone();
        }
        json!({"fields": [field]})
    };
    let many: Vec<Value> = (0..101)
        .map(|i| json!({"key": format!("f{i}"), "label": "F", "type": "boolean"}))
        .collect();
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "eligibilityCriteria",
            json!("NY"),
            "/eligibilityCriteria",
            "invalid_type",
        ),
        (
            "eligibilityCriteria",
            json!({"utilities": ["a", "a"]}),
            "/eligibilityCriteria/utilities/1",
            "duplicate",
        ),
        (
            "eligibilityCriteria",
            json!({"manufacturers": [1]}),
            "/eligibilityCriteria/manufacturers/0",
            "invalid_type",
        ),
        (
            "eligibilityCriteria",
            json!({"maximumCapacity": -3}),
            "/eligibilityCriteria/maximumCapacity",
            "negative",
        ),
        (
            "formConfig",
            json!({"fields": many}),
            "/formConfig/fields",
            "too_many_items",
        ),
        (
            "formConfig",
            json!({"fields": "a"}),
            "/formConfig/fields",
            "invalid_type",
        ),
        ("formConfig", json!({}), "/formConfig/fields", "required"),
        (
            "formConfig",
            json!({"fields": [{"label": "A", "type": "text"}]}),
            "/formConfig/fields/0/key",
            "required",
        ),
        (
            "formConfig",
            field(json!({"key": "has space"})),
            "/formConfig/fields/0/key",
            "invalid_key",
        ),
        (
            "formConfig",
            field(json!({"type": "colour"})),
            "/formConfig/fields/0/type",
            "invalid_value",
        ),
        (
            "formConfig",
            field(json!({"required": "yes"})),
            "/formConfig/fields/0/required",
            "invalid_type",
        ),
        (
            "formConfig",
            field(json!({"options": ["x"]})),
            "/formConfig/fields/0/options",
            "not_applicable",
        ),
        (
            "formConfig",
            field(json!({"type": "select"})),
            "/formConfig/fields/0/options",
            "required",
        ),
        (
            "formConfig",
            field(json!({"type": "number", "min": 3, "max": 1})),
            "/formConfig/fields/0/max",
            "below_minimum",
        ),
        (
            "formConfig",
            field(json!({"minLength": 5, "maxLength": 2})),
            "/formConfig/fields/0/maxLength",
            "below_minimum",
        ),
        (
            "formConfig",
            field(json!({"pattern": "(unclosed"})),
            "/formConfig/fields/0/pattern",
            "invalid_pattern",
        ),
    ];
    for (member, value, pointer, code) in cases {
        let reply = app
            .post(
                "/programs/battery-rebate/instances",
                &app.a.key,
                &json!({"name": "Rules", member: value}),
            )
            .await;
        reply.problem(422, "validation_failed");
        assert_eq!(
            reply.violations(),
            [(pointer.to_owned(), code.to_owned())],
            "{member}: {value}"
        );
    }
}
