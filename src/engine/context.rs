//! What every job of a run shares: the provider, the gate, the journal, the download
//! limit, the stop signals and the counters the progress display reads.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;
use tokio_util::sync::CancellationToken;
use tracing::{error, warn};

use super::backoff::{self, BackoffPolicy};
use super::breaker::BreakerSettings;
use super::budget::Budget;
use super::eta::Eta;
use super::outcome::{Failure, JobOutcome};
use super::owners::Owners;
use super::poll::PollSettings;
use super::pool::Pool;
use super::reach::Reach;
use super::{Batch, JobSpec};
use crate::i18n::Message;
use crate::journal::{Event, JobKey, Journal, JournalError, JournalState};
use crate::pricing::PriceSettings;
use crate::provider::untrusted::MAX_TASK_CENTS;
use crate::provider::{Accepted, Cost, ListShape, Match, Provider, ProviderError, RecentTask};
use crate::storyboard::Segment;

/// The engine's knobs, from the command line.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    pub breaker: BreakerSettings,
    pub poll: PollSettings,
    pub backoff: BackoffPolicy,
    pub download_workers: usize,
    /// The largest video downloaded (`--max-video-bytes`).
    pub max_video_bytes: u64,
    pub resubmit_lost: bool,
    /// Jobs that failed at the provider in an earlier run may be submitted again.
    pub retry_failed: bool,
    /// Server errors in a row after which one job's submission gives up.
    pub max_server_errors: u32,
    /// The longest pause between two submissions.
    pub stagger: Duration,
    /// How long after an unanswered create (and a first search that found nothing) the
    /// provider's task list is searched a second time, before the job may be submitted
    /// again: how soon the list shows a new task.
    pub lost_create_wait: Duration,
    /// The longest one API call may take (`--request-timeout`): what an interrupted run
    /// waits for at most, for the answer to a create already sent.
    pub request_timeout: Duration,
    /// How long without any answer from the provider before the run gives up on it.
    pub give_up_after: Duration,
    /// `--price-normal` / `--price-pro`: what budget mode prices jobs at (see `budget`).
    pub prices: PriceSettings,
}

/// Why a run stopped submitting before its end.
#[derive(Debug, Clone, PartialEq)]
pub enum StopReason {
    Interrupted,
    Unauthorized(Message),
    DiskFull(Message),
    Journal(Message),
    /// The journal or the state lock was deleted or replaced: nothing more is submitted,
    /// but tasks already paid for are followed to their videos, since no later run's
    /// journal knows about them.
    JournalRemoved(Message),
    /// No API call was answered for `--give-up-after`: every job is left for the next run.
    Unreachable(Message),
    /// The API address is wrong (the create endpoint is not there).
    NoApi(Message),
    /// The proxy refused its credentials.
    ProxyRefused(Message),
}

impl StopReason {
    /// The stop a provider's answer calls for, if it is one whatever the job: a refused
    /// key or proxy, or no API at the address.
    pub fn for_error(error: &ProviderError) -> Option<StopReason> {
        let message = error.message();
        match error {
            ProviderError::Unauthorized { .. } => Some(StopReason::Unauthorized(message)),
            ProviderError::NoApi { .. } => Some(StopReason::NoApi(message)),
            ProviderError::ProxyRefused { .. } => Some(StopReason::ProxyRefused(message)),
            _ => None,
        }
    }

    /// What a job that never started says.
    pub fn short(&self) -> String {
        match self {
            StopReason::Interrupted => "not submitted: the run was interrupted",
            StopReason::Unauthorized(_) => "not submitted: the provider refused the API key",
            StopReason::DiskFull(_) => "not submitted: the disk is full",
            StopReason::Journal(_) => "not submitted: the journal could not be written",
            StopReason::JournalRemoved(_) => {
                "not submitted: the state folder was removed during the run"
            }
            StopReason::Unreachable(_) => "not submitted: the provider could not be reached",
            StopReason::NoApi(_) => "not submitted: no provider API at --base-url",
            StopReason::ProxyRefused(_) => "not submitted: the proxy refused its credentials",
        }
        .to_string()
    }
}

crate::display_from_message!(StopReason);

impl StopReason {
    /// Why the run stopped, in any language (`Display` is its English).
    pub fn message(&self) -> Message {
        match self {
            StopReason::Interrupted => Message::new("run.interrupted"),
            StopReason::Unauthorized(message)
            | StopReason::DiskFull(message)
            | StopReason::Journal(message)
            | StopReason::JournalRemoved(message)
            | StopReason::Unreachable(message)
            | StopReason::NoApi(message)
            | StopReason::ProxyRefused(message) => message.clone(),
        }
    }
}

