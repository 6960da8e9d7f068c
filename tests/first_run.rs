//! What a new user meets first: the installed binary says which commit and build it is.

mod common;

use common::Project;

#[test]
fn version_names_the_commit_and_the_build_date() {
    let output = Project::new()
        .sora()
        .arg("--version")
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let version = String::from_utf8(output.stdout).unwrap();
    let (release, stamp) = version
        .trim()
        .strip_prefix("sora-batch ")
        .and_then(|rest| rest.split_once(' '))
        .unwrap_or_else(|| panic!("{version}"));
    assert_eq!(release, env!("CARGO_PKG_VERSION"));
    let stamp = stamp
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{version}"));
    let (commit, built) = stamp
        .split_once(", built ")
        .unwrap_or_else(|| panic!("{version}"));
    // Built from a git checkout (the tests always are): the commit is HEAD's.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("git runs");
    let head = String::from_utf8(head.stdout).unwrap();
    assert_eq!(commit, format!("commit {}", head.trim()), "{version}");
    let date: Vec<&str> = built.split('-').collect();
    assert!(
        date.len() == 3 && date[0].len() == 4 && date.iter().all(|p| p.parse::<u32>().is_ok()),
        "{version}"
    );
}

/// The offline demo on a project's storyboards (simulated timings, two takes of nothing:
/// one version per segment), with more flags.
fn demo(project: &Project, args: &[&str]) -> (i32, serde_json::Value, String) {
    let output = project
        .sora()
        .args(["--provider", "simulator", "--gen-count", "1", "--json"])
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("the binary runs");
    let summary = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code().unwrap_or(-1), summary, stderr)
}

/// A real dry run (no key: offline), as JSON.
fn real_dry_run(project: &Project) -> serde_json::Value {
    let output = project
        .sora()
        .args(["--dry-run", "--json", "--gen-count", "1"])
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn the_demo_keeps_its_videos_and_state_apart_and_says_its_money_is_simulated() {
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        &common::batch::storyboard("demo", 2),
    );
    let (code, summary, stderr) = demo(&project, &[]);
    assert_eq!(code, 0, "{stderr}\n{summary}");
    assert_eq!(summary["done"], 2, "{summary}");
    assert_eq!(summary["simulated"], true, "{summary}");
    assert!(
        stderr.contains("Billed by the simulator (simulated money: nothing was spent)"),
        "{stderr}"
    );
    let demo_dir = project.path().join("output-simulator");
    assert!(demo_dir.join("storyboard/Segment_1/1_v1.mp4").is_file());
    assert!(
        demo_dir
            .join(".sora-batch-simulator/journal.jsonl")
            .is_file()
    );
    assert!(
        !project.path().join("output").exists(),
        "real output untouched"
    );

    // A real run still has everything to do.
    let plan = real_dry_run(&project);
    assert_eq!(plan["jobs_new"], 2, "{plan}");
    assert_eq!(plan["jobs_done"], 0, "{plan}");
}

#[test]
fn demo_videos_in_the_real_output_folder_never_count_as_done_for_a_real_run() {
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        &common::batch::storyboard("mixed", 2),
    );
    let (code, summary, stderr) = demo(&project, &["--output-dir", "output"]);
    assert_eq!(code, 0, "{stderr}\n{summary}");
    let output = project.path().join("output");
    assert!(output.join("storyboard/Segment_1/1_v1.mp4").is_file());
    assert!(
        !output.join(".sora-batch").exists(),
        "the demo keeps its own journal"
    );
    let plan = real_dry_run(&project);
    assert_eq!(
        plan["jobs_done"], 0,
        "a demo video passed for a paid one: {plan}"
    );
    assert_eq!(plan["jobs_changed"], 2, "{plan}");
    // The demo itself sees its own videos as done.
    let (code, summary, stderr) = demo(&project, &["--output-dir", "output"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(summary["skipped"], 2, "{summary}");
}

#[test]
fn the_demo_never_reads_or_settles_a_real_runs_journal() {
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        &common::batch::storyboard("paid", 1),
    );
    // A real run was killed during a create: its task may exist at the real provider.
    let key = common::planted::job_key(&project, "storyboard.json", 1, 1);
    common::planted::plant_lost_create(
        &project,
        &key,
        "paid shot 1",
        common::planted::now_ms(),
        Some(0),
    );
    let journal = project.path().join("output/.sora-batch/journal.jsonl");
    let before = std::fs::read(&journal).unwrap();

    let (code, summary, stderr) = demo(&project, &["--output-dir", "output"]);
    assert_eq!(code, 0, "{stderr}\n{summary}");
    assert_eq!(summary["done"], 1, "{summary}");
    assert_eq!(
        std::fs::read(&journal).unwrap(),
        before,
        "the real run's lost create must wait for the real provider"
    );
}

#[test]
fn a_quiet_run_says_nothing_on_success_and_each_failure_once() {
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        &common::batch::storyboard("cron", 2),
    );
    let quiet = |project: &Project| {
        let output = project
            .sora()
            .args(["--provider", "simulator", "--gen-count", "1", "--quiet"])
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .expect("the binary runs");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.code(), said)
    };
    let (code, said) = quiet(&project);
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(said, "", "a quiet success prints nothing");

    let storyboard = r#"{"segments": [{"segment_index": 1, "prompt_text": "FORBIDDEN shot"}]}"#;
    project.write("input/storyboard_bad.json", storyboard);
    let (code, said) = quiet(&project);
    assert_eq!(code, Some(1), "{said}");
    assert_eq!(
        said.matches("content policy violation").count(),
        1,
        "each failure once:\n{said}"
    );
    assert!(said.contains("1 failed"), "the summary is there:\n{said}");
}

