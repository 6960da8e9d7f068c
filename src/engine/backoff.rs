//! How long a job waits before retrying a failed call: exponential backoff with full
//! jitter, never shorter than the server's Retry-After, plus a small random spread so
//! jobs told the same Retry-After do not all come back at the same instant.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// The ceiling of the jitter range at attempt 0; it doubles with each attempt.
    pub base: Duration,
    /// The largest jitter range (a Retry-After may still ask for longer).
    pub cap: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(5 * 60),
        }
    }
}

/// The wait before retry number `attempt + 1` (`attempt` counts failures so far, from 0):
/// `max(retry_after, random in [0, min(cap, base·2^attempt)])`, plus a spread of up to a
/// tenth of that or `min(base, 1 s)`, whichever is larger.
pub fn retry_delay(
    attempt: u32,
    retry_after: Option<Duration>,
    policy: &BackoffPolicy,
    rng: &mut fastrand::Rng,
) -> Duration {
    let range = policy
        .base
        .checked_mul(2u32.saturating_pow(attempt))
        .map_or(policy.cap, |range| range.min(policy.cap));
    let jitter = uniform(rng, range);
    let delay = retry_after.map_or(jitter, |wait| wait.max(jitter));
    // Full jitter already spreads the retries out; the spread matters when Retry-After
    // wins and would otherwise release every waiting job at once.
    let spread = (delay / 10).max(policy.base.min(Duration::from_secs(1)));
    delay + uniform(rng, spread)
}

/// A uniformly random duration in `[0, max]`, to the nanosecond.
fn uniform(rng: &mut fastrand::Rng, max: Duration) -> Duration {
    let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(rng.u64(0..=nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: usize = 2_000;

    fn samples(
        attempt: u32,
        retry_after: Option<Duration>,
        policy: &BackoffPolicy,
    ) -> Vec<Duration> {
        let mut rng = fastrand::Rng::with_seed(7);
        (0..SAMPLES)
            .map(|_| retry_delay(attempt, retry_after, policy, &mut rng))
            .collect()
    }

    fn secs(seconds: f64) -> Duration {
        Duration::from_secs_f64(seconds)
    }

    #[test]
    fn jitter_fills_the_exponential_range_up_to_the_cap() {
        let policy = BackoffPolicy::default();
        for (attempt, range) in [(0, 1.0), (3, 8.0), (8, 256.0), (9, 300.0), (40, 300.0)] {
            let delays = samples(attempt, None, &policy);
            // Range plus the spread (a tenth, or at least 1 s).
            let most = secs(range) + secs(range / 10.0).max(secs(1.0));
            assert!(delays.iter().all(|&d| d <= most), "attempt {attempt}");
            // Full jitter: some retries come early, some late.
            assert!(
                delays.iter().any(|&d| d < secs(range / 4.0)),
                "attempt {attempt}"
            );
            assert!(
                delays.iter().any(|&d| d > secs(range * 0.75)),
                "attempt {attempt}"
            );
            // Uniform jitter averages half the range; the spread adds at most another 0.55 s
            // (at least 1 s wide) or a twentieth of the range on average.
            let mean = delays.iter().sum::<Duration>().as_secs_f64() / SAMPLES as f64;
            let (low, high) = (range * 0.45, range * 0.6 + 0.55);
            assert!(mean > low && mean < high, "attempt {attempt}: {mean}");
        }
    }

    #[test]
    fn retry_after_is_a_floor_with_a_small_spread_above_it() {
        let policy = BackoffPolicy::default();
        let wait = secs(30.0);
        let delays = samples(0, Some(wait), &policy);
        assert!(delays.iter().all(|&d| d >= wait && d <= wait + secs(3.0)));
        let distinct: std::collections::BTreeSet<_> =
            delays.iter().map(|d| d.as_millis()).collect();
        assert!(
            distinct.len() > SAMPLES / 2,
            "the spread keeps retries apart"
        );
        // A Retry-After longer than the cap still wins.
        let long = secs(600.0);
        assert!(samples(2, Some(long), &policy).iter().all(|&d| d >= long));
        // A late attempt's jitter can exceed a short Retry-After.
        assert!(
            samples(6, Some(secs(1.0)), &policy)
                .iter()
                .any(|&d| d > secs(10.0))
        );
    }

    #[test]
    fn a_fast_policy_for_tests_keeps_delays_tiny_and_a_seed_repeats_them() {
        let policy = BackoffPolicy {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(50),
        };
        let delays = samples(12, None, &policy);
        assert!(delays.iter().all(|&d| d <= Duration::from_millis(60)));
        assert_eq!(delays, samples(12, None, &policy));
    }
}
