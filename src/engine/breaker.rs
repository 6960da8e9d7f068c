//! The adaptive circuit breaker: how many jobs may be in flight at the provider. A pure
//! state machine — time arrives as `now` and nothing here reads a clock or sleeps — so
//! table and property tests drive it directly; `gate.rs` wraps it for the scheduler.
//!
//! `threshold` consecutive submit failures drop the limit from `max` to `min` (safe mode)
//! for `cooldown` (a failure in safe mode restarts it and briefly pauses every
//! submission); then the limit grows one permit per `recovery_step`. A 429 seen with N
//! jobs in flight teaches a ceiling of about N − 1: recovery stops there and only now and
//! then probes one permit above it. Every state change bumps the epoch, and failures of
//! calls issued before the latest change are ignored, so one burst trips the breaker once.

use std::time::Duration;

use tokio::time::Instant;

/// The breaker's numbers; every one is a flag with an environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerSettings {
    /// The limit when all is well.
    pub max: usize,
    /// The limit in safe mode; the learned ceiling never goes below it.
    pub min: usize,
    /// Consecutive counted failures that trip the breaker.
    pub threshold: u32,
    /// How long safe mode lasts after the latest counted failure; also how long the
    /// breaker holds at a learned ceiling before probing above it (doubling, up to four
    /// times as long, while probes keep being refused).
    pub cooldown: Duration,
    /// One more permit per step while recovering.
    pub recovery_step: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            max: 20,
            min: 5,
            threshold: 2,
            cooldown: Duration::from_secs(10 * 60),
            recovery_step: Duration::from_secs(60),
        }
    }
}

/// The submit failures the breaker counts; the other error classes are per-job matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// HTTP 429.
    RateLimited,
    /// 5xx, an HTML error page, a reset or a timeout.
    Transient,
}

/// What the breaker learns. `epoch` and `in_flight` are the values at the time the call
/// was issued (its permit's); `in_flight` counts the call itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The provider accepted a job. `after_retries`: it had failed before.
    Submitted {
        epoch: u64,
        in_flight: usize,
        after_retries: bool,
    },
    /// A submission failed with a counted class.
    Failed {
        epoch: u64,
        in_flight: usize,
        class: FailureClass,
        retry_after: Option<Duration>,
    },
    /// Time passed: apply the cooldown end, recovery steps and probes that are due.
    Tick,
}

/// A state change, for the caller to log. `old == new` when only the phase changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub old: usize,
    pub new: usize,
    pub reason: Reason,
}

/// Why the state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// `threshold` consecutive failures, or one while recovering: safe mode.
    Tripped {
        class: FailureClass,
        cooldown: Duration,
    },
    /// Another failure in safe mode: the cooldown starts over.
    CooldownRestarted {
        class: FailureClass,
        cooldown: Duration,
    },
    /// One recovery step.
    Recovered,
    /// Recovery reached the learned ceiling and holds there.
    ReachedCeiling { ceiling: usize },
    /// One permit above the ceiling, to see whether the provider has more room now.
    ProbeOpened { ceiling: usize },
    /// The probe got a 429: the ceiling stands; the next probe waits `next_probe`.
    ProbeRefused {
        ceiling: usize,
        next_probe: Duration,
    },
    /// The provider took a job above the ceiling: the ceiling rises by one.
    ProbeAccepted { ceiling: usize },
    /// A 429 below the learned ceiling: the ceiling drops.
    CeilingLowered { ceiling: usize },
    /// Back at `max`.
    Full,
}

/// The breaker's state for the progress display; `Display` gives a short label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Full {
        limit: usize,
    },
    SafeMode {
        limit: usize,
        cooldown_left: Duration,
    },
    Recovering {
        limit: usize,
        target: usize,
    },
    /// At the learned ceiling; `limit == ceiling + 1` while a probe is open.
    Holding {
        limit: usize,
        ceiling: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Full,
    Tripped {
        until: Instant,
    },
    Recovering {
        next_step: Instant,
    },
    /// `next_probe` is `None` while a probe is open (limit = ceiling + 1).
    Holding {
        next_probe: Option<Instant>,
    },
}

/// The first pause after a failure in safe mode; see [`Breaker::pause_everyone`].
const SAFE_MODE_FIRST_PAUSE: Duration = Duration::from_secs(1);

/// Probes refused in a row widen the probe interval up to this many doublings of
/// `cooldown` (10, 20, 40 minutes by default): a provider that stays full is asked less.
const MAX_PROBE_DOUBLINGS: u32 = 2;

#[derive(Debug, Clone)]
pub struct Breaker {
    settings: BreakerSettings,
    limit: usize,
    epoch: u64,
    phase: Phase,
    /// Consecutive counted failures.
    failures: u32,
    /// The provider's learned capacity, in `[min, max)`; `None` when unknown or ≥ max.
    ceiling: Option<usize>,
    refused_probes: u32,
    hold_until: Option<Instant>,
}

