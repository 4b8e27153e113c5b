//! Webhooks as Standard Webhooks (<https://www.standardwebhooks.com>) defines them: the
//! secret, the signature, its check for consumers, and the rules for destinations.

use std::fmt;
use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::Duration;

use crate::Timestamp;

pub mod endpoint;

const SECRET_PREFIX: &str = "whsec_";

/// The bytes behind a `whsec_…` secret, keyed for signing. `Debug` never prints them.
#[derive(Clone)]
pub struct WebhookSecret {
    bytes: Vec<u8>,
    keyed: Hmac<Sha256>,
}

impl PartialEq for WebhookSecret {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for WebhookSecret {}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a webhook secret is 'whsec_' followed by base64")]
pub struct MalformedSecret;

impl WebhookSecret {
    /// The number of random bytes in a secret this service makes.
    pub const RANDOM_BYTES: usize = 24;

    /// A secret of these bytes; `None` for no bytes at all.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.is_empty() {
            return None;
        }
        let keyed = Hmac::<Sha256>::new_from_slice(bytes).ok()?;
        Some(Self {
            bytes: bytes.to_vec(),
            keyed,
        })
    }

    /// Reads `whsec_<base64>` (the prefix may be left out, as Standard Webhooks allows).
    pub fn parse(text: &str) -> Result<Self, MalformedSecret> {
        let encoded = text.strip_prefix(SECRET_PREFIX).unwrap_or(text);
        BASE64
            .decode(encoded)
            .ok()
            .and_then(|bytes| Self::from_bytes(&bytes))
            .ok_or(MalformedSecret)
    }

    /// `whsec_` and the base64 of the bytes: what the endpoint's owner is shown once.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", BASE64.encode(&self.bytes))
    }

    /// `v1,` and the base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", BASE64.encode(self.mac(id, timestamp, body)))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
        let mut mac = self.keyed.clone();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// The `webhook-signature` header for a delivery signed with every secret given (one, or
/// two during a rotation): their signatures, space-separated.
pub fn signature_header(
    secrets: &[&WebhookSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|secret| secret.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Request headers, looked up by name ignoring case.
pub trait WebhookHeaders {
    fn header(&self, name: &str) -> Option<&str>;
}

impl WebhookHeaders for [(&str, &str)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| *value)
    }
}

impl<const N: usize> WebhookHeaders for [(&str, &str); N] {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl WebhookHeaders for Vec<(String, String)> {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Why a delivery did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the secret is not 'whsec_' followed by base64")]
    MalformedSecret,
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("webhook-timestamp is not a number of seconds")]
    MalformedTimestamp,
    #[error("webhook-timestamp is outside the tolerance: the message is too old or too new")]
    OutsideTolerance,
    #[error("no signature matches")]
    NoMatchingSignature,
}

/// Checks a delivery as Standard Webhooks says a consumer should: the timestamp within
/// `tolerance` of `now`, and one of the `v1` signatures in `webhook-signature` made with
/// `secret` over the id, the timestamp and the raw body.
///
/// ```
/// use domain::webhook::verify_webhook;
/// use domain::Timestamp;
/// use time::Duration;
///
/// // The test vector of the Standard Webhooks specification.
/// let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// let headers = [
///     ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
///     ("webhook-timestamp", "1614265330"),
///     ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
/// ];
/// let body = br#"{"test": 2432232314}"#;
/// let now = Timestamp::from_unix_micros(1_614_265_330 * 1_000_000).unwrap();
/// assert_eq!(verify_webhook(secret, &headers, body, now, Duration::minutes(5)), Ok(()));
///
/// let tampered = br#"{"test": 2432232315}"#;
/// assert!(verify_webhook(secret, &headers, tampered, now, Duration::minutes(5)).is_err());
/// ```
pub fn verify_webhook(
    secret: &str,
    headers: &(impl WebhookHeaders + ?Sized),
    body: &[u8],
    now: Timestamp,
    tolerance: Duration,
) -> Result<(), VerifyError> {
    let secret = WebhookSecret::parse(secret).map_err(|_| VerifyError::MalformedSecret)?;
    let required =
        |name: &'static str| headers.header(name).ok_or(VerifyError::MissingHeader(name));
    let id = required("webhook-id")?;
    let timestamp: i64 = required("webhook-timestamp")?
        .trim()
        .parse()
        .map_err(|_| VerifyError::MalformedTimestamp)?;
    let signatures = required("webhook-signature")?;
    let now_seconds = now.unix_micros().div_euclid(1_000_000);
    if (now_seconds - timestamp).abs() > tolerance.whole_seconds() {
        return Err(VerifyError::OutsideTolerance);
    }
    let expected = secret.mac(id, timestamp, body);
    let matches = signatures.split_whitespace().any(|signature| {
        signature
            .strip_prefix("v1,")
            .and_then(|encoded| BASE64.decode(encoded).ok())
            .is_some_and(|given| constant_time_eq(&given, &expected))
    });
    if matches {
        Ok(())
    } else {
        Err(VerifyError::NoMatchingSignature)
    }
}

