//! Failed authentications are rate-limited per client address: each address has a bucket of
//! `burst` failures that refills at `per_second`; an empty bucket answers 429 before any
//! database read or argon2 work. Keys already verified (cached) are never held up.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct FailureLimits {
    pub burst: u32,
    pub per_second: f64,
}

impl Default for FailureLimits {
    fn default() -> Self {
        Self {
            burst: 20,
            per_second: 1.0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Addresses tracked at most; beyond, buckets that have refilled are forgotten first.
const MAX_ADDRESSES: usize = 100_000;

#[derive(Debug)]
pub struct FailureLimiter {
    limits: FailureLimits,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl FailureLimiter {
    pub fn new(limits: FailureLimits) -> Self {
        Self {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refilled(&self, bucket: Bucket, now: Instant) -> Bucket {
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        let tokens =
            (bucket.tokens + elapsed * self.limits.per_second).min(f64::from(self.limits.burst));
        Bucket {
            tokens,
            updated: now,
        }
    }

    /// How long `address` must wait before its next attempt, if it must.
    pub fn wait_for(&self, address: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = self.refilled(*buckets.get(&address)?, now);
        if bucket.tokens >= 1.0 {
            return None;
        }
        let missing = 1.0 - bucket.tokens;
        Some(Duration::from_secs_f64(
            missing / self.limits.per_second.max(f64::MIN_POSITIVE),
        ))
    }

    pub fn record_failure(&self, address: IpAddr) {
        let now = Instant::now();
        let full = Bucket {
            tokens: f64::from(self.limits.burst),
            updated: now,
        };
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_ADDRESSES && !buckets.contains_key(&address) {
            let burst = f64::from(self.limits.burst);
            buckets.retain(|_, bucket| self.refilled(*bucket, now).tokens < burst);
            if buckets.len() >= MAX_ADDRESSES {
                buckets.clear();
            }
        }
        let bucket = self.refilled(*buckets.get(&address).unwrap_or(&full), now);
        buckets.insert(
            address,
            Bucket {
                tokens: (bucket.tokens - 1.0).max(0.0),
                updated: now,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_held_back_after_its_burst_and_others_are_not() {
        let limiter = FailureLimiter::new(FailureLimits {
            burst: 3,
            per_second: 0.001,
        });
        let attacker: IpAddr = [127, 0, 0, 9].into();
        let bystander: IpAddr = [127, 0, 0, 10].into();
        for _ in 0..3 {
            assert_eq!(limiter.wait_for(attacker), None);
            limiter.record_failure(attacker);
        }
        let wait = limiter.wait_for(attacker).expect("held back");
        assert!(wait > Duration::from_secs(900), "{wait:?}");
        assert_eq!(limiter.wait_for(bystander), None);
    }

    #[test]
    fn buckets_refill_over_time() {
        let limiter = FailureLimiter::new(FailureLimits {
            burst: 1,
            per_second: 1_000.0,
        });
        let address: IpAddr = [127, 0, 0, 9].into();
        limiter.record_failure(address);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(limiter.wait_for(address), None);
    }
}
