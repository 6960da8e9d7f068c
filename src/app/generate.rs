//! A real run: take the state folder's lock, open the journal, hand the plan's jobs to the
//! engine, then print the summary, write the reports and choose the exit code.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tracing::{debug, info, warn};

use super::connect::Connection;
use super::retry::FailedList;
use super::{AppError, Exit, extras, preflight};
use crate::cli::RunArgs;
use crate::download;
use crate::engine::backoff::BackoffPolicy;
use crate::engine::breaker::BreakerSettings;
use crate::engine::poll::PollSettings;
use crate::engine::{self, Batch, EngineSettings, ExtraTake, JobSpec, StopReason, Summary};
use crate::i18n::Message;
use crate::journal::{JobKey, Journal, JournalState};
use crate::lock::{OutputLocks, StateLock};
use crate::plan::{self, JobState, Layout, Plan, storyboard_key};
use crate::report;
use crate::ui::{Stream, emit};

/// The failed-jobs file, in the state folder.
pub const FAILED_JOBS_FILE: &str = "failed_jobs.json";

pub(super) async fn generate(
    plan: Plan,
    layout: &Layout,
    args: &RunArgs,
    connection: Connection,
) -> Result<Exit, AppError> {
    let Some(provider) = connection.first().map(|client| client.name()) else {
        return Err(AppError::NoKey {
            variable: args.provider.capabilities().key_variable,
        });
    };
    let skipped = skipped_storyboards(&plan);
    let Prepared {
        jobs,
        journal,
        earlier,
        state_dir,
        locks: _locks,
    } = prepare(plan, layout, args, provider)?;
    let mut jobs = jobs;
    super::images::prepare(&mut jobs, &state_dir, args).await?;
    let to_do = jobs
        .iter()
        .filter(|job| job.state != JobState::Done)
        .count();
    let start = Message::counted("events.start", to_do as u64)
        .with("done", jobs.len() - to_do)
        .with("provider", provider)
        .with_text("url", connection.shown_url.clone());
    info!(shown = %start.shown(), "{start}");
    if connection.clients.len() > 1 {
        let labels: Vec<&str> = connection
            .clients
            .iter()
            .map(|c| c.label.as_str())
            .collect();
        let keys = Message::new("events.keys")
            .with("n", connection.clients.len())
            .with("labels", labels.join(", "));
        info!(shown = %keys.shown(), "{keys}");
    }
    let batch = Batch {
        jobs,
        keys: connection.clients.clone(),
        journal: journal.clone(),
        earlier,
        settings: engine_settings(args),
        quiet: args.quiet || args.json,
    };
    let mut summary = engine::run(batch).await;
    summary.simulated = args.provider == crate::cli::ProviderKind::Simulator;
    summary.currency = args.provider.capabilities().currency.to_string();
    summary.skipped_storyboards = skipped;
    // The state folder is no longer ours: write nothing more in it.
    let state_gone = matches!(summary.stop, Some(StopReason::JournalRemoved(_)));
    let clean = summary.left_in_flight == 0 && !summary.interrupted;
    if clean
        && !state_gone
        && let Err(err) = journal.compact()
    {
        warn!(shown = %err.message().shown(), "{err}");
    }
    if !state_gone {
        write_failed_jobs(&mut summary, &state_dir);
    }
    if !state_gone {
        super::review::after_run(args);
    }
    finish(&summary, args)?;
    Ok(exit_for(&summary))
}

/// What a run holds from before its first create to its end.
struct Prepared {
    jobs: Vec<JobSpec>,
    journal: Arc<Journal>,
    /// The journal as it was: where each job picks up.
    earlier: JournalState,
    state_dir: PathBuf,
    /// Held for the whole run; dropped in this order, so a run waiting for the same
    /// state folder never finds its output folders still held by this one.
    locks: (OutputLocks, StateLock),
}

