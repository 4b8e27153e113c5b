//! Verifying a key that is not in the in-process cache costs a storage read and, for a key
//! never verified, an argon2 computation. What is counted is failed verifications: each
//! client address may fail `burst` times, refilled at `per_second` (governor's GCRA); the
//! failure beyond blocks the address, and until the allowance refills its verifications are
//! refused with 429 before any work. A valid key is never counted, so many connections
//! opening at once with a key not yet cached all wait for its one verification.
//!
//! The client address is the connection's peer, unless the peer is a trusted proxy: then
//! `X-Forwarded-For` is believed, read from the right, and the first address that is not a
//! trusted proxy is the client's.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

#[derive(Debug, Clone, Copy)]
pub struct FailureLimits {
    pub burst: u32,
    pub per_second: f64,
}

impl Default for FailureLimits {
    fn default() -> Self {
        Self {
            burst: 30,
            per_second: 1.0,
        }
    }
}

/// A network of proxies whose `X-Forwarded-For` is believed: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedNetwork {
    address: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for TrustedNetwork {
    type Err = String;

    /// `10.0.0.0/8`, `192.0.2.7` or `::1/128`.
    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || format!("{text:?} is not an IP address or a network such as 10.0.0.0/8");
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let address: IpAddr = address.parse().map_err(|_| invalid())?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|prefix| *prefix <= bits)
                .ok_or_else(invalid)?,
        };
        Ok(Self { address, prefix })
    }
}

impl TrustedNetwork {
    fn contains(&self, candidate: IpAddr) -> bool {
        let mask = |bits: u32| {
            u128::MAX
                .checked_shl(bits - u32::from(self.prefix))
                .unwrap_or(0)
        };
        match (self.address, candidate) {
            (IpAddr::V4(network), IpAddr::V4(candidate)) => {
                let mask = mask(32) as u32;
                u32::from(network) & mask == u32::from(candidate) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(candidate)) => {
                let mask = mask(128);
                u128::from(network) & mask == u128::from(candidate) & mask
            }
            _ => false,
        }
    }
}

/// Who the client is: the peer, or what trusted proxies say it is.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[TrustedNetwork],
) -> Option<IpAddr> {
    let is_trusted = |address: IpAddr| trusted.iter().any(|network| network.contains(address));
    let peer = peer?;
    if !is_trusted(peer) {
        return Some(peer);
    }
    let hops: Vec<IpAddr> = forwarded_for
        .unwrap_or_default()
        .split(',')
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    Some(
        hops.iter()
            .rev()
            .copied()
            .find(|hop| !is_trusted(*hop))
            .or_else(|| hops.first().copied())
            .unwrap_or(peer),
    )
}

type Limiter = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;

#[derive(Debug)]
pub struct FailureLimiter {
    limiter: Limiter,
    /// Addresses whose failures ran out, and until when.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    trusted: Vec<TrustedNetwork>,
}

impl FailureLimiter {
    pub fn new(limits: FailureLimits, trusted: Vec<TrustedNetwork>) -> Self {
        let burst = NonZeroU32::new(limits.burst).unwrap_or(NonZeroU32::MIN);
        let period = Duration::from_secs_f64(1.0 / limits.per_second.max(0.001));
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self {
            limiter: RateLimiter::keyed(quota),
            blocked: Mutex::new(HashMap::new()),
            trusted,
        }
    }

