//! Every rule an API document states as a regular expression accepts exactly what the
//! value type accepts: the document and the code cannot disagree.

// Test code: a failed expectation is meant to stop the test loudly.
#![allow(clippy::unwrap_used)]

use domain::enrollment::Customer;
use domain::strict_json::{PLAIN_TEXT_PATTERN, TEXT_PATTERN, plain_text};
use domain::{
    ApiKeyId, Description, FormConfig, InstanceId, LogoUrl, Name, ProgramId, Slug, WorkspaceId,
};
use proptest::prelude::*;
use regex_lite::Regex;
use serde_json::json;

/// Characters chosen to sit on the rules' edges: white space of every kind, NUL and other
/// controls, URL punctuation, letters of both cases, digits, and beyond ASCII.
const ALPHABET: &[char] = &[
    'a', 'b', 'c', 'z', 'A', 'H', 'P', 'S', 'T', 'h', 'p', 's', 't', '0', '9', '-', '_', '.', ':',
    '/', '?', '#', '@', '[', ']', '%', ' ', '\t', '\n', '\u{b}', '\u{c}', '\r', '\u{1c}', '\u{85}',
    '\u{a0}', '\u{2003}', '\u{2028}', '\u{3000}', '\u{feff}', '\0', '\u{1}', '\u{7f}', '\u{9f}',
    'é', 'ß', '中', '😀',
];

fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET), 0..max).prop_map(String::from_iter)
}

/// Strings likelier to be near-valid URLs than arbitrary text.
fn url_like() -> impl Strategy<Value = String> {
    (
        prop::sample::select(&["http://", "HTTPS://", "https://", "ftp://", "http:/", ""][..]),
        text(6),
        prop::sample::select(&["example.com", "[::1]", "a", "", "ex ample", "bücher.de"][..]),
        prop::sample::select(&["", ":8080", ":", ":x"][..]),
        text(8),
    )
        .prop_map(|(scheme, user, host, port, rest)| {
            let user = if user.is_empty() {
                String::new()
            } else {
                format!("{user}@")
            };
            format!("{scheme}{user}{host}{port}{rest}")
        })
}

fn matches(pattern: &str, candidate: &str) -> bool {
    Regex::new(pattern).unwrap().is_match(candidate)
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn names(candidate in text(8)) {
        prop_assert_eq!(matches(Name::PATTERN, &candidate), Name::parse(&candidate).is_ok());
    }

    #[test]
    fn slugs(candidate in text(6)) {
        let documented = matches(Slug::PATTERN, &candidate) && candidate.len() <= Slug::MAX_LEN;
        prop_assert_eq!(documented, Slug::parse(&candidate).is_ok());
    }

    #[test]
    fn plain_and_bounded_text(candidate in text(8)) {
        let documented = matches(PLAIN_TEXT_PATTERN, &candidate) && chars(&candidate) <= 5;
        prop_assert_eq!(documented, plain_text(&candidate, 5).is_ok());
        let documented = matches(TEXT_PATTERN, &candidate);
        prop_assert_eq!(documented, Description::parse(&candidate).is_ok());
    }

    #[test]
    fn logo_urls(candidate in url_like()) {
        let documented = matches(LogoUrl::PATTERN, &candidate) && chars(&candidate) <= LogoUrl::MAX_LEN;
        prop_assert_eq!(documented, LogoUrl::parse(&candidate).is_ok(), "{:?}", candidate);
    }

    #[test]
    fn ids(candidate in text(30)) {
        prop_assert_eq!(matches(InstanceId::PATTERN, &candidate), InstanceId::parse(&candidate).is_ok());
        prop_assert_eq!(matches(ApiKeyId::PATTERN, &candidate), ApiKeyId::parse(&candidate).is_ok());
        prop_assert_eq!(matches(WorkspaceId::PATTERN, &candidate), WorkspaceId::parse(&candidate).is_ok());
        prop_assert_eq!(matches(ProgramId::PATTERN, &candidate), ProgramId::parse(&candidate).is_ok());
    }

    #[test]
    fn emails(candidate in text(8)) {
        let documented = matches(Customer::EMAIL_PATTERN, &candidate);
        let parsed = Customer::from_json(json!({ "email": candidate })).is_ok();
        prop_assert_eq!(documented, parsed);
    }

    #[test]
    fn form_field_keys(candidate in text(8)) {
        let form = json!({"fields": [{"key": candidate, "label": "x", "type": "text"}]});
        prop_assert_eq!(
            matches(FormConfig::KEY_PATTERN, &candidate),
            FormConfig::from_json(form).is_ok()
        );
    }
}

#[test]
fn valid_examples_match() {
    assert!(InstanceId::parse("cllgn0u4r000008l7eazybfbo").is_ok());
    assert!(matches(InstanceId::PATTERN, "cllgn0u4r000008l7eazybfbo"));
    assert!(LogoUrl::parse("http://[::1]/logo.png").is_err());
    for url in [
        "https://example.com/logos/nyc-rebate.png",
        "HTTP://user:pw@127.0.0.1:8080/a?b#c",
    ] {
        assert!(
            matches(LogoUrl::PATTERN, url) && LogoUrl::parse(url).is_ok(),
            "{url}"
        );
    }
    let long_name = format!("  {}  ", "x".repeat(Name::MAX_CHARS));
    assert!(matches(Name::PATTERN, &long_name) && Name::parse(&long_name).is_ok());
    let too_long = "x".repeat(Name::MAX_CHARS + 1);
    assert!(!matches(Name::PATTERN, &too_long) && Name::parse(&too_long).is_err());
}
