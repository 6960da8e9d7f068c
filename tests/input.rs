//! The real binary on careless or hostile input around the storyboards: things that are
//! not storyboard files, a state folder that is a file, a broken `.env`, a damaged journal
//! under a dry run, and where the log goes.

mod common;

use std::time::Duration;

use assert_cmd::prelude::*;
use common::{Project, stderr_of};

const STORY: &str = r#"{"segments": [{"segment_index": 1, "prompt_text": "a lake"}]}"#;

#[cfg(unix)]
#[test]
fn a_fifo_and_a_dangling_link_named_like_storyboards_are_warned_about_and_skipped() {
    let project = Project::new();
    project.write("input/storyboard_a.json", STORY);
    let fifo = project.path().join("input/storyboard_fifo.json");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    std::os::unix::fs::symlink("nowhere.json", project.path().join("input/storyboard_gone.json"))
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
}
