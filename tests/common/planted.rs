//! What an earlier run left behind, planted by hand: journal records of creates whose
//! answers were lost (at a chosen moment, with a chosen clock), so the tests of the
//! lost-create search start from an exact situation instead of a lucky kill.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use std::io::Write;

use serde_json::{Value, json};
use sora_batch::journal::JobKey;
use sora_batch::plan::{self, Layout, OutputMode};

use super::Project;
use super::batch::output_dir;

/// The job key a run computes for `storyboard` (relative to input/), segment, version.
pub fn job_key(project: &Project, storyboard: &str, segment: u32, version: u32) -> JobKey {
    let layout = Layout {
        input_dir: project.path().join("input"),
        output_dir: output_dir(project),
        mode: OutputMode::Centralized,
    };
    let settings = sora_batch::provider::sora_hk::CAPABILITIES.segment_settings(version);
    let plan =
        plan::build(&layout, settings, plan::Finished::default()).expect("the input folder exists");
    let job = plan
        .jobs
        .iter()
        .find(|job| {
            plan.storyboards[job.storyboard].relative == Path::new(storyboard)
                && job.segment.index == segment
                && job.version == version
        })
        .unwrap_or_else(|| panic!("{storyboard} has no segment {segment} v{version}"));
    JobKey {
        storyboard: storyboard.to_string(),
        segment,
        version,
        fingerprint: job.fingerprint.to_string(),
    }
}

/// Now on this machine's clock, in unix milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A `submitting` with no answer after it, as a run killed during its create leaves:
/// written at `at_ms` on the run's clock, which was `clock_offset_ms` from the provider's.
pub fn plant_lost_create(
    project: &Project,
    key: &JobKey,
    prompt: &str,
    at_ms: u64,
    clock_offset_ms: Option<i64>,
) {
    let mut line = json!({
        "event": "submitting",
        "at_ms": at_ms,
        "provider": "sora-hk",
        "prompt": prompt,
        "request": {
            "is_pro": false,
            "duration_seconds": 10,
            "resolution": "horizontal",
            "image_url": null,
        },
    });
    if let Some(offset) = clock_offset_ms {
        line["clock_offset_ms"] = json!(offset);
    }
    append(project, key, line);
}

/// A create that was answered: `submitting`, then `submitted` with the provider's task,
/// as a run killed while its task was at the provider leaves them.
pub fn plant_submitted(project: &Project, key: &JobKey, prompt: &str, task_id: &str) {
    let at_ms = now_ms();
    plant_lost_create(project, key, prompt, at_ms, Some(0));
    let line = json!({
        "event": "submitted",
        "at_ms": at_ms,
        "task_id": task_id,
        "cost_cents": 3,
    });
    append(project, key, line);
}

/// Every job the input folder plans with `gen_count` versions: its key and prompt.
pub fn all_jobs(project: &Project, gen_count: u32) -> Vec<(JobKey, String)> {
    let layout = Layout {
        input_dir: project.path().join("input"),
        output_dir: output_dir(project),
        mode: OutputMode::Centralized,
    };
    let settings = sora_batch::provider::sora_hk::CAPABILITIES.segment_settings(gen_count);
    let plan =
        plan::build(&layout, settings, plan::Finished::default()).expect("the input folder exists");
    plan.jobs
        .iter()
        .map(|job| {
            let key = JobKey {
                storyboard: plan::storyboard_key(&plan.storyboards[job.storyboard].relative),
                segment: job.segment.index,
                version: job.version,
                fingerprint: job.fingerprint.to_string(),
            };
            (key, job.segment.prompt.clone())
        })
        .collect()
}

/// Creates the provider answered, whose tasks then failed there, as an earlier run
/// leaves them: `submitting`, `submitted`, `finished` with a failure, for each job.
pub fn plant_failed_at_provider(project: &Project, jobs: &[(JobKey, String)]) {
    let at_ms = now_ms();
    let lines = jobs.iter().enumerate().flat_map(|(n, (key, prompt))| {
        let task_id = format!("task_failed_{n}");
        [
            json!({
                "event": "submitting",
                "at_ms": at_ms,
                "provider": "sora-hk",
                "prompt": prompt,
                "clock_offset_ms": 0,
            }),
            json!({"event": "submitted", "at_ms": at_ms, "task_id": task_id, "cost_cents": 3}),
            json!({
                "event": "finished",
                "at_ms": at_ms,
                "task_id": task_id,
                "outcome": {"status": "failed", "message": "content policy"},
            }),
        ]
        .map(|line| (key, line))
    });
    append_all(project, lines);
}

/// Appends one line in the journal's on-disk format (see `journal/mod.rs`), written as
/// text so the lines stay what a run of any version would read.
fn append(project: &Project, key: &JobKey, line: Value) {
    append_all(project, [(key, line)]);
}

fn append_all<'a>(project: &Project, lines: impl IntoIterator<Item = (&'a JobKey, Value)>) {
    let folder = output_dir(project).join(".sora-batch");
    std::fs::create_dir_all(&folder).unwrap();
    let journal = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(folder.join("journal.jsonl"))
        .unwrap();
    let mut journal = std::io::BufWriter::new(journal);
    for (key, mut line) in lines {
        line["v"] = json!(1);
        line["key"] = serde_json::to_value(key).unwrap();
        writeln!(journal, "{line}").unwrap();
    }
    journal.flush().unwrap();
}
