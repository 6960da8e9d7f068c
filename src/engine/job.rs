//! One job's life, from the journal's record of an earlier run (if any) to a verified
//! video on disk: submit (or find a lost create again), wait at the provider, download.
//! Every step that costs money is journaled before and after it happens.

use std::sync::Arc;
use std::time::Duration;

use tracing::debug;

use super::gate::Permit;
use super::outcome::{Failure, JobOutcome};
use super::reconcile::Since;
use super::task::{Owned, not_started, round};
use super::{Context, JobSpec, StopReason, unix_ms};
use crate::engine::breaker::FailureClass;
use crate::i18n::Message;
use crate::journal::{Event, JobRecord, KeyRef, Outcome, Stage};
use crate::provider::{Accepted, ProviderError};

/// Where to pick a job up, from what the journal says about it.
enum Start {
    Fresh,
    /// A create of an earlier run whose answer was lost, made with this key.
    Reconcile(Since, usize),
    Poll(Owned),
    FailedBefore {
        message: Message,
    },
    /// At another provider (an earlier run's `--provider`), or made with a key this run
    /// does not have: not this run's to follow up.
    Elsewhere(Message),
}

pub(super) async fn run(ctx: Arc<Context>, job: JobSpec, permit: Option<Permit>) -> JobOutcome {
    let mut permit = permit;
    let mut start = start_of(&ctx, &job);
    // A lost task, when --resubmit-lost allows it, sends the job round once more.
    for _round in 0..2 {
        let owned = match std::mem::replace(&mut start, Start::Fresh) {
            Start::FailedBefore { message } => {
                return JobOutcome::Failed(Failure::FailedBefore, message);
            }
            Start::Elsewhere(message) => return JobOutcome::Unresolved(message),
            Start::Poll(task) => task,
            Start::Reconcile(since, key) => {
                match super::reconcile::adopt(&ctx, &job, since, key).await {
                    Ok(Some(task)) => task,
                    Ok(None) if job.extra => return nothing_to_collect(&ctx, &job),
                    // The attempt goes on with its key: a later search looks at that key's tasks.
                    Ok(None) => match submit(&ctx, &job, permit.take(), Some(key)).await {
                        Ok(task) => task,
                        Err(outcome) => return outcome,
                    },
                    Err(outcome) => return outcome,
                }
            }
            // An extra take is collected, never made again.
            Start::Fresh if job.extra => {
                return JobOutcome::Failed(Failure::Lost, Message::new("job.extra_lost"));
            }
            Start::Fresh => match submit(&ctx, &job, permit.take(), None).await {
                Ok(task) => task,
                Err(outcome) => return outcome,
            },
        };
        match super::wait::until_finished(&ctx, &job, owned).await {
            Ok(finished) => return super::fetch::fetch(&ctx, &job, finished).await,
            Err(super::wait::Ended::Outcome(outcome)) => return outcome,
            Err(super::wait::Ended::Lost) => continue,
        }
    }
    JobOutcome::Failed(Failure::Lost, Message::new("job.lost_twice"))
}

/// An extra take whose unanswered create made no task: the journal forgets it.
fn nothing_to_collect(ctx: &Context, job: &JobSpec) -> JobOutcome {
    let event = Event::Abandoned {
        at_ms: unix_ms(),
        reason: "the provider has no task from this unanswered create".to_string(),
    };
    match ctx.record(&job.key, &event) {
        Ok(()) => JobOutcome::NothingToCollect,
        Err(outcome) => outcome,
    }
}

/// Whether the job's first step is a create, which needs a place in flight (and the
/// pause between submissions). An extra take is never created, only collected.
pub(super) fn submits_first(ctx: &Context, job: &JobSpec) -> bool {
    !job.extra && matches!(start_of(ctx, job), Start::Fresh)
}

