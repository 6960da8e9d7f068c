//! A provider with a quota of active tasks and a scripted outage, the jobs of a run, and
//! the checks both simulations (discrete-event and paused-clock) make of a run.

use std::ops::Range;
use std::time::Duration;

use crate::engine::backoff::BackoffPolicy;
use crate::engine::breaker::FailureClass;
use crate::engine::poll::{PollSchedule, PollSettings};

pub const JOBS: usize = 2_000;
/// Tasks the provider runs at once; one more submission gets a 429.
pub const QUOTA: usize = 8;
/// From the create call to its answer.
pub const LATENCY: Duration = Duration::from_secs(2);
/// The Retry-After the provider sends with a 429.
pub const RETRY_AFTER: Duration = Duration::from_secs(5);

pub fn minutes(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

/// Every submission in this window (since the start) gets a 503.
pub fn outage() -> Range<Duration> {
    minutes(1_000)..minutes(1_015)
}

pub fn backoff() -> BackoffPolicy {
    BackoffPolicy::default()
}

/// Generation times, uniform in 3..30 minutes to the second.
pub fn generation_times(seed: u64) -> Vec<Duration> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..JOBS)
        .map(|_| Duration::from_secs(rng.u64(3 * 60..30 * 60)))
        .collect()
}

/// When a job that runs `generation` with linear progress is seen finished by the real
/// poll schedule: a few seconds after it finishes.
pub fn noticed_after(generation: Duration) -> Duration {
    let mut schedule = PollSchedule::new(PollSettings::default());
    let (mut elapsed, mut progress) = (Duration::ZERO, None);
    loop {
        elapsed += schedule.next_wait(elapsed, progress, None);
        if elapsed >= generation {
            return elapsed;
        }
        let percent = elapsed.as_secs_f64() / generation.as_secs_f64() * 100.0;
        progress = Some(percent as u8);
    }
}

#[derive(Debug, Default)]
pub struct FakeProvider {
    active: usize,
    pub peak_active: usize,
    /// Accepted submissions per job.
    pub accepted: Vec<u32>,
    pub rate_limited: usize,
    pub transient: usize,
}

impl FakeProvider {
    pub fn new() -> Self {
        Self {
            accepted: vec![0; JOBS],
            ..Self::default()
        }
    }

    /// A create call arriving `at` (since the start).
    pub fn submit(
        &mut self,
        job: usize,
        at: Duration,
    ) -> Result<(), (FailureClass, Option<Duration>)> {
        if outage().contains(&at) {
            self.transient += 1;
            return Err((FailureClass::Transient, None));
        }
        if self.active >= QUOTA {
            self.rate_limited += 1;
            return Err((FailureClass::RateLimited, Some(RETRY_AFTER)));
        }
        self.active += 1;
        self.peak_active = self.peak_active.max(self.active);
        self.accepted[job] += 1;
        Ok(())
    }

    /// A task finished generating.
    pub fn finish(&mut self) {
        self.active -= 1;
    }
}

/// What a simulated run produced.
#[derive(Debug)]
pub struct Outcome {
    pub completed: usize,
    pub makespan: Duration,
    /// Sum of generation times over the quota: the provider busy all the time.
    pub ideal: Duration,
    pub peak_permits: usize,
    pub safe_mode: Duration,
    pub provider: FakeProvider,
}

impl Outcome {
    /// The ranges every simulated run must land in. Observed over seeds 1..=12 of the
    /// discrete-event run and 1..=8 of the paused-clock run: makespan 1.009 to 1.015 ×
    /// ideal (poll lag, submit latency, the first 10 minutes in safe mode, the outage,
    /// the tail); 0.057 to 0.066 429s per job (the first burst, then one refused probe
    /// every 40 minutes); 10 to 32 503s; 26 to 35 minutes in safe mode. With the learned
    /// ceiling disabled the same run takes 1.25 × ideal with 0.2 429s per job and stays
    /// in safe mode almost throughout, so these bounds keep margin for other seeds and
    /// for tuning but catch a breaker that cycles.
    pub fn check(&self) {
        let p = &self.provider;
        assert_eq!(self.completed, JOBS, "every job completes");
        assert!(
            p.accepted.iter().all(|&n| n == 1),
            "each job accepted exactly once"
        );
        // The fake refuses beyond its quota, so this checks the fake; the permits show the
        // gate never went past the breaker's max (20 are out at once in the first burst).
        assert!(p.peak_active <= QUOTA);
        assert!(self.peak_permits <= 20, "{self:#?}");
        let per_job = p.rate_limited as f64 / JOBS as f64;
        assert!(per_job < 0.1, "{per_job} 429s per job: {self:#?}");
        // Without the pause in safe mode, freed permits cycled through 180 to 690 503s.
        assert!(p.transient <= 60, "{self:#?}");
        let ratio = self.makespan.as_secs_f64() / self.ideal.as_secs_f64();
        assert!(ratio < 1.04, "makespan {ratio:.3} × ideal: {self:#?}");
        // At least two cooldowns (the first burst, the outage); at most those plus the
        // outage itself, whose failures keep restarting the cooldown while it lasts.
        assert!(self.safe_mode >= minutes(20), "{self:#?}");
        assert!(self.safe_mode <= minutes(40), "{self:#?}");
    }
}
