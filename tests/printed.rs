//! What a person sees: a file name or provider message holding terminal escape codes or
//! line breaks reaches stdout and stderr escaped (it cannot clear the screen or print a
//! fake `error:` line), and counts are printed with the right plural.

mod common;

use std::time::Duration;

use common::Project;
use common::batch::FAST;
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

/// What a hostile folder name holds: a clear-screen sequence and a fake error line.
const HOSTILE: &str = "ep\x1b[2J\nerror: fake";

fn simulator(settings: SimSettings) -> RunningSim {
    sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.5),
        seed: Some(5),
        ..settings
    })
    .expect("the simulator starts")
}

/// Runs the binary to its end: exit code, stdout, stderr.
fn run(project: &Project, sim: &RunningSim, args: &[&str]) -> (i32, String, String) {
    let output = project
        .sora()
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// No raw escape or other control character, and no line that an injected line break
/// started.
fn assert_terminal_safe(text: &str, what: &str) {
    let raw = text
        .chars()
        .find(|&c| c.is_control() && c != '\n' && c != '\t');
    assert!(raw.is_none(), "{what}: a raw {raw:?} in\n{text}");
    assert!(
        !text
            .lines()
            .any(|line| line.trim_start().starts_with("error: fake")),
        "{what}: an injected line in\n{text}"
    );
}

#[test]
fn file_names_and_provider_messages_with_escape_codes_reach_the_terminal_escaped() {
    let sim = simulator(SimSettings {
        echo_key: true,
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write(
        &format!("input/{HOSTILE}/storyboard.json"),
        r#"{"segments": [
            {"segment_index": 1, "prompt_text": "a FORBIDDEN shot"},
            {"segment_index": 2, "prompt_text": "a quiet harbour"}
        ]}"#,
    );
    project.write(&format!("input/{HOSTILE}2/storyboard.json"), "{not json");
    let text = ["--gen-count", "1", "--skip-invalid"];
    let (_, stdout, stderr) = run(&project, &sim, &[&text[..], &["--dry-run"]].concat());
    assert!(stdout.contains("ep\\u{1b}[2J error: fake"), "{stdout}");
    assert_terminal_safe(&stdout, "dry run stdout");
    assert_terminal_safe(&stderr, "dry run stderr");
    let fast_text: Vec<&str> = FAST
        .iter()
        .copied()
        .filter(|&arg| arg != "--json")
        .collect();
    let (code, stdout, stderr) = run(&project, &sim, &[&fast_text[..], &text[..]].concat());
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("failed: ep\\u{1b}[2J error: fake"),
        "{stdout}"
    );
    assert_terminal_safe(&stdout, "stdout");
    assert_terminal_safe(&stderr, "stderr");
    let log = std::fs::read_to_string(project.path().join("output/sora-batch.log")).unwrap();
    assert_terminal_safe(&log, "log file");
}
