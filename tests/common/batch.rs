//! What the end-to-end tests of real runs share: the engine's fast flags, storyboards
//! with distinct prompts, running the binary against a simulator (to its end, or in the
//! background to kill it), and the checks that every video is on disk, verified, the
//! task's own, and billed once per version.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};
use sora_batch::sim::{self, RunningSim};

use super::Project;

/// Flags that scale the engine's timings down to the simulator's .
pub const FAST: &[&str] = &[
    "--poll-delay",
    "100ms",
    "--poll-interval",
    "50ms",
    "--breaker-cooldown",
    "300ms",
    "--recovery-step",
    "100ms",
    "--request-timeout",
    "1s",
    "--json",
];

/// [`FAST`] without `--json`: the human summary goes to stdout, as a person sees it.
pub fn fast_for_people() -> impl Iterator<Item = &'static str> {
    FAST.iter().copied().filter(|arg| *arg != "--json")
}

/// Generous: the machine running the tests may be slow and busy.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// A storyboard of `segments` segments with distinct prompts (`<tag> shot N`): the
/// simulator counts creates per prompt, so each prompt's count is its versions' bill.
pub fn storyboard(tag: &str, segments: u32) -> String {
    let list: Vec<String> = (1..=segments)
        .map(|n| format!(r#"{{"segment_index": {n}, "prompt_text": "{tag} shot {n}"}}"#))
        .collect();
    format!(r#"{{"segments": [{}]}}"#, list.join(","))
}

/// A storyboard of one version of each of `prompts`, numbered from 1.
pub fn one_version_each(prompts: &[&str]) -> String {
    let list: Vec<String> = prompts
        .iter()
        .zip(1..)
        .map(|(prompt, n)| {
            let prompt = serde_json::to_string(prompt).expect("text serializes");
            format!(r#"{{"segment_index": {n}, "prompt_text": {prompt}}}"#)
        })
        .collect();
    format!(
        r#"{{"defaults": {{"gen_count": 1}}, "segments": [{}]}}"#,
        list.join(",")
    )
}

/// The messages of a `--json` summary's unresolved jobs.
pub fn unresolved_messages(summary: &Value) -> Vec<String> {
    let listed = summary["unresolved"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    listed
        .iter()
        .map(|job| job["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Runs the binary to its end: exit code, the `--json` summary, stderr.
pub fn run(project: &Project, sim: &RunningSim, args: &[&str]) -> (i32, Value, String) {
    run_with_key(project, sim, sim::DEFAULT_KEY, args)
}

/// [`run`] with another API key (the simulator's `api_keys` must hold it).
pub fn run_with_key(
    project: &Project,
    sim: &RunningSim,
    key: &str,
    args: &[&str],
) -> (i32, Value, String) {
    run_with_keys_in(project, sim, ("SORA_API_KEY", key), args)
}

/// [`run`] with several keys: `keys` is the JSON list `SORA_API_KEYS` holds.
pub fn run_with_keys(
    project: &Project,
    sim: &RunningSim,
    keys: &str,
    args: &[&str],
) -> (i32, Value, String) {
    run_with_keys_in(project, sim, ("SORA_API_KEYS", keys), args)
}

/// [`run`] with the key variable `variable` set to its value.
fn run_with_keys_in(
    project: &Project,
    sim: &RunningSim,
    variable: (&str, &str),
    args: &[&str],
) -> (i32, Value, String) {
    let mut command = project.sora();
    command
        .env(variable.0, variable.1)
        .env("SORA_BASE_URL", sim.base_url())
        .args(FAST)
        .args(args)
        .timeout(RUN_TIMEOUT);
    to_the_end(command)
}

/// Runs `command` to its end: exit code, the `--json` summary (null without one), stderr.
pub fn to_the_end(mut command: assert_cmd::Command) -> (i32, Value, String) {
    let output = command.output().expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let summary = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (output.status.code().unwrap_or(-1), summary, stderr)
}

pub fn output_dir(project: &Project) -> PathBuf {
    project.path().join("output")
}

/// Every file under `dir`, with its full path, sorted.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .flat_map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect();
    found.sort();
    found
}

/// Partial files (`*.tmp`) anywhere under output/, the state folder included, and the
/// records beside partial videos (`*.mp4.origin.tmp`).
pub fn tmp_files(project: &Project) -> Vec<PathBuf> {
    walk(&output_dir(project))
        .into_iter()
        .filter(|path| path.to_string_lossy().ends_with(".tmp"))
        .collect()
}

/// Partial videos only (`*.mp4.tmp`), without their records.
pub fn partial_videos(project: &Project) -> Vec<PathBuf> {
    tmp_files(project)
        .into_iter()
        .filter(|path| path.to_string_lossy().ends_with(".mp4.tmp"))
        .collect()
}

/// The end of the runs' shared log file, for failure messages.
pub fn log_tail(project: &Project) -> String {
    let log = std::fs::read_to_string(output_dir(project).join("sora-batch.log"))
        .unwrap_or_else(|err| format!("(no log: {err})"));
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Asserts that exactly `expected` videos are on disk, each an MP4 of `size` bytes (when
/// given) whose sidecar records its size and SHA-256, and that nothing partial is left.
pub fn assert_all_videos(project: &Project, expected: usize, size: Option<u64>, note: &str) {
    let output = output_dir(project);
    let leftovers = tmp_files(project);
    assert!(
        leftovers.is_empty(),
        "partial files left: {leftovers:?}; {note}"
    );
    // Old versions set aside are kept, not counted.
    let videos: Vec<PathBuf> = walk(&output)
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "mp4"))
        .filter(|path| !path.to_string_lossy().contains(".superseded-"))
        .collect();
    assert_eq!(
        videos.len(),
        expected,
        "{videos:?}; {note}\n{}",
        log_tail(project)
    );
    for video in videos {
        let bytes = std::fs::read(&video).unwrap();
        assert_eq!(&bytes[4..8], b"ftyp", "{video:?} is not an MP4; {note}");
        if let Some(size) = size {
            assert_eq!(bytes.len() as u64, size, "{video:?}; {note}");
        }
        let sidecar_path = video.with_extension("json");
        let sidecar: Value = serde_json::from_slice(
            &std::fs::read(&sidecar_path)
                .unwrap_or_else(|err| panic!("{sidecar_path:?}: {err}; {note}")),
        )
        .unwrap();
        assert_eq!(sidecar["bytes"], bytes.len() as u64, "{video:?}; {note}");
        assert_eq!(
            sidecar["sha256"].as_str(),
            Some(sha256_hex(&bytes).as_str()),
            "{video:?}: the sidecar's SHA-256 does not match the file; {note}"
        );
        assert!(sidecar["task_id"].as_str().is_some(), "{sidecar}");
        let fingerprint = sidecar["fingerprint"].as_str().unwrap_or_default();
        assert_eq!(
            fingerprint.len(),
            64,
            "{video:?}: no request fingerprint; {note}"
        );
    }
}

/// Asserts that each of the `prompts` prompts was billed exactly `versions` times: once
/// per version, whatever happened to the runs.
pub fn assert_billed_once_per_version(sim: &RunningSim, prompts: usize, versions: u64, note: &str) {
    let billed = sim.stats().creates_by_prompt;
    assert_eq!(billed.len(), prompts, "{billed:?}; {note}");
    for (prompt, count) in &billed {
        assert_eq!(
            *count, versions,
            "\"{prompt}\" was billed {count} times, not {versions}; {note}"
        );
    }
}

/// Asserts that every video under output/ is byte for byte the one the simulator serves
/// for the task its sidecar names (`video_bytes`: the simulator's `--video-bytes`): no
/// video is another task's, or spliced from two.
pub fn assert_videos_as_served(project: &Project, video_bytes: Option<u64>, note: &str) {
    let videos = walk(&output_dir(project))
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "mp4"));
    for video in videos {
        let sidecar: Value =
            serde_json::from_slice(&std::fs::read(video.with_extension("json")).unwrap()).unwrap();
        let task = sidecar["task_id"].as_str().unwrap_or_default();
        let served = sim::Video::new(task, video_bytes).bytes();
        assert!(
            std::fs::read(&video).unwrap() == served,
            "{video:?} is not the video of task {task}; {note}"
        );
    }
}

/// The binary, started in the background with its output discarded (its log file under
/// output/ keeps what it said).
#[cfg(unix)]
pub fn spawn(project: &Project, sim: &RunningSim, args: &[&str]) -> std::process::Child {
    spawn_with_output(project, sim, args, std::process::Stdio::null)
}

/// [`spawn`], with stdout and stderr kept for `wait_with_output`.
pub fn spawn_captured(project: &Project, sim: &RunningSim, args: &[&str]) -> std::process::Child {
    spawn_with_output(project, sim, args, std::process::Stdio::piped)
}

fn spawn_with_output(
    project: &Project,
    sim: &RunningSim,
    args: &[&str],
    output: fn() -> std::process::Stdio,
) -> std::process::Child {
    project
        .sora_process()
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .args(FAST)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(output())
        .stderr(output())
        .spawn()
        .expect("the binary starts")
}

/// Waits until `ready` holds, then kills the run with SIGKILL (what `Child::kill` sends on
/// Unix): no signal handler, no cleanup, like a crash or a power cut of the process.
#[cfg(unix)]
pub fn kill_when(
    mut child: std::process::Child,
    project: &Project,
    moment: &str,
    ready: impl Fn() -> bool,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !ready() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the run ended ({status}) before {moment}\n{}",
                log_tail(project)
            );
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("waited a minute for {moment}\n{}", log_tail(project));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL is sent");
    let status = child.wait().unwrap();
    assert!(status.code().is_none(), "killed by a signal: {status}");
}
