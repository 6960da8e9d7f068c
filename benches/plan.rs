//! Planning speed: 100,000 segments in 1,000 storyboard files must plan in under a second.
//! Run with `cargo bench --bench plan`. Measures the library's `plan::build` (discovery,
//! parsing, validation, fingerprints, disk state) and the whole binary's `--dry-run --json`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sora_batch::plan::{self, Layout, OutputMode};

const FILES: usize = 1_000;
const SEGMENTS_PER_FILE: usize = 100;
const TARGET: Duration = Duration::from_secs(1);

fn write_storyboards(input: &Path) {
    for file in 0..FILES {
        let folder = input.join(format!("episode_{:02}", file / 50));
        std::fs::create_dir_all(&folder).unwrap();
        let segments: Vec<String> = (1..=SEGMENTS_PER_FILE)
            .map(|index| {
                format!(
                    r#"{{"segment_index": {index}, "prompt_text": "Shot {index} of file {file}: a slow dolly across a rain-soaked neon street at night, reflections everywhere", "duration_seconds": {}, "is_pro": {}, "resolution": "{}", "director_intent": "keep the mood"}}"#,
                    if index % 3 == 0 { 15 } else { 10 },
                    index % 10 == 0,
                    if index % 2 == 0 { "vertical" } else { "horizontal" }
                )
            })
            .collect();
        let text = format!(
            "{{\"_comment\": \"bench\", \"defaults\": {{\"gen_count\": 2}}, \"segments\": [\n{}\n]}}",
            segments.join(",\n")
        );
        std::fs::write(folder.join(format!("storyboard_{file:04}.json")), text).unwrap();
    }
}

fn best_and_median(mut runs: Vec<Duration>) -> (Duration, Duration) {
    runs.sort();
    (runs[0], runs[runs.len() / 2])
}

fn report(what: &str, runs: Vec<Duration>) -> bool {
    let (best, median) = best_and_median(runs);
    let ok = median < TARGET;
    println!(
        "{what:<34} best {:>7.1} ms   median {:>7.1} ms   {}",
        best.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        if ok {
            "ok (< 1 s)"
        } else {
            "TOO SLOW (target < 1 s)"
        }
    );
    ok
}

fn main() {
    let root = tempfile::tempdir().unwrap();
    let input = root.path().join("input");
    println!("writing {FILES} storyboards × {SEGMENTS_PER_FILE} segments…");
    write_storyboards(&input);
    let layout = Layout {
        input_dir: input.clone(),
        output_dir: root.path().join("output"),
        mode: OutputMode::Centralized,
    };
    let settings = sora_batch::provider::sora_hk::CAPABILITIES.segment_settings(2);

    let mut runs = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let plan = plan::build(&layout, settings, plan::Finished::default()).unwrap();
        runs.push(start.elapsed());
        assert_eq!(plan.jobs.len(), FILES * SEGMENTS_PER_FILE * 2);
        assert!(plan.invalid.is_empty());
    }
    let library_ok = report("plan::build (200,000 jobs)", runs);

    // A rerun after everything finished: every job has a video and a sidecar to read.
    let plan = plan::build(&layout, settings, plan::Finished::default()).unwrap();
    println!("writing {} finished videos and sidecars…", plan.jobs.len());
    for job in &plan.jobs {
        std::fs::create_dir_all(job.video.parent().unwrap()).unwrap();
        std::fs::write(&job.video, b"video").unwrap();
        let sidecar = format!(
            r#"{{"fingerprint": "{}", "task_id": "t"}}"#,
            job.fingerprint
        );
        std::fs::write(job.sidecar(), sidecar).unwrap();
    }
    let mut runs = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let plan = plan::build(&layout, settings, plan::Finished::default()).unwrap();
        runs.push(start.elapsed());
        assert!(
            plan.jobs
                .iter()
                .all(|job| job.state == plan::JobState::Done)
        );
    }
    let rerun_ok = report("plan::build, all 200,000 done", runs);

    let binary = env!("CARGO_BIN_EXE_sora-batch");
    let mut runs = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let output = Command::new(binary)
            .args(["--dry-run", "--json", "--input-dir"])
            .arg(&input)
            .arg("--output-dir")
            .arg(root.path().join("output"))
            .env_remove("SORA_API_KEY")
            .output()
            .unwrap();
        runs.push(start.elapsed());
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let binary_ok = report("sora-batch --dry-run --json", runs);
    if !(library_ok && rerun_ok && binary_ok) {
        std::process::exit(1);
    }
}