/// Live counts for the progress display and the summary.
#[derive(Debug, Default)]
pub struct Counters {
    pub finished: AtomicU64,
    pub failed: AtomicU64,
    pub downloading: AtomicU64,
    pub downloaded_bytes: AtomicU64,
    billed_cents: AtomicI64,
    unknown_costs: AtomicU64,
    /// What the tasks of unknown cost come to at the run's prices (`--price-*`, else the
    /// provider's documented ones): an estimate, never added to what was billed.
    unknown_costs_estimate: AtomicU64,
}

impl Counters {
    pub fn count(&self, outcome: &JobOutcome) {
        self.finished.fetch_add(1, Ordering::Relaxed);
        if let JobOutcome::Failed(..) = outcome {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a task the provider accepted (or that was found again after a lost answer)
    /// at the cost it reports. A cost it does not state, or states implausibly, is counted
    /// as unknown, never as 0 or as the nonsense it said, and `estimate` (its price at the
    /// run's prices) is added to the estimate of such tasks; the sums saturate.
    pub fn add_billed(&self, accepted: &Accepted, estimate: u64) {
        if !matches!(accepted.cost_cents, Cost::Cents(_)) {
            let add = |sum: u64| Some(sum.saturating_add(estimate));
            let _ =
                self.unknown_costs_estimate
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, add);
        }
        match &accepted.cost_cents {
            Cost::Cents(cents) => {
                let add = |sum: i64| Some(sum.saturating_add(*cents));
                // The closure never declines, so the update cannot fail.
                let _ = self
                    .billed_cents
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, add);
            }
            Cost::Unstated => {
                self.unknown_costs.fetch_add(1, Ordering::Relaxed);
            }
            Cost::Implausible(said) => {
                let message = Message::new("run.implausible_cost")
                    .with("task", &accepted.task_id)
                    .with("said", said)
                    .with_text("most", crate::pricing::amount(MAX_TASK_CENTS, "USD"));
                warn!(shown = %message.shown(), "{message}");
                self.unknown_costs.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub fn billed(&self) -> i64 {
        self.billed_cents.load(Ordering::Relaxed)
    }

    /// Tasks whose cost the provider did not report plausibly.
    pub fn unknown_costs(&self) -> u64 {
        self.unknown_costs.load(Ordering::Relaxed)
    }

    /// Those tasks at the run's prices.
    pub fn unknown_costs_estimate(&self) -> u64 {
        self.unknown_costs_estimate.load(Ordering::Relaxed)
    }
}

pub(super) struct Context {
    /// The run's API keys: each one's client (every call noted in `reach`), gate and rate.
    pub keys: Pool,
    pub reach: Arc<Reach>,
    pub journal: Arc<Journal>,
    /// The journal as it was when the run started: where each job picks up.
    pub earlier: JournalState,
    pub http: crate::download::Http,
    pub downloads: super::slots::Slots,
    pub settings: EngineSettings,
    /// What the balance still pays for, once it has refused a job.
    pub budget: Budget,
    /// No new submissions (Ctrl+C, key, disk).
    pub stop: CancellationToken,
    /// Stop waiting at the provider too (Ctrl+C, key, disk): tasks are left for next run.
    pub interrupt: CancellationToken,
    pub counters: Arc<Counters>,
    eta: Mutex<Eta>,
    /// Every distinct request of the batch, so a lost create's search can tell when a
    /// listed task could be another job's.
    requests: Vec<(Arc<str>, Arc<Segment>)>,
    pub owners: Owners,
    prompt_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    stop_reason: Mutex<Option<StopReason>>,
    rng: Mutex<fastrand::Rng>,
    progress_done: CancellationToken,
    interrupted: AtomicBool,
    /// When the next create may be sent at the earliest (see [`Context::pace_create`]).
    next_create: tokio::sync::Mutex<tokio::time::Instant>,
}

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

impl Context {
    /// What a job of `segment` costs at the run's prices: for tasks whose cost the
    /// provider does not say (see [`Counters::add_billed`]).
    pub fn estimated_price(&self, segment: &Segment) -> u64 {
        let model = self.provider().capabilities().price_model;
        self.settings.prices.applied_to(model).price_of(segment)
    }

    pub fn new(batch: &Batch, jobs: &[JobSpec], earlier: JournalState) -> Self {
        let mut requests: Vec<(Arc<str>, Arc<Segment>)> = jobs
            .iter()
            .map(|job| (job.fingerprint.clone(), job.segment.clone()))
            .collect();
        requests.sort_by(|a, b| a.0.cmp(&b.0));
        requests.dedup_by(|a, b| a.0 == b.0);
        let owners = Owners::new(&earlier, jobs);
        let reach = Arc::new(Reach::new(batch.settings.give_up_after));
        Context {
            keys: Pool::new(&batch.keys, &batch.settings.breaker, &reach),
            reach,
            journal: batch.journal.clone(),
            earlier,
            // Downloads have a client of their own: it follows redirects by hand, so the
            // key goes only where it belongs (see `download::Http`).
            http: crate::download::Http::new(batch.settings.request_timeout),
            downloads: super::slots::Slots::new(batch.settings.download_workers),
            settings: batch.settings.clone(),
            budget: Budget::new(batch.settings.prices),
            stop: CancellationToken::new(),
            interrupt: CancellationToken::new(),
            counters: Arc::default(),
            eta: Mutex::default(),
            requests,
            owners,
            prompt_locks: Mutex::default(),
            stop_reason: Mutex::default(),
            rng: Mutex::new(fastrand::Rng::new()),
            progress_done: CancellationToken::new(),
            interrupted: AtomicBool::new(false),
            next_create: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// The provider as every key's client shares it (its name and capabilities), and the
    /// client that asks for prices and the balance: the first key still in the rotation.
    pub fn provider(&self) -> &dyn Provider {
        &*self.keys.primary().provider
    }

    /// Whether the journal says this job's task is already at the provider. A job done on
    /// disk is skipped whatever the journal says (see `fetch::settle_done`).
    pub fn resumes(&self, job: &JobSpec) -> bool {
        job.state != crate::plan::JobState::Done
            && self
                .earlier
                .get(&job.key)
                .is_some_and(|record| record.is_in_flight())
    }

    /// Appends to the journal; a failure stops the run, since going on could pay twice.
    pub fn record(&self, key: &JobKey, event: &Event) -> Result<(), JobOutcome> {
        self.journal.append(key, event).map_err(|err| {
            let message = err.message();
            if let JournalError::Replaced { .. } = err {
                // Only a `submitting` checks this, so the job was never sent.
                let reason = StopReason::JournalRemoved(message);
                self.stop_run(reason.clone());
                return JobOutcome::NotStarted(reason.short());
            }
            self.stop_run(StopReason::Journal(message.clone()));
            JobOutcome::Failed(Failure::Journal, message)
        })
    }

    pub fn claim(&self, task_id: &str) {
        self.owners.claim(task_id);
    }

    /// Whether a listed task could answer a create of another request of this batch than
    /// `job`'s (versions of one request are interchangeable, so they do not count).
    pub fn fits_another_request(
        &self,
        task: &RecentTask,
        job: &JobSpec,
        shape: &ListShape,
    ) -> bool {
        self.requests.iter().any(|(fingerprint, segment)| {
            **fingerprint != *job.fingerprint
                && matches!(task.matches(segment, shape), Match::Exact | Match::Prefix)
        })
    }

    /// Serializes create calls (and searches for lost ones) per prompt.
    pub async fn prompt_lock(&self, prompt: &str) -> OwnedMutexGuard<()> {
        let lock = locked(&self.prompt_locks)
            .entry(prompt.to_string())
            .or_default()
            .clone();
        lock.lock_owned().await
    }

    /// Waits until a create may be sent: `--poll-interval`'s stagger (±50%) after the
    /// one before, whatever led to it. The engine's loop staggers the jobs it admits, but
    /// creates come from elsewhere too (a job whose earlier create was lost, once the
    /// search finds nothing; a retry): without this, a rerun after a provider outage
    /// opens with a burst of them before the breaker has heard a single answer.
    pub async fn pace_create(&self) {
        let most = self.settings.stagger;
        if most.is_zero() {
            return;
        }
        // Fair: creates leave in the order they asked.
        let mut next = self.next_create.lock().await;
        tokio::time::sleep_until(*next).await;
        *next = tokio::time::Instant::now() + most.mul_f64(0.5 + self.random());
    }

    /// What the batch's ETA is estimated from.
    pub fn eta(&self) -> std::sync::MutexGuard<'_, Eta> {
        locked(&self.eta)
    }

    pub fn random(&self) -> f64 {
        locked(&self.rng).f64()
    }

    pub fn retry_delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        backoff::retry_delay(
            attempt,
            retry_after,
            &self.settings.backoff,
            &mut locked(&self.rng),
        )
    }

    /// Stops new submissions; reasons that make waiting pointless stop the waiting too.
    pub fn stop_run(&self, reason: StopReason) {
        let mut current = locked(&self.stop_reason);
        if current.is_none() {
            match &reason {
                StopReason::Interrupted => {}
                // Its message says what happens next.
                StopReason::JournalRemoved(message) => {
                    error!(shown = %message.shown(), "{message}")
                }
                other => {
                    let message = Message::new("run.stopping").with_text("reason", other.message());
                    error!(shown = %message.shown(), "{message}");
                }
            }
            *current = Some(reason.clone());
        }
        self.stop.cancel();
        if !matches!(reason, StopReason::JournalRemoved(_)) {
            self.interrupt.cancel();
        }
    }

    /// The provider refused `key` (HTTP 401): it leaves the rotation, and once no key is
    /// left the run stops as it always did for its one key. Whether other keys go on.
    pub fn key_refused(&self, key: usize, error: &ProviderError) -> bool {
        let said = match error {
            ProviderError::Unauthorized { message, .. } => message.as_str(),
            _ => "",
        };
        if self
            .keys
            .retire(key, Message::new("keys.refused").with("said", said))
        {
            return true;
        }
        let reason = match self.keys.len() {
            1 => error.message(),
            _ => Message::new("keys.last_refused")
                .with("label", &self.keys.member(key).label)
                .with("said", said)
                .with("variable", self.provider().capabilities().keys_variable),
        };
        self.stop_run(StopReason::Unauthorized(reason));
        false
    }

    pub fn stop_reason(&self) -> Option<StopReason> {
        locked(&self.stop_reason).clone()
    }

    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }

    pub fn finish_progress(&self) {
        self.progress_done.cancel();
    }
}

/// What an interrupted run may take beyond an in-flight create's deadline: writing the
/// journal, the summary and the reports.
pub const EXIT_GRACE: Duration = Duration::from_secs(10);

/// The longest an interrupted run takes to exit: a create already sent is given its
/// deadline (its answer says whether it was paid for); nothing else is waited for.
pub fn exit_bound(request_timeout: Duration) -> Duration {
    request_timeout.saturating_add(EXIT_GRACE)
}

/// First Ctrl+C or SIGTERM: stop submitting, stop waiting at the provider and stop
/// downloads (tasks and partial files are left for the next run), let a create already
/// sent finish up to its deadline, and quit if the run has not ended within
/// [`exit_bound`]. Second: exit at once (the journal is already on disk).
pub(super) async fn watch_signals(ctx: Arc<Context>) {
    if interrupt_signal().await.is_err() {
        return;
    }
    ctx.interrupted.store(true, Ordering::Relaxed);
    let bound = exit_bound(ctx.settings.request_timeout);
    let message = Message::new("run.stopping_on_signal").with_duration("bound", bound);
    warn!(shown = %message.shown(), "{message}");
    ctx.stop_run(StopReason::Interrupted);
    tokio::select! {
        second = interrupt_signal() => {
            if second.is_ok() {
                // The exit skips the run's end, which would take the bars off the screen.
                crate::ui::clear_progress();
                let message = Message::new("run.quitting_now");
                error!(shown = %message.shown(), "{message}");
                std::process::exit(130);
            }
        }
        () = tokio::time::sleep(bound) => {
            crate::ui::clear_progress();
            let message = Message::new("run.quitting_after_bound")
                .with_duration("bound", bound);
            error!(shown = %message.shown(), "{message}");
            std::process::exit(130);
        }
    }
}

/// Stops the run once the provider has answered nothing for `--give-up-after`.
pub(super) async fn watch_reach(ctx: Arc<Context>) {
    let since = ctx.reach.lost().await;
    ctx.stop_run(StopReason::Unreachable(ctx.reach.message(since)));
}

async fn interrupt_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

/// Redraws the progress display from the counters until the run ends.
pub(super) async fn show_progress(ctx: Arc<Context>, total: u64, quiet: bool) {
    let mut bars = crate::ui::Bars::new(total, quiet, Duration::from_secs(30));
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = ctx.progress_done.cancelled() => break,
        }
        let keys = ctx.keys.snapshot();
        let counters = &ctx.counters;
        let finished = counters.finished.load(Ordering::Relaxed);
        let remaining = total.saturating_sub(finished);
        let eta = ctx
            .eta()
            .estimate(tokio::time::Instant::now(), remaining, keys.limit() as u64);
        bars.update(&crate::ui::Snapshot {
            total,
            finished,
            failed: counters.failed.load(Ordering::Relaxed),
            provider: keys.words(crate::i18n::current()),
            provider_logged: keys.to_string(),
            downloading: counters.downloading.load(Ordering::Relaxed),
            downloaded_bytes: counters.downloaded_bytes.load(Ordering::Relaxed),
            eta,
        });
    }
    bars.finish();
}
