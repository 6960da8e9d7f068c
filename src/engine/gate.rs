//! The breaker for async callers: a permit per job in flight at the provider. Jobs wait
//! in [`Gate::acquire`] until the count is under the breaker's limit and any Retry-After
//! hold has passed; a shrinking limit cancels nothing but applies as permits come back.
//! A mutex-guarded `{breaker, in_flight}` plus a `Notify`: simpler than forgetting
//! semaphore permits, and the breaker stays a pure state machine.

use std::fmt;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::{Instant, sleep_until};

use super::breaker::{Breaker, BreakerSettings, Change, Event, FailureClass, Mode};
use crate::i18n::{Lang, Message};

/// Shared by every job of a run (`Arc<Gate>`).
#[derive(Debug)]
pub struct Gate {
    core: Mutex<Core>,
    /// Woken one at a time as permits come back, all at once when the breaker changes.
    room: Notify,
    /// The API key it stands for: its index in the run's keys, and the label its breaker's
    /// changes are logged with when the run has several (`None`: it has one).
    key: usize,
    label: Option<String>,
}

/// The right to have one job in flight at the provider. Dropping it gives it back.
#[derive(Debug)]
pub struct Permit {
    gate: Arc<Gate>,
    ticket: Ticket,
    held: bool,
}

/// The gate's state for the progress display; `Display` gives its line, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateSnapshot {
    pub limit: usize,
    pub in_flight: usize,
    pub mode: Mode,
    /// Time left before submissions may resume after a Retry-After.
    pub hold_left: Option<Duration>,
}

/// What a permit remembers of the moment it was taken, for the breaker's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ticket {
    epoch: u64,
    in_flight: usize,
}

/// The gate's bookkeeping without the async parts, so simulations can drive it too.
#[derive(Debug)]
struct Core {
    breaker: Breaker,
    in_flight: usize,
}

impl Gate {
    pub fn new(settings: BreakerSettings) -> Arc<Self> {
        Self::for_key(settings, 0, None)
    }

    /// The gate of the run's `key`th API key, its breaker's changes logged under `label`.
    pub fn for_key(settings: BreakerSettings, key: usize, label: Option<String>) -> Arc<Self> {
        Arc::new(Self {
            core: Mutex::new(Core::new(settings)),
            room: Notify::new(),
            key,
            label,
        })
    }

    /// Waits for room, then takes a permit. Cancel-safe: dropping the future before it
    /// completes takes nothing, and a wake-up it received passes to the next waiter.
    pub async fn acquire(self: &Arc<Self>) -> Permit {
        loop {
            let mut notified = pin!(self.room.notified());
            // Registered before looking, so a release between the look and the wait
            // still wakes us.
            notified.as_mut().enable();
            let now = Instant::now();
            let (taken, change, room_left) = {
                let mut core = self.lock();
                let (taken, change) = core.take(now);
                (taken, change, core.has_room(now))
            };
            self.announce(change);
            match taken {
                Ok(ticket) => {
                    if room_left {
                        self.room.notify_one(); // the limit rose by more than one
                    }
                    let gate = Arc::clone(self);
                    return Permit {
                        gate,
                        ticket,
                        held: true,
                    };
                }
                Err(Some(deadline)) => {
                    tokio::select! {
                        () = notified => {}
                        () = sleep_until(deadline) => {}
                    }
                }
                Err(None) => notified.await,
            }
        }
    }

    pub fn snapshot(&self) -> GateSnapshot {
        let now = Instant::now();
        let (snapshot, change) = {
            let mut core = self.lock();
            let change = core.breaker.on_event(now, Event::Tick);
            (core.snapshot(now), change)
        };
        self.announce(change);
        snapshot
    }

    fn lock(&self) -> MutexGuard<'_, Core> {
        // Every update leaves the core consistent, so a panic elsewhere need not spread.
        self.core.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Logs a breaker change and lets every waiter look again: the limit or the next
    /// deadline may have moved.
    fn announce(&self, change: Option<Change>) {
        let Some(change) = change else { return };
        let message = match &self.label {
            Some(label) => Message::new("breaker.at_key")
                .with("label", label)
                .with_text("change", change.message()),
            None => change.message(),
        };
        if change.is_warning() {
            tracing::warn!(shown = %message.shown(), "{message}");
        } else {
            tracing::info!(shown = %message.shown(), "{message}");
        }
        self.room.notify_waiters();
    }
}

