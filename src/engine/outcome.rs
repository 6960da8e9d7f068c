//! How each job ended, and the run's tally of them: what the summary, the JSON report,
//! the failed-jobs file and the exit code are made from.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::i18n::Message;
use crate::storyboard::Problem;

/// How one job ended.
#[derive(Debug, Clone, PartialEq)]
pub enum JobOutcome {
    /// The video is on disk, verified.
    Done { bytes: u64 },
    /// The video was already done (it stays as it is).
    Skipped,
    /// The job failed for a reason the message names.
    Failed(Failure, Message),
    /// Never submitted: the run stopped first (Ctrl+C, key, disk).
    NotStarted(String),
    /// Never submitted (or refused when it was): the provider's balance could not pay for
    /// it (see `budget`). Counted as not started.
    DidNotFit { price_cents: u64 },
    /// Still at the provider when the run stopped; the next run picks it up.
    LeftInFlight(String),
    /// A create whose outcome is still unknown; the next run looks for it again.
    Unresolved(Message),
    /// An extra take whose create, it turned out, made no task: nothing was paid.
    NothingToCollect,
}

/// Why a job failed, by what the user can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// The provider refused the request (bad parameter, content policy at submission).
    Rejected,
    /// The task failed at the provider (often content policy).
    AtProvider,
    /// Failed at the provider in an earlier run; not resubmitted without --retry-failed.
    FailedBefore,
    /// The provider kept answering with server errors.
    ServerErrors,
    /// Still running at the provider after --poll-timeout.
    TimedOut,
    /// The provider no longer knows the task.
    Lost,
    /// The video could not be downloaded or saved.
    Download,
    /// The journal could not be written, so the job was not risked.
    Journal,
    /// A bug in sora-batch.
    Internal,
    /// A remix whose source take did not finish (or gave no id to remix).
    Source,
}

impl Failure {
    const ALL: [Failure; 10] = [
        Failure::Rejected,
        Failure::AtProvider,
        Failure::FailedBefore,
        Failure::ServerErrors,
        Failure::TimedOut,
        Failure::Lost,
        Failure::Download,
        Failure::Journal,
        Failure::Internal,
        Failure::Source,
    ];

    /// The failure whose [`Failure::label`] `label` is (the summary counts failures by
    /// their English label, as `--json` shows them).
    pub fn of_label(label: &str) -> Option<Failure> {
        Failure::ALL
            .into_iter()
            .find(|failure| failure.label() == label)
    }

    /// The label in any language, for the terminal's summary.
    pub fn message(self) -> Message {
        match self {
            Failure::Rejected => Message::new("failure.rejected"),
            Failure::AtProvider => Message::new("failure.at_provider"),
            Failure::FailedBefore => Message::new("failure.failed_before"),
            Failure::ServerErrors => Message::new("failure.server_errors"),
            Failure::TimedOut => Message::new("failure.timed_out"),
            Failure::Lost => Message::new("failure.lost"),
            Failure::Download => Message::new("failure.download"),
            Failure::Journal => Message::new("failure.journal"),
            Failure::Internal => Message::new("failure.internal"),
            Failure::Source => Message::new("failure.source"),
        }
    }

    /// The label, in English (`--json`, `failed_jobs.json`).
    pub fn label(self) -> &'static str {
        match self {
            Failure::Rejected => "rejected by the provider",
            Failure::AtProvider => "failed at the provider",
            Failure::FailedBefore => "failed in an earlier run",
            Failure::ServerErrors => "provider errors",
            Failure::TimedOut => "timed out at the provider",
            Failure::Lost => "lost by the provider",
            Failure::Download => "download failed",
            Failure::Journal => "journal not writable",
            Failure::Internal => "internal error",
            Failure::Source => "its source take did not finish",
        }
    }
}

/// One failed job, as the summary and the failed-jobs file list it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct FailedJob {
    pub storyboard: String,
    pub segment: u32,
    pub version: u32,
    pub reason: String,
    /// English in the failed-jobs file and `--json`; the summary shows it in the
    /// interface's language.
    pub message: Message,
    /// An extra take (a paid task no storyboard asks for any more): the next run collects
    /// it again by itself, so `--retry-failed` leaves it out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub extra: bool,
}

/// A job left with its create's outcome unknown, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnresolvedJob {
    pub storyboard: String,
    pub segment: u32,
    pub version: u32,
    pub message: Message,
}

/// The jobs the provider's balance could not pay for, and the balance (see `budget`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BalanceShortfall {
    /// The balance at the end of the run, in cents of `currency`; `null` when the
    /// provider cannot say.
    pub balance_cents: Option<i64>,
    pub currency: String,
    /// What the jobs that did not fit cost together.
    pub needed_cents: u64,
    pub jobs: Vec<UnfitJob>,
}

/// A job not submitted because the balance could not pay for it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnfitJob {
    pub storyboard: String,
    pub segment: u32,
    pub version: u32,
    pub price_cents: u64,
}