/// Everything before the first create: lock the state folder, read the journal, choose
/// the jobs, check that their videos can be saved, and lock the folders they go to.
fn prepare(
    plan: Plan,
    layout: &Layout,
    args: &RunArgs,
    provider: &'static str,
) -> Result<Prepared, AppError> {
    let state_dir = args.state_dir();
    let state_lock = StateLock::acquire(&state_dir)?;
    let (journal, earlier) = Journal::open(&state_dir)?;
    // A run that loses its lock file may have a second run beside it: stop submitting.
    journal.pin(state_lock.path())?;
    let mut jobs = specs(&plan, provider);
    let planned = jobs.iter().map(|job| &job.key);
    let extras = extras::find(&plan, planned, layout, &earlier, provider);
    // The jobs carry all the engine needs; memory stays flat for large batches.
    drop(plan);
    if let Some(file) = &args.retry_failed {
        jobs = only_failed(jobs, file)?;
    }
    if !extras.is_empty() {
        let message = Message::counted("events.extras", extras.len() as u64);
        info!(shown = %message.shown(), "{message}");
    }
    jobs.extend(extras);
    // Done on disk but still followed up at the provider: it writes too (`settle_done`).
    let writing: Vec<&JobSpec> = jobs
        .iter()
        .filter(|job| {
            job.state != JobState::Done
                || earlier
                    .get(&job.key)
                    .is_some_and(|record| record.is_in_flight())
        })
        .collect();
    preflight::check(&writing, args.report.as_deref())?;
    let folders = engine::storyboard_folders(writing.iter().copied());
    crate::lock::raise_open_file_limit();
    let output_locks = OutputLocks::acquire(folders, &state_dir)?;
    if args.retry_failed.is_none() {
        finished_meanwhile(&mut jobs, args.finished());
    }
    Ok(Prepared {
        jobs,
        journal: Arc::new(journal),
        earlier,
        state_dir,
        locks: (output_locks, state_lock),
    })
}

/// The plan looked at the disk before this run held its locks: a run that held them then
/// may have finished some of its jobs since. Those are done now, not new: looked at again
/// under the locks, so no video is paid for twice by two runs that overlap.
fn finished_meanwhile(jobs: &mut [JobSpec], finished_by: plan::Finished) {
    let mut finished: u64 = 0;
    for job in jobs
        .iter_mut()
        .filter(|job| !job.extra && job.state != JobState::Done)
    {
        if plan::state_on_disk(&job.video, &job.fingerprint, finished_by) == JobState::Done {
            job.state = JobState::Done;
            finished += 1;
        }
    }
    if finished > 0 {
        let message = Message::counted("events.finished_elsewhere", finished);
        info!(shown = %message.shown(), "{message}");
    }
}

fn specs(plan: &Plan, provider: &'static str) -> Vec<JobSpec> {
    plan.jobs
        .iter()
        .map(|job| JobSpec {
            key: job_key(plan, job),
            segment: job.segment.clone(),
            fingerprint: job.fingerprint.clone(),
            video: job.video.clone(),
            state: job.state,
            provider,
            extra: false,
        })
        .collect()
}

/// How the journal names a job: by storyboard, segment, version and request.
fn job_key(plan: &Plan, job: &crate::plan::Job) -> JobKey {
    JobKey {
        storyboard: storyboard_key(&plan.storyboards[job.storyboard].relative),
        segment: job.segment.index,
        version: job.version,
        fingerprint: job.fingerprint.to_string(),
    }
}

