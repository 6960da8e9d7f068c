//! `--image-host-cmd` end to end: the real binary against the simulator with a reference
//! image on disk, hosted by a small shell script that records its calls and prints a
//! link. The simulator's counters show which link each create carried.
#![cfg(unix)]

mod common;

use std::path::PathBuf;

use common::Project;
use common::batch::{
    FAST, RUN_TIMEOUT, assert_all_videos, assert_billed_once_per_version, output_dir, run, walk,
};
use common::images::png;
use serde_json::Value;
use sora_batch::sim::{self, GenSeconds, LOST_ANSWER_MARK, RunningSim, SimSettings};

fn simulator() -> RunningSim {
    sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.5),
        seed: Some(21),
        ..SimSettings::default()
    })
    .expect("the simulator starts")
}

/// `input/story/storyboard.json` with `segments` segments (`<tag> shot N`) sharing the
/// image `input/story/frames/first.png`.
fn with_image(project: &Project, tag: &str, segments: u32) {
    let list: Vec<String> = (1..=segments)
        .map(|n| {
            format!(
                r#"{{"segment_index": {n}, "prompt_text": "{tag} shot {n}", "image_url": "frames/first.png"}}"#
            )
        })
        .collect();
    project.write(
        "input/story/storyboard.json",
        &format!(r#"{{"segments": [{}]}}"#, list.join(",")),
    );
    let image = image_path(project);
    std::fs::create_dir_all(image.parent().unwrap()).unwrap();
    std::fs::write(image, png(1280, 720)).unwrap();
}

const LINK: &str = "http://127.0.0.1:9/hosted/first.png";

/// `host.sh` in the project: appends one line per call to `host-calls.log` (its
/// arguments, and the key it can see), then prints some progress and the link. Run as
/// `sh host.sh`.
fn host_script(project: &Project) -> &'static str {
    project.write(
        "host.sh",
        "printf '%s|%s|key=%s\\n' \"$#\" \"$1\" \"${SORA_API_KEY:-none}\" >> host-calls.log\n\
         echo \"uploading $(basename \"$1\")…\"\n\
         echo \"http://127.0.0.1:9/hosted/$(basename \"$1\")\"\n",
    );
    "sh host.sh"
}

