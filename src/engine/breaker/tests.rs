use super::*;
use proptest::prelude::*;

use FailureClass::{RateLimited, Transient};

const STEP: Duration = Duration::from_secs(60);
const COOLDOWN: Duration = Duration::from_secs(600);

fn mins(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

/// One row of a scripted scenario.
#[derive(Debug, Clone, Copy)]
enum Act {
    /// A failure of a call issued now, with this many in flight.
    Fail(FailureClass, usize),
    /// A failure of a call issued one epoch ago.
    Stale(FailureClass, usize),
    /// Accepted at the first attempt, with this many in flight.
    Ok(usize),
    /// Accepted after retries.
    OkAfterRetries(usize),
    Tick,
}

struct Script {
    breaker: Breaker,
    start: Instant,
}

impl Script {
    fn new() -> Self {
        Self {
            breaker: Breaker::new(BreakerSettings::default()),
            start: Instant::now(),
        }
    }

    fn apply(&mut self, at: Duration, act: Act) -> Option<Change> {
        let epoch = self.breaker.epoch();
        let event = match act {
            Act::Fail(class, in_flight) | Act::Stale(class, in_flight) => Event::Failed {
                epoch: if matches!(act, Act::Stale(..)) {
                    epoch.saturating_sub(1)
                } else {
                    epoch
                },
                in_flight,
                class,
                retry_after: None,
            },
            Act::Ok(in_flight) | Act::OkAfterRetries(in_flight) => Event::Submitted {
                epoch,
                in_flight,
                after_retries: matches!(act, Act::OkAfterRetries(_)),
            },
            Act::Tick => Event::Tick,
        };
        self.breaker.on_event(self.start + at, event)
    }

    /// Runs rows of (time, act, limit after, label after).
    fn run(&mut self, rows: &[(Duration, Act, usize, &str)]) {
        for (row, &(at, act, limit, label)) in rows.iter().enumerate() {
            self.apply(at, act);
            let mode = self.breaker.mode(self.start + at).to_string();
            assert_eq!(
                (self.breaker.limit(), mode.as_str()),
                (limit, label),
                "row {row}: {act:?} at {at:?}"
            );
        }
    }
}

#[test]
fn trips_after_threshold_failures_and_recovers_one_step_a_minute() {
    let s = Duration::from_secs;
    let trip = s(30);
    Script::new().run(&[
        (s(0), Act::Fail(Transient, 10), 20, "full speed"),
        (s(10), Act::Ok(10), 20, "full speed"),
        (s(20), Act::Fail(Transient, 10), 20, "full speed"),
        (
            trip,
            Act::Fail(Transient, 10),
            5,
            "slowed down after provider errors, for another 10m",
        ),
        (
            trip + mins(9),
            Act::Tick,
            5,
            "slowed down after provider errors, for another 1m",
        ),
        (
            trip + s(599),
            Act::Tick,
            5,
            "slowed down after provider errors, for another 1s",
        ),
        (trip + mins(10), Act::Tick, 6, "speeding back up to 20"),
        (
            trip + mins(11) - s(1),
            Act::Tick,
            6,
            "speeding back up to 20",
        ),
        (trip + mins(11), Act::Tick, 7, "speeding back up to 20"),
        // Ticking late applies every step that was due, each at its own instant.
        (trip + mins(15), Act::Tick, 11, "speeding back up to 20"),
        (trip + mins(24), Act::Tick, 20, "full speed"),
        (trip + mins(90), Act::Tick, 20, "full speed"),
    ]);
}

#[test]
fn a_failure_while_recovering_trips_at_once_and_one_in_safe_mode_restarts_the_cooldown() {
    Script::new().run(&[
        (mins(0), Act::Fail(Transient, 3), 20, "full speed"),
        (
            mins(0),
            Act::Fail(Transient, 3),
            5,
            "slowed down after provider errors, for another 10m",
        ),
        (
            mins(4),
            Act::Fail(Transient, 3),
            5,
            "slowed down after provider errors, for another 10m",
        ),
        (
            mins(13),
            Act::Tick,
            5,
            "slowed down after provider errors, for another 1m",
        ),
        (mins(15), Act::Tick, 7, "speeding back up to 20"),
        (
            mins(15),
            Act::Fail(RateLimited, 30),
            5,
            "slowed down after provider errors, for another 10m",
        ),
        (mins(25), Act::Tick, 6, "speeding back up to 20"),
    ]);
}

#[test]
fn failures_in_safe_mode_pause_every_submission_a_little_longer_each_time() {
    let mut script = Script::new();
    script.apply(mins(0), Act::Fail(Transient, 3));
    script.apply(mins(0), Act::Fail(Transient, 3));
    assert_eq!(
        script.breaker.hold_until(),
        None,
        "tripping alone pauses nothing"
    );
    let mut pauses = Vec::new();
    for minute in 1..=9 {
        script.apply(mins(minute), Act::Fail(Transient, 3));
        let hold = script.breaker.hold_until().unwrap();
        pauses.push((hold - (script.start + mins(minute))).as_secs());
    }
    assert_eq!(pauses, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    // A job accepted at its first attempt shows the provider works again.
    script.apply(mins(10), Act::Ok(3));
    script.apply(mins(11), Act::Fail(Transient, 3));
    let hold = script.breaker.hold_until().unwrap();
    assert_eq!(hold - (script.start + mins(11)), Duration::from_secs(1));
}

#[test]
fn a_success_after_retries_does_not_reset_the_failure_count() {
    Script::new().run(&[
        (mins(0), Act::Fail(Transient, 3), 20, "full speed"),
        (mins(1), Act::OkAfterRetries(3), 20, "full speed"),
        (
            mins(2),
            Act::Fail(Transient, 3),
            5,
            "slowed down after provider errors, for another 10m",
        ),
    ]);
}

#[test]
fn twenty_in_flight_429s_trip_once() {
    let mut script = Script::new();
    let epoch = script.breaker.epoch();
    let changes: Vec<Change> = (1..=20)
        .filter_map(|in_flight| {
            let event = Event::Failed {
                epoch,
                in_flight,
                class: RateLimited,
                retry_after: None,
            };
            script.breaker.on_event(script.start, event)
        })
        .collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!((changes[0].old, changes[0].new), (20, 5));
    assert_eq!(script.breaker.epoch(), epoch + 1);
    // The first two (in flight 1 and 2) were counted; the ceiling is clamped to min.
    assert_eq!(script.breaker.ceiling(), Some(5));
}

#[test]
fn a_learned_ceiling_stops_recovery_and_refused_probes_do_not_trip() {
    let s = Duration::from_secs;
    let mut script = Script::new();
    // A provider capped at 8 active tasks: the 9th and 10th submissions are refused.
    for in_flight in 1..=8 {
        script.apply(s(0), Act::Ok(in_flight));
    }
    script.run(&[
        (s(1), Act::Fail(RateLimited, 9), 20, "full speed"),
        (
            s(1),
            Act::Fail(RateLimited, 10),
            5,
            "slowed down after provider errors, for another 10m",
        ),
        (
            s(2),
            Act::Stale(RateLimited, 11),
            5,
            "slowed down after provider errors, for another 10m",
        ),
        (s(1) + mins(10), Act::Tick, 6, "speeding back up to 8"),
        (s(1) + mins(12), Act::Tick, 8, "at the provider's capacity"),
        (s(1) + mins(21), Act::Tick, 8, "at the provider's capacity"),
        (
            s(1) + mins(22),
            Act::Tick,
            9,
            "probing for room above the provider's capacity of 8",
        ),
        (
            s(5) + mins(22),
            Act::Fail(RateLimited, 9),
            8,
            "at the provider's capacity",
        ),
        (
            s(5) + mins(42) - s(1),
            Act::Tick,
            8,
            "at the provider's capacity",
        ),
        (
            s(5) + mins(42),
            Act::Tick,
            9,
            "probing for room above the provider's capacity of 8",
        ),
        (
            s(5) + mins(42),
            Act::Fail(RateLimited, 9),
            8,
            "at the provider's capacity",
        ),
        (
            s(5) + mins(82),
            Act::Tick,
            9,
            "probing for room above the provider's capacity of 8",
        ),
        (
            s(5) + mins(82),
            Act::Fail(RateLimited, 9),
            8,
            "at the provider's capacity",
        ),
        // The interval stops doubling at four cooldowns.
        (
            s(5) + mins(122),
            Act::Tick,
            9,
            "probing for room above the provider's capacity of 8",
        ),
    ]);
    assert_eq!(script.breaker.ceiling(), Some(8));
}

#[test]
fn accepted_probes_raise_the_ceiling_one_step_at_a_time() {
    let mut script = Script::new();
    script.run(&[
        (mins(0), Act::Fail(RateLimited, 9), 20, "full speed"),
        (
            mins(0),
            Act::Fail(RateLimited, 9),
            5,
            "slowed down after provider errors, for another 10m",
        ),
        (mins(12), Act::Tick, 8, "at the provider's capacity"),
        (
            mins(22),
            Act::Tick,
            9,
            "probing for room above the provider's capacity of 8",
        ),
        (mins(22), Act::Ok(9), 9, "at the provider's capacity"),
        (
            mins(23),
            Act::Tick,
            10,
            "probing for room above the provider's capacity of 9",
        ),
        (mins(23), Act::Ok(10), 10, "at the provider's capacity"),
        (
            mins(24),
            Act::Tick,
            11,
            "probing for room above the provider's capacity of 10",
        ),
        (
            mins(24),
            Act::Fail(RateLimited, 11),
            10,
            "at the provider's capacity",
        ),
    ]);
    assert_eq!(script.breaker.ceiling(), Some(10));
    // Probes that reach max drop the ceiling altogether.
    let mut script = Script::new();
    script.run(&[
        (mins(0), Act::Fail(RateLimited, 20), 20, "full speed"),
        (
            mins(0),
            Act::Fail(RateLimited, 20),
            5,
            "slowed down after provider errors, for another 10m",
        ),
        (mins(23), Act::Tick, 19, "at the provider's capacity"),
        (
            mins(33),
            Act::Tick,
            20,
            "probing for room above the provider's capacity of 19",
        ),
        (mins(33), Act::Ok(20), 20, "full speed"),
    ]);
    assert_eq!(script.breaker.ceiling(), None);
}

#[test]
fn a_429_below_the_ceiling_lowers_it_and_only_429s_at_the_floor_trip() {
    Script::new().run(&[
        (mins(0), Act::Fail(RateLimited, 9), 20, "full speed"),
        (
            mins(0),
            Act::Fail(RateLimited, 9),
            5,
            "slowed down after provider errors, for another 10m",
        ),
        (mins(12), Act::Tick, 8, "at the provider's capacity"),
        // Capacity being measured: each 429 lowers the ceiling, no trip.
        (
            mins(13),
            Act::Fail(RateLimited, 7),
            6,
            "at the provider's capacity",
        ),
        (
            mins(14),
            Act::Fail(RateLimited, 6),
            5,
            "at the provider's capacity",
        ),
        // At the floor nothing is left to learn: these count, and two trip.
        (
            mins(15),
            Act::Fail(RateLimited, 5),
            5,
            "at the provider's capacity",
        ),
        (
            mins(15),
            Act::Fail(RateLimited, 5),
            5,
            "slowed down after provider errors, for another 10m",
        ),
    ]);
}

#[test]
fn the_ceiling_stays_within_min_and_max() {
    let mut script = Script::new();
    script.apply(mins(0), Act::Fail(RateLimited, 21));
    assert_eq!(script.breaker.ceiling(), None, "a 429 at max says nothing");
    script.apply(mins(0), Act::Fail(RateLimited, 2));
    assert_eq!(script.breaker.ceiling(), Some(5));
}

#[test]
fn retry_after_holds_every_submission_for_the_longest_wait_seen() {
    let mut breaker = Breaker::new(BreakerSettings::default());
    let start = Instant::now();
    let fail = |epoch, seconds| Event::Failed {
        epoch,
        in_flight: 3,
        class: RateLimited,
        retry_after: Some(Duration::from_secs(seconds)),
    };
    breaker.on_event(start, fail(0, 30));
    assert!(!breaker.may_submit(start));
    assert_eq!(
        breaker.next_deadline(),
        Some(start + Duration::from_secs(30))
    );
    // Shorter waits do not shorten the hold; a stale call's Retry-After still counts.
    breaker.on_event(start + Duration::from_secs(5), fail(0, 10));
    assert_eq!(breaker.hold_until(), Some(start + Duration::from_secs(30)));
    breaker.on_event(start + Duration::from_secs(6), fail(0, 60));
    assert_eq!(breaker.hold_until(), Some(start + Duration::from_secs(66)));
    assert!(!breaker.may_submit(start + Duration::from_secs(65)));
    assert!(breaker.may_submit(start + Duration::from_secs(66)));
    breaker.on_event(start + Duration::from_secs(66), Event::Tick);
    assert_eq!(breaker.hold_until(), None);
}

#[test]
fn changes_read_well_in_a_log() {
    let mut script = Script::new();
    script.apply(mins(0), Act::Fail(RateLimited, 9));
    let change = script.apply(mins(0), Act::Fail(RateLimited, 9)).unwrap();
    assert!(change.is_warning());
    assert_eq!(
        change.to_string(),
        "provider is rate limiting: in-flight limit 20 → 5 for 10m"
    );
    let change = script.apply(mins(10), Act::Tick).unwrap();
    assert!(!change.is_warning());
    assert_eq!(change.to_string(), "recovering: in-flight limit 5 → 6");
}

#[test]
fn inconsistent_settings_are_made_usable() {
    let settings = BreakerSettings {
        max: 3,
        min: 9,
        threshold: 0,
        ..BreakerSettings::default()
    };
    let breaker = Breaker::new(settings);
    assert_eq!(
        (breaker.settings().min, breaker.settings().threshold),
        (3, 1)
    );
}

/// A random event, resolved against the breaker's state when it happens so that fresh
/// calls look like the gate's (in flight ≤ limit) and stale ones can be anything.
#[derive(Debug, Clone)]
enum Op {
    Ok {
        pick: usize,
        retried: bool,
    },
    Fail {
        pick: usize,
        rate_limited: bool,
        stale_by: u64,
        retry_after: Option<u64>,
    },
    Tick,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<usize>(), any::<bool>()).prop_map(|(pick, retried)| Op::Ok { pick, retried }),
        (
            any::<usize>(),
            any::<bool>(),
            0..3u64,
            proptest::option::of(0..120u64)
        )
            .prop_map(|(pick, rate_limited, stale_by, retry_after)| Op::Fail {
                pick,
                rate_limited,
                stale_by,
                retry_after
            }),
        Just(Op::Tick),
    ]
}

