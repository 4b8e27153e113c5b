//! The enrollment page fuzzed over real HTTP, on both engines: random and hostile form
//! bodies (any field names, repeated fields, tokens of any shape, bytes that are not UTF-8,
//! broken percent escapes, CR, LF and NUL in values, huge values) posted to a live page.
//! After each: no 5xx, a body that cannot be decoded is the 400 page, and every
//! confirmation names an enrollment holding exactly the answers that were sent.
//!
//! `PAGE_FUZZ_CASES` sets the number of bodies per engine (1,000 by default).

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::enrollment_page::{encode, get_page, post_body};
use crate::helpers::{TestApp, spawn_app_with, spawn_sqlite_app_with};

const PAGE: &str = "/enroll/ws_a/fuzzed-rebate";

/// The fields the page shows for the instance below, then its trap.
const FIELDS: [&str; 12] = [
    "token",
    "customer.name",
    "customer.email",
    "customer.region",
    "device.capacity",
    "form.note",
    "form.plan",
    "form.uses",
    "form.owner",
    "form.panels",
    "consent",
    "website",
];

async fn fuzzed_instance(app: &TestApp) {
    app.create_instance(
        &app.a.key,
        json!({
            "name": "Fuzzed Rebate",
            "slug": "fuzzed-rebate",
            "customTerms": "Keep it installed.",
            "eligibilityCriteria": {"regions": ["NY"], "minimumCapacity": 5},
            "formConfig": {"fields": [
                {"key": "note", "label": "Note", "type": "text", "maxLength": 200},
                {"key": "plan", "label": "Plan", "type": "select", "options": ["basic", "plus"]},
                {"key": "uses", "label": "Uses", "type": "multiselect", "options": ["backup", "solar"]},
                {"key": "owner", "label": "Owner", "type": "boolean"},
                {"key": "panels", "label": "Panels", "type": "integer", "min": 0, "max": 100}
            ]}
        }),
    )
    .await;
}

/// One name=value pair of a body; `broken` bytes follow the value unencoded.
#[derive(Debug, Clone)]
struct Pair {
    name: String,
    value: String,
    broken: Option<&'static [u8]>,
}

/// A body to post: pairs, or bytes of any kind.
#[derive(Debug, Clone)]
enum Body {
    Pairs(Vec<Pair>),
    Bytes(Vec<u8>),
}

/// Which token a pair carries: one of the page's own (by index), or any text.
const TOKEN_SLOT: &str = "\u{1}token-slot:";

fn token_value() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (0..4usize).prop_map(|slot| format!("{TOKEN_SLOT}{slot}")),
        1 => "[0-9a-f]{32}",
        1 => "[0-9a-fA-F]{30,34}",
        1 => "\\PC{0,40}",
        1 => Just(String::new()),
    ]
}

fn plain_value() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(vec![
            "Ann Lee", "ann@example.com", "NY", "CA", "13.5", "2", "1e1", "basic", "plus",
            "backup", "solar", "true", "7", "150", "-1", "  padded  ", "", "NaN",
        ])
        .prop_map(str::to_owned),
        2 => "\\PC{0,30}",
        2 => "[ a-z\r\n\t\u{0}<>&\"']{0,12}",
        1 => (1..3usize).prop_map(|kb| "x".repeat(kb * 1_000)),
    ]
}

fn pair() -> impl Strategy<Value = Pair> {
    let name = prop_oneof![8 => select(FIELDS.to_vec()).prop_map(str::to_owned), 1 => "\\PC{0,12}"];
    let broken = prop_oneof![
        40 => Just(None),
        1 => select(vec![&b"%zz"[..], b"%", b"%4", b"%FF", b"\xff", b"%C3%28"]).prop_map(Some),
    ];
    (name, broken, plain_value(), token_value()).prop_map(|(name, broken, plain, token)| Pair {
        value: if name == "token" { token } else { plain },
        name,
        broken,
    })
}

/// A form as a browser fills it, before any mutation.
fn good_form(token: String) -> Vec<Pair> {
    [
        ("token", token.as_str()),
        ("customer.name", "Ann Lee"),
        ("customer.email", "ann@example.com"),
        ("customer.region", "NY"),
        ("device.capacity", "13.5"),
        ("form.note", "call after 5"),
        ("form.plan", "plus"),
        ("form.uses", "backup"),
        ("form.uses", "solar"),
        ("form.owner", "true"),
        ("form.panels", "12"),
        ("consent", "true"),
        ("website", ""),
    ]
    .into_iter()
    .map(|(name, value)| Pair {
        name: name.to_owned(),
        value: value.to_owned(),
        broken: None,
    })
    .collect()
}

fn body() -> impl Strategy<Value = Body> {
    let mutated = (
        token_value(),
        prop::collection::vec((any::<prop::sample::Index>(), pair()), 0..2),
        prop::collection::vec(any::<prop::sample::Index>(), 0..2),
        prop::collection::vec(pair(), 0..3),
    )
        .prop_map(|(token, replaced, dropped, extra)| {
            let mut pairs = good_form(token);
            for (at, mut pair) in replaced {
                let at = at.index(pairs.len());
                pair.name.clone_from(&pairs[at].name);
                pairs[at] = pair;
            }
            for at in dropped {
                if !pairs.is_empty() {
                    pairs.remove(at.index(pairs.len()));
                }
            }
            pairs.extend(extra);
            Body::Pairs(pairs)
        });
    prop_oneof![
        12 => mutated,
        2 => prop::collection::vec(pair(), 0..14).prop_map(Body::Pairs),
        1 => prop::collection::vec(any::<u8>(), 0..200).prop_map(Body::Bytes),
        // Over the page's 64 KiB.
        1 => "[a-z]{1,8}".prop_map(|name| Body::Pairs(vec![Pair {
            name,
            value: "y".repeat(70 * 1024),
            broken: None,
        }])),
    ]
}

