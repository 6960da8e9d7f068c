//! Finding a create call's task when its answer was lost: the provider may have created
//! (and billed) it. The provider's list of recent tasks is read back, newest first, until
//! it reaches tasks older than the `submitting` record (compared on the provider's clock),
//! looking for one with the same request that no other job owns.
//!
//! Three answers: found (adopt it), certainly absent (the job may be submitted again), or
//! unknown: the list could not be read back far enough, an entry could not be read, or
//! two tasks (or two of our requests) fit. Unknown is never a reason to pay again: the job
//! is left for a later run, unless `--resubmit-lost` says to submit it anyway. A provider
//! that cannot list its tasks (its `Capabilities`) always answers unknown.

use std::collections::HashSet;
use std::time::Duration;

use tracing::info;

use super::outcome::JobOutcome;
use super::task::{Owned, not_started};
use super::{Context, JobSpec, unix_ms};
use crate::i18n::Message;
use crate::journal::{Event, Submission};
use crate::provider::{Accepted, ListShape, Match, ProviderError, RecentTask};

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

/// When a create (or the creates of one attempt) was written as `submitting`: on our
/// clock, and where the record knew it, on the provider's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Since {
    /// The earliest record written without the provider's clock, on our clock.
    pub unclocked_ms: Option<u64>,
    /// The record earliest on the provider's clock: our time then, and the provider's
    /// clock minus ours.
    pub clocked: Option<(u64, i64)>,
}

impl Since {
    /// A create written now, with the provider's clock as far as this run knows it.
    pub fn now(local_ms: u64, clock_offset_ms: Option<i64>) -> Self {
        Since {
            unclocked_ms: clock_offset_ms.is_none().then_some(local_ms),
            clocked: clock_offset_ms.map(|offset| (local_ms, offset)),
        }
    }

    /// An earlier run's record of the attempt.
    pub fn of(submission: &Submission) -> Self {
        Since {
            unclocked_ms: submission.unclocked_ms,
            clocked: submission.clocked,
        }
    }

    /// A create of this run, once this run knows the provider's clock: the clock has not
    /// been reset in between, so this run's offset holds for it. (Never for an earlier
    /// run's record: its clock may have been wrong then and fixed since.)
    pub fn with_clock_of_this_run(self, clock_offset_ms: Option<i64>) -> Self {
        match (self.unclocked_ms, clock_offset_ms) {
            (Some(local_ms), Some(offset)) if self.clocked.is_none() => {
                Since::now(local_ms, Some(offset))
            }
            _ => self,
        }
    }

    /// The create's moment on our clock (for the poll schedule and the sidecar).
    pub fn local_ms(self) -> u64 {
        let clocked = self.clocked.map(|(at_ms, _)| at_ms);
        self.unclocked_ms
            .into_iter()
            .chain(clocked)
            .min()
            .unwrap_or(0)
    }

    /// The earliest creation time, on the provider's clock, a task of these creates can
    /// have: 30 s before the earliest record that knew the provider's clock, an hour
    /// before one that did not.
    fn earliest(self) -> u64 {
        let clocked = self.clocked.map(|(at_ms, offset)| {
            at_ms
                .saturating_add_signed(offset)
                .saturating_sub(CLOCK_SLACK_MS)
        });
        let unclocked = self
            .unclocked_ms
            .map(|at_ms| at_ms.saturating_sub(UNKNOWN_CLOCK_SLACK_MS));
        clocked.into_iter().chain(unclocked).min().unwrap_or(0)
    }
}

/// At the start of a run: a job whose create had no known outcome. Adopts its task when
/// the provider has it (journaling `submitted`); `None` means it is certainly absent.
pub(super) async fn adopt(
    ctx: &Context,
    job: &JobSpec,
    since: Since,
    key: usize,
) -> Result<Option<Owned>, JobOutcome> {
    let _same_prompt = ctx.prompt_lock(&job.segment.prompt).await;
    let Some(accepted) = find(ctx, job, since, key).await? else {
        super::tell_job(&job.key, Message::new("events.no_task_found"));
        return Ok(None);
    };
    let event = Event::Submitted {
        at_ms: unix_ms(),
        task_id: accepted.task_id.clone(),
        cost_cents: accepted.cost_cents.cents(),
    };
    ctx.record(&job.key, &event)?;
    ctx.counters
        .add_billed(&accepted, ctx.estimated_price(&job.segment));
    Ok(Some(Owned {
        task_id: accepted.task_id,
        key,
        cost_cents: accepted.cost_cents.cents(),
        submitted_ms: since.local_ms(),
        permit: None,
    }))
}

