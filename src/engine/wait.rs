//! Waiting for a task at the provider: status calls on the poll schedule until it has
//! finished, failed, timed out, or the run is interrupted (the task is then left for the
//! next run, which polls it again and never submits it twice).

use serde_json::Value;
use tracing::debug;

use super::outcome::{Failure, JobOutcome};
use super::poll::PollSchedule;
use super::task::{Owned, instant_of, round};
use super::{Context, JobSpec, unix_ms};
use crate::i18n::Message;
use crate::journal::{Event, Outcome};
use crate::provider::{ProviderError, TaskPhase};

/// Why waiting ended without a video.
pub(super) enum Ended {
    Outcome(JobOutcome),
    /// The provider does not know the task and --resubmit-lost allows a new one.
    Lost,
}

/// A task the provider says is done.
pub(super) struct Finished {
    pub task: Owned,
    pub video_url: url::Url,
    /// What a later remix of the video names (`TaskPhase::Completed::remix_id`).
    pub remix_id: Option<String>,
    /// The answer that said so, for the sidecar.
    pub raw: Value,
}

pub(super) async fn until_finished(
    ctx: &Context,
    job: &JobSpec,
    mut task: Owned,
) -> Result<Finished, Ended> {
    let submitted = instant_of(task.submitted_ms);
    // The timeout counts from this run's first look: a task resumed long after its
    // submission (a rerun the next day) still gets its status calls, and its video.
    let mut settings = ctx.settings.poll.clone();
    settings.timeout += submitted.elapsed();
    let mut schedule = PollSchedule::new(settings);
    let mut unknown_answers = 0;
    let mut progress: Option<u8> = None;
    let mut poll_after = None;
    // After a failed status call: ask again after the interval (or the server's
    // Retry-After), not on the schedule, whose estimate would read the silence as slowness.
    let mut after_error: Option<std::time::Duration> = None;
    // Why the latest status call failed, if it did: the timeout then names that, not a
    // task that may well have finished long ago.
    let mut last_error: Option<Message> = None;
    loop {
        let elapsed = submitted.elapsed();
        if schedule.timed_out(elapsed) {
            return Err(Ended::Outcome(timed_out(
                ctx, job, &task, elapsed, last_error,
            )));
        }
        let wait = match after_error.take() {
            // A Retry-After of up to an hour is honoured, but not past the timeout: the
            // job then ends with the reason, within the bound the README states.
            Some(wait) => wait.min(schedule.left(elapsed)),
            None => schedule.next_wait(elapsed, progress, poll_after),
        };
        let left = schedule.expected_left(elapsed);
        ctx.eta()
            .report(&job.key, submitted, tokio::time::Instant::now(), left);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = ctx.interrupt.cancelled() => return Err(left_for_later(ctx, job, &task)),
        }
        // A status answer is worth nothing once the run stops: it is not waited for.
        let answer = tokio::select! {
            answer = ctx.keys.member(task.key).provider.status(&task.task_id) => answer,
            () = ctx.interrupt.cancelled() => return Err(left_for_later(ctx, job, &task)),
        };
        let status = match answer {
            Ok(status) => status,
            Err(error) => {
                last_error = Some(error.message());
                let interval = ctx.settings.poll.interval;
                after_error = Some(
                    error
                        .retry_after()
                        .map_or(interval, |wait| wait.max(interval)),
                );
                // One "no such task" may be a proxy's 404 page: only two in a row count.
                let unknown = matches!(error, ProviderError::UnknownTask { .. });
                unknown_answers = if unknown { unknown_answers + 1 } else { 0 };
                if unknown && unknown_answers < 2 {
                    continue;
                }
                if let Some(ended) = status_error(ctx, job, &task, error) {
                    return Err(ended);
                }
                continue;
            }
        };
        unknown_answers = 0;
        last_error = None;
        poll_after = status.poll_after;
        match status.phase {
            TaskPhase::Completed {
                video_url,
                remix_id,
            } => {
                task.permit = None;
                ctx.eta().ended(&job.key, tokio::time::Instant::now());
                let outcome = Outcome::completed(&video_url);
                finished(ctx, job, &task, outcome);
                return Ok(Finished {
                    task,
                    video_url,
                    remix_id,
                    raw: status.raw,
                });
            }
            TaskPhase::Failed { message } => {
                task.permit = None;
                finished(
                    ctx,
                    job,
                    &task,
                    Outcome::Failed {
                        message: message.clone(),
                    },
                );
                super::warn_job(
                    &job.key,
                    Message::new("job.failed_at_provider").with("message", &message),
                );
                return Err(Ended::Outcome(JobOutcome::Failed(
                    Failure::AtProvider,
                    Message::plain(message),
                )));
            }
            phase => progress = phase.progress().or(progress),
        }
    }
}

