//! The real binary on careless or hostile input around the storyboards: things that are
//! not storyboard files, a state folder that is a file, a broken `.env`, a damaged journal
//! under a dry run, and where the log goes.

mod common;

use std::time::Duration;

use common::{Project, stderr_of};

const STORY: &str = r#"{"segments": [{"segment_index": 1, "prompt_text": "a lake"}]}"#;

#[cfg(unix)]
#[test]
fn a_fifo_and_a_dangling_link_named_like_storyboards_are_warned_about_and_skipped() {
    let project = Project::new();
    project.write("input/storyboard_a.json", STORY);
    let fifo = project.path().join("input/storyboard_fifo.json");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink(
        "nowhere.json",
        project.path().join("input/storyboard_gone.json"),
    )
    .unwrap();
    let assert = project
        .sora()
        .arg("--dry-run")
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    let err = stderr_of(&assert);
    assert!(
        err.contains("storyboard_fifo.json: it is a FIFO (named pipe), not a storyboard file"),
        "{err}"
    );
    assert!(
        err.contains("storyboard_gone.json: a symbolic link to nowhere.json, which does not exist"),
        "{err}"
    );
    assert!(!err.contains("cannot read this folder"), "{err}");
    let chinese = project
        .sora()
        .env("LANG", "zh_CN.UTF-8")
        .arg("--dry-run")
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    let err = stderr_of(&chinese);
    assert!(
        err.contains("storyboard_fifo.json：它是一个 FIFO（命名管道），不是分镜脚本文件"),
        "{err}"
    );
    assert!(
        err.contains("storyboard_gone.json：它是指向 nowhere.json 的符号链接，而目标不存在"),
        "{err}"
    );
}

#[test]
fn a_state_dir_that_is_a_file_is_named_as_a_file_with_the_fix() {
    let project = Project::new();
    project.write("input/storyboard.json", STORY);
    project.write("afile", "not a folder");
    let assert = project
        .sora()
        .args(["--provider", "simulator", "--state-dir", "afile"])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(2);
    let err = stderr_of(&assert);
    assert!(
        err.contains(
            "afile is a file, not a folder; point --state-dir (SORA_STATE_DIR) at a folder"
        ),
        "{err}"
    );
    assert!(!err.contains("File exists"), "{err}");
}

#[test]
fn a_dry_run_with_a_state_dir_that_is_a_file_says_it_is_a_file() {
    let project = Project::new();
    project.write("input/storyboard.json", STORY);
    project.write("afile", "not a folder");
    let assert = project
        .sora()
        .args(["--dry-run", "--state-dir", "afile"])
        .assert()
        .code(2);
    let out = common::stdout_of(assert);
    assert!(out.contains("ESTIMATE NOT TRUSTWORTHY"), "{out}");
    assert!(
        out.contains(
            "afile is a file, not a folder; point --state-dir (SORA_STATE_DIR) at a folder"
        ),
        "{out}"
    );
    // Before: "cannot read the journal afile/journal.jsonl: Not a directory (os error 20);
    // check that the disk is not full".
    assert!(!out.contains("disk is not full"), "{out}");
}

#[test]
fn a_dry_run_with_a_damaged_journal_says_the_estimate_cannot_be_trusted_and_exits_2() {
    let project = Project::new();
    project.write("input/storyboard.json", STORY);
    // Damaged, not torn: a line after it shows the run went on writing.
    project.write(
        "output/.sora-batch/journal.jsonl",
        "{\"this is\": not a journal line\n{}\n",
    );
    let assert = project.sora().arg("--dry-run").assert().code(2);
    let out = common::stdout_of(assert);
    assert!(
        out.contains(
            "ESTIMATE NOT TRUSTWORTHY: the journal cannot be read, so jobs an earlier run already \
             paid for and left at the provider are counted and priced as new here"
        ),
        "{out}"
    );
    assert!(
        out.contains("journal.jsonl: line 1: cannot read this entry"),
        "{out}"
    );
    let assert = project
        .sora()
        .args(["--dry-run", "--json"])
        .assert()
        .code(2);
    let plan: serde_json::Value = serde_json::from_str(&common::stdout_of(assert)).unwrap();
    let reason = plan["estimate_untrusted"].as_str().unwrap_or_default();
    assert!(reason.starts_with("the journal cannot be read"), "{plan:#}");
}

#[test]
fn in_place_mode_logs_next_to_its_state_folder_not_in_output() {
    let project = Project::new();
    project.write("input/ep1/storyboard.json", STORY);
    // No key: the run stops before submitting, after its log is open.
    let assert = project
        .sora()
        .args(["--output-mode", "in_place"])
        .assert()
        .code(2);
    let err = stderr_of(&assert);
    assert!(err.contains("SORA_API_KEY is not set"), "{err}");
    let log = std::fs::read_to_string(project.path().join("input/sora-batch.log"))
        .expect("the log is beside input/.sora-batch");
    assert!(log.contains("SORA_API_KEY is not set"), "{log}");
    assert!(
        !project.path().join("output").exists(),
        "an in_place run leaves --output-dir alone"
    );
}
