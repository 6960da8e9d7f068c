//! The generation engine: turns the plan's jobs into verified videos on disk. The
//! scheduler here feeds jobs to tokio tasks as the breaker's gate lets them through, joins
//! them as they end (so memory stays flat however many jobs are planned), shows progress,
//! and stops cleanly on Ctrl+C, SIGTERM, a refused key or a full disk. A balance that
//! refuses a job does not stop it: the jobs that fit go on (`budget`).
//!
//! One job's life is in `job` (submit), `reconcile` (lost creates), `wait` (polling) and
//! `fetch` (download), which share what `task` holds (the owned task and its helpers);
//! the rules for how many may be in flight are in `breaker` and `gate`.

pub mod backoff;
pub mod breaker;
pub mod budget;
mod chain;
mod context;
mod eta;
mod fetch;
pub mod gate;
mod job;
pub mod outcome;
mod owners;
pub mod poll;
mod pool;
pub mod rate;
mod reach;
mod reconcile;
mod slots;
mod task;
mod wait;
mod wrap;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::task::JoinSet;
use tracing::{info, warn};

pub use context::{Counters, EngineSettings, StopReason};
pub use outcome::{
    BalanceShortfall, ExtraTake, FailedJob, Failure, JobOutcome, SkippedStoryboard, Summary,
    UnfitJob,
};
pub use pool::{KeyClient, KeySnapshot, PoolSnapshot};

use crate::i18n::Message;
use crate::journal::{JobKey, Journal, JournalState};
use crate::plan::JobState;
use crate::storyboard::Segment;
use chain::Chains;
use context::Context;

/// One job as the engine sees it.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub key: JobKey,
    pub segment: Arc<Segment>,
    pub fingerprint: Arc<str>,
    pub video: PathBuf,
    pub state: JobState,
    pub provider: &'static str,
    /// An extra take: a paid task of a job no storyboard asks for any more, collected
    /// under a name of its own and never submitted (see `app/extras.rs`).
    pub extra: bool,
}

impl JobSpec {
    pub fn sidecar(&self) -> PathBuf {
        crate::sidecar::path_for(&self.video)
    }

    /// The folder of its storyboard's videos: the video is
    /// `<storyboard folder>/Segment_<n>/<name>.mp4`.
    pub fn storyboard_folder(&self) -> Option<&Path> {
        self.video.parent()?.parent()
    }

    /// The create's parameters besides its prompt, as the journal keeps them.
    pub fn request(&self) -> crate::journal::Request {
        let segment = &self.segment;
        crate::journal::Request {
            is_pro: segment.is_pro,
            duration_seconds: segment.duration_seconds,
            resolution: segment.resolution.as_str().to_string(),
            image_url: segment.image_url.clone(),
            model: segment.model.clone(),
            size: segment.size.clone(),
        }
    }
}

#[cfg(test)]
impl JobSpec {
    /// Version `version` of `segment` in `storyboard.json`, in `state`, for sora-hk: what
    /// tests of the steps before the engine start from.
    pub(crate) fn example(segment: &Arc<Segment>, version: u32, state: JobState) -> JobSpec {
        JobSpec {
            key: JobKey {
                storyboard: "storyboard.json".to_string(),
                segment: segment.index,
                version,
                fingerprint: segment.fingerprint(),
            },
            segment: segment.clone(),
            fingerprint: segment.fingerprint().into(),
            video: PathBuf::from(format!(
                "out/storyboard/Segment_{}/{version}.mp4",
                segment.index
            )),
            state,
            provider: "sora-hk",
            extra: false,
        }
    }
}

/// The storyboard folders of `jobs`, each once, sorted.
pub fn storyboard_folders<'a>(jobs: impl IntoIterator<Item = &'a JobSpec>) -> Vec<PathBuf> {
    let folders: std::collections::BTreeSet<&Path> = jobs
        .into_iter()
        .filter_map(JobSpec::storyboard_folder)
        .collect();
    folders.into_iter().map(Path::to_path_buf).collect()
}