    /// The request's client address, as `TRUSTED_PROXIES` allows it to be read.
    pub fn client_of(&self, req: &HttpRequest) -> Option<IpAddr> {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|value| value.to_str().ok());
        client_address(
            req.peer_addr().map(|peer| peer.ip()),
            forwarded,
            &self.trusted,
        )
    }

    fn blocked(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Instant>> {
        // The map holds plain instants: a panic elsewhere cannot leave it inconsistent.
        self.blocked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether `address` may verify a key now; when not, how long until it may.
    pub fn check(&self, address: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        match self.blocked().get(&address) {
            Some(until) if *until > now => Err(*until - now),
            _ => Ok(()),
        }
    }

    /// Counts a failed verification from `address`; the one beyond its allowance blocks it
    /// until the allowance refills.
    pub fn failed(&self, address: IpAddr) {
        if let Err(not_until) = self.limiter.check_key(&address) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            self.blocked().insert(address, Instant::now() + wait);
        }
    }

    /// Forgets addresses whose allowance is full again, so the tables stay small.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
        let now = Instant::now();
        self.blocked().retain(|_, until| *until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network(text: &str) -> TrustedNetwork {
        text.parse().unwrap()
    }

    #[test]
    fn an_address_is_held_back_after_its_burst_and_others_are_not() {
        let limiter = FailureLimiter::new(
            FailureLimits {
                burst: 3,
                per_second: 0.001,
            },
            Vec::new(),
        );
        let attacker: IpAddr = [127, 0, 0, 9].into();
        let bystander: IpAddr = [127, 0, 0, 10].into();
        for _ in 0..3 {
            assert_eq!(limiter.check(attacker), Ok(()));
            limiter.failed(attacker);
        }
        assert_eq!(
            limiter.check(attacker),
            Ok(()),
            "three failures are allowed"
        );
        limiter.failed(attacker);
        let wait = limiter.check(attacker).unwrap_err();
        assert!(wait > Duration::from_secs(900), "{wait:?}");
        assert_eq!(limiter.check(bystander), Ok(()));
    }

    #[test]
    fn allowances_refill_over_time() {
        let limiter = FailureLimiter::new(
            FailureLimits {
                burst: 1,
                per_second: 1_000.0,
            },
            Vec::new(),
        );
        let address: IpAddr = [127, 0, 0, 9].into();
        limiter.failed(address);
        limiter.failed(address);
        assert!(
            limiter.check(address).is_err(),
            "blocked after its allowance"
        );
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(
            limiter.check(address),
            Ok(()),
            "free again once it refilled"
        );
    }

    #[test]
    fn networks_parse_and_contain() {
        assert!(network("10.0.0.0/8").contains([10, 9, 8, 7].into()));
        assert!(!network("10.0.0.0/8").contains([11, 0, 0, 1].into()));
        assert!(network("127.0.0.1").contains([127, 0, 0, 1].into()));
        assert!(!network("127.0.0.1").contains([127, 0, 0, 2].into()));
        assert!(network("::1/128").contains("::1".parse().unwrap()));
        assert!(network("0.0.0.0/0").contains([203, 0, 113, 9].into()));
        assert!(!network("::/0").contains([127, 0, 0, 1].into()));
        for bad in ["", "10.0.0.0/33", "proxy", "10.0.0.0/x"] {
            assert!(bad.parse::<TrustedNetwork>().is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxies = [network("127.0.0.0/8")];
        let peer: IpAddr = [127, 0, 0, 1].into();
        let client: IpAddr = [203, 0, 113, 9].into();
        // From a trusted proxy: the rightmost untrusted hop.
        assert_eq!(
            client_address(
                Some(peer),
                Some("198.51.100.1, 203.0.113.9, 127.0.0.5"),
                &proxies
            ),
            Some(client)
        );
        // Every hop trusted: the leftmost.
        assert_eq!(
            client_address(Some(peer), Some("127.0.0.9, 127.0.0.5"), &proxies),
            Some([127, 0, 0, 9].into())
        );
        // No header: the proxy itself.
        assert_eq!(client_address(Some(peer), None, &proxies), Some(peer));
        // An untrusted peer cannot choose its address.
        assert_eq!(
            client_address(Some(client), Some("127.0.0.1"), &proxies),
            Some(client)
        );
        assert_eq!(
            client_address(Some(peer), Some("203.0.113.9"), &[]),
            Some(peer)
        );
    }
}
