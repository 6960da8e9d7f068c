//! The ranges and parsers of the run flags' values: the engine's timings, counts, prices,
//! sizes as people write them, and `--durations` lists.

use std::time::Duration;

use super::range::{InRange, duration_in, hours, ms, secs};

// The ranges of the engine's timings: wide enough for the tests' and benchmarks' scaled
// timings (milliseconds) and for any real provider, narrow enough that no deadline or
// backoff computed from them can overflow.
pub(super) const BREAKER_COOLDOWN: InRange<Duration> = duration_in(ms(10), hours(24));
pub(super) const RECOVERY_STEP: InRange<Duration> = duration_in(ms(10), hours(1));
pub(super) const POLL_DELAY: InRange<Duration> = duration_in(Duration::ZERO, hours(1));
pub(super) const POLL_INTERVAL: InRange<Duration> = duration_in(ms(10), hours(1));
pub(super) const POLL_TIMEOUT: InRange<Duration> = duration_in(secs(1), hours(7 * 24));
pub(super) const REQUEST_TIMEOUT: InRange<Duration> = duration_in(ms(100), hours(1));
pub(super) const LOST_CREATE_WAIT: InRange<Duration> = duration_in(Duration::ZERO, hours(1));
pub(super) const GIVE_UP_AFTER: InRange<Duration> = duration_in(ms(100), hours(7 * 24));
/// No real video is under 1 MiB; the top only keeps the arithmetic sane.
pub(super) const MAX_VIDEO_BYTES: InRange<u64> =
    InRange::new(1 << 20, 1 << 50, parse_size, show_size);
/// The most jobs in flight a run may allow.
pub(super) const MAX_WORKERS: u32 = 1000;
/// A price above the most any task may plausibly cost is a typo.
pub(super) const MAX_PRICE_CENTS: u32 = crate::provider::untrusted::MAX_TASK_CENTS as u32;

/// The longest video length `--durations` takes, in seconds: an hour is far beyond any
/// provider's, and keeps per-second prices within range.
const MAX_DURATION_SECONDS: u32 = 3600;

/// `--durations`: seconds separated by commas, e.g. `10,15`. The list is leaked once, at
/// parsing, to be the `'static` slice validation's `Durations` holds like a dialect's own.
pub(super) fn parse_durations(text: &str) -> Result<&'static [u32], String> {
    let mut lengths = Vec::new();
    for part in text.split(',').map(str::trim) {
        match part.parse::<u32>() {
            Ok(seconds) if (1..=MAX_DURATION_SECONDS).contains(&seconds) => lengths.push(seconds),
            _ => {
                let part = crate::ui::escaped(part, 40);
                return Err(crate::i18n::text(
                    "cli.bad_duration",
                    &[("part", &part), ("max", &MAX_DURATION_SECONDS)],
                ));
            }
        }
    }
    lengths.sort_unstable();
    lengths.dedup();
    Ok(Box::leak(lengths.into_boxed_slice()))
}

/// A size as people write it (`4GiB`, `500MB`, `1.5 GiB`, plain bytes).
pub(super) fn parse_size(text: &str) -> Option<u64> {
    text.parse::<bytesize::ByteSize>()
        .ok()
        .map(|size| size.as_u64())
}

/// A size bound as a user would type it.
pub(super) fn show_size(bytes: &u64) -> String {
    match *bytes {
        bytes if bytes >= 1 << 50 && bytes % (1 << 50) == 0 => format!("{}PiB", bytes >> 50),
        bytes if bytes >= 1 << 40 && bytes % (1 << 40) == 0 => format!("{}TiB", bytes >> 40),
        bytes if bytes >= 1 << 30 && bytes % (1 << 30) == 0 => format!("{}GiB", bytes >> 30),
        bytes if bytes >= 1 << 20 && bytes % (1 << 20) == 0 => format!("{}MiB", bytes >> 20),
        bytes => format!("{bytes} bytes"),
    }
}
