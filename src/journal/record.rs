//! The fold: a job's events in journal order become one [`JobRecord`], and all jobs a
//! [`JournalState`]. Later events win; events out of order (a `finished` for a job never
//! seen submitting, a second task id) are kept as well as they can be, never a panic, since
//! a journal outlives the versions of the code that wrote it.

use std::collections::BTreeMap;

use super::{Event, JobKey, KeyRef, Outcome, Request};

/// Where a job stands, by its latest event. Every variant's `at_ms` is that event's time,
/// except `Submitting`'s (see there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// The create call may or may not have reached the provider. `at_ms` is the *first*
    /// `submitting` of this attempt: any of the repeated calls since may have been billed,
    /// so reconciliation looks for tasks created after it.
    Submitting { at_ms: u64 },
    /// The provider accepted the task: poll it, never submit again.
    Submitted {
        at_ms: u64,
        task_id: String,
        cost_cents: Option<i64>,
    },
    Finished {
        at_ms: u64,
        task_id: String,
        outcome: Outcome,
    },
    Downloaded {
        at_ms: u64,
        path: String,
        bytes: u64,
        sha256: String,
    },
    /// Given up: a later run treats the job as new.
    Abandoned { at_ms: u64, reason: String },
}

/// The current attempt's `submitting`s: what was asked, of whom, and since when. An
/// attempt's creates may span runs whose clocks disagreed, so the earliest moment is kept
/// per kind of record: on the provider's clock where the record knew it, and on ours alone
/// where it did not (a later run cannot tell how far off that clock was).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The earliest `submitting` of the attempt, on our clock (unix ms).
    pub first_ms: u64,
    /// The earliest `submitting` written without the provider's clock, on our clock.
    pub unclocked_ms: Option<u64>,
    /// The `submitting` earliest on the provider's clock: its time on our clock, and the
    /// provider's clock minus ours then.
    pub clocked: Option<(u64, i64)>,
    pub provider: String,
    pub prompt: String,
    pub request: Option<Request>,
    /// The key of the attempt's latest create (an attempt keeps its key: see
    /// `engine::job::submit`).
    pub key_ref: Option<KeyRef>,
}

impl Submission {
    fn new(at_ms: u64, offset: Option<i64>, provider: String, prompt: String) -> Self {
        Submission {
            first_ms: at_ms,
            unclocked_ms: offset.is_none().then_some(at_ms),
            clocked: offset.map(|offset| (at_ms, offset)),
            provider,
            prompt,
            request: None,
            key_ref: None,
        }
    }

    /// Another create of the same attempt.
    fn add(&mut self, at_ms: u64, offset: Option<i64>) {
        self.first_ms = self.first_ms.min(at_ms);
        match offset {
            None => self.unclocked_ms = Some(self.unclocked_ms.map_or(at_ms, |ms| ms.min(at_ms))),
            Some(offset) => {
                let provider_ms = |(at, offset): (u64, i64)| i128::from(at) + i128::from(offset);
                if self
                    .clocked
                    .is_none_or(|known| provider_ms((at_ms, offset)) < provider_ms(known))
                {
                    self.clocked = Some((at_ms, offset));
                }
            }
        }
    }

    /// The `submitting` events whose fold is this (what compaction writes).
    fn replay(&self) -> Vec<Event> {
        let unclocked = self.unclocked_ms.map(|at_ms| (at_ms, None));
        let clocked = self.clocked.map(|(at_ms, offset)| (at_ms, Some(offset)));
        let mut records: Vec<(u64, Option<i64>)> = unclocked.into_iter().chain(clocked).collect();
        records.sort();
        records
            .into_iter()
            .map(|(at_ms, clock_offset_ms)| Event::Submitting {
                at_ms,
                provider: self.provider.clone(),
                prompt: self.prompt.clone(),
                clock_offset_ms,
                request: self.request.clone(),
                key_ref: self.key_ref.clone(),
            })
            .collect()
    }
}

/// Everything the journal knows about one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    stage: Stage,
    submission: Option<Submission>,
    task_id: Option<String>,
    cost_cents: Option<i64>,
    /// What earlier attempts of this job cost (a task abandoned, then the job submitted
    /// again). Not carried over by compaction: see [`super::Journal::compact`].
    earlier_cents: i64,
}

impl JobRecord {
    pub fn stage(&self) -> &Stage {
        &self.stage
    }