/// Everything a run needs.
pub struct Batch {
    pub jobs: Vec<JobSpec>,
    /// The run's API keys' clients, at least one.
    pub keys: Vec<KeyClient>,
    pub journal: Arc<Journal>,
    /// The journal as it was read at the start: where each job picks up.
    pub earlier: JournalState,
    pub settings: EngineSettings,
    pub quiet: bool,
}

/// Runs the batch to its end (or to a stop) and tallies how each job ended.
pub async fn run(mut batch: Batch) -> Summary {
    let started = std::time::Instant::now();
    let total = batch.jobs.len() as u64;
    let planned = batch.jobs.iter().filter(|job| !job.extra).count() as u64;
    let earlier = std::mem::take(&mut batch.earlier);
    let batch_jobs = std::mem::take(&mut batch.jobs);
    let ctx = Arc::new(Context::new(&batch, &batch_jobs, earlier));
    let batch_jobs: Vec<JobSpec> = batch_jobs
        .into_iter()
        .map(|job| fetch::settle_done(&ctx, job))
        .collect();
    let (chains, startable) = Chains::new(&ctx, batch_jobs);
    let chains = RefCell::new(chains);
    let signals = tokio::spawn(context::watch_signals(ctx.clone()));
    let reach = tokio::spawn(context::watch_reach(ctx.clone()));
    let progress = tokio::spawn(context::show_progress(ctx.clone(), total, batch.quiet));
    let mut summary = Summary {
        jobs_total: planned,
        ..Summary::default()
    };
    let mut unfit: Vec<UnfitJob> = Vec::new();
    let mut record = |summary: &mut Summary, job: &JobSpec, outcome: JobOutcome| {
        chains
            .borrow_mut()
            .ended(ctx.provider().name(), job, &outcome);
        ctx.counters.count(&outcome);
        ctx.eta().forget(&job.key);
        if let JobOutcome::Failed(failure, message) = &outcome {
            summary.failures.push(FailedJob {
                storyboard: job.key.storyboard.clone(),
                segment: job.key.segment,
                version: job.key.version,
                reason: failure.label().to_string(),
                message: message.clone(),
                extra: job.extra,
            });
        }
        if let JobOutcome::Unresolved(message) = &outcome {
            summary.unresolved.push(outcome::UnresolvedJob {
                storyboard: job.key.storyboard.clone(),
                segment: job.key.segment,
                version: job.key.version,
                message: message.clone(),
            });
        }
        if let JobOutcome::DidNotFit { price_cents } = outcome {
            unfit.push(UnfitJob {
                storyboard: job.key.storyboard.clone(),
                segment: job.key.segment,
                version: job.key.version,
                price_cents,
            });
        }
        if job.extra {
            summary.count_extra(job, &outcome);
        } else {
            summary.count(&outcome);
        }
    };
    let mut running: JoinSet<(JobSpec, JobOutcome)> = JoinSet::new();
    let most_alive = most_alive(&ctx.settings, ctx.keys.len());
    let mut queue: VecDeque<JobSpec> = in_start_order(&ctx, startable, &chains.borrow()).into();
    let mut cheapest_first = false;
    loop {
        // Remixes whose source ended: released ones go first, the others end with it.
        loop {
            let ended = chains.borrow_mut().take_ended();
            if ended.is_empty() {
                break;
            }
            for (job, outcome) in ended {
                record(&mut summary, &job, outcome);
            }
        }
        let released = chains.borrow_mut().take_ready();
        for job in released.into_iter().rev() {
            queue.push_front(job);
        }
        let Some(job) = queue.pop_front() else {
            // Nothing to start: wait for a job to end while remixes wait for theirs.
            let waiting = chains.borrow().waiting();
            if waiting > 0
                && let Some(joined) = running.join_next().await
            {
                collect(joined, &mut summary, &mut record);
                continue;
            }
            break;
        };
        if job.state == JobState::Done {
            record(&mut summary, &job, JobOutcome::Skipped);
            continue;
        }
        if ctx.budget.active() && !cheapest_first {
            cheapest_first = true;
            queue.push_front(job);
            by_price(&ctx, &mut queue).await;
            continue;
        }
        // Finished tasks wait for a download slot without a provider permit: when the
        // downloads are the bottleneck, they pile up. A bound on the jobs alive keeps
        // memory flat (and the videos' links from expiring in a queue).
        while running.len() >= most_alive {
            match running.join_next().await {
                Some(joined) => collect(joined, &mut summary, &mut record),
                None => break,
            }
        }
        // Only a job that starts with a create waits for the gate and the stagger: one
        // resumed at the provider, failed there before, or an extra take to collect
        // costs the provider nothing now, so ten thousand of them take no time.
        let submits = job::submits_first(&ctx, &job);
        if submits && let Err(price_cents) = ctx.budget.fits(ctx.provider(), &job.segment).await {
            record(&mut summary, &job, JobOutcome::DidNotFit { price_cents });
            continue;
        }
        let permit = if submits {
            match admit(&ctx, &mut running, &mut summary, &mut record).await {
                Some(permit) => Some(permit),
                None => {
                    record(&mut summary, &job, task::not_started(&ctx));
                    continue;
                }
            }
        } else {
            None
        };
        let task_ctx = ctx.clone();
        running.spawn(async move {
            // A bug in one job must not vanish from the summary: a panic becomes a
            // failure of that job (the journal still says where it stood).
            let life = std::panic::AssertUnwindSafe(job::run(task_ctx, job.clone(), permit));
            let outcome = life.catch_unwind().await.unwrap_or_else(|_| {
                JobOutcome::Failed(Failure::Internal, Message::new("job.internal_error"))
            });
            (job, outcome)
        });
        if submits {
            stagger(&ctx).await;
        }
    }
    while let Some(joined) = running.join_next().await {
        collect(joined, &mut summary, &mut record);
    }
    let never_released = chains
        .borrow_mut()
        .abandon("its source take was not finished");
    for (job, outcome) in never_released {
        record(&mut summary, &job, outcome);
    }
    signals.abort();
    reach.abort();
    ctx.finish_progress();
    let _ = progress.await;
    summary.interrupted = ctx.interrupted();
    summary.balance_shortfall = shortfall(&ctx, unfit).await;
    summary.stop = ctx.stop_reason();
    summary.stopped_because = summary.stop.as_ref().map(|reason| reason.to_string());
    summary.billed_cents = ctx.counters.billed();
    summary.unknown_cost_tasks = ctx.counters.unknown_costs();
    summary.unknown_cost_estimate_cents = ctx.counters.unknown_costs_estimate();
    summary.set_wall_time(started.elapsed());
    summary
}

