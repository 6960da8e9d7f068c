//! The download limit (`--download-workers`): at most that many downloads at once, each
//! waiting download let through in turn as one ends, except that a download whose link
//! expires soon (a chat gateway's cache, `Capabilities::short_lived_links`) goes ahead of
//! every waiting download without that hurry. A waiter that gives up (a stopped run)
//! loses its place and never a slot.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::oneshot;

/// The slots, and who waits for one.
pub struct Slots {
    state: Mutex<State>,
}

struct State {
    free: usize,
    /// Waiters in arrival order, the hurried ones apart. A slot handed to a waiter goes
    /// through its sender; `free` is above 0 only while no one waits.
    hurried: VecDeque<oneshot::Sender<()>>,
    others: VecDeque<oneshot::Sender<()>>,
}

/// One download's slot, given back when dropped.
pub struct Slot<'a> {
    slots: &'a Slots,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.slots.give_back();
    }
}

/// A waiter's place in line: gives up its place when dropped, and passes on a slot that
/// reached it too late to be taken.
struct Waiting<'a> {
    slots: &'a Slots,
    receiver: Option<oneshot::Receiver<()>>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(mut receiver) = self.receiver.take() {
            receiver.close();
            if receiver.try_recv().is_ok() {
                self.slots.give_back();
            }
        }
    }
}

impl Slots {
    pub fn new(count: usize) -> Slots {
        Slots {
            state: Mutex::new(State {
                free: count.max(1),
                hurried: VecDeque::new(),
                others: VecDeque::new(),
            }),
        }
    }

    /// A slot: at once if one is free, else when one is handed over (`hurried` ones
    /// first). Cancel-safe: dropping the future gives up the place in line.
    pub async fn acquire(&self, hurried: bool) -> Slot<'_> {
        let receiver = {
            let mut state = self.lock();
            if state.free > 0 {
                state.free -= 1;
                return Slot { slots: self };
            }
            let (sender, receiver) = oneshot::channel();
            match hurried {
                true => state.hurried.push_back(sender),
                false => state.others.push_back(sender),
            }
            receiver
        };
        let mut waiting = Waiting {
            slots: self,
            receiver: Some(receiver),
        };
        if let Some(receiver) = waiting.receiver.as_mut() {
            // The senders live in the queues as long as `self`: a slot always comes.
            let _ = receiver.await;
        }
        waiting.receiver = None;
        Slot { slots: self }
    }

    /// Hands a slot to the first waiter still waiting, hurried ones first; else frees it.
    fn give_back(&self) {
        let mut state = self.lock();
        loop {
            let next = match state.hurried.pop_front() {
                Some(sender) => sender,
                None => match state.others.pop_front() {
                    Some(sender) => sender,
                    None => break,
                },
            };
            if next.send(()).is_ok() {
                return;
            }
        }
        state.free += 1;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Each change is whole before the lock is let go: a panic leaves it usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests;
