//! The run's API keys as the engine uses them: one member per key, each with its own
//! client, breaker gate (in-flight limit, learned ceiling, cooldown) and request rate.
//! New jobs go to a key with room, the least used for its weight first; a key the
//! provider refuses (401) or that runs out of money leaves the rotation, and its jobs
//! already at the provider are still followed up with it. The engine never sees a key:
//! only its label and hash.

use std::fmt;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::future::select_all;
use tokio::sync::Notify;
use tracing::warn;

use super::breaker::BreakerSettings;
use super::gate::{Gate, GateSnapshot, Permit};
use super::rate::Rate;
use super::reach::Reach;
use super::wrap::Wrapped;
use crate::i18n::{Lang, Message};
use crate::journal::JobRecord;
use crate::provider::Provider;

/// One API key's client, as the app hands it to the engine.
#[derive(Clone)]
pub struct KeyClient {
    /// How messages and the progress display name it (`key1`, or the list's `label`).
    pub label: String,
    /// What the journal records to find it again (see `keys::Key::hash`).
    pub hash: String,
    pub weight: u32,
    pub max_rpm: Option<u32>,
    pub provider: Arc<dyn Provider>,
}

impl KeyClient {
    /// A run's only key, without a rate of its own.
    pub fn only(hash: &str, provider: Arc<dyn Provider>) -> Self {
        KeyClient {
            label: "key1".to_string(),
            hash: hash.to_string(),
            weight: 1,
            max_rpm: None,
            provider,
        }
    }
}

pub(super) struct Member {
    pub label: String,
    pub hash: String,
    weight: u64,
    /// Every call is noted in the run's reach, after waiting for the key's rate.
    pub provider: Arc<dyn Provider>,
    /// The same client without the key's rate: for a create that took its place in the
    /// rate already ([`Member::take_rate`]).
    pub unpaced: Arc<dyn Provider>,
    pub gate: Arc<Gate>,
    /// `max_rpm`: what downloads that carry the key wait for too.
    pub rate: Option<Arc<Rate>>,
    /// Jobs it was given.
    given: AtomicU64,
    /// Why it left the rotation, once it has.
    retired: Mutex<Option<String>>,
}

impl Member {
    pub fn is_retired(&self) -> bool {
        self.retired_because().is_some()
    }

    pub fn retired_because(&self) -> Option<String> {
        self.retired
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }

    /// Waits until a call may be made with the key (its `max_rpm`), and counts one: a
    /// create takes its place here, before its journal record (where a stop can still end
    /// it), then goes out through [`Member::unpaced`] with no second wait.
    pub async fn take_rate(&self) {
        if let Some(rate) = &self.rate {
            rate.take().await;
        }
    }
}

pub(super) struct Pool {
    members: Vec<Member>,
    /// Woken when a key leaves the rotation.
    changed: Notify,
    /// Held while a key leaves unless it is the last: two keys out of money at once must
    /// not both leave, ending the run with no key and no word why.
    leaving: Mutex<()>,
}

impl Pool {
    /// `clients` must hold at least one key.
    pub fn new(clients: &[KeyClient], breaker: &BreakerSettings, reach: &Arc<Reach>) -> Self {
        assert!(!clients.is_empty(), "a run has at least one key");
        let several = clients.len() > 1;
        let members = clients
            .iter()
            .enumerate()
            .map(|(index, client)| {
                let watched: Arc<dyn Provider> = Arc::new(Wrapped {
                    around: reach.clone(),
                    inner: client.provider.clone(),
                });
                let rate = client.max_rpm.map(|most| Arc::new(Rate::per_minute(most)));
                let provider = match &rate {
                    Some(rate) => Arc::new(Wrapped {
                        around: rate.clone(),
                        inner: watched.clone(),
                    }) as Arc<dyn Provider>,
                    None => watched.clone(),
                };
                let label = several.then(|| client.label.clone());
                Member {
                    label: client.label.clone(),
                    hash: client.hash.clone(),
                    weight: u64::from(client.weight.max(1)),
                    provider,
                    unpaced: watched,
                    gate: Gate::for_key(breaker.clone(), index, label),
                    rate,
                    given: AtomicU64::new(0),
                    retired: Mutex::new(None),
                }
            })
            .collect();
        Pool {
            members,
            changed: Notify::new(),
            leaving: Mutex::new(()),
        }
    }