/// A stopped run leaves the task at the provider for the next run, and what this run
/// held for it goes: a task no later run can ask about (a chat stream, closed now) is an
/// unknown outcome from then on.
fn left_for_later(ctx: &Context, job: &JobSpec, task: &Owned) -> Ended {
    if ctx.keys.member(task.key).provider.let_go(&task.task_id) {
        return Ended::Outcome(JobOutcome::LeftInFlight(task.task_id.clone()));
    }
    let why = Message::new("job.stream_closed_on_stop").with("task", &task.task_id);
    Ended::Outcome(unknown_outcome(job, why))
}

/// How a task not seen finished within the poll timeout ends: a failure a rerun picks up
/// again, or, when the provider cannot be asked about it any more (a chat gateway's
/// stream, closed now), an unknown outcome.
fn timed_out(
    ctx: &Context,
    job: &JobSpec,
    task: &Owned,
    elapsed: std::time::Duration,
    last_error: Option<Message>,
) -> JobOutcome {
    // Whole seconds: "after 35m" reads better than "after 35m 2s 3ms".
    let elapsed = match elapsed.as_secs() {
        0 => round(elapsed),
        secs => std::time::Duration::from_secs(secs),
    };
    if !ctx.keys.member(task.key).provider.let_go(&task.task_id) {
        let why = Message::new("job.stream_timed_out")
            .with_duration("elapsed", elapsed)
            .with("task", &task.task_id);
        return unknown_outcome(job, why);
    }
    let message = match last_error {
        Some(error) => Message::new("job.status_unreadable").with_text("error", error),
        None => Message::new("job.not_finished"),
    };
    JobOutcome::Failed(
        Failure::TimedOut,
        message
            .with("task", &task.task_id)
            .with_duration("elapsed", elapsed),
    )
}

/// A job whose task may be billed and can be found by no one: never submitted again by
/// itself.
fn unknown_outcome(job: &JobSpec, why: Message) -> JobOutcome {
    let message = match job.extra {
        true => Message::new("job.unknown_outcome_extra"),
        false => Message::new("job.unknown_outcome"),
    }
    .with_text("why", why);
    super::warn_job(&job.key, message.clone());
    JobOutcome::Unresolved(message)
}

fn finished(ctx: &Context, job: &JobSpec, task: &Owned, outcome: Outcome) {
    let event = Event::Finished {
        at_ms: unix_ms(),
        task_id: task.task_id.clone(),
        outcome,
    };
    // Losing this line costs one status call in a later run, nothing more.
    if let Err(err) = ctx.journal.append(&job.key, &event) {
        super::warn_job(&job.key, err.message());
    }
}

/// A failed status call: usually just a reason to ask again later.
fn status_error(ctx: &Context, job: &JobSpec, task: &Owned, error: ProviderError) -> Option<Ended> {
    match error {
        // Its key was refused: another key cannot ask about the task (a task belongs to
        // the account that made it), so it waits for a run whose key works again.
        ProviderError::Unauthorized { .. } => {
            if !ctx.key_refused(task.key, &error) {
                return Some(left_for_later(ctx, job, task));
            }
            let label = &ctx.keys.member(task.key).label;
            let message = Message::new("job.key_refused_task")
                .with("task", &task.task_id)
                .with("label", label);
            super::warn_job(&job.key, message.clone());
            Some(Ended::Outcome(JobOutcome::Unresolved(message)))
        }
        _ if let Some(stop) = super::StopReason::for_error(&error) => {
            ctx.stop_run(stop);
            Some(left_for_later(ctx, job, task))
        }
        ProviderError::UnknownTask { .. } | ProviderError::OutcomeUnknown { .. }
            if ctx.settings.resubmit_lost && !job.extra =>
        {
            super::warn_job(
                &job.key,
                Message::new("job.resubmitting_lost").with_text("error", error.message()),
            );
            let event = Event::Abandoned {
                at_ms: unix_ms(),
                reason: error.to_string(),
            };
            if let Err(outcome) = ctx.record(&job.key, &event) {
                return Some(Ended::Outcome(outcome));
            }
            Some(Ended::Lost)
        }
        ProviderError::OutcomeUnknown { message } => Some(Ended::Outcome(unknown_outcome(
            job,
            Message::plain(message),
        ))),
        ProviderError::UnknownTask { .. } => Some(Ended::Outcome(JobOutcome::Failed(
            Failure::Lost,
            Message::new("job.unknown_task").with_text("error", error.message()),
        ))),
        other => {
            debug!(
                "{}: status of task {}: {other}; asking again later",
                job.key, task.task_id
            );
            None
        }
    }
}

#[cfg(test)]
mod tests;
