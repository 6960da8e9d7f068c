//! From an input folder to the jobs of a run: discovery of storyboard files, expansion of
//! each segment into `gen_count` versions (one job each), each job's output path and its
//! state on disk (new, changed, done), and the cost estimate. Pure: no network.

mod collide;
mod discover;
mod layout;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::Serialize;

pub use discover::is_storyboard_name;
pub use layout::{Layout, OutputMode, storyboard_key, tidy, video_path};

use crate::i18n::Message;
use crate::provider::PriceModel;
use crate::sidecar;
use crate::storyboard::{self, Location, Problem, Segment, SegmentSettings};

/// What a job needs, judged from the files on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// No video yet.
    New,
    /// A video exists, but not from this request (the segment was edited since, or the
    /// video has no sidecar); it is regenerated and the old one kept aside.
    Changed,
    /// The video exists and its sidecar's fingerprint matches the request.
    Done,
    /// Submitted by an earlier run and still at the provider (the journal says so): the
    /// next run collects it without paying again, so it is not priced.
    InFlight,
    /// Failed at the provider in an earlier run (the journal says so): not submitted again
    /// unless the segment is edited or `--retry-failed` asks, so it is not priced.
    FailedBefore,
    /// An earlier run's create got no usable answer, and the provider cannot list its tasks
    /// (`Capabilities::lists_tasks`), so whether it made (and billed) a task is unknown:
    /// not submitted again unless `--resubmit-lost`, so it is not priced.
    UnknownOutcome,
}

/// One version of one segment: a single paid generation.
#[derive(Debug, Clone)]
pub struct Job {
    /// Index into [`Plan::storyboards`].
    pub storyboard: usize,
    pub segment: Arc<Segment>,
    /// The segment's request fingerprint, shared by its versions.
    pub fingerprint: Arc<str>,
    /// 1-based version number.
    pub version: u32,
    pub video: PathBuf,
    pub state: JobState,
}

impl Job {
    pub fn sidecar(&self) -> PathBuf {
        sidecar::path_for(&self.video)
    }
}

/// A storyboard that passed validation.
#[derive(Debug, Clone)]
pub struct PlannedStoryboard {
    /// Path relative to the input folder.
    pub relative: PathBuf,
    /// Path as messages show it.
    pub shown: PathBuf,
}

/// A storyboard that did not, with everything wrong with it.
#[derive(Debug, Clone)]
pub struct InvalidStoryboard {
    pub shown: PathBuf,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub storyboards: Vec<PlannedStoryboard>,
    pub invalid: Vec<InvalidStoryboard>,
    pub jobs: Vec<Job>,
    /// Things the user should know that do not stop the run.
    pub warnings: Vec<crate::i18n::Message>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    InputMissing(PathBuf),
    InputNotAFolder(PathBuf),
    TooManyJobs { folder: PathBuf },
}

crate::display_from_message!(PlanError);

impl PlanError {
    /// What is wrong and the fix, in any language (`Display` is its English).
    pub fn message(&self) -> crate::i18n::Message {
        use crate::i18n::Message;
        match self {
            PlanError::InputMissing(folder) => {
                Message::new("plan.input_missing").with("folder", folder.display())
            }
            PlanError::InputNotAFolder(folder) => {
                Message::new("plan.input_not_a_folder").with("folder", folder.display())
            }
            PlanError::TooManyJobs { folder } => Message::new("plan.too_many_jobs")
                .with("folder", folder.display())
                .with("limit", "1,000,000"),
        }
    }
}

/// The most jobs one run plans: far more than a night's work, and a bound on the memory a
/// plan takes (a few hundred bytes per job) whatever the input holds. `TooManyJobs` says it.
pub const MAX_JOBS_PER_RUN: usize = 1_000_000;

/// What makes a job whose video is on disk done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Finished {
    /// `--force`: nothing is done; every job is planned again.
    pub force: bool,
    /// The run is the built-in simulator's: its own (simulated) videos count as done. For
    /// any other run they do not: a demo video never passes for a paid one.
    pub simulator: bool,
}

impl Finished {
    pub const FORCE: Finished = Finished {
        force: true,
        simulator: false,
    };
}

