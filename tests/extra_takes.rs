//! Paid work is always collected: tasks an earlier run submitted for jobs that no
//! storyboard asks for any more (a lower gen_count, a segment edited while its task was
//! at the provider) are downloaded beside the planned takes as extra takes, under names
//! no planned take can have, and the dry run and the summary list them.

mod common;

use std::path::Path;

use common::Project;
use common::batch::{assert_all_videos, output_dir, run, storyboard};
use common::planted::{job_key, now_ms, plant_lost_create, plant_submitted};
use serde_json::Value;
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

fn simulator() -> RunningSim {
    sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.4),
        seed: Some(12),
        ..SimSettings::default()
    })
    .expect("the simulator starts")
}

fn sidecar(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path.with_extension("json")).unwrap()).unwrap()
}

fn creates(sim: &RunningSim) -> u64 {
    sim.stats().creates
}

#[test]
fn paid_tasks_of_a_lowered_gen_count_are_collected_as_extra_takes() {
    let sim = simulator();
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("harbour", 1));
    // A run with --gen-count 3 was killed with its three tasks at the provider.
    let mut tasks = Vec::new();
    for version in 1..=3 {
        let key = job_key(&project, "storyboard.json", 1, version);
        let task = sim.create_task("harbour shot 1");
        plant_submitted(&project, &key, "harbour shot 1", &task);
        tasks.push(task);
    }

    let (code, plan, err) = run(&project, &sim, &["--gen-count", "1", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(plan["jobs_in_flight"], 1, "{plan}");
    let listed = plan["extra_takes"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{plan}");
    assert!(err.contains("2 paid tasks of earlier runs"), "{err}");

    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(creates(&sim), 3, "nothing new is paid for\n{err}");
    let takes = summary["extra_takes"].as_array().unwrap();
    assert_eq!(takes.len(), 2, "{summary}");
    assert!(
        takes.iter().all(|take| take["status"] == "done"),
        "{summary}"
    );
    let folder = output_dir(&project).join("storyboard/Segment_1");
    let fingerprint = job_key(&project, "storyboard.json", 1, 1).fingerprint;
    for (version, task) in [(2, &tasks[1]), (3, &tasks[2])] {
        let video = folder.join(format!("1_v{version}.extra-{}.mp4", &fingerprint[..8]));
        assert!(video.is_file(), "{video:?}\n{err}");
        assert_eq!(sidecar(&video)["task_id"], task.as_str());
        assert_eq!(sidecar(&video)["extra_take"], true);
    }
    assert_eq!(
        sidecar(&folder.join("1_v1.mp4"))["task_id"],
        tasks[0].as_str()
    );
    assert_all_videos(&project, 3, None, "");

    // Collected once: a rerun has nothing left to do.
    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        summary["extra_takes"].as_array().unwrap().len(),
        0,
        "{summary}"
    );
    assert_eq!(creates(&sim), 3);
}

#[test]
fn a_segment_edited_while_its_task_was_at_the_provider_keeps_that_paid_take() {
    let sim = simulator();
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("pier", 1));
    let old = job_key(&project, "storyboard.json", 1, 1);
    let old_task = sim.create_task("pier shot 1");
    plant_submitted(&project, &old, "pier shot 1", &old_task);
    project.write(
        "input/storyboard.json",
        r#"{"segments": [{"segment_index": 1, "prompt_text": "pier shot 1, at night"}]}"#,
    );

    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(
        summary["done"], 1,
        "the edited segment is generated\n{summary}"
    );
    assert_eq!(creates(&sim), 2, "{err}");
    let folder = output_dir(&project).join("storyboard/Segment_1");
    let extra = folder.join(format!("1_v1.extra-{}.mp4", &old.fingerprint[..8]));
    assert_eq!(sidecar(&extra)["task_id"], old_task.as_str(), "{err}");
    assert_eq!(sidecar(&extra)["prompt"], "pier shot 1");
    assert_eq!(
        sidecar(&folder.join("1_v1.mp4"))["prompt"],
        "pier shot 1, at night"
    );
    assert!(summary_text_names(&err, &extra), "{err}");
    assert_all_videos(&project, 2, None, "");
}

#[test]
fn an_extra_takes_unanswered_create_that_made_nothing_is_forgotten_unpaid() {
    let sim = simulator();
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("reef", 1));
    let second = job_key(&project, "storyboard.json", 1, 2);
    plant_lost_create(&project, &second, "reef shot 1", now_ms(), Some(0));

    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(creates(&sim), 1, "the extra take is never submitted\n{err}");
    let takes = summary["extra_takes"].as_array().unwrap();
    assert_eq!(takes.len(), 1, "{summary}");
    assert_eq!(takes[0]["status"], "not_created", "{summary}");
    let (_, plan, _) = run(&project, &sim, &["--gen-count", "1", "--dry-run"]);
    assert_eq!(plan["extra_takes"].as_array().unwrap().len(), 0, "{plan}");
}

/// Whether the human summary on stderr lists this extra take's file.
fn summary_text_names(stderr: &str, video: &Path) -> bool {
    let name = video.file_name().unwrap().to_string_lossy();
    stderr
        .lines()
        .any(|line| line.contains("extra take:") && line.contains(&*name))
}

#[test]
fn an_extra_take_whose_search_cannot_tell_stays_at_the_provider_even_with_resubmit_lost() {
    // The list holds a task whose whole prompt is the start of the extra take's: the
    // search cannot tell whether that is its task. --resubmit-lost is about planned jobs:
    // an extra take is never submitted, so it must not be forgotten as "not created".
    let sim = simulator();
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        &storyboard("kelp forest at dawn", 1),
    );
    let second = job_key(&project, "storyboard.json", 1, 2);
    plant_lost_create(
        &project,
        &second,
        "kelp forest at dawn shot 1",
        now_ms(),
        Some(0),
    );
    sim.create_task("kelp forest at dawn");

    let (_, summary, err) = run(&project, &sim, &["--gen-count", "1", "--resubmit-lost"]);
    let takes = summary["extra_takes"].as_array().unwrap();
    assert_eq!(takes.len(), 1, "{summary}");
    assert_eq!(takes[0]["status"], "left_in_flight", "{summary}\n{err}");
    let (_, plan, _) = run(&project, &sim, &["--gen-count", "1", "--dry-run"]);
    assert_eq!(
        plan["extra_takes"].as_array().unwrap().len(),
        1,
        "the journal still has it: {plan}"
    );
}
