//! The schemas of the OpenAPI document that are not the serialised views themselves: the
//! request bodies, the documents inside instances and enrollments, and the named string
//! rules. Their patterns are the domain's own constants (`Name::PATTERN`, …), which the
//! domain's tests prove equal to its parsers, so the document states exactly what the
//! server enforces.
//!
//! Request bodies are described here and read elsewhere: see `bodies` for how the two are
//! kept in step.

// The types below exist for their schemas; they are never built.
#![allow(dead_code)]

use domain::enrollment::Customer as DomainCustomer;
use domain::strict_json::{PLAIN_TEXT_PATTERN, TEXT_PATTERN};
use serde_json::json;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

/// A string schema with a description and the given settings.
macro_rules! string_schema {
    ($(#[doc = $doc:literal])+ $name:ident $(.$setting:ident($value:expr))*) => {
        $(#[doc = $doc])+
        #[derive(Debug)]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let description: Vec<&str> = vec![$($doc.trim()),+];
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some(description.join(" ")))
                    $(.$setting($value))*
                    .into()
            }
        }

        impl ToSchema for $name {}
    };
}

string_schema! {
    /// A server-generated id: a CUID.
    Id.pattern(Some(domain::InstanceId::PATTERN)).examples([json!("cllgn0u4r000008l7eazybfbo")])
}
string_schema! {
    /// An event's id: `evt_` and a CUID.
    EventId.pattern(Some(domain::EventId::PATTERN)).examples([json!("evt_cllgn0u4r000008l7eazybfbo")])
}
string_schema! {
    /// Where deliveries go: an absolute `https` URL (`http` only where the operator allows
    /// it) with a host name or IPv4 address, an optional port and path; no user part, no
    /// fragment; at most 2,048 characters. It must not resolve to a loopback, private,
    /// link-local or multicast address unless the operator allows private destinations.
    WebhookUrl.pattern(Some(domain::webhook::endpoint::WebhookUrl::PATTERN))
        .max_length(Some(domain::webhook::endpoint::WebhookUrl::MAX_LEN))
        .examples([json!("https://hooks.example.com/program-instances")])
}
string_schema! {
    /// A workspace or program id: 1 to 64 letters, digits, `_` or `-`.
    TenantId.pattern(Some(domain::WorkspaceId::PATTERN)).examples([json!("ws_demo")])
}
string_schema! {
    /// Lowercase letters and digits in words joined by single hyphens, at most 100
    /// characters.
    Slug.pattern(Some(domain::Slug::PATTERN)).max_length(Some(domain::Slug::MAX_LEN))
        .examples([json!("battery-rebate-nyc-2023")])
}
string_schema! {
    /// 1 to 200 characters once surrounding white space is trimmed (and stored trimmed);
    /// no NUL.
    Name.pattern(Some(domain::Name::PATTERN)).examples([json!("NYC Battery Rebate Program 2023")])
}
string_schema! {
    /// Text of at most 200 characters that is not blank (it has a character other than
    /// white space) and has no NUL.
    ShortText.pattern(Some(PLAIN_TEXT_PATTERN)).max_length(Some(200))
}
string_schema! {
    /// Text of at most 1,000 characters that is not blank and has no NUL.
    LongText.pattern(Some(PLAIN_TEXT_PATTERN)).max_length(Some(1_000))
}
string_schema! {
    /// At most 5,000 characters, kept exactly as given (it may be empty); no NUL.
    Description.pattern(Some(TEXT_PATTERN)).max_length(Some(5_000))
}
string_schema! {
    /// At most 50,000 characters, kept exactly as given (it may be empty); no NUL.
    CustomTerms.pattern(Some(TEXT_PATTERN)).max_length(Some(50_000))
}
string_schema! {
    /// An IANA time zone name, such as `America/New_York`, spelt as the IANA database
    /// spells it (never a fixed offset); any other name is 422 `unknown_time_zone`.
    TimeZone.enum_values(Some(domain::Zone::names())).examples([json!("America/New_York")])
}
string_schema! {
    /// A day of a non-leap year, `MM-DD` (`02-29` is refused: 422 `invalid_day`).
    MonthDay.enum_values(Some(domain::instance::MonthDay::every_day())).examples([json!("05-01")])
}
string_schema! {
    /// An RFC 3339 timestamp. Any offset is accepted and normalised to UTC; output always
    /// ends in `Z`. Precision is kept to the microsecond.
    Timestamp.format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .examples([json!("2023-01-01T00:00:00Z")])
}
string_schema! {
    /// An absolute `https` or `http` URL with a host name of ASCII letters, digits, dots and
    /// hyphens (no bracketed IP literal), without white space or control characters, at
    /// most 2,048 characters.
    LogoUrl.pattern(Some(domain::LogoUrl::PATTERN)).max_length(Some(domain::LogoUrl::MAX_LEN))
        .examples([json!("https://example.com/logos/nyc-rebate.png")])
}
string_schema! {
    /// An email address: at most 200 characters, with an `@`; no NUL.
    Email.pattern(Some(DomainCustomer::EMAIL_PATTERN)).max_length(Some(200))
}
string_schema! {
    /// A form field's key: a letter, then letters, digits or `_`; at most 64 characters.
    FieldKey.pattern(Some(domain::FormConfig::KEY_PATTERN)).examples([json!("utilityAccountNumber")])
}
string_schema! {
    /// A regular expression (Rust `regex` syntax, without look-around or back-references)
    /// that submitted text must match; it must compile. Not blank, no NUL, at most 1,000
    /// characters.
    RegexSource.pattern(Some(PLAIN_TEXT_PATTERN)).max_length(Some(1_000))
        .format(Some(SchemaFormat::Custom("regex".into())))
        .examples([json!("^[0-9]{10}$")])
}
string_schema! {
    /// Text to search for: 1 to 200 characters without NUL.
    SearchText.pattern(Some(TEXT_PATTERN)).min_length(Some(1)).max_length(Some(200))
}
string_schema! {
    /// The `nextCursor` of a previous page of the same list, passed back unchanged. A
    /// cursor is opaque and carries a checksum: any other value, or an altered one, is 422.
    Cursor.pattern(Some(crate::cursor::PATTERN))
}

string_schema! {
    /// 1 to 255 visible ASCII characters, chosen by the client: the first answer to a POST
    /// with it is kept 24 hours for the workspace, and replayed to a retry with the same
    /// body.
    IdempotencyKey.pattern(Some("^[!-~]{1,255}$"))
}

string_schema! {
    /// What an API key may do.
    Scope.enum_values(Some(domain::Scope::ALL.map(domain::Scope::as_str)))
}

mod bodies;
mod documents;
mod parameters;
mod responses;

pub use bodies::*;
pub use documents::*;
pub use parameters::*;
pub use responses::*;
