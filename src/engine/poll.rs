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

/// Waits without progress grow by half each time up to this many intervals.
const IDLE_GROWTH: f64 = 1.5;
const IDLE_MAX_INTERVALS: u32 = 6;
/// After a job was seen at 0%, its start is only known to lie after that sighting, so the
/// extrapolation may be far off: wait at most this many times the span observed.
const UNCERTAIN_START_FACTOR: u32 = 3;
/// A server hint of 0 ms must not turn the poll loop into a busy loop.
const SHORTEST_HINT: Duration = Duration::from_secs(1);

/// One job's polling schedule. Call [`PollSchedule::next_wait`] once before each status
/// call: the first time it gives the wait from submission, then the wait after the
/// latest answer.
#[derive(Debug, Clone)]
pub struct PollSchedule {
    settings: PollSettings,
    polled: bool,
    idle_wait: Duration,
    /// Elapsed time when the job was last seen at 0% (or submission): the progress rate
    /// is measured from there, so time spent queued does not slow the estimate down.
    since: Duration,
    uncertain_start: bool,
}

impl PollSchedule {
    pub fn new(settings: PollSettings) -> Self {
        Self {
            idle_wait: settings.interval,
            settings,
            polled: false,
            since: Duration::ZERO,
            uncertain_start: false,
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
        wait.min(self.settings.timeout.saturating_sub(elapsed))
    }

    /// Whether the job has run out of time.
    pub fn timed_out(&self, elapsed: Duration) -> bool {
        elapsed >= self.settings.timeout
    }

    fn after_answer(&mut self, elapsed: Duration, progress: Option<u8>) -> Duration {
        let interval = self.settings.interval;
        match progress {
            Some(percent @ 1..=99) => {
                self.idle_wait = interval;
                self.extrapolate(elapsed, percent)
            }
            // Done computing but not reported finished yet (uploading, say): soon.
            Some(100..) => interval,
            Some(0) | None => {
                if progress == Some(0) {
                    self.since = elapsed;
                    self.uncertain_start = true;
                }
                let wait = self.idle_wait;
                let longest = interval * IDLE_MAX_INTERVALS;
                self.idle_wait = wait.mul_f64(IDLE_GROWTH).min(longest);
                wait
            }
        }
    }

    /// About half the estimated time left, so an estimate that is off by up to twice
    /// still does not overshoot; the last stretch (two intervals or less) in one wait.
    fn extrapolate(&self, elapsed: Duration, percent: u8) -> Duration {
        let interval = self.settings.interval;
        let observed = elapsed.saturating_sub(self.since);
        let left = observed.mul_f64(f64::from(100 - percent) / f64::from(percent));
        if left <= interval * 2 {
            return left.max(interval);
        }
        let mut wait = left / 2;
        if self.uncertain_start {
            wait = wait.min(observed * UNCERTAIN_START_FACTOR);
        }
        wait.max(interval)
    }
}

#[cfg(test)]
mod tests;