/// For the dry run: the jobs an earlier run left at the provider, which the next run
/// collects without paying again, and the extra takes it will collect (paid tasks no
/// storyboard asks for any more). Jobs that failed at the provider before are marked so
/// (a run does not submit them again) unless `retry_failed`, and so are lost creates a
/// provider without a task list cannot look up (unknown outcomes). `earlier`: the journal as
/// the caller read it (one that cannot be read marks nothing, and the caller says why).
pub(super) fn mark_in_flight(
    plan: &mut Plan,
    layout: &Layout,
    earlier: &JournalState,
    retry_failed: bool,
    provider: crate::cli::ProviderKind,
    tasks_outlive_run: bool,
) -> Vec<ExtraTake> {
    let lists_tasks = provider.capabilities().lists_tasks;
    // Not yet finished, and its task cannot be asked about by this run either.
    let stream_gone = |record: &crate::journal::JobRecord| {
        !tasks_outlive_run && matches!(record.stage(), crate::journal::Stage::Submitted { .. })
    };
    let provider = provider.name();
    if earlier.is_empty() {
        return Vec::new();
    }
    let keys: Vec<JobKey> = plan.jobs.iter().map(|job| job_key(plan, job)).collect();
    for (job, key) in plan.jobs.iter_mut().zip(&keys) {
        let Some(record) = earlier.get(key).filter(|_| job.state != JobState::Done) else {
            continue;
        };
        let unanswered = record.task_id().is_none() && !lists_tasks;
        if record.is_in_flight() && (unanswered || stream_gone(record)) {
            job.state = JobState::UnknownOutcome;
        } else if record.is_in_flight() {
            job.state = JobState::InFlight;
        } else if record.failed_at_provider() && !retry_failed {
            job.state = JobState::FailedBefore;
        }
    }
    extras::find(plan, &keys, layout, earlier, provider)
        .iter()
        .map(|job| ExtraTake::of(job, "to_collect"))
        .collect()
}

/// `--retry-failed FILE`: just the jobs it lists (whatever state they are in).
fn only_failed(jobs: Vec<JobSpec>, file: &Path) -> Result<Vec<JobSpec>, AppError> {
    let listed = FailedList::read(file)?;
    let mut chosen: Vec<JobSpec> = jobs
        .into_iter()
        .filter(|job| listed.lists(&job.key))
        .collect();
    listed.warn_if_gone(chosen.len(), file);
    for job in &mut chosen {
        // A listed job is regenerated even if a video appeared since.
        job.state = JobState::Changed;
    }
    Ok(chosen)
}

/// The dry run's `--retry-failed FILE`: the plan keeps just the jobs it lists, priced as
/// the run would submit them.
pub(super) fn plan_only_failed(plan: &mut Plan, file: &Path) -> Result<(), AppError> {
    let listed = FailedList::read(file)?;
    let keys: Vec<bool> = plan
        .jobs
        .iter()
        .map(|job| listed.lists(&job_key(plan, job)))
        .collect();
    let mut wanted = keys.into_iter();
    plan.jobs.retain(|_| wanted.next().unwrap_or(false));
    listed.warn_if_gone(plan.jobs.len(), file);
    for job in &mut plan.jobs {
        job.state = JobState::Changed;
    }
    Ok(())
}

fn engine_settings(args: &RunArgs) -> EngineSettings {
    let interval = args.poll_interval;
    EngineSettings {
        breaker: BreakerSettings {
            max: args.max_workers as usize,
            min: args.min_workers.min(args.max_workers) as usize,
            threshold: args.breaker_threshold,
            cooldown: args.breaker_cooldown,
            recovery_step: args.recovery_step,
        },
        poll: PollSettings {
            first_delay: args.poll_delay,
            interval,
            timeout: args.poll_timeout,
        },
        // Retries pace themselves on the poll interval, so short test timings stay short.
        backoff: BackoffPolicy {
            base: (interval / 10).clamp(Duration::from_millis(10), Duration::from_secs(1)),
            cap: (interval * 30).min(Duration::from_secs(300)),
        },
        download_workers: args.download_workers as usize,
        max_video_bytes: args.max_video_bytes,
        resubmit_lost: args.resubmit_lost,
        retry_failed: args.retry_failed.is_some(),
        max_server_errors: 10,
        stagger: engine::stagger_for(interval),
        lost_create_wait: args.lost_create_wait,
        request_timeout: args.request_timeout,
        give_up_after: args.give_up_after,
        prices: args.price_settings(),
    }
}

