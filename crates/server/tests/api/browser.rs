//! The enrollment page in a real browser (Debian's Chromium, headless, driven over
//! WebDriver) against the real server: a customer's paths through it.

use serde_json::{Value, json};

use crate::helpers::{TestApp, documented_example, spawn_app};
use crate::webdriver::{self, Browser};

/// Where screenshots go: `docs/` when `UPDATE_SCREENSHOTS` is set (to refresh the README's),
/// else the build folder.
fn screenshot_path(name: &str) -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        root.join("docs").join(name)
    } else {
        root.join("target").join(name)
    }
}

fn save(name: &str, png: &[u8]) {
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    assert!(
        png.len() > 5_000,
        "a page, not a blank: {} bytes",
        png.len()
    );
    std::fs::write(screenshot_path(name), png).unwrap();
}

/// The seed document's example instance, with a form and terms, as a utility would set it up.
async fn example_instance(app: &TestApp) -> Value {
    let mut body = documented_example();
    body["startDate"] = json!("2020-01-01T00:00:00Z");
    body["endDate"] = json!("2099-12-31T23:59:59Z");
    body["formConfig"] = json!({"fields": [
        {"key": "utilityAccountNumber", "label": "Utility account number", "type": "text",
         "required": true, "pattern": "^[0-9]{10}$", "maxLength": 10,
         "helpText": "Ten digits, at the top of your bill."},
        {"key": "installer", "label": "Installer", "type": "select", "options": ["Acme Solar", "Volt Homes"]},
        {"key": "uses", "label": "What the battery is for", "type": "multiselect", "options": ["Backup power", "Solar storage"]},
        {"key": "installedOn", "label": "Installed on", "type": "date"}
    ]});
    app.create_instance(&app.a.key, body).await
}

const PAGE: &str = "/enroll/ws_a/battery-rebate-nyc-2023";

async fn fill_valid(browser: &Browser) {
    fill_over(browser, "Ana Lima", "ana@example.com").await;
    browser
        .click("[name='form.installer'] option[value='Volt Homes']")
        .await;
}

#[actix_web::test]
async fn a_customer_enrolls_in_the_browser() {
    if !webdriver::available() {
        return;
    }
    let app = spawn_app().await;
    let instance = example_instance(&app).await;
    let id = instance["id"].as_str().unwrap();
    let browser = Browser::start().await;
    browser.open(&format!("{}{PAGE}", app.base)).await;
    assert_eq!(browser.text("h1").await, "NYC Battery Rebate Program 2023");
    fill_valid(&browser).await;
    // Back to the top of the page for the picture.
    browser.click("[name='customer.name']").await;
    save("enrollment-form.png", &browser.screenshot().await);
    browser.click("button[type=submit]").await;
    browser.wait_for("section.outcome").await;
    let confirmation = browser.text("h2").await;
    assert_eq!(confirmation, "Thank you: your enrollment is submitted");
    save("enrollment-confirmation.png", &browser.screenshot().await);

    let listed = app
        .get(&format!("/programInstances/{id}/enrollments"), &app.a.key)
        .await;
    let enrollment = &listed.body["data"][0];
    assert_eq!(enrollment["customer"]["name"], "Ana Lima");
    assert_eq!(enrollment["formData"]["installer"], "Volt Homes");
    assert_eq!(enrollment["formData"]["uses"], json!(["Solar storage"]));
    assert_eq!(enrollment["status"], "submitted");
    let stats = app
        .get(&format!("/programInstances/{id}/stats"), &app.a.key)
        .await;
    assert_eq!(stats.body["total"], 1);
}

/// Fills the form whatever it holds already (a form the browser restored on Back, say).
async fn fill_over(browser: &Browser, name: &str, email: &str) {
    for (field, value) in [
        ("customer.name", name),
        ("customer.email", email),
        ("customer.region", "NY"),
        ("device.type", "battery"),
        ("device.capacity", "13.5"),
        ("form.utilityAccountNumber", "0123456789"),
    ] {
        let control = format!("[name='{field}']");
        browser.clear(&control).await;
        browser.type_into(&control, value).await;
    }
    for checkbox in ["#f-form-uses-1", "#f-consent"] {
        if browser.property(checkbox, "checked").await != true {
            browser.click(checkbox).await;
        }
    }
}