    pub fn member(&self, index: usize) -> &Member {
        &self.members[index]
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// The key an earlier run recorded by its hash, if this run has it.
    pub fn by_hash(&self, hash: &str) -> Option<usize> {
        self.members.iter().position(|member| member.hash == hash)
    }

    /// The key an earlier run's attempt was made with, found by its hash; a message naming
    /// it when this run does not have it. A record written before runs had several keys
    /// names none: with one key it is that key, but with several no one can tell which
    /// account holds the task, and asking the wrong one would find nothing and pay again.
    pub fn made_with(&self, record: &JobRecord) -> Result<usize, Message> {
        let Some(made_with) = record.key_ref() else {
            if self.members.len() == 1 {
                return Ok(0);
            }
            let variable = self.members[0].provider.capabilities().key_variable;
            return Err(Message::new("outcome.key_unrecorded")
                .with_text("what", earlier_attempt(record))
                .with("variable", variable));
        };
        self.by_hash(&made_with.hash).ok_or_else(|| {
            let variable = self.members[0].provider.capabilities().keys_variable;
            Message::new("outcome.key_missing")
                .with_text("what", earlier_attempt(record))
                .with("label", &made_with.label)
                .with("hash", &made_with.hash)
                .with("variable", variable)
        })
    }

    /// The first key still in the rotation (the first key once none is): what asks for
    /// prices and the balance.
    pub fn primary(&self) -> &Member {
        self.members
            .iter()
            .find(|member| !member.is_retired())
            .unwrap_or(&self.members[0])
    }

    pub fn any_left(&self) -> bool {
        self.members.iter().any(|member| !member.is_retired())
    }

    /// Takes `index` out of the rotation unless no other key would be left; whether it
    /// left. The check and the leaving are one step (see `leaving`).
    pub fn retire_unless_last(&self, index: usize, why: Message) -> bool {
        let _one_at_a_time = self
            .leaving
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if !self.others_left(index) {
            return false;
        }
        self.retire(index, why);
        true
    }

    /// Whether a key other than `key` is still in the rotation.
    pub fn others_left(&self, key: usize) -> bool {
        let others = self.members.iter().enumerate().filter(|(i, _)| *i != key);
        others.into_iter().any(|(_, member)| !member.is_retired())
    }

    /// A place in flight at a key with room: of those that have it, the one given the
    /// fewest jobs for its weight. Waits while none has; `None` once no key is left.
    pub async fn acquire(&self) -> Option<Permit> {
        loop {
            let mut changed = pin!(self.changed.notified());
            changed.as_mut().enable();
            let mut order: Vec<usize> = (0..self.members.len())
                .filter(|&index| !self.members[index].is_retired())
                .collect();
            if order.is_empty() {
                return None;
            }
            // Fewest jobs given per weight first (compared without dividing), then in
            // the configured order.
            order.sort_by(|&a, &b| {
                let load = |index: usize, other: usize| {
                    let given = self.members[index].given.load(Ordering::Relaxed);
                    u128::from(given) * u128::from(self.members[other].weight)
                };
                load(a, b).cmp(&load(b, a)).then(a.cmp(&b))
            });
            // Polled in that order: the first key with room now wins.
            let waits = order
                .iter()
                .map(|&index| Box::pin(self.members[index].gate.acquire()));
            tokio::select! {
                biased;
                (permit, _, _) = select_all(waits) => {
                    let member = &self.members[permit.key()];
                    if member.is_retired() {
                        continue;
                    }
                    member.given.fetch_add(1, Ordering::Relaxed);
                    return Some(permit);
                }
                () = &mut changed => {}
            }
        }
    }

    /// Takes a key out of the rotation, saying why once; whether any key is left.
    pub fn retire(&self, index: usize, why: Message) -> bool {
        let member = &self.members[index];
        // The lock is let go before anything else is asked of the pool: `any_left` takes
        // every member's, this one's too (a second refusal of a key that already left
        // deadlocked here).
        let first_time = {
            let mut retired = member
                .retired
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            let first_time = retired.is_none();
            if first_time {
                *retired = Some(why.to_string());
            }
            first_time
        };
        if first_time {
            let left = self.members.iter().filter(|m| !m.is_retired()).count();
            if self.members.len() > 1 {
                let message = match left {
                    0 => Message::new("keys.leaves_last"),
                    n => Message::counted("keys.leaves", n as u64),
                }
                .with("label", &member.label)
                .with_text("why", why);
                warn!(shown = %message.shown(), "{message}");
            }
            self.changed.notify_waiters();
        }
        self.any_left()
    }

    /// Every key's state, for the progress display.
    pub fn snapshot(&self) -> PoolSnapshot {
        PoolSnapshot {
            keys: self
                .members
                .iter()
                .map(|member| KeySnapshot {
                    label: member.label.clone(),
                    gate: member.gate.snapshot(),
                    retired: member.is_retired(),
                })
                .collect(),
        }
    }
}

/// One key's state for the progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySnapshot {
    pub label: String,
    pub gate: GateSnapshot,
    pub retired: bool,
}

/// The keys' states; `Display` gives the progress display's provider line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSnapshot {
    pub keys: Vec<KeySnapshot>,
}

impl PoolSnapshot {
    /// How many jobs may be in flight at once now, over the keys in the rotation.
    pub fn limit(&self) -> usize {
        let open = self.keys.iter().filter(|key| !key.retired);
        open.map(|key| key.gate.limit).sum()
    }
}

impl fmt::Display for PoolSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words(Lang::En))
    }
}

impl PoolSnapshot {
    /// The progress display's provider line in `lang`: one key's gate, or each key's.
    pub fn words(&self, lang: Lang) -> String {
        if let [only] = self.keys.as_slice() {
            return only.gate.words(lang);
        }
        let in_flight: usize = self.keys.iter().map(|key| key.gate.in_flight).sum();
        let mut words = lang.text("progress.keys_in_flight", &[("n", &in_flight)]);
        for key in &self.keys {
            let gate = &key.gate;
            let args: [(&str, &dyn fmt::Display); 3] = [
                ("label", &key.label),
                ("in_flight", &gate.in_flight),
                ("limit", &gate.limit),
            ];
            words += &lang.text("progress.key", &args);
            match (key.retired, gate.mode) {
                (true, _) => words += &lang.text("progress.key_retired", &[]),
                (false, super::breaker::Mode::Full { .. }) => {}
                (false, mode) => {
                    let mode = mode.words(lang);
                    words += &lang.text("progress.key_mode", &[("mode", &mode)]);
                }
            }
            if let Some(left) = gate.hold_left.filter(|left| !left.is_zero()) {
                let seconds = left.as_secs().max(1);
                words += &lang.text("progress.key_paused", &[("seconds", &seconds)]);
            }
        }
        words
    }
}

/// An earlier run's attempt at a job, as a message names it: its task, or its create.
pub(super) fn earlier_attempt(record: &JobRecord) -> Message {
    match record.task_id() {
        Some(id) => Message::new("outcome.earlier_task").with("id", id),
        None => Message::new("outcome.earlier_create"),
    }
}

#[cfg(test)]
mod tests;