fn write_failed_jobs(summary: &mut Summary, state_dir: &Path) {
    let path = state_dir.join(FAILED_JOBS_FILE);
    if summary.failures.is_empty() {
        let _ = std::fs::remove_file(&path);
        return;
    }
    let text = serde_json::to_vec_pretty(&summary.failures).expect("the list serializes");
    match download::write_atomically(&path, &text) {
        Ok(()) => summary.failed_jobs_file = Some(crate::plan::tidy(&path).display().to_string()),
        Err(err) => {
            let message = Message::new("app.cannot_write")
                .with("path", path.display())
                .with("err", err);
            warn!(shown = %message.shown(), "{message}");
        }
    }
}

/// Prints the summary (text, and JSON with --json) and writes --report.
fn finish(summary: &Summary, args: &RunArgs) -> Result<(), AppError> {
    let json = serde_json::to_string_pretty(summary).expect("the summary serializes");
    // A quiet run that did everything says nothing: cron mails only problems.
    let text = if args.quiet && exit_for(summary) == Exit::Success {
        String::new()
    } else {
        report::summary_text(summary)
    };
    if args.json {
        emit(Stream::Stdout, &format!("{json}\n"))?;
    }
    emit(
        if args.json {
            Stream::Stderr
        } else {
            Stream::Stdout
        },
        &text,
    )?;
    // The run's outcome, printed above, matters more than its copy: a report that
    // cannot be written is an error (even a quiet run says it), and the exit code stays
    // the run's.
    if let Some(path) = &args.report
        && let Err(err) = download::write_atomically(path, json.as_bytes())
    {
        let message = Message::new("app.report")
            .with("path", path.display())
            .with("reason", err);
        tracing::error!(shown = %message.shown(), "{message}");
    }
    debug!("run finished: {json}");
    Ok(())
}

/// The invalid storyboards `--skip-invalid` leaves out, for the summary.
fn skipped_storyboards(plan: &Plan) -> Vec<engine::SkippedStoryboard> {
    plan.invalid
        .iter()
        .map(|file| engine::SkippedStoryboard {
            path: file.shown.display().to_string(),
            problems: file.problems.clone(),
        })
        .collect()
}

/// A run that left anything undone (a skipped storyboard too) exits 1.
fn exit_for(summary: &Summary) -> Exit {
    let unfinished = summary.failed
        + summary.not_started
        + summary.left_in_flight
        + summary.skipped_storyboards.len() as u64;
    match &summary.stop {
        _ if summary.interrupted => Exit::Interrupted,
        Some(StopReason::Unauthorized(_) | StopReason::NoApi(_) | StopReason::ProxyRefused(_)) => {
            Exit::Invalid
        }
        _ if unfinished > 0 => Exit::SomeFailed,
        _ => Exit::Success,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::storyboard::Segment;

    #[test]
    fn a_job_another_run_finished_while_this_one_started_is_done_not_new() {
        let dir = tempfile::tempdir().unwrap();
        let segment = Segment::example("a lake");
        let fingerprint: Arc<str> = segment.fingerprint().into();
        let job = |version: u32| JobSpec {
            key: JobKey {
                storyboard: "storyboard.json".to_string(),
                segment: 1,
                version,
                fingerprint: fingerprint.to_string(),
            },
            segment: Arc::new(segment.clone()),
            fingerprint: fingerprint.clone(),
            video: dir.path().join(format!("Segment_1/1_v{version}.mp4")),
            state: JobState::New,
            provider: "sora-hk",
            extra: false,
        };
        let mut jobs = vec![job(1), job(2)];
        // The other run published v1 (video and sidecar) after this run's plan.
        std::fs::create_dir_all(dir.path().join("Segment_1")).unwrap();
        std::fs::write(&jobs[0].video, b"video").unwrap();
        let sidecar = serde_json::json!({"fingerprint": &*fingerprint});
        std::fs::write(jobs[0].sidecar(), sidecar.to_string()).unwrap();
        finished_meanwhile(&mut jobs, plan::Finished::default());
        assert_eq!(jobs[0].state, JobState::Done);
        assert_eq!(jobs[1].state, JobState::New);
        jobs[0].state = JobState::Changed;
        finished_meanwhile(&mut jobs, plan::Finished::FORCE);
        assert_eq!(
            jobs[0].state,
            JobState::Changed,
            "--force regenerates it all the same"
        );
    }
}
