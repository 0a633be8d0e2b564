//! How fast each of the city's numbers sends: a governor rate limiter
//! keyed by `phone_number_id`. Waiting for a turn holds no lock across an
//! await and ends at once when the gateway shuts down.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::num::NonZeroU32;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub struct SendRate {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    shutdown: CancellationToken,
}

/// The gateway is shutting down; the message goes back to the outbox.
#[derive(Debug, PartialEq, Eq)]
pub struct Stopped;

impl SendRate {
    pub fn new(per_second: NonZeroU32, shutdown: CancellationToken) -> Self {
        SendRate::with_quota(Quota::per_second(per_second), shutdown)
    }

    fn with_quota(quota: Quota, shutdown: CancellationToken) -> Self {
        SendRate {
            limiter: governor::RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            shutdown,
        }
    }

    /// Waits until `number` may send one more message.
    pub async fn until_ready(&self, number: &str) -> Result<(), Stopped> {
        let key = number.to_string();
        loop {
            if self.shutdown.is_cancelled() {
                return Err(Stopped);
            }
            // `check_key` is synchronous: the limiter's lock is released
            // before this task sleeps.
            let wait = match self.limiter.check_key(&key) {
                Ok(()) => return Ok(()),
                Err(not_until) => not_until.wait_time_from(self.clock.now()),
            };
            tokio::select! {
                _ = tokio::time::sleep(wait.max(Duration::from_millis(1))) => {}
                _ = self.shutdown.cancelled() => return Err(Stopped),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_number_has_its_own_budget_and_shutdown_ends_the_wait() {
        let shutdown = CancellationToken::new();
        // One message an hour: a second one has to wait.
        let quota = Quota::per_hour(NonZeroU32::new(1).unwrap());
        let rate = std::sync::Arc::new(SendRate::with_quota(quota, shutdown.clone()));
        assert_eq!(rate.until_ready("111").await, Ok(()));
        assert_eq!(rate.until_ready("222").await, Ok(()), "another number");
        let waiting = tokio::spawn({
            let rate = rate.clone();
            async move { rate.until_ready("111").await }
        });
        // The waiter is blocked on the budget, not on a lock: a third number
        // still gets its turn at once.
        assert_eq!(rate.until_ready("333").await, Ok(()));
        assert!(!waiting.is_finished());
        shutdown.cancel();
        assert_eq!(waiting.await.unwrap(), Err(Stopped));
        assert_eq!(rate.until_ready("444").await, Err(Stopped));
    }
}