    /// When the current attempt was first written as `submitting` (unix ms).
    pub fn first_submitting_ms(&self) -> Option<u64> {
        self.submission.as_ref().map(|s| s.first_ms)
    }

    /// The current attempt's `submitting`: what was asked, of whom, and since when.
    pub fn submission(&self) -> Option<&Submission> {
        self.submission.as_ref()
    }

    pub fn provider(&self) -> Option<&str> {
        self.submission.as_ref().map(|s| s.provider.as_str())
    }

    pub fn prompt(&self) -> Option<&str> {
        self.submission.as_ref().map(|s| s.prompt.as_str())
    }

    /// The API key the current attempt was made with, when the journal says.
    pub fn key_ref(&self) -> Option<&KeyRef> {
        self.submission.as_ref().and_then(|s| s.key_ref.as_ref())
    }

    /// The provider's task of the current attempt, once known.
    pub fn task_id(&self) -> Option<&str> {
        self.task_id.as_deref()
    }

    /// The current attempt's cost, as the provider reported it.
    pub fn cost_cents(&self) -> Option<i64> {
        self.cost_cents
    }

    /// Every attempt's reported cost.
    pub fn billed_cents(&self) -> i64 {
        // Saturating: a journal written before costs were range-checked may hold nonsense.
        self.earlier_cents
            .saturating_add(self.cost_cents.unwrap_or(0))
    }

    /// Downloaded or abandoned: the job needs nothing more from the journal.
    fn is_settled(&self) -> bool {
        matches!(
            self.stage,
            Stage::Downloaded { .. } | Stage::Abandoned { .. }
        )
    }

    /// Whether its last task failed at the provider (and nothing was tried since).
    pub fn failed_at_provider(&self) -> bool {
        matches!(
            self.stage,
            Stage::Finished {
                outcome: Outcome::Failed { .. },
                ..
            }
        )
    }

    /// Whether the job still needs this tool: to learn whether it was submitted, to poll
    /// it, or to download its video.
    pub fn is_in_flight(&self) -> bool {
        matches!(
            self.stage,
            Stage::Submitting { .. }
                | Stage::Submitted { .. }
                | Stage::Finished {
                    outcome: Outcome::Completed { .. },
                    ..
                }
        )
    }

    fn first(event: &Event) -> JobRecord {
        let mut record = JobRecord {
            // A job never seen is like an abandoned one: its first `submitting` starts an
            // attempt. Every event replaces the stage, so this one is never observed.
            stage: Stage::Abandoned {
                at_ms: 0,
                reason: String::new(),
            },
            submission: None,
            task_id: None,
            cost_cents: None,
            earlier_cents: 0,
        };
        record.apply(event);
        record
    }

    fn apply(&mut self, event: &Event) {
        self.stage = match event.clone() {
            Event::Submitting {
                at_ms,
                provider,
                prompt,
                clock_offset_ms,
                request,
                key_ref,
            } => {
                let submission = match (&self.stage, self.submission.take()) {
                    // A retry of an ambiguous submit: the same attempt.
                    (Stage::Submitting { .. }, Some(mut submission)) => {
                        submission.add(at_ms, clock_offset_ms);
                        submission.provider = provider;
                        submission.prompt = prompt;
                        submission
                    }
                    _ => {
                        self.start_attempt();
                        Submission::new(at_ms, clock_offset_ms, provider, prompt)
                    }
                };
                let first_ms = submission.first_ms;
                self.submission = Some(Submission {
                    request: request.or(submission.request.clone()),
                    key_ref: key_ref.or(submission.key_ref.clone()),
                    ..submission
                });
                Stage::Submitting { at_ms: first_ms }
            }
            Event::Submitted {
                at_ms,
                task_id,
                cost_cents,
            } => {
                self.adopt_task(&task_id);
                // A repeated `submitted` without a cost does not forget a known one.
                self.cost_cents = cost_cents.or(self.cost_cents);
                Stage::Submitted {
                    at_ms,
                    task_id,
                    cost_cents: self.cost_cents,
                }
            }
            Event::Finished {
                at_ms,
                task_id,
                outcome,
            } => {
                self.adopt_task(&task_id);
                Stage::Finished {
                    at_ms,
                    task_id,
                    outcome,
                }
            }
            Event::Downloaded {
                at_ms,
                path,
                bytes,
                sha256,
            } => Stage::Downloaded {
                at_ms,
                path,
                bytes,
                sha256,
            },
            Event::Abandoned { at_ms, reason } => Stage::Abandoned { at_ms, reason },
        };
    }

