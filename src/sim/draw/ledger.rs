//! The draw side's books: the key's credits (billed at create, given back when a task
//! fails), the `pid` each task's video gets, and the counters `/__stats` shows under
//! `draw`. Tasks themselves live in the shared world; this keeps only what the draw API
//! adds to them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::sim::world::Task;

/// The credits `getAPIKeyCredits` starts from when `--draw-credits` is not set.
pub const UNLIMITED_CREDITS: i64 = 1_000_000;

/// Counters of the draw side (`/__stats` → `draw`).
#[derive(Debug, Default, Clone, Serialize)]
pub struct DrawStats {
    /// Draw tasks created and billed (also counted in `creates`), and those whose create
    /// had no `webHook: "-1"` and so was answered as a stream of `data:` lines.
    pub creates: u64,
    pub stream_creates: u64,
    /// Credits billed at create, and given back for tasks that failed (as of the read).
    pub credits_billed: i64,
    pub credits_refunded: i64,
    /// Creates refused for want of credits (code 402).
    pub out_of_credits: u64,
    /// Every create that named a `remixTargetId`, in the order they arrived.
    pub remixes: Vec<RemixSeen>,
    /// Creates that carried `characters`, and the character references they carried.
    pub character_creates: u64,
    pub characters: u64,
    /// Result calls per path (`/v1/draw/result`, `/v1/video/result`), and calls to the
    /// path `--draw-result-path` turned off (answered 404).
    pub result_calls: BTreeMap<String, u64>,
    pub wrong_result_path: u64,
    /// `getAPIKeyCredits` and `getModelStatus` calls.
    pub credit_queries: u64,
    pub model_status_queries: u64,
    /// Draw API calls, and creates among them, that reached each host (`overseas`,
    /// `domestic`), counted on arrival: a hung host counts what it swallowed.
    pub calls_by_host: BTreeMap<String, u64>,
    pub creates_by_host: BTreeMap<String, u64>,
    /// Calls a hung host (`--draw-down-how hang`) accepted and never answered.
    pub hung_calls: u64,
}

/// A create that asked to remix an earlier video.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemixSeen {
    /// The new task, and its prompt.
    pub task_id: String,
    pub prompt: String,
    /// The `remixTargetId` it named.
    pub target: String,
    /// The task whose video has that pid, if the simulator issued it.
    pub source_task: Option<String>,
    /// Whether that video was finished when the remix was asked for; a remix of anything
    /// else fails.
    pub accepted: bool,
}

#[derive(Default)]
pub struct Ledger {
    books: Mutex<Books>,
}

#[derive(Default)]
struct Books {
    billed: i64,
    entries: HashMap<String, Entry>,
    /// pid → the task whose video it names.
    pids: HashMap<String, String>,
}

struct Entry {
    credits: i64,
    pid: String,
    /// When the task fails and its credits come back; `None` for one that succeeds.
    refund_at: Option<Instant>,
}

impl Entry {
    fn refund(&self, now: Instant) -> i64 {
        match self.refund_at {
            Some(at) if at <= now => self.credits,
            _ => 0,
        }
    }
}

impl Ledger {
    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Takes `credits` from a key that started with `start` (`None`: unlimited), or says
    /// how many are left.
    pub fn reserve(&self, start: Option<i64>, credits: i64, now: Instant) -> Result<(), i64> {
        let mut books = self.books();
        if let Some(start) = start {
            let left = start - books.billed + refunded(&books, now);
            if credits > left {
                return Err(left);
            }
        }
        books.billed += credits;
        Ok(())
    }

    /// Gives back a reservation whose create was refused after all.
    pub fn release(&self, credits: i64) {
        self.books().billed -= credits;
    }

    /// Enters a created task: what it cost and its video's pid; the pid, returned.
    pub fn record(&self, task: &Task, credits: i64) -> String {
        let pid = pid_of(&task.id);
        let refund_at = task.failure.is_some().then(|| task.ends_at());
        let mut books = self.books();
        books.pids.insert(pid.clone(), task.id.clone());
        let entry = Entry {
            credits,
            pid: pid.clone(),
            refund_at,
        };
        books.entries.insert(task.id.clone(), entry);
        pid
    }

    /// Credits left on a key that started with `start` (`None`: unlimited).
    pub fn left(&self, start: Option<i64>, now: Instant) -> i64 {
        let books = self.books();
        start.unwrap_or(UNLIMITED_CREDITS) - books.billed + refunded(&books, now)
    }

    /// Credits given back so far, over all tasks.
    pub fn refunded(&self, now: Instant) -> i64 {
        refunded(&self.books(), now)
    }

    /// A task's video pid, and the credits given back for it as of `now`.
    pub fn of(&self, task_id: &str, now: Instant) -> Option<(String, i64)> {
        let books = self.books();
        let entry = books.entries.get(task_id)?;
        Some((entry.pid.clone(), entry.refund(now)))
    }

    /// The task whose video has this pid.
    pub fn task_of(&self, pid: &str) -> Option<String> {
        self.books().pids.get(pid).cloned()
    }
}

fn refunded(books: &Books, now: Instant) -> i64 {
    books.entries.values().map(|entry| entry.refund(now)).sum()
}

/// A pid in the provider's style (`s_` and hex), derived from the task id so that only
/// the simulator can issue it.
fn pid_of(task_id: &str) -> String {
    let digest = Sha256::digest(task_id.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("s_{hex}")
}
