//! What stops a real run before it spends money it should not: another run writing to the
//! same output folders, a state folder removed while a run submits, storyboards that would
//! share an output folder, and folders (or a `--report` path) that could not take what the
//! run produces. The simulator's counters prove what was billed.

mod common;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::batch::{
    FAST, assert_all_videos, assert_billed_once_per_version, log_tail, run, spawn_captured,
    storyboard,
};
use common::{Project, stderr_of};
use serde_json::Value;
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

fn simulator(settings: SimSettings) -> RunningSim {
    sim::start_on_thread(SimSettings {
        seed: Some(5),
        ..settings
    })
    .expect("the simulator starts")
}

/// Waits until `ready` holds, failing the test if the run ends first or a minute passes.
fn wait_for(child: &mut Child, project: &Project, moment: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the run ended ({status}) before {moment}\n{}",
                log_tail(project)
            );
        }
        assert!(Instant::now() < deadline, "waited a minute for {moment}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Exit code, the `--json` summary and stderr of a background run, once it has ended.
fn finish(child: Child) -> (i32, Value, String) {
    let output = child.wait_with_output().expect("the run ends");
    let summary = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    (output.status.code().unwrap_or(-1), summary, stderr)
}

#[test]
fn two_runs_with_their_own_state_folders_on_nested_inputs_never_pay_twice_for_a_video() {
    // Slow enough that the second run starts (on a busy machine) while the first works.
    let sim = simulator(SimSettings {
        gen_seconds: GenSeconds(4.0, 5.0),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("in/ep1/storyboard_a.json", &storyboard("nested", 3));
    project.write("in/storyboard_top.json", &storyboard("top", 1));
    let in_place = ["--output-mode", "in_place"];
    let mut whole = spawn_captured(
        &project,
        &sim,
        &[&in_place[..], &["--input-dir", "in"]].concat(),
    );
    wait_for(&mut whole, &project, "the first create", || {
        sim.stats().creates > 0
    });

    // A cron entry for one episode, with its own state folder (in/ep1/.sora-batch).
    let episode = [&in_place[..], &["--input-dir", "in/ep1"]].concat();
    let (code, _, err) = run(&project, &sim, &episode);
    assert_eq!(code, 75, "{err}");
    let state = project.path().join("in/.sora-batch");
    assert!(
        err.contains(&format!(
            "another sora-batch run (pid {}, started ",
            whole.id()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "with the state folder {} is writing to in/ep1/storyboard_a_assets; wait for it to finish",
            state.display()
        )),
        "{err}"
    );

    let (code, summary, err) = finish(whole);
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["done"], 8, "{summary}");
    // Once the first run is over, the episode's run finds its videos done.
    let (code, again, err) = run(&project, &sim, &episode);
    assert_eq!(code, 0, "{err}");
    assert_eq!(again["skipped"], 6, "{again}");
    assert_billed_once_per_version(&sim, 4, 2, "two runs on nested input folders");
}

#[test]
fn a_state_folder_removed_while_submitting_stops_the_run_and_nothing_is_paid_twice() {
    let sim = simulator(SimSettings {
        gen_seconds: GenSeconds(0.5, 1.0),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("vanish", 20));
    let slow = [
        "--gen-count",
        "1",
        "--max-workers",
        "2",
        "--min-workers",
        "1",
    ];
    let mut child = spawn_captured(&project, &sim, &slow);
    wait_for(&mut child, &project, "three creates", || {
        sim.stats().creates >= 3
    });
    std::fs::remove_dir_all(project.path().join("output/.sora-batch")).unwrap();
    let (code, summary, err) = finish(child);
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains(
            "was deleted or replaced while this run was using it (was the state folder removed?)"
        ),
        "{err}"
    );
    assert!(
        summary["stopped_because"]
            .as_str()
            .is_some_and(|why| why.contains("deleted or replaced")),
        "{summary}"
    );
    let creates = sim.stats().creates;
    assert!(creates < 20, "it went on submitting: {creates} creates");
    // What it had paid for it followed to the videos, so the rerun, which has a new
    // journal knowing nothing of them, finds them done instead of paying again.
    assert_eq!(summary["left_in_flight"], 0, "{summary}");

    let (code, rerun, err) = run(&project, &sim, &slow);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        rerun["skipped"].as_u64(),
        summary["done"].as_u64(),
        "{rerun}"
    );
    assert_all_videos(
        &project,
        20,
        None,
        "after a state folder was removed mid-run",
    );
    assert_billed_once_per_version(&sim, 20, 1, "after a state folder was removed mid-run");
}

/// Whether the file system under `dir` tells names apart by case (macOS and Windows
/// usually do not, and then two such storyboards cannot both exist).
fn case_sensitive(dir: &Path) -> bool {
    std::fs::write(dir.join("case_probe"), "").unwrap();
    let sensitive = !dir.join("CASE_PROBE").exists();
    std::fs::remove_file(dir.join("case_probe")).unwrap();
    sensitive
}

#[test]
fn storyboards_that_would_share_an_output_folder_exit_2_naming_both_and_bill_nothing() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    if !case_sensitive(&project.path().join("input")) {
        eprintln!("skipped: this file system cannot hold storyboard_a.json and storyboard_a.JSON");
        return;
    }
    project.write("input/storyboard_a.json", &storyboard("lower", 1));
    project.write("input/storyboard_a.JSON", &storyboard("upper", 1));
    project.write("input/storyboard_b.json", &storyboard("fine", 1));
    let (code, _, err) = run(&project, &sim, &[]);
    assert_eq!(code, 2, "{err}");
    for (file, other) in [
        ("storyboard_a.json", "storyboard_a.JSON"),
        ("storyboard_a.JSON", "storyboard_a.json"),
    ] {
        let line = format!(
            "error: input/{file}: writes to the same folder as input/{other} (output/storyboard_a); rename one of them"
        );
        assert!(err.contains(&line), "{line}\n{err}");
    }
    assert!(err.contains("2 of 3 storyboards are invalid"), "{err}");
    assert_eq!(sim.stats().creates, 0);

    // The dry run shows the same problems.
    let assert = project.sora().args(["--dry-run"]).assert().code(2);
    assert!(
        stderr_of(&assert).contains(
            "input/storyboard_a.JSON: writes to the same folder as input/storyboard_a.json"
        ),
        "{}",
        stderr_of(&assert)
    );

    // With --skip-invalid, only the third storyboard runs; the two it skipped make the
    // run exit 1 (not everything asked for was done).
    let (code, summary, err) = run(&project, &sim, &["--skip-invalid"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        summary["skipped_storyboards"].as_array().unwrap().len(),
        2,
        "{summary}"
    );
    assert_eq!(summary["done"], 2, "{summary}");
    assert_billed_once_per_version(&sim, 1, 2, "only storyboard_b");
}

/// Makes `dir` read-only; false when permissions do not bind (running as root, as CI
/// does), found by trying to write in it.
#[cfg(unix)]
fn read_only(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = dir.join("probe");
    match std::fs::write(&probe, "") {
        Ok(()) => {
            std::fs::remove_file(&probe).unwrap();
            false
        }
        Err(_) => true,
    }
}

#[cfg(unix)]
#[test]
fn a_read_only_output_folder_is_refused_before_anything_is_billed() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("locked", 2));
    let output = project.path().join("output");
    if !read_only(&output) {
        eprintln!(
            "skipped: permissions do not bind for this user (root?), so no folder is read-only"
        );
        return;
    }
    let elsewhere = ["--state-dir", "state", "--log-file", "run.log"];
    let (code, _, err) = run(&project, &sim, &elsewhere);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot write to output (") && err.contains("nothing was submitted"),
        "{err}"
    );
    assert_eq!(sim.stats().creates, 0);
}

