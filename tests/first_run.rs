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