/// Compares without stopping at the first difference, so timing tells nothing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Where an address leads, for the rule on webhook destinations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Reachable on the internet: always allowed.
    Public,
    Loopback,
    Private,
    LinkLocal,
    Multicast,
    /// Unspecified, broadcast, documentation and other reserved ranges: never useful.
    Reserved,
}

impl AddressClass {
    pub fn of(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(v4) => {
                let [a, b, ..] = v4.octets();
                if v4.is_loopback() {
                    AddressClass::Loopback
                } else if v4.is_private() || (a == 100 && (64..128).contains(&b)) {
                    // RFC 1918, and RFC 6598's shared address space (carrier-grade NAT).
                    AddressClass::Private
                } else if v4.is_link_local() {
                    AddressClass::LinkLocal
                } else if v4.is_multicast() {
                    AddressClass::Multicast
                } else if v4.is_unspecified()
                    || v4.is_broadcast()
                    || v4.is_documentation()
                    || a == 0
                    || a >= 240
                    || (a == 192 && b == 0 && v4.octets()[2] == 0)
                    || (a == 198 && (18..20).contains(&b))
                {
                    AddressClass::Reserved
                } else {
                    AddressClass::Public
                }
            }
            IpAddr::V6(v6) => {
                if let Some(v4) = v6.to_ipv4_mapped() {
                    return AddressClass::of(IpAddr::V4(v4));
                }
                let first = v6.segments()[0];
                if v6.is_loopback() {
                    AddressClass::Loopback
                } else if v6.is_unspecified() {
                    AddressClass::Reserved
                } else if first & 0xfe00 == 0xfc00 {
                    // Unique local addresses (fc00::/7).
                    AddressClass::Private
                } else if first & 0xffc0 == 0xfe80 {
                    AddressClass::LinkLocal
                } else if v6.is_multicast() {
                    AddressClass::Multicast
                } else if first == 0x2001 && v6.segments()[1] == 0x0db8 {
                    AddressClass::Reserved
                } else {
                    AddressClass::Public
                }
            }
        }
    }

    /// Whether a delivery may go there: public addresses always, the others (but reserved
    /// ones) only when the operator allows private destinations.
    pub fn allowed(self, allow_private: bool) -> bool {
        match self {
            AddressClass::Public => true,
            AddressClass::Reserved => false,
            _ => allow_private,
        }
    }
}

/// When the next attempt of a delivery is due after `attempts` failed ones, before jitter;
/// `None` once the schedule is over (the delivery has failed). The delays are Standard
/// Webhooks' usual schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
pub fn retry_delay(attempts: u32) -> Option<Duration> {
    const SCHEDULE: [i64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];
    let index = usize::try_from(attempts).ok()?.checked_sub(1)?;
    SCHEDULE
        .get(index)
        .map(|seconds| Duration::seconds(*seconds))
}