/// The same refusal where even root cannot write: a file stands where a storyboard's
/// output folder must go.
#[test]
fn a_file_in_the_way_of_an_output_folder_is_refused_before_anything_is_billed() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("blocked", 2));
    project.write("output/storyboard", "not a folder");
    let (code, _, err) = run(&project, &sim, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot write to output/storyboard (")
            && err.contains("where videos of this batch go"),
        "{err}"
    );
    assert_eq!(sim.stats().creates, 0);
}

#[test]
fn a_report_path_that_is_a_folder_is_refused_before_anything_is_billed() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("report", 1));
    std::fs::create_dir_all(project.path().join("reports")).unwrap();
    let (code, _, err) = run(&project, &sim, &["--report", "reports"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "--report reports is a folder; name a file in it instead (e.g. reports/last-run.json)"
        ),
        "{err}"
    );
    assert_eq!(sim.stats().creates, 0);
}

/// Runs the binary under a shell that first sets an open-file limit (`ulimit` flags).
#[cfg(unix)]
fn run_with_file_limit(
    project: &Project,
    sim: &RunningSim,
    ulimit: &str,
    args: &[&str],
) -> (i32, String) {
    let output = project
        .process("sh")
        .arg("-c")
        .arg(format!("ulimit {ulimit} && exec \"$0\" \"$@\""))
        .arg(assert_cmd::cargo::cargo_bin!("sora-batch"))
        .args(FAST)
        .args(args)
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .stdin(Stdio::null())
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    (output.status.code().unwrap_or(-1), stderr)
}

#[cfg(unix)]
fn many_storyboards(project: &Project, count: usize) {
    for n in 0..count {
        project.write(
            &format!("input/storyboard_{n:03}.json"),
            &storyboard(&format!("board {n}"), 1),
        );
    }
}

/// Each output folder's lock keeps a file open: a run raises its soft limit (macOS's is
/// 256) instead of failing.
#[cfg(unix)]
#[test]
fn more_storyboards_than_the_soft_open_file_limit_still_run() {
    let sim = simulator(SimSettings {
        gen_seconds: GenSeconds(0.05, 0.1),
        ..SimSettings::default()
    });
    let project = Project::new();
    many_storyboards(&project, 80);
    let (code, err) = run_with_file_limit(&project, &sim, "-Sn 48", &["--gen-count", "1"]);
    assert_eq!(code, 0, "{err}\n{}", log_tail(&project));
    assert_billed_once_per_version(&sim, 80, 1, "under a soft limit of 48 open files");
}

/// Where the hard limit is too low, the run says so and what to do, before any create.
#[cfg(unix)]
#[test]
fn too_few_open_files_for_the_output_locks_is_a_clear_error_before_anything_is_billed() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    many_storyboards(&project, 80);
    let (code, err) = run_with_file_limit(&project, &sim, "-n 48", &["--gen-count", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot lock 80 output folders at once: this system allows only 48 open files per process; raise the limit"),
        "{err}"
    );
    assert_eq!(sim.stats().creates, 0);
}