    /// Ends the current attempt, keeping what it cost.
    fn start_attempt(&mut self) {
        self.earlier_cents = self
            .earlier_cents
            .saturating_add(self.cost_cents.take().unwrap_or(0));
        self.task_id = None;
    }

    /// A task id other than the current one means another attempt, whose `submitting` we
    /// never saw; the old task's cost is kept.
    fn adopt_task(&mut self, task_id: &str) {
        if self.task_id.as_deref() != Some(task_id) {
            if self.task_id.is_some() {
                self.start_attempt();
            }
            self.task_id = Some(task_id.to_string());
        }
    }

    /// The fewest events whose fold is this record, but for `earlier_cents`: what
    /// compaction writes.
    pub(super) fn replay(&self) -> Vec<Event> {
        let mut events = Vec::with_capacity(3);
        if let Some(submission) = &self.submission {
            events.extend(submission.replay());
        }
        if let Some(task_id) = &self.task_id
            && !matches!(self.stage, Stage::Submitting { .. })
        {
            events.push(Event::Submitted {
                at_ms: self.stage_ms(),
                task_id: task_id.clone(),
                cost_cents: self.cost_cents,
            });
        }
        let last = match self.stage.clone() {
            Stage::Submitting { .. } | Stage::Submitted { .. } => None,
            Stage::Finished {
                at_ms,
                task_id,
                outcome,
            } => Some(Event::Finished {
                at_ms,
                task_id,
                outcome,
            }),
            Stage::Downloaded {
                at_ms,
                path,
                bytes,
                sha256,
            } => Some(Event::Downloaded {
                at_ms,
                path,
                bytes,
                sha256,
            }),
            Stage::Abandoned { at_ms, reason } => Some(Event::Abandoned { at_ms, reason }),
        };
        events.extend(last);
        events
    }

    fn stage_ms(&self) -> u64 {
        match self.stage {
            Stage::Submitting { at_ms }
            | Stage::Submitted { at_ms, .. }
            | Stage::Finished { at_ms, .. }
            | Stage::Downloaded { at_ms, .. }
            | Stage::Abandoned { at_ms, .. } => at_ms,
        }
    }

    #[cfg(test)]
    pub(super) fn without_earlier_attempts(&self) -> JobRecord {
        JobRecord {
            earlier_cents: 0,
            ..self.clone()
        }
    }
}

/// Every job in the journal, in key order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalState {
    jobs: BTreeMap<JobKey, JobRecord>,
}

impl JournalState {
    pub fn get(&self, key: &JobKey) -> Option<&JobRecord> {
        self.jobs.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&JobKey, &JobRecord)> {
        self.jobs.iter()
    }

    /// Jobs that still need this tool (see [`JobRecord::is_in_flight`]).
    pub fn in_flight(&self) -> impl Iterator<Item = (&JobKey, &JobRecord)> {
        self.iter().filter(|(_, record)| record.is_in_flight())
    }

    /// What the provider reported for every attempt in the journal (since its last
    /// compaction), in cents.
    pub fn billed_cents(&self) -> i64 {
        self.jobs
            .values()
            .map(JobRecord::billed_cents)
            .fold(0, i64::saturating_add)
    }

    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Only the jobs that still matter: what compaction keeps.
    pub(super) fn unsettled(&self) -> JournalState {
        JournalState {
            jobs: self
                .jobs
                .iter()
                .filter(|(_, record)| !record.is_settled())
                .map(|(key, record)| (key.clone(), record.clone()))
                .collect(),
        }
    }

    /// Forgets `key` once its job is settled: nothing more is asked of a downloaded or
    /// abandoned job, and compaction drops it anyway.
    pub(super) fn forget_if_settled(&mut self, key: &JobKey) {
        if self.jobs.get(key).is_some_and(JobRecord::is_settled) {
            self.jobs.remove(key);
        }
    }

    /// Folds one more event in, as reading the journal does.
    pub fn apply(&mut self, key: &JobKey, event: &Event) {
        match self.jobs.get_mut(key) {
            Some(record) => record.apply(event),
            None => {
                self.jobs.insert(key.clone(), JobRecord::first(event));
            }
        }
    }

    /// The jobs compaction keeps, each with the events that rebuild it.
    pub(super) fn to_compact(&self) -> impl Iterator<Item = (&JobKey, Vec<Event>)> {
        self.iter()
            .filter(|(_, record)| !record.is_settled())
            .map(|(key, record)| (key, record.replay()))
    }
}