/// Looks for the task among those of `key` (the key its create was made with); the caller
/// holds the prompt's lock, so no sibling's create is in flight. `Ok(None)`: certainly
/// absent. Keeps asking while the list cannot be read, and
/// ends the job unresolved when the answer stays unknown: not knowing is never a reason
/// to pay again (unless `--resubmit-lost`).
pub(super) async fn find(
    ctx: &Context,
    job: &JobSpec,
    since: Since,
    key: usize,
) -> Result<Option<Accepted>, JobOutcome> {
    let capabilities = ctx.provider().capabilities();
    if !capabilities.lists_tasks {
        let why = Message::new("lost.cannot_list").with("provider", capabilities.name);
        return unknown(ctx, job, why);
    }
    // A list that keeps asking to come back later (`Retry-After`, up to an hour a time)
    // must not hold the run for hours: the search ends by the poll timeout, unknown.
    let started = tokio::time::Instant::now();
    let left = || ctx.settings.poll.timeout.saturating_sub(started.elapsed());
    for attempt in 1..=LIST_ATTEMPTS {
        let searched = tokio::select! {
            searched = search(ctx, job, since, key) => searched,
            () = ctx.interrupt.cancelled() => {
                return Err(unresolved(job, Message::new("lost.run_stopped")));
            }
        };
        let error = match searched {
            Ok(Search::Found(task)) => {
                let message = Message::new("lost.found")
                    .with_text("job", job.key.message())
                    .with("task", &task.task_id);
                info!(shown = %message.shown(), "{message}");
                ctx.claim(&task.task_id);
                return Ok(Some(Accepted {
                    task_id: task.task_id,
                    cost_cents: task.cost_cents,
                }));
            }
            Ok(Search::Absent) => return Ok(None),
            Ok(Search::Unknown(why)) => return unknown(ctx, job, why),
            Err(error @ ProviderError::Unauthorized { .. }) => {
                if !ctx.key_refused(key, &error) {
                    return Err(not_started(ctx));
                }
                let label = &ctx.keys.member(key).label;
                let why = Message::new("lost.key_refused").with("label", label);
                return Err(unresolved(job, why));
            }
            Err(error) if let Some(stop) = super::StopReason::for_error(&error) => {
                ctx.stop_run(stop);
                return Err(not_started(ctx));
            }
            Err(error) => error,
        };
        super::warn_job(
            &job.key,
            Message::new("lost.list_unreadable").with_text("error", error.message()),
        );
        let delay = ctx.retry_delay(attempt, error.retry_after());
        if delay >= left() {
            let timeout = ctx.settings.poll.timeout;
            return unknown(
                ctx,
                job,
                Message::new("lost.list_timed_out").with_duration("timeout", timeout),
            );
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = ctx.interrupt.cancelled() => {
                // Stopping is no answer: the next run looks again, whatever the flags.
                return Err(unresolved(job, Message::new("lost.run_stopped")));
            }
        }
    }
    unknown(ctx, job, Message::new("lost.list_never_read"))
}

/// The search could not tell: report it, and submit again only if the user said so (an
/// extra take is never submitted, so for it unknown stays unknown).
fn unknown(ctx: &Context, job: &JobSpec, why: Message) -> Result<Option<Accepted>, JobOutcome> {
    if ctx.settings.resubmit_lost && !job.extra {
        super::warn_job(
            &job.key,
            Message::new("lost.resubmitting").with_text("why", why),
        );
        return Ok(None);
    }
    match ctx.provider().capabilities().lists_tasks {
        true => Err(unresolved(job, why)),
        false => Err(unknown_outcome(job, why)),
    }
}

/// A lost create at a provider that cannot list its tasks: no later run can tell either,
/// so the message says so rather than promise another look.
fn unknown_outcome(job: &JobSpec, why: Message) -> JobOutcome {
    let message = match job.extra {
        true => Message::new("lost.unknown_outcome_extra"),
        false => Message::new("lost.unknown_outcome"),
    }
    .with_text("why", why);
    super::warn_job(&job.key, message.clone());
    JobOutcome::Unresolved(message)
}

fn unresolved(job: &JobSpec, why: Message) -> JobOutcome {
    let message = match job.extra {
        true => Message::new("lost.unresolved_extra"),
        false => Message::new("lost.unresolved"),
    }
    .with_text("why", why);
    super::warn_job(&job.key, message.clone());
    JobOutcome::Unresolved(message)
}

/// What the task list says about one lost create.
#[derive(Debug)]
enum Search {
    Found(RecentTask),
    Absent,
    Unknown(Message),
}

