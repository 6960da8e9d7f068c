//! What a person sees: a file name or provider message holding terminal escape codes or
//! line breaks reaches stdout and stderr escaped (it cannot clear the screen or print a
//! fake `error:` line), and counts are printed with the right plural.

mod common;

use std::time::Duration;

use common::Project;
use common::batch::{FAST, storyboard};
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

/// What a hostile folder name holds: a clear-screen sequence and a fake error line.
const HOSTILE: &str = "ep\x1b[2J\nerror: fake";

fn simulator(settings: SimSettings) -> RunningSim {
    sim::start_on_thread(settings).expect("the simulator starts")
}

/// Short generation times and repeatable randomness.
fn quick() -> SimSettings {
    SimSettings {
        gen_seconds: GenSeconds(0.2, 0.5),
        seed: Some(5),
        ..SimSettings::default()
    }
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
        ..quick()
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
    // One of something, in the singular (before: "  1 failed at the provider").
    assert!(
        stdout.contains("  1 job: failed at the provider\n"),
        "{stdout}"
    );
    assert_terminal_safe(&stdout, "stdout");
    assert_terminal_safe(&stderr, "stderr");
    let log = std::fs::read_to_string(project.path().join("output/sora-batch.log")).unwrap();
    assert_terminal_safe(&log, "log file");
}

#[cfg(unix)]
#[test]
fn one_job_of_an_earlier_run_still_at_the_provider_is_spoken_of_in_the_singular() {
    let sim = simulator(SimSettings {
        gen_seconds: GenSeconds(3.0, 3.0),
        ..quick()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("lighthouse", 1));
    let one = ["--gen-count", "1"];
    let journal = project.path().join("output/.sora-batch/journal.jsonl");
    let child = common::batch::spawn(&project, &sim, &one);
    common::batch::kill_when(child, &project, "the task is in the journal", || {
        std::fs::read_to_string(&journal).is_ok_and(|text| text.contains("task_"))
    });
    let fast_text: Vec<&str> = FAST
        .iter()
        .copied()
        .filter(|&arg| arg != "--json")
        .collect();
    let (code, stdout, stderr) = run(&project, &sim, &[&fast_text[..], &one[..]].concat());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stderr
            .contains("1 job from an earlier run is still at the provider; following it up first"),
        "{stderr}"
    );
    assert!(stdout.contains("1 done"), "{stdout}");
    assert_eq!(sim.stats().creates, 1, "paid twice\n{stderr}");
}

#[test]
fn a_setting_with_escape_codes_is_refused_with_its_value_escaped() {
    let project = Project::new();
    let assert = project
        .sora()
        .env("SORA_OUTPUT_MODE", format!("x{HOSTILE}"))
        .arg("--dry-run")
        .assert()
        .code(2);
    let stderr = common::stderr_of(&assert);
    assert!(
        stderr.contains("invalid value \"xep\\u{1b}[2J error: fake\" for '--output-mode"),
        "{stderr}"
    );
    assert_terminal_safe(&stderr, "stderr");
}

#[test]
fn a_damaged_journal_line_with_escape_codes_is_shown_escaped_by_the_dry_run() {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("lighthouse", 1));
    // serde's message quotes the unknown event name as it is, escape codes and all; a line
    // after it makes it damage, not a torn tail.
    project.write(
        "output/.sora-batch/journal.jsonl",
        "{\"v\":1,\"key\":{\"storyboard\":\"storyboard.json\",\"segment\":1,\"version\":1,\
         \"fingerprint\":\"x\"},\"event\":\"\\u001b[2J\\nerror: fake\"}\n{}\n",
    );
    for json in [false, true] {
        let mut command = project.sora();
        command.arg("--dry-run");
        if json {
            command.arg("--json");
        }
        let output = command.output().expect("the binary runs");
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let (text, what) = if json {
            (&stderr, "--json stderr")
        } else {
            (&stdout, "stdout")
        };
        assert!(text.contains("ESTIMATE NOT TRUSTWORTHY"), "{what}: {text}");
        assert!(text.contains("\\u{1b}[2J error: fake"), "{what}: {text}");
        assert_terminal_safe(&stdout, "stdout");
        assert_terminal_safe(&stderr, "stderr");
    }
}

#[test]
fn an_unknown_argument_with_a_line_break_cannot_print_a_fake_line() {
    let project = Project::new();
    // An unknown flag, and a word taken as the input folder (the positional shorthand).
    for (arg, says) in [
        (format!("--x{HOSTILE}"), "--help"),
        (format!("ep{HOSTILE}"), "does not exist"),
    ] {
        let assert = project.sora().arg(&arg).assert().code(2);
        let stderr = common::stderr_of(&assert);
        assert!(stderr.contains("error: fake"), "{arg:?}: {stderr}");
        assert!(stderr.contains(says), "{arg:?}: {stderr}");
        assert_terminal_safe(&stderr, "stderr");
    }
}
