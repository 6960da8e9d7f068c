//! Remix chains: a job whose segment remixes a take of its own storyboard
//! (`RemixOf::Take`) is submitted only once that take's video is done, naming the
//! provider's id for it (the sidecar's `remix_id`). A source already done when the run
//! starts gives its id at once; one generated in this run releases its remixes when it
//! ends; a source that fails, or that the run stops before, ends them too, naming it.
//! The scheduler in `mod.rs` asks this module which jobs may start.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::outcome::{Failure, JobOutcome};
use super::{Context, JobSpec, job};
use crate::i18n::Message;
use crate::plan::JobState;
use crate::storyboard::RemixOf;

/// A take of a storyboard: (storyboard, segment, version).
type Take = (String, u32, u32);

/// The jobs that wait for a take, and those it let go.
#[derive(Default)]
pub(super) struct Chains {
    waiting: HashMap<Take, Vec<JobSpec>>,
    /// Released with their target set: to submit next.
    ready: Vec<JobSpec>,
    /// Jobs that cannot be submitted, and how they end.
    ended: Vec<(JobSpec, JobOutcome)>,
}

impl Chains {
    /// Sorts the run's jobs: those that may start now (a remix whose source is already
    /// done gets its target) are returned; those waiting for a take of this run are kept.
    pub(super) fn new(ctx: &Context, jobs: Vec<JobSpec>) -> (Chains, Vec<JobSpec>) {
        Chains::sorting(jobs, ctx.provider().name(), |job| {
            job::submits_first(ctx, job)
        })
    }

    /// [`Chains::new`] for `provider`, `creates_first` saying which jobs begin with a
    /// create (the others are followed up where an earlier run left them).
    fn sorting(
        jobs: Vec<JobSpec>,
        provider: &str,
        creates_first: impl Fn(&JobSpec) -> bool,
    ) -> (Chains, Vec<JobSpec>) {
        let mut chains = Chains::default();
        let pending: HashSet<Take> = jobs
            .iter()
            .filter(|job| !job.extra && job.state != JobState::Done)
            .map(take_of)
            .collect();
        let mut start = Vec::with_capacity(jobs.len());
        for mut job in jobs {
            let Some((source, source_fingerprint)) = unresolved_source(&job) else {
                start.push(job);
                continue;
            };
            if let Some(id) = made_id(provider, &source_video(&job, &source), &source_fingerprint) {
                set_target(&mut job, id);
                start.push(job);
            } else if !creates_first(&job) {
                // Followed up where an earlier run left it: no create is sent first.
                start.push(job);
            } else if pending.contains(&source) {
                chains.waiting.entry(source).or_default().push(job);
            } else {
                let outcome = no_source(&source, Message::new("outcome.source_not_made"));
                chains.ended.push((job, outcome));
            }
        }
        (chains, start)
    }

    /// Whether a job is the source of waiting remixes (started early, it holds up less).
    pub(super) fn is_source(&self, job: &JobSpec) -> bool {
        !job.extra && self.waiting.contains_key(&take_of(job))
    }

    /// How many jobs still wait for their source.
    pub(super) fn waiting(&self) -> usize {
        self.waiting.values().map(Vec::len).sum()
    }

    /// A job ended: the remixes waiting for it go on (done) or end with it (not done).
    pub(super) fn ended(&mut self, provider: &str, job: &JobSpec, outcome: &JobOutcome) {
        if job.extra {
            return;
        }
        let source = take_of(job);
        let Some(remixes) = self.waiting.remove(&source) else {
            return;
        };
        let made = match outcome {
            JobOutcome::Done { .. } | JobOutcome::Skipped => {
                made_id(provider, &job.video, &job.fingerprint)
                    .ok_or_else(|| no_source(&source, Message::new("outcome.source_no_id")))
            }
            JobOutcome::NotStarted(reason) | JobOutcome::LeftInFlight(reason) => Err(
                JobOutcome::NotStarted(format!("its source was not finished ({reason})")),
            ),
            other => Err(no_source(
                &source,
                Message::new("outcome.source_unfinished").with_text("outcome", short(other)),
            )),
        };
        for mut remix in remixes {
            match &made {
                Ok(id) => {
                    set_target(&mut remix, id.clone());
                    self.ready.push(remix);
                }
                Err(outcome) => self.ended.push((remix, outcome.clone())),
            }
        }
    }

    /// The remixes released since last asked, to submit next.
    pub(super) fn take_ready(&mut self) -> Vec<JobSpec> {
        std::mem::take(&mut self.ready)
    }

    /// The remixes that cannot be submitted, with how they end.
    pub(super) fn take_ended(&mut self) -> Vec<(JobSpec, JobOutcome)> {
        std::mem::take(&mut self.ended)
    }

    /// The run is over: what still waits never got its source.
    pub(super) fn abandon(&mut self, reason: &str) -> Vec<(JobSpec, JobOutcome)> {
        let waiting = std::mem::take(&mut self.waiting);
        waiting
            .into_values()
            .flatten()
            .map(|job| (job, JobOutcome::NotStarted(reason.to_string())))
            .collect()
    }
}

fn take_of(job: &JobSpec) -> Take {
    (job.key.storyboard.clone(), job.key.segment, job.key.version)
}

/// The take a job remixes and that take's fingerprint, while its provider id is unknown.
fn unresolved_source(job: &JobSpec) -> Option<(Take, String)> {
    match &job.segment.remix_of {
        Some(RemixOf::Take {
            segment,
            version,
            source,
            target: None,
        }) if !job.extra => Some((
            (job.key.storyboard.clone(), *segment, *version),
            source.clone(),
        )),
        _ => None,
    }
}

/// Where the source take's video is: in the remix's own storyboard folder.
fn source_video(job: &JobSpec, (_, segment, version): &Take) -> PathBuf {
    let folder = job.storyboard_folder().unwrap_or(Path::new(""));
    crate::plan::video_path(folder, *segment, *version)
}

/// The provider's id for the video at `video`, when it is on disk, made from the request
/// `fingerprint` by this run's provider, and its sidecar kept the id.
fn made_id(provider: &str, video: &Path, fingerprint: &str) -> Option<String> {
    if !video.is_file() {
        return None;
    }
    let recorded = crate::sidecar::recorded(video)?;
    recorded
        .remix_id_for(provider, fingerprint)
        .map(str::to_string)
}

fn set_target(job: &mut JobSpec, id: String) {
    let segment = Arc::make_mut(&mut job.segment);
    if let Some(RemixOf::Take { target, .. }) = &mut segment.remix_of {
        *target = Some(id);
    }
}

/// The failure of a remix whose source `why`.
fn no_source((_, segment, version): &Take, why: Message) -> JobOutcome {
    let message = Message::new("outcome.remix_source")
        .with("segment", segment)
        .with("version", version)
        .with_text("why", why);
    JobOutcome::Failed(Failure::Source, message)
}

/// An outcome in a few words, for a remix's message.
fn short(outcome: &JobOutcome) -> Message {
    match outcome {
        JobOutcome::Failed(failure, message) => Message::new("outcome.short_failed")
            .with_text("failure", failure.message())
            .with_text("message", message.clone()),
        JobOutcome::Unresolved(message) => {
            Message::new("outcome.short_unresolved").with_text("message", message.clone())
        }
        JobOutcome::DidNotFit { .. } => Message::new("outcome.short_did_not_fit"),
        JobOutcome::NothingToCollect => Message::new("outcome.short_nothing_made"),
        other => Message::plain(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests;
