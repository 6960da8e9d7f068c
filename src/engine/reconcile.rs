//! Finding a create call's task when its answer was lost: the provider may have created
//! (and billed) it. The provider's list of recent tasks is read back, newest first, until
//! it reaches tasks older than the `submitting` record (compared on the provider's clock),
//! looking for one with the same request that no other job owns.
//!
//! Three answers: found (adopt it), certainly absent (the job may be submitted again), or
//! unknown: the list could not be read back far enough, an entry could not be read, or
//! two tasks (or two of our requests) fit. Unknown is never a reason to pay again: the job
//! is left for a later run, unless `--resubmit-lost` says to submit it anyway.

use std::time::Duration;

use tracing::{info, warn};

use super::job::{Owned, not_started};
use super::outcome::JobOutcome;
use super::{Context, JobSpec, unix_ms};
use crate::journal::Event;
use crate::provider::{Accepted, Match, ProviderError, RecentTask};

/// Margin on the provider's clock: its `Date` header and creation times are whole seconds,
/// and a create takes a while between our record and the provider's stamp.
const CLOCK_SLACK_MS: u64 = 30_000;
/// Margin when the provider's clock is unknown (no `Date` header was ever seen): ours may
/// be wrong by minutes, and a window too narrow would conclude "absent" and pay again.
const UNKNOWN_CLOCK_SLACK_MS: u64 = 60 * 60 * 1000;
/// Pages of the list read at most (50 tasks each) before the answer is "unknown".
const MAX_PAGES: u32 = 100;
/// List calls tried before giving up on knowing (the job then waits for the next run).
const LIST_ATTEMPTS: u32 = 8;

/// When a create was written as `submitting`: on our clock, and how far the provider's
/// clock was from ours then (if known).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Since {
    pub local_ms: u64,
    pub clock_offset_ms: Option<i64>,
}

impl Since {
    /// The earliest creation time, on the provider's clock, a task of this create can have.
    fn earliest(self) -> u64 {
        match self.clock_offset_ms {
            Some(offset) => self
                .local_ms
                .saturating_add_signed(offset)
                .saturating_sub(CLOCK_SLACK_MS),
            None => self.local_ms.saturating_sub(UNKNOWN_CLOCK_SLACK_MS),
        }
    }
}

/// At the start of a run: a job whose create had no known outcome. Adopts its task when
/// the provider has it (journaling `submitted`); `None` means it is certainly absent.
pub(super) async fn adopt(
    ctx: &Context,
    job: &JobSpec,
    since: Since,
) -> Result<Option<Owned>, JobOutcome> {
    let _same_prompt = ctx.prompt_lock(&job.segment.prompt).await;
    let Some(accepted) = find(ctx, job, since).await? else {
        info!(
            "{}: the provider has no task from the earlier run's unanswered create",
            job.key
        );
        return Ok(None);
    };
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
        submitted_ms: since.local_ms,
        permit: None,
    }))
}

/// Looks for the task; the caller holds the prompt's lock, so no sibling's create is in
/// flight. `Ok(None)`: certainly absent. Keeps asking while the list cannot be read, and
/// ends the job unresolved when the answer stays unknown: not knowing is never a reason
/// to pay again (unless `--resubmit-lost`).
pub(super) async fn find(
    ctx: &Context,
    job: &JobSpec,
    since: Since,
) -> Result<Option<Accepted>, JobOutcome> {
    // Within a run, the provider's clock is known by now even if it was not when the
    // `submitting` was written (the first creates of a run go out before any answer).
    let since = Since {
        clock_offset_ms: since.clock_offset_ms.or(ctx.provider.clock_offset_ms()),
        ..since
    };
    for attempt in 1..=LIST_ATTEMPTS {
        let error = match search(ctx, job, since).await {
            Ok(Search::Found(task)) => {
                info!(
                    "{}: found its task {} at the provider; adopting it",
                    job.key, task.task_id
                );
                ctx.claim(&task.task_id);
                return Ok(Some(Accepted {
                    task_id: task.task_id,
                    cost_cents: task.cost_cents,
                }));
            }
            Ok(Search::Absent) => return Ok(None),
            Ok(Search::Unknown(why)) => return unknown(ctx, job, &why),
            Err(ProviderError::Unauthorized { message }) => {
                ctx.stop_run(super::StopReason::Unauthorized(message));
                return Err(not_started(ctx));
            }
            Err(error) => error,
        };
        warn!(
            "{}: cannot read the provider's task list ({error}); asking again",
            job.key
        );
        let delay = ctx.retry_delay(attempt, error.retry_after());
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = ctx.interrupt.cancelled() => break,
        }
    }
    unknown(ctx, job, "the provider's task list could not be read")
}

/// The search could not tell: report it, and submit again only if the user said so.
fn unknown(ctx: &Context, job: &JobSpec, why: &str) -> Result<Option<Accepted>, JobOutcome> {
    if ctx.settings.resubmit_lost {
        warn!(
            "{}: whether its unanswered create made a task is unknown ({why}); submitting it again as --resubmit-lost says (this may pay twice)",
            job.key
        );
        return Ok(None);
    }
    let message = format!(
        "its create call had no usable answer, and whether it made a task is unknown ({why}); not submitted again, which could pay twice: a later run looks again, or --resubmit-lost submits it anyway"
    );
    warn!("{}: {message}", job.key);
    Err(JobOutcome::Unresolved(message))
}

