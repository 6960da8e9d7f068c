//! The simulator's state: the tasks every dialect shares, their lifecycle over time, the
//! account's balance, the dice behind the fault knobs, and the counters `/__stats` shows.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::time::Instant;

use super::SimSettings;
use super::chat::{ChatBook, ChatStats};
use super::draw::{DrawStats, Ledger};
use super::hosts::Switch;
use super::openai::OpenAiRemix;

mod keys;

pub use keys::KeyStats;

/// Which API a task was made through: each dialect lists and describes only its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    SoraHk,
    OpenAi,
    Draw,
    Chat,
}

/// What a client asked for, in the terms every dialect shares.
#[derive(Debug, Clone)]
pub struct TaskRequest {
    pub dialect: Dialect,
    pub prompt: String,
    pub image_url: Option<String>,
    pub is_pro: bool,
    pub duration: u32,
    /// `horizontal`/`vertical` (Sora.hk), a pixel size like `1280x720` (OpenAI), an
    /// aspect ratio like `16:9` (draw) or `landscape`/`portrait` (chat).
    pub shape: String,
    pub cost_cents: i64,
    /// The model asked for (`sora-2`, a dated snapshot…); `None` for a Sora.hk task.
    pub model: Option<String>,
    /// The OpenAI video this one remixes (`POST /videos/{id}/remix`).
    pub remixed_from: Option<String>,
}

/// Where a task is in its life, as of one moment.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Pending,
    Processing { progress: u8 },
    Completed,
    Failed { message: String },
}

#[derive(Debug, Clone)]
pub struct Task {
    pub id: String,
    /// The index of the key (account) that created it: only that key sees it.
    pub owner: usize,
    pub request: TaskRequest,
    pub created: Instant,
    pub created_unix: u64,
    pub generation: Duration,
    /// Set at creation: the task fails (at 40% of its time) with this message.
    pub failure: Option<String>,
    /// Set at creation: the first download of this video stops halfway.
    pub truncate_first_download: bool,
    pub downloads_started: u32,
    /// Whether a status call has reported it finished yet.
    pub end_seen: bool,
}

impl Task {
    pub fn phase(&self, now: Instant) -> Phase {
        let elapsed = now.saturating_duration_since(self.created).as_secs_f64();
        let total = self.generation.as_secs_f64().max(0.001);
        let done = elapsed / total;
        if let Some(message) = &self.failure
            && done >= 0.4
        {
            return Phase::Failed {
                message: message.clone(),
            };
        }
        match done {
            d if d >= 1.0 => Phase::Completed,
            // The first tenth is spent in the queue.
            d if d < 0.1 => Phase::Pending,
            d => Phase::Processing {
                progress: ((d - 0.1) / 0.9 * 100.0).clamp(1.0, 99.0) as u8,
            },
        }
    }

    /// When the provider stops working on it (finished or failed).
    pub fn ends_at(&self) -> Instant {
        if self.failure.is_some() {
            self.created + self.generation.mul_f64(0.4)
        } else {
            self.created + self.generation
        }
    }

    pub fn completed_unix(&self) -> Option<u64> {
        let end = self.ends_at().saturating_duration_since(self.created);
        Some(self.created_unix + end.as_secs())
    }
}

/// Counters a test reads to prove what the client did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Stats {
    /// Tasks created and billed, in total and per prompt.
    pub creates: u64,
    pub creates_by_prompt: BTreeMap<String, u64>,
    /// Tasks created with a reference image link, per link: what proves which link a
    /// client sent.
    pub creates_by_image_url: BTreeMap<String, u64>,
    pub billed_cents: i64,
    /// Creates refused: 429 at capacity, 1012 out of balance, 1001 bad parameter, 401.
    pub rate_limited: u64,
    pub out_of_balance: u64,
    pub bad_requests: u64,
    pub unauthorized: u64,
    /// Status calls (`GET /tasks/{id}`, `GET /videos/{id}`) and list calls.
    pub polls: u64,
    pub lists: u64,
    /// Video downloads started, and those cut halfway on purpose.
    pub downloads: u64,
    pub range_requests: u64,
    pub truncations: u64,
    /// Injected faults: 5xx answers and resets; ambiguous creates (billed, then dropped).
    pub faults: u64,
    pub ambiguous: u64,
    /// The most tasks that were active (created, not yet finished) at one time.
    pub max_active: u64,
    /// Seconds between tasks ending and a status call first reporting it, summed: how
    /// long finished tasks held a client's capacity for nothing.
    pub end_unseen_seconds: f64,
    /// Generation time of every task created, in seconds: a batch's ideal makespan is this
    /// divided by the capacity.
    pub generation_seconds: f64,
    /// The shortest time between two creates that made a task, in seconds: how a client
    /// staggers its creates (`None` before the second).
    pub closest_creates_seconds: Option<f64>,
    /// OpenAI calls whose key came in an `api-key` header (Azure's shape) instead of
    /// `Authorization: Bearer`.
    pub api_key_header_calls: u64,
    /// OpenAI creates that made a task and carried an `input_reference`, and the last such
    /// reference: what proves a client sent the file.
    pub reference_creates: u64,
    pub last_reference: Option<ReferenceSeen>,
    /// Content downloads refused because the video had expired (`--expire-after`).
    pub expired_downloads: u64,
    /// `--content-redirect`: requests that reached the other origin, and those of them
    /// that carried a key (an `Authorization` or `api-key` header) there.
    pub redirected_requests: u64,
    pub redirected_with_key: u64,
    /// Every OpenAI remix that made a video, in the order they arrived.
    pub openai_remixes: Vec<OpenAiRemix>,
    /// The draw side's own counters.
    pub draw: DrawStats,
    /// The chat side's own counters.
    pub chat: ChatStats,
    /// Each key's own counters, by the key.
    pub by_key: BTreeMap<String, KeyStats>,
    /// `GET /images/…` answered (`images.rs`).
    pub image_fetches: u64,
}