/// How long an endpoint may fail continuously before it is disabled.
pub const DISABLE_AFTER: Duration = Duration::days(5);

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn class(text: &str) -> AddressClass {
        AddressClass::of(text.parse().unwrap())
    }

    #[test]
    fn addresses_are_classified_without_any_network() {
        assert_eq!(class("127.0.0.1"), AddressClass::Loopback);
        assert_eq!(class("127.0.0.2"), AddressClass::Loopback);
        assert_eq!(class("::1"), AddressClass::Loopback);
        assert_eq!(class("::ffff:127.0.0.1"), AddressClass::Loopback);
        for private in [
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "fd00::1",
            "fc00::1",
        ] {
            assert_eq!(class(private), AddressClass::Private, "{private}");
        }
        for link_local in ["169.254.169.254", "fe80::1"] {
            assert_eq!(class(link_local), AddressClass::LinkLocal, "{link_local}");
        }
        for multicast in ["224.0.0.1", "239.255.255.250", "ff02::1"] {
            assert_eq!(class(multicast), AddressClass::Multicast, "{multicast}");
        }
        for reserved in [
            "0.0.0.0",
            "255.255.255.255",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::",
            "2001:db8::1",
        ] {
            assert_eq!(class(reserved), AddressClass::Reserved, "{reserved}");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
        ] {
            assert_eq!(class(public), AddressClass::Public, "{public}");
        }
        assert_eq!(
            AddressClass::of(IpAddr::V6(Ipv4Addr::new(10, 1, 2, 3).to_ipv6_mapped())),
            AddressClass::Private
        );
        assert_eq!(
            AddressClass::of(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            AddressClass::Loopback
        );
    }

    #[test]
    fn only_public_destinations_are_allowed_by_default() {
        assert!(AddressClass::Public.allowed(false));
        for class in [
            AddressClass::Loopback,
            AddressClass::Private,
            AddressClass::LinkLocal,
            AddressClass::Multicast,
        ] {
            assert!(!class.allowed(false), "{class:?}");
            assert!(class.allowed(true), "{class:?}");
        }
        assert!(!AddressClass::Reserved.allowed(true));
    }

    #[test]
    fn secrets_round_trip_and_never_print() {
        let secret = WebhookSecret::from_bytes(&[7; WebhookSecret::RANDOM_BYTES]).unwrap();
        let shown = secret.expose();
        assert!(shown.starts_with("whsec_"));
        assert_eq!(WebhookSecret::parse(&shown), Ok(secret.clone()));
        assert_eq!(format!("{secret:?}"), "WebhookSecret(<redacted>)");
        assert_eq!(WebhookSecret::parse("whsec_"), Err(MalformedSecret));
        assert_eq!(WebhookSecret::parse("whsec_!!"), Err(MalformedSecret));
    }

    #[test]
    fn the_specification_s_vector_is_signed_and_verified() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        let signature = secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_rotation_signs_with_both_secrets_and_either_verifies() {
        let old = WebhookSecret::from_bytes(&[1; WebhookSecret::RANDOM_BYTES]).unwrap();
        let new = WebhookSecret::from_bytes(&[2; WebhookSecret::RANDOM_BYTES]).unwrap();
        let body = b"{}";
        let header = signature_header(&[&new, &old], "evt_1", 1_700_000_000, body);
        assert_eq!(header.split(' ').count(), 2);
        let now = Timestamp::from_unix_micros(1_700_000_010 * 1_000_000).unwrap();
        let headers = [
            ("Webhook-Id", "evt_1"),
            ("webhook-timestamp", "1700000000"),
            ("webhook-signature", header.as_str()),
        ];
        for secret in [&old, &new] {
            assert_eq!(
                verify_webhook(&secret.expose(), &headers, body, now, Duration::minutes(5)),
                Ok(())
            );
        }
        let stranger = WebhookSecret::from_bytes(&[3; WebhookSecret::RANDOM_BYTES]).unwrap();
        assert_eq!(
            verify_webhook(
                &stranger.expose(),
                &headers,
                body,
                now,
                Duration::minutes(5)
            ),
            Err(VerifyError::NoMatchingSignature)
        );
        let later = Timestamp::from_unix_micros(1_700_001_000 * 1_000_000).unwrap();
        assert_eq!(
            verify_webhook(&old.expose(), &headers, body, later, Duration::minutes(5)),
            Err(VerifyError::OutsideTolerance)
        );
        assert_eq!(
            verify_webhook(
                &old.expose(),
                &headers[..2],
                body,
                now,
                Duration::minutes(5)
            ),
            Err(VerifyError::MissingHeader("webhook-signature"))
        );
    }

    #[test]
    fn the_retry_schedule_ends_after_seven_retries() {
        let delays: Vec<_> = (1..=8).map(retry_delay).collect();
        assert_eq!(delays[0], Some(Duration::seconds(5)));
        assert_eq!(delays[6], Some(Duration::hours(10)));
        assert_eq!(delays[7], None);
        assert_eq!(retry_delay(0), None);
    }
}