fn start_of(ctx: &Context, job: &JobSpec) -> Start {
    let Some(record) = ctx.earlier.get(&job.key) else {
        return Start::Fresh;
    };
    // A task id means nothing to another provider, and its list cannot show a lost create
    // made there: following it up here would lose it, or pay for the video again.
    if record.is_in_flight()
        && let Some(elsewhere) = record
            .provider()
            .filter(|name| *name != ctx.provider().name())
    {
        return Start::Elsewhere(
            Message::new("outcome.elsewhere")
                .with_text("what", task_there(record))
                .with("elsewhere", elsewhere)
                .with("provider", ctx.provider().name()),
        );
    }
    let key = match ctx.keys.made_with(record) {
        Ok(key) => key,
        Err(gone) if record.is_in_flight() => return Start::Elsewhere(gone),
        // Nothing of it is at the provider any more: any key may make it anew.
        Err(_) => 0,
    };
    let owned = |task_id: &str, at_ms: u64| Owned {
        task_id: task_id.to_string(),
        key,
        cost_cents: record.cost_cents(),
        submitted_ms: at_ms,
        permit: None,
    };
    match record.stage() {
        Stage::Submitting { at_ms } => Start::Reconcile(
            record
                .submission()
                .map_or(Since::now(*at_ms, None), Since::of),
            key,
        ),
        Stage::Submitted { at_ms, task_id, .. } => Start::Poll(owned(task_id, *at_ms)),
        // Finished there but not downloaded: one status call first, for a fresh link
        // (signed links expire), then the download.
        Stage::Finished {
            at_ms,
            task_id,
            outcome: Outcome::Completed { .. },
        } => Start::Poll(owned(task_id, *at_ms)),
        Stage::Finished {
            outcome: Outcome::Failed { message },
            task_id,
            ..
        } if !ctx.settings.retry_failed => Start::FailedBefore {
            message: Message::new("outcome.failed_before")
                .with("task", task_id)
                .with("message", message),
        },
        // Downloaded (but the video is gone or changed since), abandoned, or a failure the
        // user asked to retry: a new generation.
        _ => Start::Fresh,
    }
}

/// An earlier run's task at another provider, named by its id when the journal has one.
fn task_there(record: &JobRecord) -> Message {
    match record.task_id() {
        Some(_) => super::pool::earlier_attempt(record),
        None => Message::new("outcome.earlier_task_unnamed"),
    }
}

