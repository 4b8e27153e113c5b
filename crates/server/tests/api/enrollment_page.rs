//! The hosted enrollment page over real HTTP, as a browser without JavaScript uses it.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_sqlite_app};

pub(crate) struct Page {
    pub(crate) status: u16,
    headers: awc::http::header::HeaderMap,
    pub(crate) html: String,
}

impl Page {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    /// The value of the form's hidden one-time token.
    pub(crate) fn token(&self) -> String {
        let at = self.html.find("name=\"token\" value=\"").expect("a token") + 20;
        self.html[at..at + 32].to_owned()
    }

    /// The enrollment a confirmation names; `None` on any other page.
    pub(crate) fn reference(&self) -> Option<String> {
        if !self.html.contains("class=\"outcome ") {
            return None;
        }
        let at = self.html.find("<strong>")? + 8;
        Some(self.html[at..at + self.html[at..].find('<')?].to_owned())
    }
}

async fn page_of(mut response: awc::ClientResponse) -> Page {
    let html = String::from_utf8(response.body().await.unwrap().to_vec()).unwrap();
    Page {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        html,
    }
}

pub(crate) async fn get_page(app: &TestApp, path: &str) -> Page {
    page_of(
        app.client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn post_form(app: &TestApp, path: &str, pairs: &[(&str, &str)]) -> Page {
    let body: String = pairs
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    post_body(app, path, body.into_bytes()).await
}

/// Posts `body` as it is, as a form.
pub(crate) async fn post_body(app: &TestApp, path: &str, body: Vec<u8>) -> Page {
    let response = app
        .client
        .post(format!("{}{path}", app.base))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .send_body(body)
        .await
        .unwrap();
    page_of(response).await
}

pub(crate) fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A live instance with criteria, a form and terms, named with characters HTML must escape.
pub(crate) async fn rebate(app: &TestApp) -> Value {
    app.create_instance(
        &app.a.key,
        json!({
            "name": "<script>alert('x')</script> & \"Rebate\"",
            "slug": "battery-rebate-page",
            "description": "For <b>NYC</b> homes",
            "logoUrl": "https://example.com/logo.png",
            "customTerms": "Keep the battery <i>installed</i> for 3 years.",
            "eligibilityCriteria": {"regions": ["NY"], "minimumCapacity": 5},
            "formConfig": {"fields": [
                {"key": "account", "label": "Utility account", "type": "text", "required": true, "pattern": "^[0-9]{10}$"},
                {"key": "installer", "label": "Installer", "type": "select", "options": ["acme", "volt"]},
                {"key": "uses", "label": "Uses", "type": "multiselect", "options": ["backup", "solar"]},
                {"key": "owner", "label": "I own the home", "type": "boolean"}
            ]}
        }),
    )
    .await
}

pub(crate) const PAGE: &str = "/enroll/ws_a/battery-rebate-page";

#[actix_web::test]
async fn the_page_shows_the_instance_escaped_with_every_control_labelled() {
    let app = spawn_app().await;
    rebate(&app).await;
    let page = get_page(&app, PAGE).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(
        page.header("content-security-policy")
            .contains("default-src 'none'")
    );
    assert!(
        !page
            .header("content-security-policy")
            .contains("script-src")
    );
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    assert_eq!(page.header("referrer-policy"), "same-origin");
    let html = &page.html;
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("name=\"viewport\""));
    assert_eq!(html.matches("<h1").count(), 1);
    assert!(!html.contains("<script>"), "the name is text, not markup");
    assert!(
        html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<b>NYC</b>") && !html.contains("<i>installed</i>"));
    assert!(html.contains("src=\"https://example.com/logo.png\""));
    for name in [
        "customer.name",
        "customer.email",
        "customer.region",
        "device.capacity",
        "form.account",
        "form.installer",
        "form.uses",
        "form.owner",
        "consent",
    ] {
        assert!(html.contains(&format!("name=\"{name}\"")), "{name}");
    }
    // Every control has a label naming it.
    let ids: Vec<&str> = html
        .match_indices(" id=\"f-")
        .map(|(at, _)| {
            let rest = &html[at + 5..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    for id in ids {
        assert!(
            html.contains(&format!("for=\"{id}\""))
                || html.contains(&format!("{id}-error"))
                || id.ends_with("-help"),
            "{id} has no label"
        );
    }
    assert!(html.contains("type=\"number\""));
    assert!(html.contains("pattern=\"^[0-9]{10}$\""));
    let css = app
        .client
        .get(format!("{}/enroll/assets/style.css", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status().as_u16(), 200);
}

#[actix_web::test]
async fn a_submission_enrolls_once_and_a_broken_one_is_shown_again() {
    let app = spawn_app().await;
    let instance = rebate(&app).await;
    let id = instance["id"].as_str().unwrap();
    let form = get_page(&app, PAGE).await;
    let token = form.token();

    let broken = post_form(
        &app,
        PAGE,
        &[
            ("token", &token),
            ("customer.name", "Ann Lee"),
            ("customer.email", "ann@example.com"),
            ("customer.region", "NY"),
            ("device.capacity", "13.5"),
            ("form.account", "12"),
            ("form.installer", "volt"),
            ("form.uses", "solar"),
        ],
    )
    .await;
    assert_eq!(broken.status, 422, "{}", broken.html);
    let html = &broken.html;
    assert!(html.contains("value=\"Ann Lee\""), "values are kept");
    assert!(html.contains("value=\"12\""));
    assert!(html.contains("<option value=\"volt\" selected>"));
    assert!(html.contains("value=\"solar\" checked"));
    assert!(html.contains("aria-describedby=\"f-form-account-error\""));
    assert!(html.contains("id=\"f-form-account-error\""));
    assert!(
        html.contains("id=\"f-consent-error\""),
        "consent is required with terms"
    );
    let first_error = html.find("autofocus").unwrap();
    assert!(
        html[..first_error].contains("name=\"form.account\""),
        "focus on the first error"
    );

    let good = [
        ("token", token.as_str()),
        ("customer.name", "Ann Lee"),
        ("customer.email", "ann@example.com"),
        ("customer.region", "NY"),
        ("device.capacity", "13.5"),
        ("form.account", "0123456789"),
        ("form.uses", "backup"),
        ("form.uses", "solar"),
        ("form.owner", "true"),
        ("consent", "true"),
        ("website", ""),
    ];
    let done = post_form(&app, PAGE, &good).await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(
        done.html.contains("your enrollment is submitted"),
        "{}",
        done.html
    );
    let again = post_form(&app, PAGE, &good).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        done.reference(),
        again.reference(),
        "a resubmission is the same enrollment"
    );

    let listed = app
        .get(&format!("/programInstances/{id}/enrollments"), &app.a.key)
        .await;
    let enrollments = listed.body["data"].as_array().unwrap();
    assert_eq!(enrollments.len(), 1);
    assert_eq!(enrollments[0]["id"], done.reference().unwrap());
    assert_eq!(enrollments[0]["status"], "submitted");
    assert_eq!(
        enrollments[0]["formData"]["uses"],
        json!(["backup", "solar"])
    );
    assert_eq!(enrollments[0]["formData"]["owner"], true);
    let stats = app
        .get(&format!("/programInstances/{id}/stats"), &app.a.key)
        .await;
    assert_eq!(stats.body["counts"]["submitted"], 1);
    let events = app.get("/events?type=enrollment.created", &app.a.key).await;
    assert_eq!(
        events.body["data"][0]["actorKeyId"],
        Value::Null,
        "the page acts with no key"
    );
}

#[actix_web::test]
async fn ineligible_closed_unknown_and_trapped_submissions_get_their_pages() {
    let app = spawn_app().await;
    let instance = rebate(&app).await;
    let id = instance["id"].as_str().unwrap();
    let token = get_page(&app, PAGE).await.token();
    let ineligible = post_form(
        &app,
        PAGE,
        &[
            ("token", &token),
            ("customer.name", "Bo"),
            ("customer.email", "bo@example.com"),
            ("customer.region", "CA"),
            ("device.capacity", "2"),
            ("form.account", "0123456789"),
            ("consent", "true"),
        ],
    )
    .await;
    assert_eq!(ineligible.status, 200, "{}", ineligible.html);
    assert!(ineligible.html.contains("not eligible"));
    assert!(
        ineligible.html.matches("<li>").count() >= 2,
        "each failed criterion: {}",
        ineligible.html
    );

    let trapped = post_form(
        &app,
        PAGE,
        &[
            ("token", &get_page(&app, PAGE).await.token()),
            ("website", "http://spam"),
        ],
    )
    .await;
    assert_eq!(trapped.status, 200);
    assert!(trapped.html.contains("Thank you"));
    let listed = app
        .get(&format!("/programInstances/{id}/enrollments"), &app.a.key)
        .await;
    assert_eq!(
        listed.body["data"].as_array().unwrap().len(),
        1,
        "the trap stored nothing"
    );

    app.patch(
        &format!("/programInstances/{id}"),
        &app.a.key,
        &json!({"status": "inactive"}),
    )
    .await;
    let closed = get_page(&app, PAGE).await;
    assert_eq!(closed.status, 200);
    assert!(closed.html.contains("not accepting enrollments"));
    assert!(!closed.html.contains("<form"));

    for missing in [
        "/enroll/ws_b/battery-rebate-page",
        "/enroll/ws_a/no-such-page",
        "/enroll/ws_a/Not_A_Slug",
    ] {
        let page = get_page(&app, missing).await;
        assert_eq!(page.status, 404, "{missing}");
        assert!(page.header("content-type").starts_with("text/html"));
        assert!(page.html.contains("Page not found"));
    }
    app.patch(
        &format!("/programInstances/{id}"),
        &app.a.key,
        &json!({"status": "archived"}),
    )
    .await;
    assert_eq!(get_page(&app, PAGE).await.status, 404, "archived: no page");
}

#[actix_web::test]
async fn an_oversized_form_gets_a_page() {
    let app = spawn_app().await;
    rebate(&app).await;
    let huge = "x".repeat(70 * 1024);
    let page = post_form(&app, PAGE, &[("customer.name", &huge)]).await;
    assert_eq!(page.status, 413);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(page.html.contains("too large"));
}

#[actix_web::test]
async fn submissions_are_limited_per_client_address() {
    let app = spawn_app().await;
    rebate(&app).await;
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(
            post_form(&app, PAGE, &[("customer.name", "X")])
                .await
                .status,
        );
    }
    assert!(
        statuses[..20].iter().all(|status| *status == 422),
        "{statuses:?}"
    );
    let limited = post_form(&app, PAGE, &[]).await;
    assert_eq!(limited.status, 429);
    assert!(limited.html.contains("Too many"));
}

/// Answers the rebate's page takes, for `name` (`email` from it), with `token`.
fn answers<'a>(token: &'a str, name: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("token", token),
        ("customer.name", name),
        ("customer.email", email),
        ("customer.region", "NY"),
        ("device.capacity", "13.5"),
        ("form.account", "0123456789"),
        ("consent", "true"),
    ]
}

async fn enrollment_named(app: &TestApp, reference: &str) -> String {
    let enrollment = app
        .get(&format!("/enrollments/{reference}"), &app.a.key)
        .await;
    assert_eq!(enrollment.status, 200, "{}", enrollment.body);
    enrollment.body["customer"]["name"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn changed_answers_are_their_own_enrollment(app: TestApp) {
    let instance = rebate(&app).await;
    let token = get_page(&app, PAGE).await.token();
    let carl = post_form(
        &app,
        PAGE,
        &answers(&token, "Carl Diaz", "carl@example.com"),
    )
    .await;
    assert_eq!(carl.status, 200, "{}", carl.html);
    let again = post_form(
        &app,
        PAGE,
        &answers(&token, "Carl Diaz", "carl@example.com"),
    )
    .await;
    assert_eq!(
        again.reference(),
        carl.reference(),
        "the same answers replay"
    );

    // Back, another name, Enroll: with the same token.
    let dana = post_form(&app, PAGE, &answers(&token, "Dana Eve", "dana@example.com")).await;
    assert_eq!(dana.status, 200, "{}", dana.html);
    assert!(dana.html.contains("your enrollment is submitted"));
    let (carl, dana) = (carl.reference().unwrap(), dana.reference().unwrap());
    assert_ne!(dana, carl, "never somebody else's confirmation");
    assert_eq!(enrollment_named(&app, &carl).await, "Carl Diaz");
    assert_eq!(enrollment_named(&app, &dana).await, "Dana Eve");
    let dana_again = post_form(&app, PAGE, &answers(&token, "Dana Eve", "dana@example.com")).await;
    assert_eq!(dana_again.reference(), Some(dana));

    let id = instance["id"].as_str().unwrap();
    let listed = app
        .get(&format!("/programInstances/{id}/enrollments"), &app.a.key)
        .await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn changed_answers_are_their_own_enrollment_on_postgres() {
    changed_answers_are_their_own_enrollment(spawn_app().await).await;
}

#[actix_web::test]
async fn changed_answers_are_their_own_enrollment_on_sqlite() {
    changed_answers_are_their_own_enrollment(spawn_sqlite_app().await).await;
}

async fn unreadable_tokens_are_shown_on_the_form(app: TestApp) {
    let instance = rebate(&app).await;
    let made = get_page(&app, PAGE).await.token();
    let upper = made.to_uppercase();
    let short = &made[1..];
    let cases: [&[&str]; 6] = [&[], &[""], &["zz"], &[short], &[&upper], &[&made, &made]];
    for tokens in cases {
        // Two people whose forms lost their token: neither is confirmed.
        for (name, email) in [
            ("Carl Diaz", "carl@example.com"),
            ("Dana Eve", "dana@example.com"),
        ] {
            let mut pairs = answers("", name, email);
            pairs.remove(0);
            pairs.extend(tokens.iter().map(|token| ("token", *token)));
            let page = post_form(&app, PAGE, &pairs).await;
            assert_eq!(page.status, 422, "{tokens:?}: {}", page.html);
            assert!(
                page.html.contains("this form could not be read"),
                "{tokens:?}: {}",
                page.html
            );
            assert!(
                page.html.contains(&format!("value=\"{name}\"")),
                "answers kept"
            );
            assert_eq!(page.reference(), None);
            let fresh = page.token();
            assert!(fresh != made && !tokens.contains(&fresh.as_str()));
        }
    }
    let id = instance["id"].as_str().unwrap();
    let listed = app
        .get(&format!("/programInstances/{id}/enrollments"), &app.a.key)
        .await;
    assert_eq!(listed.body["data"], json!([]), "nothing stored");
}

#[actix_web::test]
async fn unreadable_tokens_are_shown_on_the_form_on_postgres() {
    unreadable_tokens_are_shown_on_the_form(spawn_app().await).await;
}

#[actix_web::test]
async fn unreadable_tokens_are_shown_on_the_form_on_sqlite() {
    unreadable_tokens_are_shown_on_the_form(spawn_sqlite_app().await).await;
}

#[actix_web::test]
async fn an_undecodable_form_gets_the_400_page() {
    let app = spawn_app().await;
    let instance = rebate(&app).await;
    let token = get_page(&app, PAGE).await.token();
    for broken in [
        "customer.name=%FF",
        "customer.name=%zz",
        "customer.name=Ann%",
    ] {
        let body = format!("token={token}&{broken}&customer.email=ann%40example.com");
        let page = post_body(&app, PAGE, body.into_bytes()).await;
        assert_eq!(page.status, 400, "{broken}: {}", page.html);
        assert!(page.header("content-type").starts_with("text/html"));
        assert!(
            page.html.contains("Could not read the form"),
            "{}",
            page.html
        );
    }
    let raw = post_body(&app, PAGE, b"customer.name=\xff".to_vec()).await;
    assert_eq!(raw.status, 400);
    let id = instance["id"].as_str().unwrap();
    let listed = app
        .get(&format!("/programInstances/{id}/enrollments"), &app.a.key)
        .await;
    assert_eq!(listed.body["data"], json!([]));
}
