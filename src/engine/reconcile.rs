//! Finding a create call's task when its answer was lost: the provider may have created
//! (and billed) it. The provider's list of recent tasks is searched for one with the same
//! request, created after the `submitting` moment and not owned by another job. Only when
//! the list says it is certainly absent may the job be submitted again.

use tracing::{info, warn};

use super::job::{Owned, not_started};
use super::outcome::JobOutcome;
use super::{Context, JobSpec, unix_ms};
use crate::journal::Event;
use crate::provider::{Accepted, ProviderError, RecentTask};

/// Clock difference allowed between us and the provider (and its whole-second times).
const CLOCK_SLACK_MS: u64 = 30_000;
/// Pages of the list to read before deciding the task is absent.
const MAX_PAGES: u32 = 5;
/// List calls tried before giving up on knowing (the job then waits for the next run).
const LIST_ATTEMPTS: u32 = 8;

/// At the start of a run: a job whose create had no known outcome. Adopts its task when
/// the provider has it (journaling `submitted`); `None` means submit anew.
pub(super) async fn adopt(
    ctx: &Context,
    job: &JobSpec,
    since_ms: u64,
) -> Result<Option<Owned>, JobOutcome> {
    let _same_prompt = ctx.prompt_lock(&job.segment.prompt).await;
    let Some(accepted) = find(ctx, job, since_ms).await? else {
        info!(
            "{}: the provider has no task from the earlier run's unanswered create; submitting it",
            job.key
        );
        return Ok(None);
    };
    ctx.claim(&accepted.task_id);
    let event = Event::Submitted {
        at_ms: unix_ms(),
        task_id: accepted.task_id.clone(),
        cost_cents: accepted.cost_cents.cents(),
    };
    ctx.record(&job.key, &event)?;
    ctx.counters.add_billed(&accepted);
    Ok(Some(Owned {
        task_id: accepted.task_id,
        cost_cents: accepted.cost_cents.cents(),
        submitted_ms: since_ms,
        permit: None,
    }))
}

/// Looks for the task; the caller holds the prompt's lock, so no sibling's create is in
/// flight. Keeps asking while the list cannot be read: not knowing is never a reason to
/// pay again.
pub(super) async fn find(
    ctx: &Context,
    job: &JobSpec,
    since_ms: u64,
) -> Result<Option<Accepted>, JobOutcome> {
    for attempt in 1..=LIST_ATTEMPTS {
        match search(ctx, job, since_ms).await {
            Ok(found) => {
                if let Some(task) = &found {
                    info!(
                        "{}: found its task {} at the provider; adopting it",
                        job.key, task.task_id
                    );
                    ctx.claim(&task.task_id);
                }
                return Ok(found.map(|task| Accepted {
                    task_id: task.task_id,
                    cost_cents: task.cost_cents,
                }));
            }
            Err(ProviderError::Unauthorized { message }) => {
                ctx.stop_run(super::StopReason::Unauthorized(message));
                return Err(not_started(ctx));
            }
            Err(err) => {
                warn!(
                    "{}: cannot read the provider's task list ({err}); asking again",
                    job.key
                );
                let delay = ctx.retry_delay(attempt, err.retry_after());
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = ctx.interrupt.cancelled() => break,
                }
            }
        }
    }
    Err(JobOutcome::Unresolved(
        "its create call's outcome is unknown and the provider's task list could not be read; the next run looks again".to_string(),
    ))
}

async fn search(
    ctx: &Context,
    job: &JobSpec,
    since_ms: u64,
) -> Result<Option<RecentTask>, ProviderError> {
    let earliest = since_ms.saturating_sub(CLOCK_SLACK_MS);
    let mut best: Option<RecentTask> = None;
    for page in 1..=MAX_PAGES {
        let tasks = ctx.provider.recent(page).await?;
        let older_page = tasks
            .iter()
            .all(|task| task.created_at_ms.is_some_and(|at| at < earliest));
        for task in tasks {
            // A task without a creation time could be any old one: never adopted.
            let recent_enough = task.created_at_ms.is_some_and(|at| at >= earliest);
            if recent_enough && task.could_be(&job.segment) && !ctx.is_claimed(&task.task_id) {
                // Newest first: the last match is the earliest, the likeliest to be ours.
                best = Some(task);
            }
        }
        if older_page {
            break;
        }
    }
    Ok(best)
}