/// Submits until the provider accepts, a reason to stop arrives, or the job is refused.
/// `pinned`: the key of an attempt whose earlier create may have made a task (its
/// answer was lost, and the search found nothing yet): it keeps that key, so a later
/// search looks where the task would be. Otherwise each create goes to a key with room.
pub(super) async fn submit(
    ctx: &Context,
    job: &JobSpec,
    mut permit: Option<Permit>,
    mut pinned: Option<usize>,
) -> Result<Owned, JobOutcome> {
    // A remix sent without its source's id would be a new video, paid for and wrong.
    if let Some(remix) = &job.segment.remix_of
        && remix.target().is_none()
    {
        let message = Message::new("job.remix_id_unknown");
        return Err(JobOutcome::Failed(Failure::Source, message));
    }
    let mut attempt: u32 = 0;
    let mut server_errors: u32 = 0;
    loop {
        let permit_now = match permit.take() {
            Some(permit) => permit,
            None => place(ctx, pinned).await.ok_or_else(|| not_started(ctx))?,
        };
        if ctx.stop.is_cancelled() {
            return Err(not_started(ctx));
        }
        let key = permit_now.key();
        // Once the balance has refused a job, only a job that fits the budget is sent.
        let provider = &*ctx.keys.member(key).provider;
        let reservation = match ctx.budget.reserve(provider, &job.segment).await {
            Ok(reservation) => reservation,
            Err(price_cents) => return Err(JobOutcome::DidNotFit { price_cents }),
        };
        let mut held = Some(permit_now);
        let open = pinned.is_some();
        let error = match create_once(ctx, job, key, &mut held, open).await? {
            Ok(accepted) => {
                reservation.keep();
                let mut owned = accept(ctx, job, key, accepted, held, attempt > 0);
                if owned.permit.is_none() {
                    owned.permit = place_again(ctx, key).await;
                }
                return Ok(owned);
            }
            Err(failed) => {
                pinned = failed.open.then_some(key);
                failed.error
            }
        };
        attempt += 1;
        let class = match &error {
            ProviderError::RateLimited { .. } => FailureClass::RateLimited,
            ProviderError::Unreachable { .. } => FailureClass::Transient,
            ProviderError::Transient { .. } | ProviderError::Ambiguous { .. } => {
                server_errors += 1;
                FailureClass::Transient
            }
            // An earlier create of this attempt got no answer and may have made a task at
            // this key: the job must not move to another key, where it would be paid again.
            ProviderError::OutOfMoney { .. } | ProviderError::Unauthorized { .. } if open => {
                return Err(still_open(ctx, job, key, &error));
            }
            _ => match refused(ctx, job, key, error).await {
                // Nothing was created with it: the job tries a key still in the rotation.
                Refused::OtherKey => continue,
                Refused::Ends(outcome) => return Err(outcome),
            },
        };
        let retry_after = error.retry_after();
        if let Some(permit) = held {
            permit.failed(class, retry_after);
        }
        if server_errors > ctx.settings.max_server_errors {
            return Err(JobOutcome::Failed(
                Failure::ServerErrors,
                Message::counted("job.server_errors", u64::from(server_errors))
                    .with_text("error", error.message()),
            ));
        }
        let delay = ctx.retry_delay(attempt, retry_after);
        debug!(
            "{}: {error}; trying again in {}",
            job.key,
            humantime::format_duration(round(delay))
        );
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = ctx.stop.cancelled() => return Err(not_started(ctx)),
        }
    }
}

/// A refused retry of an attempt whose first create got no answer: the key leaves the
/// rotation (or the run stops, for the last key refused), and the job is left unresolved,
/// its attempt still `submitting`, so a later run looks for that create at this key.
fn still_open(ctx: &Context, job: &JobSpec, key: usize, error: &ProviderError) -> JobOutcome {
    match error {
        ProviderError::Unauthorized { .. } => {
            ctx.key_refused(key, error);
        }
        _ => {
            let why = Message::new("keys.provider_says").with_text("error", error.message());
            ctx.keys.retire_unless_last(key, why);
        }
    }
    let label = &ctx.keys.member(key).label;
    let message = match ctx.keys.len() {
        1 => Message::new("job.still_open"),
        _ => Message::new("job.still_open_at_key").with("label", label),
    }
    .with_text("error", error.message());
    super::warn_job(&job.key, message.clone());
    JobOutcome::Unresolved(message)
}

/// A place in flight for a create: at the `pinned` key, else at any key with room;
/// `None` once the run stops submitting or no key is left.
async fn place(ctx: &Context, pinned: Option<usize>) -> Option<Permit> {
    let wait = async {
        match pinned {
            Some(key) => Some(ctx.keys.member(key).gate.acquire().await),
            None => ctx.keys.acquire().await,
        }
    };
    tokio::select! {
        permit = wait => permit,
        () = ctx.stop.cancelled() => None,
    }
}

/// A create that did not make a task (as far as is known).
struct Failed {
    error: ProviderError,
    /// The attempt stays open: its answer was lost and no task was found (yet), so the
    /// journal still says `submitting` and a later search looks at this key's tasks.
    open: bool,
}