#[test]
fn storyboards_skipped_as_invalid_are_in_the_summary_the_report_and_the_exit_code() {
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        &common::batch::storyboard("good", 1),
    );
    project.write(
        "input/storyboard_bad.json",
        r#"{"segments": [{"segment_index": 1}, {"segment_index": 2, "prompt_text": "x", "duration_seconds": 7}]}"#,
    );
    let output = project
        .sora()
        .args(["--provider", "simulator", "--gen-count", "1", "--quiet"])
        .args(["--skip-invalid", "--report", "report.json"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("1 invalid storyboard skipped (--skip-invalid)")
            && stdout.contains("segment 1: prompt_text: missing")
            && stdout.contains("(and 1 more problem)"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(project.path().join("report.json")).unwrap())
            .unwrap();
    let skipped = &report["skipped_storyboards"];
    assert_eq!(skipped[0]["path"], "input/storyboard_bad.json", "{report}");
    assert_eq!(
        skipped[0]["problems"].as_array().unwrap().len(),
        2,
        "{report}"
    );
    assert_eq!(
        report["done"], 1,
        "the valid storyboard still ran: {report}"
    );
}

/// The launcher, run from a user's own folder: it prices that folder's storyboards, not
/// the repository's demo. (A stand-in `cargo` keeps the test from a release build: the
/// launcher's own logic is what is tested.)
#[cfg(unix)]
#[test]
fn the_mac_launcher_runs_in_the_users_folder_not_the_repositorys() {
    use std::os::unix::fs::PermissionsExt;
    let repo = tempfile::tempdir().unwrap();
    let launcher = repo.path().join("start_mac.sh");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("start_mac.sh"),
        &launcher,
    )
    .unwrap();
    std::fs::create_dir_all(repo.path().join("target/release")).unwrap();
    std::fs::copy(
        assert_cmd::cargo::cargo_bin!("sora-batch"),
        repo.path().join("target/release/sora-batch"),
    )
    .unwrap();
    // The repository's own input/ holds a storyboard the user did not write.
    std::fs::create_dir_all(repo.path().join("input")).unwrap();
    std::fs::write(
        repo.path().join("input/storyboard_demo.json"),
        common::batch::storyboard("the repository's demo", 5),
    )
    .unwrap();
    let tools = tempfile::tempdir().unwrap();
    let cargo = tools.path().join("cargo");
    std::fs::write(&cargo, "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();

    let project = Project::new();
    project.write(
        "input/storyboard_mine.json",
        &common::batch::storyboard("mine", 2),
    );
    let path = format!(
        "{}:{}",
        tools.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = project
        .process(&launcher)
        .args(["--dry-run", "--json", "--gen-count", "1"])
        .env("PATH", path)
        .output()
        .expect("the launcher runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(plan["jobs_total"], 2, "{plan}");
    assert_eq!(
        plan["storyboards"][0]["path"], "input/storyboard_mine.json",
        "{plan}"
    );
}

#[test]
fn colour_follows_color_and_clicolor_force_like_cargo() {
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        &common::batch::storyboard("hues", 1),
    );
    let stderr = |command: &mut assert_cmd::Command| {
        let output = command.output().expect("the binary runs");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let plain = stderr(project.sora().env_remove("NO_COLOR"));
    assert!(
        plain.starts_with("error: "),
        "stderr is no terminal: {plain:?}"
    );
    let forced = stderr(
        project
            .sora()
            .env_remove("NO_COLOR")
            .env("CLICOLOR_FORCE", "1"),
    );
    assert!(
        forced.starts_with("\u{1b}[1m\u{1b}[31merror: "),
        "{forced:?}"
    );
    let always = stderr(project.sora().args(["--color", "always"]));
    assert!(always.starts_with("\u{1b}["), "{always:?}");
    let never = stderr(
        project
            .sora()
            .env("CLICOLOR_FORCE", "1")
            .args(["--color", "never"]),
    );
    assert!(never.starts_with("error: "), "{never:?}");
}

#[test]
fn a_positional_folder_is_the_input_folder_and_completions_and_man_page_print() {
    let project = Project::new();
    project.write(
        "episodes/storyboard.json",
        &common::batch::storyboard("pos", 2),
    );
    let output = project
        .sora()
        .args(["episodes", "--dry-run", "--json", "--gen-count", "1"])
        .output()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(plan["jobs_total"], 2, "{plan}");
    for (kind, expect) in [
        ("man", ".TH sora-batch"),
        ("complete-bash", "_sora__batch()"),
    ] {
        let output = project.sora().args(["--generate", kind]).output().unwrap();
        assert!(output.status.success());
        assert!(
            String::from_utf8_lossy(&output.stdout).contains(expect),
            "{kind}"
        );
    }
    assert!(
        !project.path().join("output").exists(),
        "--generate writes no log"
    );
}
