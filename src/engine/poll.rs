//! When to ask a provider about a job again. Status calls are cheap but not free (they
//! count against rate limits), and a finished job noticed late holds a provider permit
//! for nothing; so the schedule extrapolates the reported progress: long waits while the
//! end is far off, `interval` near it. Pure: the caller measures time and sleeps.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollSettings {
    /// From submission to the first status call.
    pub first_delay: Duration,
    /// The shortest wait between status calls (unless the server hints shorter).
    pub interval: Duration,
    /// From submission until the job is given up on.
    pub timeout: Duration,
}

impl Default for PollSettings {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(20),
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(35 * 60),
        }
    }
}

/// Without progress, each wait is as long as the job has existed (so the calls double the
/// elapsed time), up to this many intervals while it is reported queued at 0%...
const QUEUED_MAX_INTERVALS: u32 = 12;
/// ...and this many when the provider reports no progress at all (its finish could come
/// at any moment).
const SILENT_MAX_INTERVALS: u32 = 6;
/// A server hint of 0 ms must not turn the poll loop into a busy loop.
const SHORTEST_HINT: Duration = Duration::from_secs(1);

/// One job's polling schedule. Call [`PollSchedule::next_wait`] once before each status
/// call: the first time it gives the wait from submission, then the wait after the
/// latest answer.
#[derive(Debug, Clone)]
pub struct PollSchedule {
    settings: PollSettings,
    polled: bool,
    /// Elapsed time when the job was last seen at 0% (or submission): the progress rate
    /// is measured from there, so time spent queued does not slow the estimate down.
    since: Duration,
    /// The first answer with progress (since the last 0%) and the latest one: the slope
    /// between them is the best estimate of the finish.
    anchor: Option<Sample>,
    latest: Option<Sample>,
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Duration,
    percent: u8,
}

/// With a measured slope, wait this share of the time left: close to all of it, since the
/// estimate is good, but short of it, so a slowing job is not overshot by much.
const SLOPE_SHARE: f64 = 0.85;
/// Progress points a slope must span: whole-percent rounding makes shorter ones unreliable.
const SLOPE_MIN_POINTS: u8 = 5;

impl PollSchedule {
    pub fn new(settings: PollSettings) -> Self {
        Self {
            settings,
            polled: false,
            since: Duration::ZERO,
            anchor: None,
            latest: None,
        }
    }

    pub fn settings(&self) -> &PollSettings {
        &self.settings
    }

    /// The wait before the next status call. `elapsed`: time since submission;
    /// `progress`: the latest reported percentage, if any; `poll_after`: the server's
    /// hint (`openai-poll-after-ms`), which wins when present. Never past the timeout.
    pub fn next_wait(
        &mut self,
        elapsed: Duration,
        progress: Option<u8>,
        poll_after: Option<Duration>,
    ) -> Duration {
        let wait = if self.polled {
            let estimate = self.after_answer(elapsed, progress);
            poll_after.map_or(estimate, |hint| hint.max(SHORTEST_HINT))
        } else {
            self.polled = true;
            // A job resumed after a restart may be past the first delay already.
            self.settings.first_delay.saturating_sub(elapsed)
        };
        wait.min(self.left(elapsed))
    }

    /// The time left before the job times out: no wait, whoever asks for it (a server's
    /// `Retry-After` too), goes past it.
    pub fn left(&self, elapsed: Duration) -> Duration {
        self.settings.timeout.saturating_sub(elapsed)
    }

    /// Whether the job has run out of time.
    pub fn timed_out(&self, elapsed: Duration) -> bool {
        elapsed >= self.settings.timeout
    }

    /// The time the job still needs as its progress reports suggest (for the batch's
    /// ETA): by the slope between answers once there is one, else extrapolated from its
    /// progress since it was last seen queued. `None` before any progress.
    pub fn expected_left(&self, elapsed: Duration) -> Option<Duration> {
        if let Some(left) = self.slope_estimate(elapsed) {
            return Some(left);
        }
        let latest = self.latest.filter(|latest| latest.at >= self.since)?;
        let observed = latest.at.saturating_sub(self.since);
        let whole = scaled(observed, 100.0 / f64::from(latest.percent.max(1)));
        Some(whole.saturating_sub(elapsed.saturating_sub(self.since)))
    }

    fn after_answer(&mut self, elapsed: Duration, progress: Option<u8>) -> Duration {
        let interval = self.settings.interval;
        match progress {
            Some(percent @ 1..=99) => self.extrapolate(elapsed, percent),
            // Done computing but not reported finished yet (uploading, say): soon.
            Some(100..) => interval,
            Some(0) => {
                self.since = elapsed;
                self.anchor = None;
                elapsed.clamp(interval, interval.saturating_mul(QUEUED_MAX_INTERVALS))
            }
            None => elapsed.clamp(interval, interval.saturating_mul(SILENT_MAX_INTERVALS)),
        }
    }

    /// Once two answers a while apart show progress moving, their slope says when the job
    /// ends: wait most of that. Before, only progress since the last 0% sighting is known,
    /// a much rougher guess: wait about half the time it suggests, and never longer than
    /// the span observed so far (a job that sat queued makes that guess far too long).
    /// The last stretch (two intervals or less) is waited in one go.
    fn extrapolate(&mut self, elapsed: Duration, percent: u8) -> Duration {
        let interval = self.settings.interval;
        if self.latest.is_none_or(|latest| latest.percent != percent) {
            let sample = Sample {
                at: elapsed,
                percent,
            };
            self.anchor.get_or_insert(sample);
            self.latest = Some(sample);
        }
        if let Some(left) = self.slope_estimate(elapsed) {
            if left <= interval.saturating_mul(2) {
                return left.max(interval);
            }
            return scaled(left, SLOPE_SHARE).max(interval);
        }
        let observed = elapsed.saturating_sub(self.since);
        let left = scaled(observed, f64::from(100 - percent) / f64::from(percent));
        if left <= interval.saturating_mul(2) {
            return left.max(interval);
        }
        (left / 2).min(observed).max(interval)
    }

    /// Time left by the slope from the anchor to the latest answer, once they are an
    /// interval and a few progress points apart.
    fn slope_estimate(&self, elapsed: Duration) -> Option<Duration> {
        let (first, last) = (self.anchor?, self.latest?);
        let span = last.at.checked_sub(first.at)?;
        if last.percent < first.percent.saturating_add(SLOPE_MIN_POINTS)
            || span < self.settings.interval
        {
            return None;
        }
        let per_percent = span.as_secs_f64() / f64::from(last.percent - first.percent);
        let left_then = per_percent * f64::from(100 - last.percent);
        let since_then = elapsed.saturating_sub(last.at).as_secs_f64();
        Some(
            Duration::try_from_secs_f64((left_then - since_then).max(0.0)).unwrap_or(Duration::MAX),
        )
    }
}

/// `wait × factor`, at most `Duration::MAX` (`mul_f64` panics past it).
fn scaled(wait: Duration, factor: f64) -> Duration {
    Duration::try_from_secs_f64(wait.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests;