impl Breaker {
    /// Starts at `max`. Settings are made consistent: `1 ≤ min ≤ max`, `threshold ≥ 1`.
    pub fn new(mut settings: BreakerSettings) -> Self {
        settings.max = settings.max.max(1);
        settings.min = settings.min.clamp(1, settings.max);
        settings.threshold = settings.threshold.max(1);
        Self {
            limit: settings.max,
            settings,
            epoch: 0,
            phase: Phase::Full,
            failures: 0,
            ceiling: None,
            refused_probes: 0,
            hold_until: None,
        }
    }

    pub fn settings(&self) -> &BreakerSettings {
        &self.settings
    }

    /// How many jobs may be in flight now.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bumped at every state change; calls carry the epoch they were issued at.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The provider's learned capacity, when one is known below `max`.
    pub fn ceiling(&self) -> Option<usize> {
        self.ceiling
    }

    /// No submission before this instant (the longest Retry-After seen).
    pub fn hold_until(&self) -> Option<Instant> {
        self.hold_until
    }

    pub fn may_submit(&self, now: Instant) -> bool {
        self.hold_until.is_none_or(|hold| now >= hold)
    }

    pub fn mode(&self, now: Instant) -> Mode {
        let limit = self.limit;
        match self.phase {
            Phase::Full => Mode::Full { limit },
            Phase::Tripped { until } => Mode::SafeMode {
                limit,
                cooldown_left: until.saturating_duration_since(now),
            },
            Phase::Recovering { .. } => Mode::Recovering {
                limit,
                target: self.target(),
            },
            Phase::Holding { .. } => Mode::Holding {
                limit,
                ceiling: self.target(),
            },
        }
    }