async fn search(
    ctx: &Context,
    job: &JobSpec,
    since: Since,
    key: usize,
) -> Result<Search, ProviderError> {
    let earliest = since.earliest();
    let on_disk = ctx.owners.on_disk().await;
    let owned = |id: &str| ctx.owners.is_claimed(id) || on_disk.contains(id);
    let mut seen = Seen::default();
    for page in 1..=MAX_PAGES {
        let listed = ctx.keys.member(key).provider.recent(page).await?;
        if listed.is_end() {
            return Ok(seen.verdict(ctx, job));
        }
        // A list that ignores the page asked for shows the same tasks again: reading on
        // would only count them twice (two "candidates" that are one task) for 100 calls.
        if listed.unreadable == 0
            && listed
                .tasks
                .iter()
                .all(|task| seen.ids.contains(&task.task_id))
        {
            return Ok(Search::Unknown(Message::new("lost.list_repeats")));
        }
        seen.unreadable += listed.unreadable;
        // Newest first: once a whole page is older than the create, so is the rest.
        let older_page = listed.unreadable == 0
            && listed
                .tasks
                .iter()
                .all(|task| task.created_at_ms.is_some_and(|at| at < earliest));
        for task in listed.tasks {
            if !seen.ids.insert(task.task_id.clone()) {
                continue;
            }
            seen.shape.see(&task.prompt);
            if task.created_at_ms.is_some_and(|at| at < earliest) || owned(&task.task_id) {
                continue;
            }
            // Whether the list cuts prompts is known only once it has been read: keep
            // every task that may fit, and decide in `verdict`.
            if task.matches(&job.segment, &ListShape::default()) != Match::No {
                seen.candidates.push(task);
            }
        }
        if older_page {
            return Ok(seen.verdict(ctx, job));
        }
        seen.pages = page;
    }
    Ok(Search::Unknown(
        Message::counted("lost.list_too_short", u64::from(seen.pages))
            .with("since", provider_time(earliest)),
    ))
}

/// What a search has met so far.
#[derive(Debug, Default)]
struct Seen {
    /// Unowned tasks since the create that may fit it, newest first.
    candidates: Vec<RecentTask>,
    /// Whether the list cuts prompts, from every prompt it showed.
    shape: ListShape,
    /// Every task id the list showed, so a task shown twice counts once.
    ids: HashSet<String>,
    unreadable: usize,
    pages: u32,
}

impl Seen {
    /// Found only when one task can be this job's and no other can; absent only when no
    /// task can be; unknown otherwise.
    fn verdict(self, ctx: &Context, job: &JobSpec) -> Search {
        let shape = &self.shape;
        let mut candidates: Vec<(RecentTask, Match)> = self
            .candidates
            .into_iter()
            .map(|task| {
                let fit = task.matches(&job.segment, shape);
                (task, fit)
            })
            .filter(|(_, fit)| *fit != Match::No)
            .collect();
        let contested = |task: &RecentTask| {
            // A task without a creation time could be any old one; one that fits another
            // request of this batch could be that job's.
            task.created_at_ms.is_none() || ctx.fits_another_request(task, job, shape)
        };
        let takeable = |fit: Match| matches!(fit, Match::Exact | Match::Prefix);
        if let Some((task, _)) = candidates
            .iter()
            .find(|(task, fit)| takeable(*fit) && contested(task))
        {
            return Search::Unknown(Message::new("lost.contested").with("task", &task.task_id));
        }
        let exact = candidates.iter().rposition(|(_, fit)| *fit == Match::Exact);
        if let Some(earliest) = exact {
            // Tasks of the same request are interchangeable: the earliest is likeliest ours.
            return Search::Found(candidates.swap_remove(earliest).0);
        }
        if self.unreadable > 0 {
            let count = self.unreadable as u64;
            return Search::Unknown(Message::counted("lost.entries_unreadable", count));
        }
        if let Some((task, _)) = candidates
            .iter()
            .find(|(_, fit)| *fit == Match::MaybePrefix)
        {
            return Search::Unknown(Message::new("lost.maybe_prefix").with("task", &task.task_id));
        }
        match candidates.len() {
            0 => Search::Absent,
            1 => Search::Found(candidates.remove(0).0),
            _ => {
                let ids: Vec<&str> = candidates
                    .iter()
                    .map(|(task, _)| task.task_id.as_str())
                    .collect();
                Search::Unknown(
                    Message::new("lost.many_fit")
                        .with("n", ids.len())
                        .with("tasks", ids.join(", ")),
                )
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
        let since = |clock_offset_ms| Since::now(at, clock_offset_ms);
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
        assert_eq!(Since::now(5, Some(i64::MIN)).earliest(), 0, "saturates");
    }

    #[test]
    fn an_attempt_over_two_clocks_opens_at_the_earliest_of_either() {
        let at = 1_800_000_000_000;
        // A first create without the provider's clock, 10 minutes fast; a retry in a
        // later run that knew it.
        let both = Since {
            unclocked_ms: Some(at + 600_000),
            clocked: Some((at + 700_000, 0)),
        };
        assert_eq!(both.earliest(), at + 600_000 - UNKNOWN_CLOCK_SLACK_MS);
        assert_eq!(both.local_ms(), at + 600_000);
    }

    #[test]
    fn only_a_create_of_this_run_takes_this_runs_clock() {
        let unclocked = Since::now(1_000_000, None);
        let clocked = unclocked.with_clock_of_this_run(Some(-5_000));
        assert_eq!(clocked, Since::now(1_000_000, Some(-5_000)));
        let known = Since::now(1_000_000, Some(7));
        assert_eq!(known.with_clock_of_this_run(Some(-5_000)), known);
    }
}