/// One create call, journaled before and after. An ambiguous answer is resolved here:
/// the task is looked for at the provider and adopted when found. Serialized per prompt,
/// so a lost create is never mistaken for a sibling version's task. `permit` is given
/// back while waiting for the provider's list to catch up (see [`settle`]).
async fn create_once(
    ctx: &Context,
    job: &JobSpec,
    key: usize,
    permit: &mut Option<Permit>,
    open: bool,
) -> Result<Result<Accepted, Failed>, JobOutcome> {
    let member = ctx.keys.member(key);
    // A sibling version may hold the lock for a whole create: once the run stops, the
    // versions queued behind it must not each send one more (and wait its deadline).
    let _same_prompt = tokio::select! {
        biased;
        () = ctx.stop.cancelled() => return Err(not_started(ctx)),
        guard = ctx.prompt_lock(&job.segment.prompt) => guard,
    };
    // The key's rate is taken before the record, where a stop can still end it.
    tokio::select! {
        biased;
        () = ctx.stop.cancelled() => return Err(not_started(ctx)),
        () = async { ctx.pace_create().await; member.take_rate().await } => {}
    }
    let provider = &*member.provider;
    let (at_ms, clock_offset_ms) = (unix_ms(), provider.clock_offset_ms());
    let since = Since::now(at_ms, clock_offset_ms);
    let submitting = Event::Submitting {
        at_ms,
        provider: provider.name().to_string(),
        prompt: job.segment.prompt.clone(),
        clock_offset_ms,
        request: Some(job.request()),
        key_ref: Some(KeyRef {
            label: member.label.clone(),
            hash: member.hash.clone(),
        }),
    };
    ctx.record(&job.key, &submitting)?;
    // Through the client without the rate: this create's place in it is taken above, and
    // a second wait here, after the record, could outlast a stop.
    match member.unpaced.submit(&job.segment).await {
        Err(ProviderError::Ambiguous {
            message,
            retry_after,
        }) => {
            // Without a task list, `find` says at once that the outcome stays unknown.
            if provider.capabilities().lists_tasks {
                super::warn_job(
                    &job.key,
                    Message::new("job.ambiguous_create").with("message", &message),
                );
            }
            // This run's clock holds for this run's create, once an answer has told it.
            let since_now = || since.with_clock_of_this_run(provider.clock_offset_ms());
            if let Some(accepted) = super::reconcile::find(ctx, job, since_now(), key).await? {
                return Ok(Ok(accepted));
            }
            settle(ctx, permit, retry_after).await?;
            match super::reconcile::find(ctx, job, since_now(), key).await? {
                Some(accepted) => Ok(Ok(accepted)),
                None => Ok(Err(Failed {
                    error: ProviderError::Transient {
                        message: format!("{message} (the provider has no such task)"),
                        request_id: None,
                    },
                    open: true,
                })),
            }
        }
        Err(error) => {
            // This call created nothing. Unless an earlier call of the attempt may have
            // (`open`) and the job now ends without another (a refused key or balance),
            // a later run must not look for this attempt.
            let keep_open = open
                && matches!(
                    error,
                    ProviderError::OutOfMoney { .. } | ProviderError::Unauthorized { .. }
                );
            if !keep_open {
                let abandoned = Event::Abandoned {
                    at_ms: unix_ms(),
                    reason: error.to_string(),
                };
                ctx.record(&job.key, &abandoned)?;
            }
            Ok(Err(Failed {
                error,
                open: keep_open,
            }))
        }
        Ok(accepted) => {
            // Claimed while the prompt's lock is still held: a sibling version that takes
            // the lock next and searches for its own lost create must not see this task
            // as unowned (the search prefers the earliest match, which this one may be).
            ctx.claim(&accepted.task_id);
            Ok(Ok(accepted))
        }
    }
}

