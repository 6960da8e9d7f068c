//! Results written where nobody reads them: a reader that has gone away (`| head -1`)
//! ends the output quietly with the run's own exit code, and an output that cannot be
//! written (`> /dev/full`) is an error with exit code 2, never a panic (exit 101).

mod common;

use std::process::{Output, Stdio};

use common::Project;
use common::batch::{FAST, assert_all_videos, storyboard};
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

fn simulator() -> RunningSim {
    sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.5),
        seed: Some(3),
        ..SimSettings::default()
    })
    .expect("the simulator starts")
}

/// Runs the binary with its stdout a pipe whose reading end is closed before anything is
/// written, as `sora-batch … | head -0` would leave it.
fn with_stdout_closed(project: &Project, sim: &RunningSim, args: &[&str]) -> Output {
    let mut child = project
        .sora_process()
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    drop(child.stdout.take());
    child.wait_with_output().expect("the binary ends")
}

fn assert_no_panic(output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(101), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_reader_that_went_away_ends_the_output_quietly_with_the_runs_exit_code() {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("closed pipe", 2));
    let sim = simulator();

    let dry = with_stdout_closed(&project, &sim, &["--dry-run", "--json"]);
    assert_no_panic(&dry);
    assert_eq!(dry.status.code(), Some(0));

    let run = with_stdout_closed(&project, &sim, &[&["--gen-count", "1"], FAST].concat());
    assert_no_panic(&run);
    assert_eq!(run.status.code(), Some(0));
    assert_all_videos(&project, 2, None, "the run went on without its reader");
}

#[cfg(target_os = "linux")]
#[test]
fn an_output_that_cannot_be_written_is_an_error_not_a_panic() {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("full disk", 2));
    let sim = simulator();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("Linux has /dev/full");
    let output = project
        .sora_process()
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .args(["--dry-run", "--json"])
        .stdout(full)
        .output()
        .expect("the binary runs");
    assert_no_panic(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot write the results to standard output"),
        "{stderr}"
    );
}
