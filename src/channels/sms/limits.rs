//! Rate limits that protect a gateway (a GSM modem sends a few SMS a
//! minute) and each number: one limiter per gateway and one keyed by the
//! recipient. Checks are lock-free and never wait; a refused send says
//! how long to wait, and the outbox retries then.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use std::num::NonZeroU32;
use std::time::Duration;

/// `limits` of an SMS instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimits {
    /// SMS (parts, not messages) this gateway may send per minute.
    pub per_minute: u32,
    /// SMS one number may receive per minute.
    pub per_number_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            per_minute: 30,
            per_number_per_minute: 6,
        }
    }
}

pub struct Limiter {
    gateway: DefaultDirectRateLimiter,
    numbers: DefaultKeyedRateLimiter<String>,
    gateway_burst: u32,
    number_burst: u32,
    clock: DefaultClock,
}

impl Limiter {
    pub fn new(limits: RateLimits) -> Limiter {
        let per_minute = |n: u32| NonZeroU32::new(n.max(1)).expect("at least one");
        Limiter {
            gateway: RateLimiter::direct(Quota::per_minute(per_minute(limits.per_minute))),
            numbers: RateLimiter::keyed(Quota::per_minute(per_minute(
                limits.per_number_per_minute,
            ))),
            gateway_burst: limits.per_minute.max(1),
            number_burst: limits.per_number_per_minute.max(1),
            clock: DefaultClock::default(),
        }
    }

    /// Takes `sms` sends for `number`, or says how long to wait. A message
    /// longer than a whole minute's quota counts as the quota (it could
    /// otherwise never go).
    pub fn check(&self, number: &str, sms: u32) -> Result<(), Duration> {
        let n = |burst: u32| NonZeroU32::new(sms.clamp(1, burst)).expect("at least one");
        let key = number.to_string();
        match self.numbers.check_key_n(&key, n(self.number_burst)) {
            Ok(Ok(())) => {}
            Ok(Err(not_until)) => return Err(not_until.wait_time_from(self.clock.now())),
            // Cells are clamped to the burst, so capacity always suffices.
            Err(_) => {}
        }
        match self.gateway.check_n(n(self.gateway_burst)) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(not_until.wait_time_from(self.clock.now())),
            Err(_) => Ok(()),
        }
    }

    /// Forgets numbers that have not been sent to lately (memory bound).
    pub fn forget_idle(&self) {
        self.numbers.retain_recent();
        self.numbers.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_and_a_gateway_are_limited_separately() {
        let l = Limiter::new(RateLimits {
            per_minute: 5,
            per_number_per_minute: 2,
        });
        assert!(l.check("+6281", 1).is_ok());
        assert!(l.check("+6281", 1).is_ok());
        let wait = l.check("+6281", 1).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60));
        assert!(l.check("+6282", 2).is_ok());
        assert!(l.check("+6283", 1).is_ok());
        // The gateway has sent 5 now; a sixth number waits for it.
        assert!(l.check("+6284", 1).is_err());
    }

    #[test]
    fn a_message_longer_than_the_quota_still_goes() {
        let l = Limiter::new(RateLimits {
            per_minute: 3,
            per_number_per_minute: 2,
        });
        assert!(l.check("+6281", 10).is_ok());
    }
}
