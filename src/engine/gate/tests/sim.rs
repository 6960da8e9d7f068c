//! Thousands of jobs through the gate's core, as a discrete-event simulation: the same
//! bookkeeping `Gate` does under its mutex, with virtual time, on any build. (The async
//! `Gate` itself runs the same scenario on tokio's paused clock in `paused.rs`.)

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, VecDeque};

use super::fake::{self, FakeProvider, JOBS, LATENCY, Outcome};
use super::*;
use crate::engine::backoff::retry_delay;
use crate::engine::breaker::Mode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    /// The job wants a permit (first time, or after its retry delay).
    Want(usize),
    /// The create call's answer arrives.
    Answer(usize),
    /// Generation ends at the provider.
    Finished(usize),
    /// The job's poll sees it finished: the permit comes back.
    Noticed(usize),
    /// A breaker deadline.
    Wake,
    /// Look at the breaker's mode, for the time spent in safe mode.
    Sample,
}

const SAMPLE_EVERY: Duration = Duration::from_secs(10);

struct Sim {
    start: Instant,
    now: Duration,
    events: BinaryHeap<Reverse<(Duration, u64, Ev)>>,
    seq: u64,
    wakes: BTreeSet<Duration>,
    core: Core,
    provider: FakeProvider,
    waiting: VecDeque<usize>,
    generation: Vec<Duration>,
    tickets: Vec<Option<Ticket>>,
    attempts: Vec<u32>,
    rng: fastrand::Rng,
    completed: usize,
    peak_permits: usize,
    safe_mode: Duration,
}

impl Sim {
    fn new(seed: u64) -> Self {
        let mut sim = Self {
            start: Instant::now(),
            now: Duration::ZERO,
            events: BinaryHeap::new(),
            seq: 0,
            wakes: BTreeSet::new(),
            core: Core::new(BreakerSettings::default()),
            provider: FakeProvider::new(),
            waiting: VecDeque::new(),
            generation: fake::generation_times(seed),
            tickets: vec![None; JOBS],
            attempts: vec![0; JOBS],
            rng: fastrand::Rng::with_seed(seed),
            completed: 0,
            peak_permits: 0,
            safe_mode: Duration::ZERO,
        };
        for job in 0..JOBS {
            sim.at(Duration::ZERO, Ev::Want(job));
        }
        sim.at(Duration::ZERO, Ev::Sample);
        sim
    }

    fn at(&mut self, when: Duration, event: Ev) {
        self.seq += 1;
        self.events.push(Reverse((when, self.seq, event)));
    }

    fn run(mut self) -> Outcome {
        while let Some(Reverse((now, _, event))) = self.events.pop() {
            self.now = now;
            self.handle(event);
        }
        let ideal = self.generation.iter().sum::<Duration>() / fake::QUOTA as u32;
        Outcome {
            completed: self.completed,
            makespan: self.now,
            ideal,
            peak_permits: self.peak_permits,
            safe_mode: self.safe_mode,
            provider: self.provider,
        }
    }

    fn handle(&mut self, event: Ev) {
        let instant = self.start + self.now;
        match event {
            Ev::Want(job) => self.waiting.push_back(job),
            Ev::Answer(job) => self.answer(job),
            Ev::Finished(_) => self.provider.finish(),
            Ev::Noticed(_) => {
                self.core.release();
                self.completed += 1;
            }
            Ev::Wake => {
                self.wakes.remove(&self.now);
            }
            Ev::Sample => {
                self.core.breaker.on_event(instant, Event::Tick);
                if let Mode::SafeMode { .. } = self.core.breaker.mode(instant) {
                    self.safe_mode += SAMPLE_EVERY;
                }
                if self.completed < JOBS {
                    self.at(self.now + SAMPLE_EVERY, Ev::Sample);
                }
                return;
            }
        }
        self.admit();
    }

    /// Hands out permits to waiting jobs, in order, while there is room.
    fn admit(&mut self) {
        let instant = self.start + self.now;
        while let Some(&job) = self.waiting.front() {
            match self.core.take(instant).0 {
                Ok(ticket) => {
                    self.waiting.pop_front();
                    self.tickets[job] = Some(ticket);
                    self.peak_permits = self.peak_permits.max(self.core.in_flight);
                    self.at(self.now + LATENCY, Ev::Answer(job));
                }
                Err(deadline) => {
                    let deadline = deadline.map(|d| d - self.start);
                    if let Some(when) = deadline.filter(|&when| self.wakes.insert(when)) {
                        self.at(when, Ev::Wake);
                    }
                    return;
                }
            }
        }
    }

    fn answer(&mut self, job: usize) {
        let instant = self.start + self.now;
        let ticket = self.tickets[job]
            .take()
            .expect("a job answers only with a permit");
        let attempt = self.attempts[job];
        match self.provider.submit(job, self.now) {
            Ok(()) => {
                self.core.submitted(instant, ticket, attempt > 0);
                let generation = self.generation[job];
                self.at(self.now + generation, Ev::Finished(job));
                let noticed = fake::noticed_after(generation);
                self.at(self.now + noticed, Ev::Noticed(job));
            }
            Err((class, retry_after)) => {
                self.core.failed(instant, ticket, class, retry_after);
                self.attempts[job] += 1;
                let delay = retry_delay(attempt, retry_after, &fake::backoff(), &mut self.rng);
                self.at(self.now + delay, Ev::Want(job));
            }
        }
    }
}

#[test]
fn two_thousand_jobs_against_a_provider_capped_at_eight_tasks() {
    for seed in 1..=3 {
        let outcome = Sim::new(seed).run();
        outcome.check();
    }
}
