//! The provider's clock, as its answers' `Date` headers tell it: how far it is from ours.
//!
//! A lost create is found again by its creation time, which the provider stamps with its
//! own clock. Comparing that stamp with our clock would miss the task whenever the two
//! disagree by more than the search's margin (a laptop 3 minutes fast is enough), and a
//! miss means paying again. So every answer's `Date` is read, and the journal records the
//! difference with each `submitting`: the search then compares on the provider's clock.

use std::sync::Mutex;
use std::time::SystemTime;

use reqwest::header::{DATE, HeaderMap};

/// The farthest a provider's `Date` may be from our clock and still be believed: a day.
const MOST_PLAUSIBLE_SKEW_MS: u64 = 24 * 60 * 60 * 1000;

/// The latest known difference between the provider's clock and ours.
#[derive(Debug, Default)]
pub struct ProviderClock {
    offset_ms: Mutex<Option<i64>>,
}

impl ProviderClock {
    /// Reads an answer's `Date` header, if it has a usable one.
    pub fn observe(&self, headers: &HeaderMap) {
        let date = headers
            .get(DATE)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| httpdate::parse_http_date(text).ok());
        if let Some(date) = date {
            self.observe_date(date, SystemTime::now());
        }
    }

    /// `date` is whole seconds, cut off: the provider's moment lies within the second after
    /// it, so its middle is the best guess. A `Date` more than a day from our clock is not
    /// taken: a clock that wrong is a proxy's or a CDN's, not the one that stamps the
    /// tasks, and a window opened on it could miss a lost create and pay again. Without a
    /// clock the search opens its window wide instead.
    fn observe_date(&self, date: SystemTime, now: SystemTime) {
        let offset = unix_ms(date)
            .saturating_add(500)
            .saturating_sub(unix_ms(now));
        if offset.unsigned_abs() > MOST_PLAUSIBLE_SKEW_MS {
            return;
        }
        *self.offset_ms.lock().unwrap_or_else(|p| p.into_inner()) = Some(offset);
    }

    /// Provider time minus our time, in milliseconds, once an answer has said.
    pub fn offset_ms(&self) -> Option<i64> {
        *self.offset_ms.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Signed unix milliseconds (a clock set before 1970 is wrong, not impossible).
fn unix_ms(at: SystemTime) -> i64 {
    match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn the_offset_is_the_providers_time_minus_ours() {
        let clock = ProviderClock::default();
        assert_eq!(clock.offset_ms(), None, "unknown until an answer says");
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        clock.observe_date(now - Duration::from_secs(180), now);
        assert_eq!(clock.offset_ms(), Some(-179_500));
        clock.observe_date(now + Duration::from_secs(600), now);
        assert_eq!(clock.offset_ms(), Some(600_500), "the latest answer wins");
    }

    #[test]
    fn a_date_years_away_from_ours_is_not_believed() {
        let clock = ProviderClock::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let years = Duration::from_secs(4 * 365 * 24 * 3600);
        clock.observe_date(now + years, now);
        clock.observe_date(now - years, now);
        assert_eq!(clock.offset_ms(), None, "a proxy's broken clock");
        clock.observe_date(now - Duration::from_secs(600), now);
        clock.observe_date(now + years, now);
        assert_eq!(
            clock.offset_ms(),
            Some(-599_500),
            "the last believable one stays"
        );
    }

    #[test]
    fn answers_without_a_usable_date_change_nothing() {
        let clock = ProviderClock::default();
        let mut headers = HeaderMap::new();
        clock.observe(&headers);
        headers.insert(DATE, HeaderValue::from_static("yesterday"));
        clock.observe(&headers);
        assert_eq!(clock.offset_ms(), None);
        let date = httpdate::fmt_http_date(SystemTime::now());
        headers.insert(DATE, HeaderValue::from_str(&date).unwrap());
        clock.observe(&headers);
        let offset = clock.offset_ms().unwrap();
        assert!((-1_500..=1_500).contains(&offset), "{offset}");
    }
}