/// The most jobs alive at once: in flight at the provider (at most the breakers' limits,
/// more for jobs an earlier run left there), waiting for a download slot, or downloading.
fn most_alive(settings: &EngineSettings, keys: usize) -> usize {
    (settings.breaker.max * keys + 8 * settings.download_workers).max(64)
}

/// Waits for a provider permit at a key with room, collecting jobs that end meanwhile;
/// `None` once the run stops submitting or no key is left.
async fn admit(
    ctx: &Context,
    running: &mut JoinSet<(JobSpec, JobOutcome)>,
    summary: &mut Summary,
    record: &mut impl FnMut(&mut Summary, &JobSpec, JobOutcome),
) -> Option<gate::Permit> {
    loop {
        tokio::select! {
            biased;
            () = ctx.stop.cancelled() => return None,
            Some(joined) = running.join_next() => collect(joined, summary, record),
            permit = ctx.keys.acquire() => return permit,
        }
    }
}

/// Warns about one job, `{job}: {message}`, in the interface's language on the terminal.
pub(crate) fn warn_job(key: &JobKey, message: Message) {
    let line = job_line(key, message);
    warn!(shown = %line.shown(), "{line}");
}

/// Tells what became of one job, `{job}: {message}`, as [`warn_job`] warns.
pub(crate) fn tell_job(key: &JobKey, message: Message) {
    let line = job_line(key, message);
    info!(shown = %line.shown(), "{line}");
}