/// After a create with no usable answer and a first search that found nothing: waits
/// `--lost-create-wait` for the provider's list to show a task the backend may still have
/// been making, before the second search. Most such creates made nothing (a 502 from a
/// gateway, a reset), so the provider permit is given back meanwhile, with the create
/// counted as the failure it was, and other jobs use the capacity; only this prompt's
/// versions wait, behind its lock. A server that said when to come back (`Retry-After`)
/// is not asked again sooner.
async fn settle(
    ctx: &Context,
    permit: &mut Option<Permit>,
    retry_after: Option<Duration>,
) -> Result<(), JobOutcome> {
    if let Some(permit) = permit.take() {
        permit.failed(FailureClass::Transient, retry_after);
    }
    let wait = retry_after.map_or(ctx.settings.lost_create_wait, |asked| {
        asked.max(ctx.settings.lost_create_wait)
    });
    tokio::select! {
        () = tokio::time::sleep(wait) => Ok(()),
        () = ctx.interrupt.cancelled() => Err(JobOutcome::Unresolved(
            Message::new("job.create_unanswered_stopped"),
        )),
    }
}

/// A place in flight at its key for a task found after the settle wait gave its permit
/// back, so it counts against the limit like any other; none if the run is being
/// interrupted.
async fn place_again(ctx: &Context, key: usize) -> Option<Permit> {
    tokio::select! {
        permit = ctx.keys.member(key).gate.acquire() => Some(permit),
        () = ctx.interrupt.cancelled() => None,
    }
}

fn accept(
    ctx: &Context,
    job: &JobSpec,
    key: usize,
    accepted: Accepted,
    permit: Option<Permit>,
    after_retries: bool,
) -> Owned {
    ctx.claim(&accepted.task_id);
    let submitted_ms = unix_ms();
    let event = Event::Submitted {
        at_ms: submitted_ms,
        task_id: accepted.task_id.clone(),
        cost_cents: accepted.cost_cents.cents(),
    };
    // The task exists and is paid for whatever happens to this write: it is still
    // followed to its video, but nothing more is submitted with a journal that fails.
    if let Err(err) = ctx.journal.append(&job.key, &event) {
        let message = Message::new("job.line")
            .with_text("job", job.key.message())
            .with_text("message", err.message());
        ctx.stop_run(StopReason::Journal(message));
    }
    if let Some(permit) = &permit {
        permit.submitted(after_retries);
    }
    ctx.counters
        .add_billed(&accepted, ctx.estimated_price(&job.segment));
    let submitted = match ctx.keys.len() {
        1 => Message::new("events.submitted"),
        _ => Message::new("events.submitted_with").with("label", &ctx.keys.member(key).label),
    };
    super::tell_job(&job.key, submitted.with("task", &accepted.task_id));
    Owned {
        task_id: accepted.task_id,
        key,
        cost_cents: accepted.cost_cents.cents(),
        submitted_ms,
        permit,
    }
}

/// What a final answer to a create leaves the job to do.
enum Refused {
    Ends(JobOutcome),
    /// The key left the rotation; the job goes to another.
    OtherKey,
}

/// A final answer to a create: the job fails, does not fit the balance (and the run goes
/// on within it, see `budget`), or the whole run stops submitting. A key refused (401)
/// or out of money leaves the rotation instead while other keys are left.
async fn refused(ctx: &Context, job: &JobSpec, key: usize, error: ProviderError) -> Refused {
    let low = |message: &str| Message::new("keys.balance_too_low").with("message", message);
    match error {
        ProviderError::OutOfMoney { ref message }
            if ctx.keys.retire_unless_last(key, low(message)) =>
        {
            Refused::OtherKey
        }
        ProviderError::OutOfMoney { .. } => {
            super::warn_job(&job.key, error.message());
            let provider = &*ctx.keys.member(key).provider;
            let price_cents = ctx.budget.refused(provider, &job.segment).await;
            Refused::Ends(JobOutcome::DidNotFit { price_cents })
        }
        ProviderError::Unauthorized { .. } => match ctx.key_refused(key, &error) {
            true => Refused::OtherKey,
            false => Refused::Ends(not_started(ctx)),
        },
        _ if let Some(stop) = StopReason::for_error(&error) => {
            ctx.stop_run(stop);
            Refused::Ends(not_started(ctx))
        }
        other => {
            super::warn_job(&job.key, other.message());
            Refused::Ends(JobOutcome::Failed(Failure::Rejected, other.message()))
        }
    }
}