impl Permit {
    /// The index of the API key whose gate gave it.
    pub fn key(&self) -> usize {
        self.gate.key
    }

    /// The breaker's epoch when the permit was taken.
    pub fn epoch(&self) -> u64 {
        self.ticket.epoch
    }

    /// Permits held when this one was taken, this one included.
    pub fn in_flight(&self) -> usize {
        self.ticket.in_flight
    }

    /// The provider accepted the job; keep the permit until it finishes there.
    pub fn submitted(&self, after_retries: bool) {
        let change = self
            .gate
            .lock()
            .submitted(Instant::now(), self.ticket, after_retries);
        self.gate.announce(change);
    }

    /// The submission failed with a counted class. Gives the permit back: the job
    /// acquires a new one before its retry.
    pub fn failed(mut self, class: FailureClass, retry_after: Option<Duration>) {
        self.held = false;
        let now = Instant::now();
        let change = self
            .gate
            .lock()
            .failed(now, self.ticket, class, retry_after);
        self.gate.room.notify_one();
        self.gate.announce(change);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if self.held {
            self.gate.lock().release();
            self.gate.room.notify_one();
        }
    }
}

impl Core {
    fn new(settings: BreakerSettings) -> Self {
        Self {
            breaker: Breaker::new(settings),
            in_flight: 0,
        }
    }

    fn has_room(&self, now: Instant) -> bool {
        self.in_flight < self.breaker.limit() && self.breaker.may_submit(now)
    }

    /// A permit if there is room at `now`; otherwise the instant by which to look again
    /// (`None`: when a permit comes back). Also any change that came due.
    fn take(&mut self, now: Instant) -> (Result<Ticket, Option<Instant>>, Option<Change>) {
        let change = self.breaker.on_event(now, Event::Tick);
        if !self.has_room(now) {
            return (Err(self.breaker.next_deadline()), change);
        }
        self.in_flight += 1;
        let ticket = Ticket {
            epoch: self.breaker.epoch(),
            in_flight: self.in_flight,
        };
        (Ok(ticket), change)
    }

    fn submitted(&mut self, now: Instant, ticket: Ticket, after_retries: bool) -> Option<Change> {
        let event = Event::Submitted {
            epoch: ticket.epoch,
            in_flight: ticket.in_flight,
            after_retries,
        };
        self.breaker.on_event(now, event)
    }

    /// Records the failure and gives the permit back.
    fn failed(
        &mut self,
        now: Instant,
        ticket: Ticket,
        class: FailureClass,
        retry_after: Option<Duration>,
    ) -> Option<Change> {
        self.release();
        let event = Event::Failed {
            epoch: ticket.epoch,
            in_flight: ticket.in_flight,
            class,
            retry_after,
        };
        self.breaker.on_event(now, event)
    }

    fn release(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    fn snapshot(&self, now: Instant) -> GateSnapshot {
        GateSnapshot {
            limit: self.breaker.limit(),
            in_flight: self.in_flight,
            mode: self.breaker.mode(now),
            hold_left: self
                .breaker
                .hold_until()
                .map(|hold| hold.saturating_duration_since(now)),
        }
    }
}

impl fmt::Display for GateSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words(Lang::En))
    }
}

impl GateSnapshot {
    /// The progress display's provider line in `lang`.
    pub fn words(&self, lang: Lang) -> String {
        let mode = self.mode.words(lang);
        let (in_flight, limit) = (self.in_flight, self.limit);
        let args: [(&str, &dyn fmt::Display); 3] = [
            ("in_flight", &in_flight),
            ("limit", &limit),
            ("mode", &mode),
        ];
        let mut words = lang.text("progress.gate", &args);
        if let Some(left) = self.hold_left.filter(|left| !left.is_zero()) {
            let seconds = left.as_secs().max(1);
            words += &lang.text("progress.gate_paused", &[("seconds", &seconds)]);
        }
        words
    }
}

#[cfg(test)]
pub(super) mod tests;