fn job_line(key: &JobKey, message: Message) -> Message {
    Message::new("job.line")
        .with_text("job", key.message())
        .with_text("message", message)
}

fn collect(
    joined: Result<(JobSpec, JobOutcome), tokio::task::JoinError>,
    summary: &mut Summary,
    record: &mut impl FnMut(&mut Summary, &JobSpec, JobOutcome),
) {
    match joined {
        Ok((job, outcome)) => record(summary, &job, outcome),
        // Panics are caught inside the task; this is an abort, which nothing does.
        Err(err) => {
            let message = Message::new("run.job_ended_unexpectedly").with("err", err);
            warn!(shown = %message.shown(), "{message}");
        }
    }
}

/// Jobs already at the provider (from an earlier run) go first: they cost nothing more
/// and their videos are the closest to done. Then the sources of remixes, which hold
/// their chains up, then pro jobs, the slow ones: started early, they do not leave the
/// provider's capacity idle at the end waiting for one long job.
fn in_start_order(ctx: &Context, mut jobs: Vec<JobSpec>, chains: &Chains) -> Vec<JobSpec> {
    jobs.sort_by_key(|job| {
        (
            !ctx.resumes(job),
            !chains.is_source(job),
            !job.segment.is_pro,
        )
    });
    let resumed = jobs.iter().filter(|job| ctx.resumes(job)).count();
    if resumed > 0 {
        let message = Message::counted("events.resumed", resumed as u64);
        info!(shown = %message.shown(), "{message}");
    }
    jobs
}

/// Once the balance has refused a job, the jobs left go cheapest first, after those that
/// cost nothing now (resumed at the provider, failed before): as many videos as it pays for.
async fn by_price(ctx: &Context, queue: &mut VecDeque<JobSpec>) {
    let mut priced = Vec::with_capacity(queue.len());
    for job in queue.drain(..) {
        let price = if job::submits_first(ctx, &job) {
            ctx.budget.price(ctx.provider(), &job.segment).await
        } else {
            None
        };
        priced.push((price.unwrap_or(0), job));
    }
    // Stable: jobs of one price keep their order.
    priced.sort_by_key(|(price, _)| *price);
    queue.extend(priced.into_iter().map(|(_, job)| job));
}

/// The jobs the balance did not pay for, and the balance as the provider says it now (as
/// this run counted it, when the provider cannot be asked).
async fn shortfall(ctx: &Context, mut jobs: Vec<UnfitJob>) -> Option<BalanceShortfall> {
    let budget = ctx.budget.shortfall().filter(|_| !jobs.is_empty())?;
    let now = match ctx.provider().balance() {
        // A run that stopped (Ctrl+C, an unreachable provider) does not wait for it.
        Some(call) if !ctx.stop.is_cancelled() => call.await.ok(),
        _ => None,
    };
    jobs.sort_by(|a, b| {
        (&a.storyboard, a.segment, a.version).cmp(&(&b.storyboard, b.segment, b.version))
    });
    Some(BalanceShortfall {
        balance_cents: now.or(budget.left_cents),
        currency: budget.currency,
        needed_cents: jobs.iter().map(|job| job.price_cents).sum(),
        jobs,
    })
}

/// A short random pause between submissions, so a run does not open with a burst that
/// hits the provider before the breaker has heard a single answer.
async fn stagger(ctx: &Context) {
    let most = ctx.settings.stagger;
    if !most.is_zero() {
        let pause = most.mul_f64(0.5 + ctx.random());
        tokio::time::sleep(pause).await;
    }
}

/// The pause between submissions for a poll interval: a twentieth of it, at most 250 ms.
pub fn stagger_for(poll_interval: Duration) -> Duration {
    (poll_interval / 20).min(Duration::from_millis(250))
}

/// Unix time in milliseconds, as the journal and sidecars record moments.
pub fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

#[cfg(test)]
mod tests;