fn event(breaker: &Breaker, op: &Op) -> Event {
    let (epoch, limit, max) = (breaker.epoch(), breaker.limit(), breaker.settings().max);
    match *op {
        Op::Ok { pick, retried } => Event::Submitted {
            epoch,
            in_flight: 1 + pick % limit,
            after_retries: retried,
        },
        Op::Fail {
            pick,
            rate_limited,
            stale_by,
            retry_after,
        } => Event::Failed {
            epoch: epoch.saturating_sub(stale_by),
            in_flight: 1 + pick % if stale_by == 0 { limit } else { max },
            class: if rate_limited { RateLimited } else { Transient },
            retry_after: retry_after.map(Duration::from_secs),
        },
        Op::Tick => Event::Tick,
    }
}

/// What the properties watch for, fed every change as it happens.
#[derive(Default)]
struct Watch {
    /// The latest drop of the limit or restart of the cooldown.
    last_safe: Option<Instant>,
    /// The latest rise since the latest drop.
    last_rise: Option<Instant>,
}

impl Watch {
    fn check(&mut self, breaker: &Breaker, now: Instant, change: Option<Change>) {
        let s = breaker.settings();
        assert!((s.min..=s.max).contains(&breaker.limit()));
        if let Some(ceiling) = breaker.ceiling() {
            assert!((s.min..s.max).contains(&ceiling));
        }
        let Some(change) = change else { return };
        if let Reason::Tripped { .. } | Reason::CooldownRestarted { .. } = change.reason {
            self.last_safe = Some(now);
        }
        if change.new < change.old {
            self.last_rise = None;
        }
        if change.new > change.old {
            assert_eq!(change.new, change.old + 1, "{change:?}");
            if let Some(safe) = self.last_safe {
                assert!(
                    now >= safe + s.cooldown,
                    "rose during the cooldown: {change:?}"
                );
            }
            if let Some(rise) = self.last_rise {
                // Ticks come every second, so a due step is seen at most 1 s late.
                assert!(now + Duration::from_secs(1) > rise + s.recovery_step);
            }
            self.last_rise = Some(now);
        }
    }
}