/// The bytes to post, and the fields the server reads from them (`None`: undecodable).
fn encoded(body: &Body, tokens: &[String]) -> (Vec<u8>, Option<BTreeMap<String, Vec<String>>>) {
    let pairs = match body {
        Body::Bytes(bytes) => return (bytes.clone(), None),
        Body::Pairs(pairs) => pairs,
    };
    let mut bytes = Vec::new();
    let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut decodable = true;
    for (n, pair) in pairs.iter().enumerate() {
        let value = match pair.value.strip_prefix(TOKEN_SLOT) {
            Some(slot) => tokens[slot.parse::<usize>().unwrap()].clone(),
            None => pair.value.clone(),
        };
        if n > 0 {
            bytes.push(b'&');
        }
        bytes.extend(format!("{}={}", encode(&pair.name), encode(&value)).bytes());
        match pair.broken {
            Some(broken) => {
                bytes.extend_from_slice(broken);
                decodable = false;
            }
            None => fields.entry(pair.name.clone()).or_default().push(value),
        }
    }
    (bytes, decodable.then_some(fields))
}

/// What the page stores of `fields`, as the enrollment's members show it.
fn expected_answers(fields: &BTreeMap<String, Vec<String>>) -> Value {
    let text = |name: &str| {
        fields
            .get(name)
            .and_then(|values| values.first())
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    let mut customer = serde_json::Map::new();
    for member in ["name", "email", "region"] {
        if let Some(value) = text(&format!("customer.{member}")) {
            customer.insert(member.into(), Value::from(value));
        }
    }
    let mut form = serde_json::Map::new();
    for key in ["note", "plan"] {
        if let Some(value) = text(&format!("form.{key}")) {
            form.insert(key.into(), Value::from(value));
        }
    }
    if let Some(uses) = fields.get("form.uses") {
        form.insert("uses".into(), json!(uses));
    }
    form.insert(
        "owner".into(),
        Value::Bool(fields.contains_key("form.owner")),
    );
    if let Some(panels) = text("form.panels") {
        form.insert("panels".into(), json!(panels.parse::<i64>().unwrap()));
    }
    let capacity = text("device.capacity").map(|capacity| capacity.parse::<f64>().unwrap());
    json!({ "customer": customer, "capacity": capacity, "formData": form })
}

fn stored_answers(enrollment: &Value) -> Value {
    let capacity = enrollment["device"]["capacity"].as_f64();
    json!({
        "customer": enrollment["customer"],
        "capacity": capacity,
        "formData": enrollment["formData"],
    })
}

fn cases() -> usize {
    std::env::var("PAGE_FUZZ_CASES").map_or(1_000, |cases| cases.parse().unwrap())
}

async fn fuzz_the_page(app: TestApp, engine: &str) {
    fuzzed_instance(&app).await;
    let mut tokens = Vec::new();
    for _ in 0..4 {
        tokens.push(get_page(&app, PAGE).await.token());
    }
    let mut runner = TestRunner::new(Config::default());
    let strategy = body();
    let (mut confirmed, mut refused_as_undecodable) = (0, 0);
    let mut statuses = BTreeMap::new();
    for case in 0..cases() {
        let body = strategy.new_tree(&mut runner).unwrap().current();
        let (bytes, fields) = encoded(&body, &tokens);
        let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
        let page = post_body(&app, PAGE, bytes).await;
        *statuses.entry(page.status).or_insert(0) += 1;
        assert!(
            page.status < 500,
            "{engine} case {case}: {} for {shown:?}",
            page.status
        );
        let Some(fields) = fields else {
            if matches!(body, Body::Pairs(_)) {
                assert!(
                    matches!(page.status, 400 | 413),
                    "{engine} case {case}: an undecodable body answered {} for {shown:?}",
                    page.status
                );
                refused_as_undecodable += 1;
            }
            continue;
        };
        let Some(reference) = page.reference() else {
            continue;
        };
        confirmed += 1;
        let enrollment = app
            .get(&format!("/enrollments/{reference}"), &app.a.key)
            .await;
        assert_eq!(enrollment.status, 200, "{engine} case {case}: {reference}");
        assert_eq!(
            stored_answers(&enrollment.body),
            expected_answers(&fields),
            "{engine} case {case}: the confirmation names other answers than {shown:?}"
        );
    }
    eprintln!(
        "page fuzz on {engine}: {} bodies, {confirmed} confirmations checked, \
         {refused_as_undecodable} undecodable refused, statuses {statuses:?}",
        cases()
    );
    assert!(confirmed > 0, "no case confirmed: the fuzzer tests nothing");
}

fn unlimited(settings: &mut server::config::Settings) {
    let many = NonZeroU32::new(1_000_000).unwrap();
    settings.page_submissions = adapter_web::SubmissionLimits {
        burst: many,
        per_minute: many,
    };
}

#[actix_web::test]
async fn hostile_forms_never_fail_the_page_nor_confirm_what_was_not_stored_on_postgres() {
    fuzz_the_page(spawn_app_with(unlimited).await, "postgres").await;
}

#[actix_web::test]
async fn hostile_forms_never_fail_the_page_nor_confirm_what_was_not_stored_on_sqlite() {
    fuzz_the_page(spawn_sqlite_app_with(unlimited).await, "sqlite").await;
}