/// What the task list says about one lost create.
#[derive(Debug)]
enum Search {
    Found(RecentTask),
    Absent,
    Unknown(String),
}

async fn search(ctx: &Context, job: &JobSpec, since: Since) -> Result<Search, ProviderError> {
    let earliest = since.earliest();
    let mut seen = Seen::default();
    for page in 1..=MAX_PAGES {
        let listed = ctx.provider.recent(page).await?;
        if listed.is_end() {
            return Ok(seen.verdict(ctx, job));
        }
        seen.unreadable += listed.unreadable;
        // Newest first: once a whole page is older than the create, so is the rest.
        let older_page = listed.unreadable == 0
            && listed
                .tasks
                .iter()
                .all(|task| task.created_at_ms.is_some_and(|at| at < earliest));
        for task in listed.tasks {
            seen.longest = seen.longest.max(task.prompt_chars());
            if task.created_at_ms.is_some_and(|at| at < earliest) || ctx.is_claimed(&task.task_id) {
                continue;
            }
            // How long the list cuts prompts is known only once it has been read: keep
            // every task that fits if it might be cut, and decide in `verdict`.
            if task.matches(&job.segment, 0) != Match::No {
                seen.candidates.push(task);
            }
        }
        if older_page {
            return Ok(seen.verdict(ctx, job));
        }
        seen.pages = page;
    }
    Ok(Search::Unknown(format!(
        "the newest {} pages of the provider's task list do not reach back to {}",
        seen.pages,
        provider_time(earliest)
    )))
}

/// What a search has met so far.
#[derive(Debug, Default)]
struct Seen {
    /// Unowned tasks since the create that may fit it, newest first.
    candidates: Vec<RecentTask>,
    /// The longest prompt the list showed, in characters: where it cuts, if it does.
    longest: usize,
    unreadable: usize,
    pages: u32,
}

impl Seen {
    fn verdict(self, ctx: &Context, job: &JobSpec) -> Search {
        let longest = self.longest;
        let mut candidates: Vec<(RecentTask, Match)> = self
            .candidates
            .into_iter()
            .map(|task| {
                let fit = task.matches(&job.segment, longest);
                (task, fit)
            })
            .filter(|(_, fit)| *fit != Match::No)
            .collect();
        let contested = |task: &RecentTask| {
            // A task without a creation time could be any old one; one that fits another
            // request of this batch could be that job's.
            task.created_at_ms.is_none() || ctx.fits_another_request(task, job, longest)
        };
        if let Some(task) = candidates.iter().find(|(task, _)| contested(task)) {
            return Search::Unknown(format!(
                "task {} at the provider fits it, but could also be another job's or an older task",
                task.0.task_id
            ));
        }
        let exact = candidates.iter().rposition(|(_, fit)| *fit == Match::Exact);
        if let Some(earliest) = exact {
            // Tasks of the same request are interchangeable: the earliest is likeliest ours.
            return Search::Found(candidates.swap_remove(earliest).0);
        }
        if self.unreadable > 0 {
            return Search::Unknown(format!(
                "{} entries of the provider's task list could not be read",
                self.unreadable
            ));
        }
        match candidates.len() {
            0 => Search::Absent,
            1 => Search::Found(candidates.remove(0).0),
            _ => {
                let ids: Vec<&str> = candidates
                    .iter()
                    .map(|(task, _)| task.task_id.as_str())
                    .collect();
                Search::Unknown(format!(
                    "the provider's task list shortens prompts, and {} tasks fit its start ({})",
                    ids.len(),
                    ids.join(", ")
                ))
            }
        }
    }
}

/// A provider-clock moment for messages.
fn provider_time(unix_ms: u64) -> String {
    let at = std::time::UNIX_EPOCH + Duration::from_millis(unix_ms);
    format!(
        "{} (provider's clock)",
        humantime::format_rfc3339_seconds(at)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_opens_on_the_providers_clock_and_widens_when_it_is_unknown() {
        let at = 1_800_000_000_000;
        let since = |clock_offset_ms| Since {
            local_ms: at,
            clock_offset_ms,
        };
        assert_eq!(since(Some(0)).earliest(), at - CLOCK_SLACK_MS);
        // Our clock 3 minutes ahead: the provider stamped the task 3 minutes "earlier".
        assert_eq!(
            since(Some(-180_000)).earliest(),
            at - 180_000 - CLOCK_SLACK_MS
        );
        assert_eq!(
            since(Some(600_000)).earliest(),
            at + 600_000 - CLOCK_SLACK_MS
        );
        assert_eq!(since(None).earliest(), at - UNKNOWN_CLOCK_SLACK_MS);
        let absurd = Since {
            local_ms: 5,
            clock_offset_ms: Some(i64::MIN),
        };
        assert_eq!(absurd.earliest(), 0, "saturates, never wraps");
    }
}