    /// When a `Tick` could next change something (including the end of a Retry-After
    /// hold), so an async wrapper knows how long to sleep.
    pub fn next_deadline(&self) -> Option<Instant> {
        let phase = match self.phase {
            Phase::Tripped { until } => Some(until),
            Phase::Recovering { next_step } => Some(next_step),
            Phase::Holding { next_probe } => next_probe,
            Phase::Full => None,
        };
        match (phase, self.hold_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Applies what is due at `now`, then the event. Several changes in one call are
    /// reported as one: the limit before, the limit after, and the latest reason.
    pub fn on_event(&mut self, now: Instant, event: Event) -> Option<Change> {
        let old = self.limit;
        let due = self.advance(now);
        let reason = match event {
            Event::Tick => None,
            Event::Submitted {
                in_flight,
                after_retries,
                ..
            } => self.on_submitted(now, in_flight, after_retries),
            Event::Failed {
                epoch,
                in_flight,
                class,
                retry_after,
            } => self.on_failed(now, epoch, in_flight, class, retry_after),
        };
        reason.or(due).map(|reason| Change {
            old,
            new: self.limit,
            reason,
        })
    }

    /// Where recovery stops: the learned ceiling, or `max`.
    fn target(&self) -> usize {
        self.ceiling.unwrap_or(self.settings.max)
    }

    /// Never shorter than a recovery step, so the limit rises at most one per step.
    fn probe_interval(&self) -> Duration {
        let base = self.settings.cooldown.max(self.settings.recovery_step);
        base.saturating_mul(2u32.pow(self.refused_probes.min(MAX_PROBE_DOUBLINGS)))
    }

    fn set(&mut self, limit: usize, phase: Phase) {
        self.limit = limit;
        self.phase = phase;
        self.epoch += 1;
    }

    /// Catches up with every deadline up to `now`, each at its own scheduled instant so
    /// the result does not depend on how often the caller ticks.
    fn advance(&mut self, now: Instant) -> Option<Reason> {
        if self.hold_until.is_some_and(|hold| hold <= now) {
            self.hold_until = None;
        }
        let mut reason = None;
        loop {
            reason = Some(match self.phase {
                Phase::Tripped { until } if until <= now => self.step_up(until),
                Phase::Recovering { next_step } if next_step <= now => self.step_up(next_step),
                Phase::Holding {
                    next_probe: Some(at),
                } if at <= now => {
                    let ceiling = self.target();
                    self.set(ceiling + 1, Phase::Holding { next_probe: None });
                    Reason::ProbeOpened { ceiling }
                }
                _ => return reason,
            });
        }
    }

    /// One permit more (at `at`, the scheduled instant), then decide what comes next.
    fn step_up(&mut self, at: Instant) -> Reason {
        let target = self.target();
        let limit = (self.limit + 1).min(target);
        if limit < target {
            let next_step = later(at, self.settings.recovery_step);
            self.set(limit, Phase::Recovering { next_step });
            Reason::Recovered
        } else if self.ceiling.is_none() {
            self.set(limit, Phase::Full);
            Reason::Full
        } else {
            let next_probe = Some(later(at, self.probe_interval()));
            self.set(limit, Phase::Holding { next_probe });
            Reason::ReachedCeiling { ceiling: target }
        }
    }

    fn on_submitted(
        &mut self,
        now: Instant,
        in_flight: usize,
        after_retries: bool,
    ) -> Option<Reason> {
        // A job that needed retries proves little about the provider's health right now.
        if !after_retries {
            self.failures = 0;
        }
        // Accepted with more in flight than the ceiling: the provider has more room. Any
        // epoch: an acceptance is evidence whenever the call was issued.
        let ceiling = self.ceiling.filter(|&ceiling| in_flight > ceiling)? + 1;
        self.refused_probes = 0;
        self.ceiling = (ceiling < self.settings.max).then_some(ceiling);
        if !matches!(self.phase, Phase::Holding { .. }) {
            return None; // recovery heads for the new target on its own
        }
        if self.limit < ceiling {
            // Not a probe of ours (a call from before the latest change): climb normally.
            let next_step = later(now, self.settings.recovery_step);
            self.set(self.limit, Phase::Recovering { next_step });
        } else if self.ceiling.is_none() {
            self.set(self.settings.max, Phase::Full);
            return Some(Reason::Full);
        } else {
            // Our probe got in: keep probing at the recovery pace while they succeed.
            let next_probe = Some(later(now, self.settings.recovery_step));
            self.set(self.limit, Phase::Holding { next_probe });
        }
        Some(Reason::ProbeAccepted { ceiling })
    }

    fn on_failed(
        &mut self,
        now: Instant,
        epoch: u64,
        in_flight: usize,
        class: FailureClass,
        retry_after: Option<Duration>,
    ) -> Option<Reason> {
        // The server's explicit instruction holds whatever the epoch.
        if let Some(wait) = retry_after {
            self.hold(later(now, wait));
        }
        if epoch < self.epoch {
            return None; // issued before the latest change, which already accounts for it
        }
        let holding = matches!(self.phase, Phase::Holding { .. });
        if class == FailureClass::RateLimited && holding && in_flight > self.target() {
            return Some(self.refuse_probe(now));
        }
        let lowered = class == FailureClass::RateLimited && self.learn_ceiling(in_flight);
        // Holding at a learned ceiling, a 429 that lowers it is capacity being measured
        // (often a lucky probe that raised it a step too far), not a failure streak:
        // tripping to safe mode for it would idle capacity the provider does have.
        if holding && lowered {
            let next_probe = Some(later(now, self.probe_interval()));
            self.set(self.target(), Phase::Holding { next_probe });
            return Some(Reason::CeilingLowered {
                ceiling: self.target(),
            });
        }
        self.failures += 1;
        match self.phase {
            Phase::Tripped { .. } => {
                self.pause_everyone(now);
                let until = later(now, self.settings.cooldown);
                self.set(self.limit, Phase::Tripped { until });
                let cooldown = self.settings.cooldown;
                Some(Reason::CooldownRestarted { class, cooldown })
            }
            Phase::Recovering { .. } => Some(self.trip(now, class)),
            _ if self.failures >= self.settings.threshold => Some(self.trip(now, class)),
            _ => None,
        }
    }

    /// A single 429 above the ceiling re-confirms it: back to the ceiling, no trip, and
    /// the next probe waits longer.
    fn refuse_probe(&mut self, now: Instant) -> Reason {
        self.refused_probes += 1;
        let next_probe = self.probe_interval();
        let ceiling = self.target();
        let phase = Phase::Holding {
            next_probe: Some(later(now, next_probe)),
        };
        self.set(ceiling, phase);
        Reason::ProbeRefused {
            ceiling,
            next_probe,
        }
    }

    /// A 429 with `in_flight` jobs (this one included) says the capacity is at most
    /// `in_flight − 1`. Returns whether the ceiling dropped.
    fn learn_ceiling(&mut self, in_flight: usize) -> bool {
        let seen = in_flight.saturating_sub(1).max(self.settings.min);
        if seen >= self.settings.max || self.ceiling.is_some_and(|known| known <= seen) {
            return false;
        }
        self.ceiling = Some(seen);
        self.refused_probes = 0;
        true
    }

    fn hold(&mut self, until: Instant) {
        self.hold_until = Some(self.hold_until.map_or(until, |held| held.max(until)));
    }

    /// Safe mode limits how many jobs are in flight, not how fast they fail: in an
    /// outage each failed submission frees its permit for the next job at once. So each
    /// failure in safe mode also pauses every submission, 1 s, 2 s, 4 s… up to a tenth of
    /// the cooldown, and a hard outage costs a call a minute rather than dozens.
    fn pause_everyone(&mut self, now: Instant) {
        let doublings = self.failures.saturating_sub(1).min(20);
        let pause = SAFE_MODE_FIRST_PAUSE.saturating_mul(2u32.pow(doublings));
        let pause = pause.min(self.settings.cooldown / 10);
        self.hold(later(now, pause));
    }

    fn trip(&mut self, now: Instant, class: FailureClass) -> Reason {
        self.failures = 0;
        let cooldown = self.settings.cooldown;
        let until = later(now, cooldown);
        self.set(self.settings.min, Phase::Tripped { until });
        Reason::Tripped { class, cooldown }
    }
}

mod labels;
/// `wait` after `at`, or as late as an instant goes: the flags' ranges keep every wait
/// far from the end of time, and this keeps a future change from turning into a panic.
fn later(at: Instant, wait: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 86_400);
    at.checked_add(wait).unwrap_or_else(|| at + CENTURY)
}

#[cfg(test)]
mod tests;