/// Carl enrolls, goes Back, changes the name and email (a typo, or the next person at a
/// shared computer) and enrolls again: each is confirmed with its own reference, and each
/// enrollment holds what was sent.
#[actix_web::test]
async fn a_changed_answer_after_back_is_stored_and_confirmed_as_its_own() {
    if !webdriver::available() {
        return;
    }
    let app = spawn_app().await;
    let instance = example_instance(&app).await;
    let id = instance["id"].as_str().unwrap();
    let browser = Browser::start().await;
    browser.open(&format!("{}{PAGE}", app.base)).await;
    fill_over(&browser, "Carl Diaz", "carl@example.com").await;
    browser.click("button[type=submit]").await;
    browser.wait_for("section.outcome").await;
    let carl = browser.text("section.outcome strong").await;

    browser.back().await;
    browser.wait_for("form").await;
    fill_over(&browser, "Dana Eve", "dana@example.com").await;
    browser.click("button[type=submit]").await;
    browser.wait_for("section.outcome").await;
    assert_eq!(
        browser.text("h2").await,
        "Thank you: your enrollment is submitted"
    );
    let dana = browser.text("section.outcome strong").await;
    assert_ne!(dana, carl, "never somebody else's confirmation");

    for (reference, name) in [(&carl, "Carl Diaz"), (&dana, "Dana Eve")] {
        let enrollment = app
            .get(&format!("/enrollments/{reference}"), &app.a.key)
            .await;
        assert_eq!(enrollment.body["customer"]["name"], name);
        assert_eq!(enrollment.body["instanceId"], id);
    }
}

#[actix_web::test]
async fn a_broken_form_comes_back_with_its_errors_and_values() {
    if !webdriver::available() {
        return;
    }
    let app = spawn_app().await;
    example_instance(&app).await;
    let browser = Browser::start().await;
    browser.open(&format!("{}{PAGE}", app.base)).await;
    fill_valid(&browser).await;
    // The account number replaced by one too short.
    browser.clear("[name='form.utilityAccountNumber']").await;
    browser
        .type_into("[name='form.utilityAccountNumber']", "12")
        .await;
    browser.click("button[type=submit]").await;
    browser.wait_for(".summary").await;
    let source = browser.source().await;
    assert!(
        source.contains("answers need your attention")
            || source.contains("answer needs your attention"),
        "{source}"
    );
    let error = browser.text("#f-form-utilityAccountNumber-error").await;
    assert!(error.contains("must match"), "{error}");
    assert_eq!(
        browser.property("[name='customer.name']", "value").await,
        "Ana Lima",
        "values are kept"
    );
    assert_eq!(browser.property("#f-form-uses-1", "checked").await, true);
    assert_eq!(
        browser
            .property("[name='form.utilityAccountNumber']", "ariaInvalid")
            .await,
        "true"
    );
    assert_eq!(
        browser.focused_name().await,
        "form.utilityAccountNumber",
        "focus on the error"
    );
}