/// An `input_reference` as the simulator received it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferenceSeen {
    /// `file` (a multipart file part), `data_url` or `url` (JSON).
    pub how: String,
    /// The image's size and SHA-256 (hex); none for a URL the simulator does not fetch.
    pub bytes: Option<u64>,
    pub sha256: Option<String>,
    /// Its pixel size as `WxH`, read from its header.
    pub pixels: Option<String>,
}

pub struct World {
    pub settings: SimSettings,
    /// The draw side's credits and pids.
    pub draw: Ledger,
    /// The chat side's result shapes.
    pub chat: ChatBook,
    /// Which of the two hosts is down.
    pub hosts: Switch,
    /// `--content-redirect`: the second listener downloads are sent to.
    pub other_origin: Option<std::net::SocketAddr>,
    /// How far the simulator's clock is ahead of the machine's, in milliseconds.
    clock_skew_ms: AtomicI64,
    /// When it started: `--revoke` counts from here.
    started: Instant,
    inner: Mutex<Inner>,
}

struct Inner {
    tasks: HashMap<String, Task>,
    /// Task ids in creation order, for the newest-first list.
    order: Vec<String>,
    stats: Stats,
    rng: fastrand::Rng,
    next_id: u64,
    /// What each key (by index) has spent, in cents.
    spent_cents: Vec<i64>,
    /// Prompts carrying [`LOST_ANSWER_MARK`] whose first create has had its answer lost.
    answers_lost: HashSet<String>,
    /// When the latest create that made a task arrived.
    last_create: Option<Instant>,
}

/// Why a create was refused before any task existed.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    AtCapacity { retry_after: Duration },
    OutOfBalance { balance_cents: i64 },
}

impl World {
    pub fn new(settings: SimSettings) -> Self {
        let rng = settings
            .seed
            .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        let keys = settings.api_keys.len();
        let stats = Stats {
            by_key: settings
                .api_keys
                .iter()
                .map(|key| (key.key.clone(), KeyStats::default()))
                .collect(),
            ..Stats::default()
        };
        World {
            started: Instant::now(),
            other_origin: None,
            draw: Ledger::default(),
            chat: ChatBook::default(),
            hosts: Switch::new(&settings.draw),
            clock_skew_ms: AtomicI64::new((settings.clock_skew * 1000.0) as i64),
            settings,
            inner: Mutex::new(Inner {
                tasks: HashMap::new(),
                order: Vec::new(),
                stats,
                rng,
                next_id: 1,
                spent_cents: vec![0; keys],
                answers_lost: HashSet::new(),
                last_create: None,
            }),
        }
    }