/// Scans the input folder, checks every storyboard and lists the jobs, `finished` saying
/// which videos on disk make a job done.
pub fn build(
    layout: &Layout,
    settings: SegmentSettings,
    finished: Finished,
) -> Result<Plan, PlanError> {
    match std::fs::metadata(&layout.input_dir) {
        Err(_) => return Err(PlanError::InputMissing(tidy(&layout.input_dir))),
        Ok(meta) if !meta.is_dir() => {
            return Err(PlanError::InputNotAFolder(tidy(&layout.input_dir)));
        }
        Ok(_) => {}
    }
    let found = discover::discover(&layout.input_dir, &layout.output_dir);
    let mut plan = Plan {
        warnings: found.warnings,
        ..Plan::default()
    };
    for (folder, reason) in found.unreadable {
        plan.invalid.push(InvalidStoryboard {
            shown: tidy(&folder),
            problems: vec![Problem {
                file: tidy(&folder),
                location: Location::File,
                field: None,
                message: Message::new("storyboard.folder_unreadable").with("reason", reason),
            }],
        });
    }
    let mut collisions = collide::collisions(&found.storyboards, layout);
    // Reading, checking and looking at the disk is independent per file: spread it over
    // the cores (a rerun of a large batch reads one sidecar per job). Jobs are counted
    // before they are made, so an input that asks for millions is refused, not built.
    let planned = AtomicUsize::new(0);
    let loaded: Vec<_> = found
        .storyboards
        .into_par_iter()
        .map(|relative| {
            let shown = layout.shown_path(&relative);
            let loaded = storyboard::load(&layout.input_dir.join(&relative), &shown, settings).map(
                |segments| {
                    let count: usize = segments.iter().map(|s| s.gen_count as usize).sum();
                    if planned.fetch_add(count, Ordering::Relaxed) + count > MAX_JOBS_PER_RUN {
                        return Vec::new();
                    }
                    jobs_of(&layout.storyboard_dir(&relative), segments, finished)
                },
            );
            (relative, shown, loaded)
        })
        .collect();
    if planned.into_inner() > MAX_JOBS_PER_RUN {
        return Err(PlanError::TooManyJobs {
            folder: tidy(&layout.input_dir),
        });
    }
    for (found_at, (relative, shown, loaded)) in loaded.into_iter().enumerate() {
        match (loaded, collisions.remove(&found_at)) {
            (Ok(mut jobs), None) => {
                let number = plan.storyboards.len();
                jobs.iter_mut().for_each(|job| job.storyboard = number);
                plan.jobs.append(&mut jobs);
                plan.storyboards.push(PlannedStoryboard { relative, shown });
            }
            (Ok(_), Some(problems)) => plan.invalid.push(InvalidStoryboard { shown, problems }),
            (Err(mut problems), clash) => {
                problems.extend(clash.unwrap_or_default());
                plan.invalid.push(InvalidStoryboard { shown, problems });
            }
        }
    }
    Ok(plan)
}

/// The jobs of one storyboard, with their state on disk (`storyboard` is set by the caller).
fn jobs_of(dir: &Path, segments: Vec<Segment>, finished: Finished) -> Vec<Job> {
    // A storyboard without an output folder has nothing done: skip a stat per job.
    let anything_on_disk = dir.is_dir();
    let mut jobs = Vec::new();
    for segment in segments {
        let fingerprint: Arc<str> = segment.fingerprint().into();
        let segment = Arc::new(segment);
        for version in 1..=segment.gen_count {
            let video = video_path(dir, segment.index, version);
            let state = if anything_on_disk {
                state_on_disk(&video, &fingerprint, finished)
            } else {
                JobState::New
            };
            jobs.push(Job {
                storyboard: 0,
                segment: Arc::clone(&segment),
                fingerprint: Arc::clone(&fingerprint),
                version,
                video,
                state,
            });
        }
    }
    jobs
}

/// What a job needs, judged from its video and sidecar on disk.
pub fn state_on_disk(video: &Path, fingerprint: &str, finished: Finished) -> JobState {
    if !video.is_file() {
        return JobState::New;
    }
    let done = sidecar::recorded(video).is_some_and(|recorded| {
        recorded.fingerprint == fingerprint && (finished.simulator || !recorded.simulated())
    });
    if done && !finished.force {
        JobState::Done
    } else {
        JobState::Changed
    }
}

/// Job counts, seconds of video and cost, for a storyboard or a whole plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub new: u64,
    pub changed: u64,
    pub done: u64,
    pub in_flight: u64,
    pub failed_before: u64,
    pub unknown_outcome: u64,
    /// Seconds of video to generate (new and changed jobs).
    pub video_seconds: u64,
    /// Estimated cost of the new and changed jobs, in cents.
    pub cost_cents: u64,
}

impl Tally {
    pub fn total(&self) -> u64 {
        self.new
            + self.changed
            + self.done
            + self.in_flight
            + self.failed_before
            + self.unknown_outcome
    }

    fn add(&mut self, job: &Job, prices: &PriceModel) {
        match job.state {
            JobState::New => self.new += 1,
            JobState::Changed => self.changed += 1,
            JobState::Done => return self.done += 1,
            JobState::InFlight => return self.in_flight += 1,
            JobState::FailedBefore => return self.failed_before += 1,
            JobState::UnknownOutcome => return self.unknown_outcome += 1,
        }
        self.video_seconds += u64::from(job.segment.duration_seconds);
        self.cost_cents += prices.price_of(&job.segment);
    }
}

impl Plan {
    /// One tally per planned storyboard, and the total.
    pub fn tallies(&self, prices: &PriceModel) -> (Vec<Tally>, Tally) {
        let mut each = vec![Tally::default(); self.storyboards.len()];
        let mut total = Tally::default();
        for job in &self.jobs {
            each[job.storyboard].add(job, prices);
            total.add(job, prices);
        }
        (each, total)
    }

    pub fn problem_count(&self) -> usize {
        self.invalid.iter().map(|file| file.problems.len()).sum()
    }
}

#[cfg(test)]
mod tests;
