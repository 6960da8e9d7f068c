//! How long the batch has left, for the progress display. Before any video lands, the
//! only basis is what the provider reports: each waiting job's progress, extrapolated by
//! its poll schedule into the time it has left and so its whole duration. Once tasks
//! finish, their real durations join those projections. From a typical duration `D`,
//! the time each job at the provider has left and the jobs not yet submitted, with at
//! most `limit` jobs at once, the estimate is the largest of three bounds: the slowest
//! job at the provider, one whole job if any is still to be submitted, and the work left
//! shared by `limit` workers. With no basis yet (nothing reported progress), there is no
//! estimate: the display says so rather than show a number it cannot back.
//! Downloads are not counted: they take seconds where a generation takes minutes.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::journal::JobKey;

#[derive(Debug, Default)]
pub struct Eta {
    watched: HashMap<JobKey, Watched>,
    /// Sum and count of the durations of tasks seen finished at the provider.
    finished: (Duration, u32),
}

#[derive(Debug, Clone, Copy)]
struct Watched {
    submitted: Instant,
    /// When the job is expected to end at the provider, once its progress says.
    ends: Option<Instant>,
    /// It has ended there (its video may still be downloading).
    done: bool,
}

impl Eta {
    /// A job waits at the provider since `submitted`; `left`: the time its poll schedule
    /// expects it still needs, once its progress gives a basis.
    pub fn report(
        &mut self,
        key: &JobKey,
        submitted: Instant,
        now: Instant,
        left: Option<Duration>,
    ) {
        let watched = self.watched.entry(key.clone()).or_insert(Watched {
            submitted,
            ends: None,
            done: false,
        });
        if let Some(left) = left {
            watched.ends = Some(now + left);
        }
    }

    /// The job's task ended at the provider at `now`: a measured duration.
    pub fn ended(&mut self, key: &JobKey, now: Instant) {
        if let Some(watched) = self.watched.get_mut(key).filter(|watched| !watched.done) {
            watched.done = true;
            self.finished.0 += now.saturating_duration_since(watched.submitted);
            self.finished.1 += 1;
        }
    }

    /// The job's outcome is counted: it is no longer part of what is left.
    pub fn forget(&mut self, key: &JobKey) {
        self.watched.remove(key);
    }

    /// The time until the batch is done: `remaining` jobs whose outcome is not counted yet
    /// (those at the provider included), at most `limit` at the provider at once. `None`
    /// while there is no basis for a number.
    pub fn estimate(&self, now: Instant, remaining: u64, limit: u64) -> Option<Duration> {
        if remaining == 0 {
            return Some(Duration::ZERO);
        }
        let typical = self.typical()?;
        let left: Vec<Duration> = self
            .watched
            .values()
            .map(|job| match (job.done, job.ends) {
                (true, _) => Duration::ZERO,
                (false, Some(ends)) => ends.saturating_duration_since(now),
                // Not reporting progress yet: a typical job's time, less what it has had.
                (false, None) => (job.submitted + typical).saturating_duration_since(now),
            })
            .collect();
        let queued = remaining.saturating_sub(left.len() as u64);
        let slowest = left.iter().max().copied().unwrap_or_default();
        let one_more = if queued > 0 { typical } else { Duration::ZERO };
        let queued_work = typical.saturating_mul(u32::try_from(queued).unwrap_or(u32::MAX));
        let work = left.iter().sum::<Duration>().saturating_add(queued_work);
        let shared = work / u32::try_from(limit.max(1)).unwrap_or(u32::MAX);
        Some(slowest.max(one_more).max(shared))
    }

    /// The mean duration of a job at the provider: measured for those that ended there,
    /// projected for those whose progress says when they will.
    fn typical(&self) -> Option<Duration> {
        let projected = self
            .watched
            .values()
            .filter(|job| !job.done)
            .filter_map(|job| Some(job.ends?.saturating_duration_since(job.submitted)));
        let (sum, count) = projected.fold(self.finished, |(sum, count), duration| {
            (sum + duration, count + 1)
        });
        (count > 0).then(|| sum / count)
    }
}

#[cfg(test)]
mod tests;