proptest! {
    #[test]
    fn the_limit_stays_in_bounds_and_rises_slowly(
        ops in proptest::collection::vec((0..240u64, op()), 1..60),
    ) {
        let mut breaker = Breaker::new(BreakerSettings::default());
        let mut now = Instant::now();
        let mut watch = Watch::default();
        for (gap, op) in &ops {
            for _ in 0..*gap {
                now += Duration::from_secs(1);
                let change = breaker.on_event(now, Event::Tick);
                watch.check(&breaker, now, change);
            }
            let change = breaker.on_event(now, event(&breaker, op));
            watch.check(&breaker, now, change);
        }
        // Left alone, it climbs back to the ceiling (or max) in cooldown + (max-min) steps.
        now += COOLDOWN + STEP * 15;
        breaker.on_event(now, Event::Tick);
        let target = breaker.ceiling().unwrap_or(20);
        prop_assert!(breaker.limit() >= target, "{:?}", breaker.mode(now));
        let settled = matches!(breaker.mode(now), Mode::Full { .. } | Mode::Holding { .. });
        prop_assert!(settled, "{:?}", breaker.mode(now));
    }

    #[test]
    fn without_429s_it_is_back_at_max_after_cooldown_and_the_steps(
        ops in proptest::collection::vec((0..240u64, any::<usize>(), any::<bool>()), 1..40),
    ) {
        let mut breaker = Breaker::new(BreakerSettings::default());
        let mut now = Instant::now();
        for &(gap, pick, failed) in &ops {
            now += Duration::from_secs(gap);
            let op = if failed {
                Op::Fail { pick, rate_limited: false, stale_by: 0, retry_after: None }
            } else {
                Op::Ok { pick, retried: false }
            };
            breaker.on_event(now, event(&breaker, &op));
        }
        now += COOLDOWN + STEP * 15;
        breaker.on_event(now, Event::Tick);
        prop_assert_eq!(breaker.limit(), 20);
        prop_assert_eq!(breaker.mode(now), Mode::Full { limit: 20 });
    }

    #[test]
    fn a_burst_of_same_epoch_failures_lowers_the_limit_at_most_once(
        history in proptest::collection::vec((0..240u64, op()), 0..30),
        burst in proptest::collection::vec((0..3u64, any::<usize>(), any::<bool>()), 1..25),
    ) {
        let mut breaker = Breaker::new(BreakerSettings::default());
        let mut now = Instant::now();
        for (gap, op) in &history {
            now += Duration::from_secs(*gap);
            breaker.on_event(now, event(&breaker, op));
        }
        let (epoch, limit) = (breaker.epoch(), breaker.limit());
        let mut drops = 0;
        for &(gap, pick, rate_limited) in &burst {
            now += Duration::from_secs(gap);
            let failed = Event::Failed {
                epoch,
                in_flight: 1 + pick % limit,
                class: if rate_limited { RateLimited } else { Transient },
                retry_after: None,
            };
            let change = breaker.on_event(now, failed);
            if let Some(Change { reason: Reason::Tripped { .. } | Reason::CooldownRestarted { .. }
                | Reason::CeilingLowered { .. } | Reason::ProbeRefused { .. }, .. }) = change {
                drops += 1;
            }
        }
        prop_assert!(drops <= 1, "{drops} drops");
    }
}

#[test]
fn absurd_cooldowns_and_steps_never_overflow_a_deadline() {
    let huge = Duration::from_secs(u64::MAX / 2);
    let mut breaker = Breaker::new(BreakerSettings {
        cooldown: huge,
        recovery_step: huge,
        ..BreakerSettings::default()
    });
    let now = Instant::now();
    for in_flight in [20, 19, 5, 30] {
        let epoch = breaker.epoch();
        let failed = Event::Failed {
            epoch,
            in_flight,
            class: RateLimited,
            retry_after: Some(huge),
        };
        breaker.on_event(now, failed);
        breaker.on_event(now + mins(1), Event::Tick);
    }
    assert!(breaker.next_deadline().is_some_and(|at| at > now));
}