#[actix_web::test]
async fn ineligible_closed_and_hostile_instances_in_the_browser() {
    if !webdriver::available() {
        return;
    }
    let app = spawn_app().await;
    let instance = example_instance(&app).await;
    let id = instance["id"].as_str().unwrap();
    let browser = Browser::start().await;
    browser.open(&format!("{}{PAGE}", app.base)).await;
    browser
        .type_into("[name='customer.name']", "Cal Ruiz")
        .await;
    browser
        .type_into("[name='customer.email']", "cal@example.com")
        .await;
    browser.type_into("[name='customer.region']", "CA").await;
    browser.type_into("[name='device.type']", "battery").await;
    browser.type_into("[name='device.capacity']", "2").await;
    browser
        .type_into("[name='form.utilityAccountNumber']", "0123456789")
        .await;
    browser.click("#f-consent").await;
    browser.click("button[type=submit]").await;
    // The form has an h2 of its own (the terms): wait for the next page first.
    browser.wait_for("section.outcome").await;
    assert_eq!(
        browser.text("h2").await,
        "You are not eligible for this program"
    );
    let reasons = browser.text("ul").await;
    assert!(reasons.lines().count() >= 2, "{reasons}");

    app.patch(
        &format!("/programInstances/{id}"),
        &app.a.key,
        &json!({"status": "inactive"}),
    )
    .await;
    browser.open(&format!("{}{PAGE}", app.base)).await;
    assert_eq!(browser.text("h1").await, "Enrollment is closed");
    assert!(!browser.source().await.contains("<form"));

    let hostile = "<script>document.title='owned'</script> \"Rebate\" & 'co'";
    app.create_instance(&app.a.key, json!({"name": hostile, "slug": "hostile"}))
        .await;
    browser
        .open(&format!("{}/enroll/ws_a/hostile", app.base))
        .await;
    assert_eq!(browser.text("h1").await, hostile, "shown as text");
    let title = browser.title().await;
    assert_ne!(title, "owned", "no script ran");
}

/// Three instances of one program with the funnels a utility might see after a month.
async fn three_instance_workspace(app: &TestApp) {
    let plans = [
        ("Battery Rebate NYC 2023", 14, 3, 8, 2, 1),
        ("Battery Rebate Westchester", 9, 1, 4, 3, 0),
        ("Smart Thermostat Pilot", 5, 2, 1, 0, 0),
    ];
    for (name, eligible, ineligible, approve, reject, unenroll) in plans {
        let body = json!({ "name": name, "eligibilityCriteria": { "regions": ["NY"] } });
        let id = app.create_instance(&app.a.key, body).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut enrolled = Vec::new();
        for n in 0..eligible + ineligible {
            let region = if n < eligible { "NY" } else { "CA" };
            let reply = app
                .post(
                    &format!("/programInstances/{id}/enrollments"),
                    &app.a.key,
                    &json!({ "customer": { "name": format!("Customer {n}"), "region": region } }),
                )
                .await;
            enrolled.push(reply.body["id"].as_str().unwrap().to_owned());
        }
        let moves = (0..approve)
            .map(|n| (n, "approved"))
            .chain((approve..approve + reject).map(|n| (n, "rejected")))
            .chain((0..unenroll).map(|n| (n, "unenrolled")));
        for (n, status) in moves {
            let reply = app
                .patch(
                    &format!("/enrollments/{}", enrolled[n]),
                    &app.a.key,
                    &json!({ "status": status }),
                )
                .await;
            assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
        }
    }
}

#[actix_web::test]
async fn the_participation_chart_renders_in_the_browser() {
    if !webdriver::available() {
        return;
    }
    let app = spawn_app().await;
    three_instance_workspace(&app).await;
    let reply = app
        .send(
            "GET",
            "/reports/participation",
            Some(&app.a.key),
            None,
            &[("Accept", "image/svg+xml")],
        )
        .await;
    let svg = reply.body.as_str().unwrap().to_owned();
    let file = screenshot_path("participation-report.svg");
    std::fs::write(&file, &svg).unwrap();

    let browser = Browser::start().await;
    let path = std::fs::canonicalize(&file).unwrap();
    browser.open(&format!("file://{}", path.display())).await;
    // Parsed as SVG: the title and every label are elements of the drawing.
    assert_eq!(
        browser.title().await,
        "Participation by instance: enrollments, eligible, approved"
    );
    let source = browser.source().await;
    for label in [
        "Battery Rebate NYC 2023",
        "Battery Rebate Westchester",
        "Smart Thermostat Pilot",
    ] {
        assert!(source.contains(label), "{label}");
    }
    save("participation-report.png", &browser.screenshot().await);
}
