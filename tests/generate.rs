//! The real binary generating videos against the project's simulator, with short timings
//! set through the same flags users have: clean batches, capacity limits, every fault
//! knob, refusals, interruption and rerun. The simulator's counters prove what was billed.

mod common;

use std::time::Duration;

use common::batch::{
    FAST, assert_all_videos, assert_billed_once_per_version, run, storyboard, walk,
};
use common::{Project, stderr_of, stdout_of};
use serde_json::Value;
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

fn simulator(settings: SimSettings) -> RunningSim {
    sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.6),
        seed: Some(11),
        ..settings
    })
    .expect("the simulator starts")
}

#[test]
fn a_clean_batch_generates_every_video_once_and_a_rerun_skips_them() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write("input/ep1/storyboard_a.json", &storyboard("harbor", 3));
    let (code, summary, err) = run(&project, &sim, &["--report", "report.json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["done"], 6, "{summary}");
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["billed_cents"], 18);
    assert_all_videos(&project, 6, None, "");
    let report: Value =
        serde_json::from_slice(&std::fs::read(project.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report, summary);
    let log = std::fs::read_to_string(project.path().join("output/sora-batch.log")).unwrap();
    assert!(
        log.contains("request id sim-"),
        "the log should name the provider's request ids"
    );
    assert!(
        !log.contains(sim::DEFAULT_KEY),
        "the log must never hold the key"
    );
    assert!(
        project
            .path()
            .join("output/ep1/storyboard_a/Segment_2/2_v2.mp4")
            .is_file()
    );
    assert_billed_once_per_version(&sim, 3, 2, "");

    let (code, again, _) = run(&project, &sim, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        (again["done"].as_u64(), again["skipped"].as_u64()),
        (Some(0), Some(6))
    );
    assert_billed_once_per_version(&sim, 3, 2, "");
}

#[test]
fn capacity_below_max_workers_still_completes_every_job() {
    let sim = simulator(SimSettings {
        capacity: Some(3),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("crowd", 10));
    let (code, summary, err) = run(
        &project,
        &sim,
        &["--max-workers", "8", "--min-workers", "2"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["done"], 20);
    assert_all_videos(&project, 20, None, "");
    assert_billed_once_per_version(&sim, 10, 2, "");
    let stats = sim.stats();
    assert!(stats.max_active <= 3);
    assert!(
        stats.rate_limited > 0,
        "the test should have met the capacity"
    );
}

#[test]
fn server_faults_lost_answers_and_cut_downloads_never_bill_twice() {
    let sim = simulator(SimSettings {
        fault_rate: 0.2,
        ambiguous_rate: 0.3,
        truncate_rate: 0.5,
        video_bytes: Some(200_000),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("storm", 8));
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_all_videos(&project, 16, None, "");
    assert_billed_once_per_version(&sim, 8, 2, "");
    // Tasks found again after a lost answer are billed too, and the summary says so.
    assert_eq!(summary["billed_cents"], sim.stats().billed_cents);
    let stats = sim.stats();
    assert!(
        stats.ambiguous > 0 && stats.truncations > 0 && stats.faults > 0,
        "{stats:?}"
    );
    assert!(
        stats.range_requests > 0,
        "cut downloads should resume with Range"
    );
}

#[test]
fn an_empty_balance_stops_submitting_and_finishes_what_was_paid() {
    let sim = simulator(SimSettings {
        balance: Some(9),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("coins", 5));
    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(summary["done"], 3, "{summary}");
    assert_eq!(summary["not_started"], 2);
    let unfit = summary["balance_shortfall"]["jobs"].as_array().unwrap();
    assert_eq!(unfit.len(), 2, "{summary}");
    assert_all_videos(&project, 3, None, "");
    assert_eq!(sim.stats().creates, 3);
}

#[test]
fn a_refused_key_stops_the_run_with_exit_2_and_never_shows_the_key() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("door", 2));
    let assert = project
        .sora()
        .env("SORA_API_KEY", "sk-live-very-secret")
        .env("SORA_BASE_URL", sim.base_url())
        .args(FAST)
        .assert()
        .code(2);
    let all = format!("{}{}", stderr_of(&assert), stdout_of(assert));
    assert!(all.contains("refused the API key"), "{all}");
    assert!(!all.contains("sk-live-very-secret"));
    let log = std::fs::read_to_string(project.path().join("output/sora-batch.log")).unwrap();
    assert!(!log.contains("sk-live-very-secret"));
    assert_eq!(sim.stats().creates, 0);
}

#[test]
fn a_missing_key_is_a_clear_error() {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("door", 1));
    let assert = project.sora().assert().code(2);
    assert!(stderr_of(&assert).contains("SORA_API_KEY is not set"));
}

#[test]
fn content_policy_failures_are_reported_not_resubmitted_and_can_be_retried() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        r#"{"segments": [
            {"segment_index": 1, "prompt_text": "a calm lake"},
            {"segment_index": 2, "prompt_text": "a FORBIDDEN scene", "gen_count": 1}
        ]}"#,
    );
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        (summary["done"].as_u64(), summary["failed"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(
        summary["failures"][0]["message"]
            .as_str()
            .unwrap()
            .contains("content policy")
    );
    let failed_file = project.path().join("output/.sora-batch/failed_jobs.json");
    assert!(failed_file.is_file());

    let (code, again, _) = run(&project, &sim, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        again["failed_by_reason"]["failed in an earlier run"], 1,
        "{again}"
    );
    assert_eq!(sim.stats().creates_by_prompt["a FORBIDDEN scene"], 1);

    let (_, retried, _) = run(
        &project,
        &sim,
        &["--retry-failed", failed_file.to_str().unwrap()],
    );
    assert_eq!(retried["jobs_total"], 1, "{retried}");
    assert_eq!(sim.stats().creates_by_prompt["a FORBIDDEN scene"], 2);
}

#[test]
fn an_edited_segment_is_regenerated_and_the_old_video_kept() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("first cut", 1));
    let (code, _, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 0, "{err}");
    project.write("input/storyboard.json", &storyboard("second cut", 1));
    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["done"], 1);
    let all = walk(&project.path().join("output/storyboard/Segment_1"));
    let kept = all
        .iter()
        .filter(|path| path.to_string_lossy().contains("superseded"))
        .count();
    assert!(kept >= 1, "{all:?}");
    let sidecar: Value = serde_json::from_slice(
        &std::fs::read(project.path().join("output/storyboard/Segment_1/1_v1.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(sidecar["prompt"], "second cut shot 1");
}

#[test]
fn a_second_run_on_the_same_state_is_refused_with_75() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("busy", 1));
    let state = project.path().join("output/.sora-batch");
    let _held = sora_batch::lock::StateLock::acquire(&state).unwrap();
    let (code, _, err) = run(&project, &sim, &[]);
    assert_eq!(code, 75, "{err}");
    assert!(err.contains("another sora-batch run"), "{err}");
    assert_eq!(sim.stats().creates, 0);
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_and_a_rerun_finishes_without_paying_twice() {
    let sim = simulator(SimSettings {
        gen_seconds: GenSeconds(1.0, 2.0),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("night", 6));
    let binary = assert_cmd::cargo::cargo_bin!("sora-batch");
    let child = std::process::Command::new(binary)
        .current_dir(project.path())
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .env("NO_COLOR", "1")
        .args(FAST)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while sim.stats().creates < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    common::interrupt(&child);
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["interrupted"], true);
    assert!(summary["done"].as_u64().unwrap() < 12);

    let (code, rerun, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        rerun["skipped"].as_u64().unwrap() + rerun["done"].as_u64().unwrap(),
        12
    );
    assert_all_videos(&project, 12, None, "");
    assert_billed_once_per_version(&sim, 6, 2, "");
}

#[cfg(unix)]
#[test]
fn the_dry_run_shows_jobs_left_at_the_provider_and_does_not_price_them() {
    let sim = simulator(SimSettings {
        gen_seconds: GenSeconds(30.0, 30.0),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("slow", 2));
    let binary = assert_cmd::cargo::cargo_bin!("sora-batch");
    let mut child = std::process::Command::new(binary)
        .current_dir(project.path())
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .args(FAST)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while sim.stats().creates < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // Give the journal's `submitted` lines a moment after the provider's answers.
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    let plan: Value = serde_json::from_str(&stdout_of(
        project
            .sora()
            .args(["--dry-run", "--json"])
            .assert()
            .success(),
    ))
    .unwrap();
    assert_eq!(plan["jobs_in_flight"], 4, "{plan}");
    assert_eq!(plan["jobs_new"], 0);
    assert_eq!(plan["estimated_cost_cents"], 0);
}