/// The end of a run, as `--json` and `--report` print it.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    pub jobs_total: u64,
    pub done: u64,
    pub skipped: u64,
    pub failed: u64,
    pub not_started: u64,
    pub left_in_flight: u64,
    pub failed_by_reason: BTreeMap<String, u64>,
    /// What the provider said the submitted tasks cost, in cents: only costs it reported
    /// plausibly (see `unknown_cost_tasks`).
    pub billed_cents: i64,
    /// Tasks submitted (or found again) whose cost the provider did not report, or
    /// reported as something no task costs: not in `billed_cents`.
    pub unknown_cost_tasks: u64,
    /// Those tasks at the run's prices (`--price-*`, else the provider's documented ones):
    /// what they probably cost, since the provider did not say.
    pub unknown_cost_estimate_cents: u64,
    pub bytes_downloaded: u64,
    pub wall_seconds: f64,
    pub interrupted: bool,
    /// Why the run stopped submitting early, if it did.
    pub stopped_because: Option<String>,
    /// The balance refused a job: the jobs that did not fit it (counted in `not_started`)
    /// and the balance; `null` when it refused nothing.
    pub balance_shortfall: Option<BalanceShortfall>,
    #[serde(skip)]
    pub stop: Option<super::StopReason>,
    pub failures: Vec<FailedJob>,
    /// Jobs whose create had no usable answer and whose task could not be found or ruled
    /// out: left for a later run, never paid for again by themselves.
    pub unresolved: Vec<UnresolvedJob>,
    /// The failed-jobs file for --retry-failed, when some failed.
    pub failed_jobs_file: Option<String>,
    /// Paid tasks of jobs no storyboard asks for any more, collected beside the planned
    /// takes (see `app/extras.rs`), and how each ended.
    pub extra_takes: Vec<ExtraTake>,
    /// The run was the built-in simulator's: its money and videos are simulated.
    pub simulated: bool,
    /// What `billed_cents` and `unknown_cost_estimate_cents` count in: `USD` (cents) or
    /// the provider's `credits` (see `Capabilities::currency`).
    pub currency: String,
    /// Invalid storyboards `--skip-invalid` left out: none of their jobs ran.
    pub skipped_storyboards: Vec<SkippedStoryboard>,
}

/// An invalid storyboard a run skipped, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SkippedStoryboard {
    pub path: String,
    /// Each problem; JSON has its English line, `storyboard_x.json: segment 2: prompt_text: …`.
    #[serde(serialize_with = "english_lines")]
    pub problems: Vec<Problem>,
}

/// Problems as the English lines a script reads, whatever the interface's language.
fn english_lines<S: serde::Serializer>(problems: &[Problem], out: S) -> Result<S::Ok, S::Error> {
    out.collect_seq(problems.iter().map(ToString::to_string))
}

/// A paid task of a job no storyboard asks for any more, collected beside the planned
/// takes under a name of its own (see `app/extras.rs`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExtraTake {
    pub storyboard: String,
    pub segment: u32,
    pub version: u32,
    /// Where its video goes.
    pub path: String,
    /// `to_collect` (the dry run), then how collecting it ended: `done`, `failed`,
    /// `left_in_flight`, or `not_created` (its unanswered create made no task).
    pub status: &'static str,
}

impl ExtraTake {
    pub fn of(job: &super::JobSpec, status: &'static str) -> Self {
        ExtraTake {
            storyboard: job.key.storyboard.clone(),
            segment: job.key.segment,
            version: job.key.version,
            path: crate::plan::tidy(&job.video).display().to_string(),
            status,
        }
    }
}

impl Summary {
    pub fn count(&mut self, outcome: &JobOutcome) {
        match outcome {
            JobOutcome::Done { bytes } => {
                self.done += 1;
                self.bytes_downloaded += bytes;
            }
            JobOutcome::Skipped => self.skipped += 1,
            JobOutcome::Failed(failure, _) => {
                self.failed += 1;
                *self
                    .failed_by_reason
                    .entry(failure.label().to_string())
                    .or_default() += 1;
            }
            JobOutcome::NotStarted(_) | JobOutcome::DidNotFit { .. } => self.not_started += 1,
            JobOutcome::LeftInFlight(_) | JobOutcome::Unresolved(_) => self.left_in_flight += 1,
            JobOutcome::NothingToCollect => {}
        }
    }

    /// An extra take's end: listed on its own, but a failure or a task left at the
    /// provider counts like a planned job's (paid work was not collected).
    pub fn count_extra(&mut self, job: &super::JobSpec, outcome: &JobOutcome) {
        let status = match outcome {
            JobOutcome::Done { bytes } => {
                self.bytes_downloaded += bytes;
                "done"
            }
            JobOutcome::NothingToCollect => "not_created",
            JobOutcome::Failed(..) => {
                self.count(outcome);
                "failed"
            }
            _ => {
                self.count(outcome);
                "left_in_flight"
            }
        };
        self.extra_takes.push(ExtraTake::of(job, status));
    }

    pub fn set_wall_time(&mut self, wall: Duration) {
        self.wall_seconds = (wall.as_secs_f64() * 10.0).round() / 10.0;
    }
}

#[cfg(test)]
mod failure_tests {
    use super::Failure;
    use crate::i18n::Lang;

    #[test]
    fn every_failure_is_found_by_its_label_and_reads_it_in_english() {
        for failure in Failure::ALL {
            assert_eq!(Failure::of_label(failure.label()), Some(failure));
            assert_eq!(failure.message().words(Lang::En), failure.label());
            assert_ne!(failure.message().words(Lang::Zh), failure.label());
        }
        assert_eq!(Failure::of_label("something else"), None);
    }
}