    pub fn with_other_origin(self, other_origin: Option<std::net::SocketAddr>) -> Self {
        World {
            other_origin,
            ..self
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the counters half-updated in a way
        // that matters to a test double, so a poisoned lock is used as it is.
        self.inner
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Rolls a die that comes up true with `probability`.
    pub fn roll(&self, probability: f64) -> bool {
        probability > 0.0 && self.lock().rng.f64() < probability
    }

    pub fn pick(&self, choices: usize) -> usize {
        self.lock().rng.usize(..choices)
    }

    /// Whether the answer to this new task's create is to be lost (`--ambiguous-rate`, or
    /// the first create of a prompt carrying [`LOST_ANSWER_MARK`]); counted.
    pub fn loses_answer(&self, task: &Task) -> bool {
        let marked = task.request.prompt.contains(LOST_ANSWER_MARK)
            && self.lock().answers_lost.insert(task.request.prompt.clone());
        let lost = marked || self.roll(self.settings.ambiguous_rate);
        if lost {
            self.count(|stats| stats.ambiguous += 1);
        }
        lost
    }

    pub fn set_clock_skew(&self, seconds: f64) {
        self.clock_skew_ms
            .store((seconds * 1000.0) as i64, Ordering::Relaxed);
    }

    /// The simulator's wall clock (the machine's, moved by `--clock-skew`).
    pub fn system_now(&self) -> SystemTime {
        let skew = self.clock_skew_ms.load(Ordering::Relaxed);
        let magnitude = Duration::from_millis(skew.unsigned_abs());
        if skew >= 0 {
            SystemTime::now() + magnitude
        } else {
            SystemTime::now() - magnitude
        }
    }

    /// [`World::system_now`] in whole seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> u64 {
        let since = self.system_now().duration_since(UNIX_EPOCH);
        since.unwrap_or_default().as_secs()
    }

    pub fn count(&self, update: impl FnOnce(&mut Stats)) {
        update(&mut self.lock().stats);
    }

    pub fn stats(&self) -> Stats {
        let mut stats = self.lock().stats.clone();
        stats.draw.credits_refunded = self.draw.refunded(Instant::now());
        stats
    }

    /// The cost the API reports for a task: `--task-cost` when set, else its price.
    pub fn reported_cost(&self, task: &Task) -> serde_json::Value {
        match &self.settings.task_cost {
            Some(text) => serde_json::from_str(text)
                .unwrap_or_else(|_| serde_json::Value::String(text.clone())),
            None => serde_json::json!(task.request.cost_cents),
        }
    }

    /// Creates (and bills to key `account`) a task, or says why not: each key has its own
    /// capacity and balance.
    pub fn create(
        &self,
        account: usize,
        request: TaskRequest,
        now: Instant,
    ) -> Result<Task, Refusal> {
        let capacity = self.capacity_of(account);
        let balance = self.balance_of(account);
        let mut inner = self.lock();
        let active_at = |inner: &Inner, only: Option<usize>| -> Vec<Instant> {
            let tasks = inner.tasks.values();
            let theirs = tasks.filter(|task| only.is_none_or(|owner| task.owner == owner));
            theirs.map(Task::ends_at).filter(|end| *end > now).collect()
        };
        let active = active_at(&inner, Some(account));
        let all_active = active_at(&inner, None).len();
        if let Some(capacity) = capacity
            && active.len() >= capacity
        {
            inner.stats.rate_limited += 1;
            self.key_stats(&mut inner, account).rate_limited += 1;
            let first_free = active.iter().min().copied().unwrap_or(now);
            let wait = first_free.saturating_duration_since(now);
            return Err(Refusal::AtCapacity {
                retry_after: wait.max(Duration::from_secs(1)),
            });
        }
        let spent = inner.spent_cents.get(account).copied().unwrap_or(0);
        if let Some(balance) = balance
            && spent + request.cost_cents > balance
        {
            inner.stats.out_of_balance += 1;
            self.key_stats(&mut inner, account).out_of_balance += 1;
            return Err(Refusal::OutOfBalance {
                balance_cents: balance - spent,
            });
        }
        let mut task = self.new_task(&mut inner, request, now);
        task.owner = account;
        if let Some(spent) = inner.spent_cents.get_mut(account) {
            *spent += task.request.cost_cents;
        }
        let key = self.key_stats(&mut inner, account);
        key.creates += 1;
        key.billed_cents += task.request.cost_cents;
        key.max_active = key.max_active.max(active.len() as u64 + 1);
        let stats = &mut inner.stats;
        stats.creates += 1;
        stats.billed_cents += task.request.cost_cents;
        *stats
            .creates_by_prompt
            .entry(task.request.prompt.clone())
            .or_default() += 1;
        if let Some(link) = &task.request.image_url {
            *stats.creates_by_image_url.entry(link.clone()).or_default() += 1;
        }
        stats.max_active = stats.max_active.max(all_active as u64 + 1);
        stats.generation_seconds += task.generation.as_secs_f64();
        if let Some(last) = inner.last_create {
            let gap = now.saturating_duration_since(last).as_secs_f64();
            let closest = &mut inner.stats.closest_creates_seconds;
            *closest = Some(closest.map_or(gap, |closest| closest.min(gap)));
        }
        inner.last_create = Some(now);
        inner.order.push(task.id.clone());
        inner.tasks.insert(task.id.clone(), task.clone());
        Ok(task)
    }

    fn new_task(&self, inner: &mut Inner, request: TaskRequest, now: Instant) -> Task {
        let (low, high) = self.settings.gen_seconds.bounds();
        let mut seconds = low + (high - low) * inner.rng.f64();
        if request.is_pro {
            seconds *= PRO_SLOWDOWN;
        }
        let failure = if request.prompt.contains(FORBIDDEN_MARK) {
            Some(CONTENT_POLICY_MESSAGE.to_string())
        } else if inner.rng.f64() < self.settings.fail_rate {
            Some("generation failed: the upstream model returned no video".to_string())
        } else {
            None
        };
        let truncate = inner.rng.f64() < self.settings.truncate_rate;
        let prefix = &self.settings.task_id_prefix;
        let id = format!("{prefix}{:06}{:04x}", inner.next_id, inner.rng.u16(..));
        inner.next_id += 1;
        Task {
            id,
            owner: 0,
            request,
            created: now,
            created_unix: self
                .system_now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs(),
            generation: Duration::from_secs_f64(seconds),
            failure,
            truncate_first_download: truncate,
            downloads_started: 0,
            end_seen: false,
        }
    }

    /// Makes a task fail (at 40% of its time, as others do) with `message`; the task.
    pub fn set_failure(&self, id: &str, message: String) -> Option<Task> {
        let mut inner = self.lock();
        let task = inner.tasks.get_mut(id)?;
        task.failure = Some(message);
        Some(task.clone())
    }

    pub fn task(&self, id: &str) -> Option<Task> {
        self.lock().tasks.get(id).cloned()
    }

    /// A task for a status call: the first call that sees it ended is counted.
    pub fn poll(&self, id: &str, now: Instant) -> Option<Task> {
        let mut inner = self.lock();
        let task = inner.tasks.get_mut(id)?;
        let ended = task.ends_at();
        let first_sight = !task.end_seen && ended <= now;
        task.end_seen |= first_sight;
        let task = task.clone();
        if first_sight {
            let late = now.saturating_duration_since(ended).as_secs_f64();
            inner.stats.end_unseen_seconds += late;
        }
        Some(task)
    }

    /// Key `account`'s Sora.hk tasks, newest first: one page of them and the total.
    pub fn page(&self, account: usize, page: usize, page_size: usize) -> (Vec<Task>, usize) {
        let listed = self.listed(Dialect::SoraHk, account);
        let total = listed.len();
        let tasks = listed
            .into_iter()
            .skip(page.saturating_sub(1) * page_size)
            .take(page_size)
            .collect();
        (tasks, total)
    }

    /// One dialect's tasks of key `account`, newest first. Tasks younger than
    /// `--list-lag` are not listed yet.
    pub fn listed(&self, dialect: Dialect, account: usize) -> Vec<Task> {
        let inner = self.lock();
        let lag = self.settings.list_lag.unwrap_or_default();
        let now = Instant::now();
        inner
            .order
            .iter()
            .rev()
            .filter_map(|id| inner.tasks.get(id))
            .filter(|task| task.request.dialect == dialect && task.owner == account)
            .filter(|task| now.saturating_duration_since(task.created) >= lag)
            .cloned()
            .collect()
    }

    /// Notes a download of a task's video; true when this one must stop halfway.
    pub fn start_download(&self, id: &str, ranged: bool) -> bool {
        let mut inner = self.lock();
        let Some(task) = inner.tasks.get_mut(id) else {
            return false;
        };
        task.downloads_started += 1;
        let cut = task.truncate_first_download && task.downloads_started == 1;
        inner.stats.downloads += 1;
        inner.stats.range_requests += u64::from(ranged);
        inner.stats.truncations += u64::from(cut);
        cut
    }
}

/// A prompt containing this has the answer to its first create lost after the task was
/// made and billed (as `--ambiguous-answer` says), whatever `--ambiguous-rate` is: tests
/// use it for a lost create at a known moment.
pub const LOST_ANSWER_MARK: &str = "LOST-ANSWER";

/// A prompt containing this fails at 40% of its generation time: a content-policy
/// failure (Sora.hk) or `moderation_blocked` (OpenAI).
pub const FORBIDDEN_MARK: &str = "FORBIDDEN";

/// Pro tasks take this many times longer than normal ones.
pub const PRO_SLOWDOWN: f64 = 1.5;

/// What a prompt containing `FORBIDDEN` fails with, in the style of the real provider.
pub const CONTENT_POLICY_MESSAGE: &str =
    "内容审核未通过 (content policy violation): the prompt was flagged by moderation";