fn host_calls(project: &Project) -> Vec<String> {
    std::fs::read_to_string(project.path().join("host-calls.log"))
        .map(|log| log.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

fn image_path(project: &Project) -> PathBuf {
    project.path().join("input/story/frames/first.png")
}

#[test]
fn a_local_image_is_hosted_once_and_every_create_sends_its_link() {
    let sim = simulator();
    let project = Project::new();
    with_image(&project, "kite", 2);
    let command = host_script(&project);
    let (code, summary, err) = run(&project, &sim, &["--image-host-cmd", command]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(summary["done"], 4, "{summary}");
    assert_all_videos(&project, 4, None, &err);
    assert_billed_once_per_version(&sim, 2, 2, &err);
    let calls = host_calls(&project);
    let absolute = std::fs::canonicalize(image_path(&project)).unwrap();
    assert_eq!(
        calls.len(),
        1,
        "one upload for two segments sharing an image: {calls:?}"
    );
    let (count, path_and_key) = calls[0].split_once('|').unwrap();
    assert_eq!(count, "1", "the path is the only argument");
    let (path, key) = path_and_key.rsplit_once('|').unwrap();
    assert_eq!(
        std::fs::canonicalize(path).unwrap(),
        absolute,
        "an absolute path"
    );
    assert_eq!(key, "key=none", "the key never reaches the command");
    let stats = sim.stats();
    assert_eq!(
        stats.creates_by_image_url.get(LINK),
        Some(&4),
        "{:?}",
        stats.creates_by_image_url
    );
    assert_eq!(stats.creates, 4);
    let cache: Value = serde_json::from_slice(
        &std::fs::read(project.path().join("output/.sora-batch/hosted-images.json")).unwrap(),
    )
    .unwrap();
    let sha = common::batch::sha256_hex(&png(1280, 720));
    assert_eq!(cache["images"][&sha]["link"], LINK, "{cache}");
    assert!(!err.contains(sim::DEFAULT_KEY));
}

#[test]
fn a_rerun_or_a_forced_one_runs_the_host_command_no_more() {
    let sim = simulator();
    let project = Project::new();
    with_image(&project, "gull", 1);
    let command = host_script(&project);
    let args = ["--image-host-cmd", command, "--gen-count", "1"];
    let (code, _, err) = run(&project, &sim, &args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(host_calls(&project).len(), 1);

    let (code, again, err) = run(&project, &sim, &args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(again["skipped"], 1, "{again}");
    assert_eq!(
        host_calls(&project).len(),
        1,
        "nothing to submit, nothing hosted"
    );

    let (code, forced, err) = run(&project, &sim, &[&args[..], &["--force"]].concat());
    assert_eq!(code, 0, "{err}");
    assert_eq!(forced["done"], 1, "{forced}");
    assert_eq!(
        host_calls(&project).len(),
        1,
        "the link is known from the state folder"
    );
    assert_eq!(sim.stats().creates_by_image_url.get(LINK), Some(&2));
}

#[test]
fn a_failing_host_command_stops_the_run_before_any_create() {
    let sim = simulator();
    let project = Project::new();
    with_image(&project, "owl", 2);
    project.write(
        "fail.sh",
        "echo 'quota exceeded for bucket pics' >&2\nexit 4\n",
    );
    let (code, summary, err) = run(&project, &sim, &["--image-host-cmd", "sh fail.sh"]);
    assert_eq!(code, 2, "{err}\n{summary}");
    assert!(
        err.contains(r#""frames/first.png" (input/story/frames/first.png): the image host command (--image-host-cmd "sh fail.sh") failed (exit status: 4); it printed nothing on its standard output, and "quota exceeded for bucket pics" on its error output. Run it by hand on this file to see why; nothing was submitted"#),
        "{err}"
    );
    assert_eq!(sim.stats().creates, 0);
    let videos = walk(&output_dir(&project));
    assert!(
        !videos
            .iter()
            .any(|path| path.extension().is_some_and(|ext| ext == "mp4")),
        "{videos:?}"
    );
}

#[test]
fn a_host_command_that_cannot_be_found_or_prints_no_link_stops_the_run() {
    let sim = simulator();
    let project = Project::new();
    with_image(&project, "heron", 1);
    let (code, _, err) = run(
        &project,
        &sim,
        &[
            "--image-host-cmd",
            "sora-batch-test-no-such-uploader --public",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            r#"(--image-host-cmd "sora-batch-test-no-such-uploader --public") could not be started"#
        ),
        "{err}"
    );
    project.write("quiet.sh", "echo uploaded\n");
    let (code, _, err) = run(&project, &sim, &["--image-host-cmd", "sh quiet.sh"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(r#"printed no link: its last line, "uploaded" is not an http:// or https:// link; it printed "uploaded""#),
        "{err}"
    );
    assert_eq!(sim.stats().creates, 0);
}

#[test]
fn without_the_flag_an_image_on_disk_is_a_validation_problem_naming_it() {
    let sim = simulator();
    let project = Project::new();
    with_image(&project, "crane", 1);
    let (code, _, err) = run(&project, &sim, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(r#"segment 1: image_url: "frames/first.png" is a file on disk;"#)
            && err.contains("--image-host-cmd CMD"),
        "{err}"
    );
    assert_eq!(sim.stats().creates, 0);
}

#[test]
fn the_dry_run_runs_no_host_command() {
    let project = Project::new();
    with_image(&project, "tern", 1);
    let command = host_script(&project);
    let output = project
        .sora()
        .args(["--dry-run", "--image-host-cmd", command])
        .timeout(RUN_TIMEOUT)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("1 image to upload with --image-host-cmd"),
        "{stdout}"
    );
    assert!(host_calls(&project).is_empty());
}

#[test]
fn a_lost_create_of_a_hosted_image_is_found_again_by_its_link_and_paid_once() {
    let sim = simulator();
    let project = Project::new();
    with_image(&project, &format!("swift {LOST_ANSWER_MARK}"), 1);
    let command = host_script(&project);
    let (code, summary, err) = run(
        &project,
        &sim,
        &["--image-host-cmd", command, "--lost-create-wait", "200ms"],
    );
    assert_eq!(code, 0, "{err}\n{summary}");
    let stats = sim.stats();
    assert_eq!(stats.ambiguous, 1, "{stats:?}");
    assert_eq!(stats.creates_by_image_url.get(LINK), Some(&2), "{stats:?}");
    assert_billed_once_per_version(&sim, 1, 2, &err);
    assert_all_videos(&project, 2, None, &err);
}

#[test]
fn openai_sends_the_file_itself_and_runs_no_host_command() {
    let sim = simulator();
    let project = Project::new();
    with_image(&project, "lark", 1);
    let command = host_script(&project);
    let output = project
        .sora()
        .env("OPENAI_API_KEY", sim::DEFAULT_KEY)
        .args(["--provider", "openai", "--base-url", &sim.base_url()])
        .args(FAST)
        .args(["--gen-count", "1", "--image-host-cmd", command])
        .timeout(RUN_TIMEOUT)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(host_calls(&project).is_empty());
    let stats = sim.stats();
    assert_eq!(stats.reference_creates, 1, "{stats:?}");
    assert_eq!(stats.last_reference.unwrap().how, "file");
}
