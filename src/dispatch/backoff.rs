//! Retry delays: exponential from a base, capped, with jitter so many
//! failed rows do not all come back at the same instant.

use rand::Rng;
use std::time::Duration;

/// Delay before the next try after `attempt` attempts (1-based):
/// `base * 2^(attempt-1)`, capped at `max`, then scaled by a random
/// factor in [0.5, 1.0].
pub fn delay(attempt: i32, base: Duration, max: Duration) -> Duration {
    let exp = attempt.saturating_sub(1).clamp(0, 30) as u32;
    let raw = base.saturating_mul(2u32.saturating_pow(exp)).min(max);
    let factor: f64 = rand::rng().random_range(0.5..=1.0);
    raw.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps_and_stays_within_jitter() {
        let base = Duration::from_secs(2);
        let max = Duration::from_secs(60);
        for attempt in 1..=12 {
            let full = (base * 2u32.pow((attempt - 1) as u32)).min(max);
            for _ in 0..50 {
                let d = delay(attempt, base, max);
                assert!(d <= full && d >= full / 2, "attempt {attempt}: {d:?}");
            }
        }
        assert!(delay(1000, base, max) <= max);
        assert!(delay(0, base, max) <= base);
    }
}
