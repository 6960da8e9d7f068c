//! The real binary on valid and broken storyboard sets: plan text, plan JSON, problems and
//! exit codes, settings layering, and the bundled examples.

mod common;

use common::{Project, repo_path, stderr_of, stdout_of};
use predicates::prelude::*;
use serde_json::Value;

const EPISODE: &str = r#"{
  "defaults": {"resolution": "vertical"},
  "segments": [
    {"segment_index": 1, "prompt_text": "a lighthouse at dusk"},
    {"segment_index": 2, "prompt_text": "waves", "duration_seconds": 15, "gen_count": 3},
    {"segment_index": 3, "prompt_text": "storm", "is_pro": true, "duration_seconds": 25, "gen_count": 1}
  ]
}"#;

fn plan_json(project: &Project, args: &[&str]) -> Value {
    let out = stdout_of(
        project
            .sora()
            .args(["--dry-run", "--json"])
            .args(args)
            .assert()
            .success(),
    );
    serde_json::from_str(&out).unwrap_or_else(|err| panic!("not JSON ({err}): {out}"))
}

#[test]
fn dry_run_prices_a_valid_batch() {
    let project = Project::new();
    project.write("input/ep1/storyboard_a.json", EPISODE);
    project.write(
        "input/storyboard_short.json",
        r#"{"segments": [{"segment_index": 1, "prompt_text": "x"}]}"#,
    );
    let plan = plan_json(&project, &[]);
    // ep1: 2×10 s + 3×15 s + 1×25 s normal/normal/pro; short: 2×10 s normal.
    assert_eq!(plan["jobs_total"], 8);
    assert_eq!(plan["jobs_new"], 8);
    assert_eq!(plan["jobs_changed"], 0);
    assert_eq!(plan["jobs_done"], 0);
    assert_eq!(plan["video_seconds"], 20 + 45 + 25 + 20);
    assert_eq!(plan["estimated_cost_cents"], 7 * 3 + 30);
    assert_eq!(plan["price_source"], "default");
    assert_eq!(plan["balance_cents"], Value::Null);
    let storyboards = plan["storyboards"].as_array().unwrap();
    assert_eq!(storyboards.len(), 2);
    assert_eq!(storyboards[0]["path"], "input/ep1/storyboard_a.json");
    assert_eq!(storyboards[0]["jobs_new"], 6);
    assert_eq!(storyboards[0]["video_seconds"], 90);
    assert_eq!(storyboards[0]["estimated_cost_cents"], 45);
    assert_eq!(storyboards[1]["path"], "input/storyboard_short.json");
}

#[test]
fn dry_run_text_is_a_table_with_totals() {
    let project = Project::new();
    project.write("input/ep1/storyboard_a.json", EPISODE);
    let assert = project.sora().arg("--dry-run").assert().success();
    let out = stdout_of(assert);
    assert!(
        out.contains("input/ep1/storyboard_a.json      6        0          0       0      0"),
        "{out}"
    );
    assert!(out.contains("total (1 storyboard)"), "{out}");
    assert!(out.contains("$0.45"), "{out}");
    assert!(
        out.contains("Prices: $0.03 per normal job, $0.30 per pro job"),
        "{out}"
    );
    assert!(out.contains("Dry run: nothing was submitted."), "{out}");
}

#[test]
fn json_mode_keeps_stdout_pure_and_text_on_stderr() {
    let project = Project::new();
    project.write("input/storyboard.json", EPISODE);
    let assert = project
        .sora()
        .args(["--dry-run", "--json"])
        .assert()
        .success();
    let err = stderr_of(&assert);
    assert!(err.contains("Dry run: nothing was submitted."), "{err}");
    serde_json::from_str::<Value>(&stdout_of(assert)).expect("stdout is one JSON object");
}

#[test]
fn done_and_changed_jobs_are_not_priced_again() {
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        r#"{"segments": [{"segment_index": 1, "prompt_text": "x", "gen_count": 3}]}"#,
    );
    let first = plan_json(&project, &[]);
    assert_eq!(first["jobs_new"], 3);
    // Version 1 finished with this exact request; version 2 came from an older edit.
    let fingerprint = sora_batch::storyboard::Segment {
        index: 1,
        prompt: "x".into(),
        image_url: None,
        is_pro: false,
        duration_seconds: 10,
        resolution: sora_batch::storyboard::Resolution::Horizontal,
        gen_count: 3,
        director_intent: None,
        model: None,
        size: None,
        image_file: None,
        remix_of: None,
        characters: Vec::new(),
        style_id: None,
    }
    .fingerprint();
    project.write("output/storyboard/Segment_1/1_v1.mp4", "video");
    project.write(
        "output/storyboard/Segment_1/1_v1.json",
        &format!(r#"{{"fingerprint": "{fingerprint}"}}"#),
    );
    project.write("output/storyboard/Segment_1/1_v2.mp4", "video");
    project.write(
        "output/storyboard/Segment_1/1_v2.json",
        r#"{"fingerprint": "old"}"#,
    );
    let plan = plan_json(&project, &[]);
    assert_eq!(
        (
            plan["jobs_new"].as_u64(),
            plan["jobs_changed"].as_u64(),
            plan["jobs_done"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(plan["estimated_cost_cents"], 6);
    let forced = plan_json(&project, &["--force"]);
    assert_eq!(forced["jobs_done"], 0);
    assert_eq!(forced["estimated_cost_cents"], 9);
}

#[test]
fn in_place_mode_reads_state_beside_the_storyboard() {
    let project = Project::new();
    project.write(
        "input/ep/storyboard.json",
        r#"{"segments": [{"segment_index": 1, "prompt_text": "x", "gen_count": 1}]}"#,
    );
    project.write(
        "input/ep/storyboard_assets/Segment_1/1_v1.mp4",
        "video without a sidecar",
    );
    let plan = plan_json(&project, &["--output-mode", "in_place"]);
    assert_eq!(plan["jobs_changed"], 1);
    let centralized = plan_json(&project, &[]);
    assert_eq!(centralized["jobs_new"], 1);
}

#[test]
fn invalid_storyboards_stop_the_run_with_every_problem() {
    let project = Project::new();
    project.write("input/storyboard_ok.json", EPISODE);
    project.write(
        "input/ep1/storyboard_a.json",
        r#"{"segments": [
            {"segment_index": 3, "prompt_text": "a", "duration_seconds": 25},
            {"segment_index": 4, "promt_text": "b"}
        ]}"#,
    );
    project.write(
        "input/ep1/storyboard_b.json",
        "{\"segments\": [\n  {\"segment_index\": 1,}\n]}",
    );
    let assert = project.sora().arg("--dry-run").assert().code(2).stdout("");
    let err = stderr_of(&assert);
    for line in [
        r#"error: input/ep1/storyboard_a.json: segment 3: duration_seconds: 25 needs "is_pro": true (normal mode allows 10 or 15)"#,
        r#"error: input/ep1/storyboard_a.json: segment 4: promt_text: unknown field; did you mean "prompt_text"?"#,
        "error: input/ep1/storyboard_b.json: line 2, column 23: invalid JSON: trailing comma",
        "error: 2 of 3 storyboards are invalid (3 problems, listed above); nothing was submitted. Fix them, or pass --skip-invalid to run the 1 valid storyboard",
    ] {
        assert!(
            err.lines().any(|got| got == line),
            "missing line {line:?} in:\n{err}"
        );
    }
}

#[test]
fn invalid_storyboards_in_json_mode() {
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        r#"{"segments": [{"segment_index": 0, "prompt_text": "a"}]}"#,
    );
    let out = stdout_of(
        project
            .sora()
            .args(["--dry-run", "--json"])
            .assert()
            .code(2),
    );
    let answer: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer["error"], "invalid_storyboards");
    let problem = &answer["problems"][0];
    assert_eq!(problem["file"], "input/storyboard.json");
    assert_eq!(problem["field"], "segment_index");
    assert_eq!(problem["location"]["kind"], "position");
    assert_eq!(
        problem["text"],
        "input/storyboard.json: segment at position 1: segment_index: 0 is not allowed; segment numbers start at 1"
    );
}

#[test]
fn skip_invalid_plans_the_valid_ones() {
    let project = Project::new();
    project.write("input/storyboard_ok.json", EPISODE);
    project.write("input/storyboard_bad.json", "not json");
    let assert = project
        .sora()
        .args(["--dry-run", "--json", "--skip-invalid"])
        .assert()
        .success();
    let err = stderr_of(&assert);
    assert!(
        err.contains("warning: skipping input/storyboard_bad.json: it is invalid (--skip-invalid)"),
        "{err}"
    );
    let plan: Value = serde_json::from_str(&stdout_of(assert)).unwrap();
    assert_eq!(plan["jobs_total"], 6);
    assert_eq!(
        plan["invalid_storyboards"][0]["path"],
        "input/storyboard_bad.json"
    );
}

#[test]
fn non_utf8_and_bom_files() {
    let project = Project::new();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(br#"{"segments": [{"segment_index": 1, "prompt_text": "x"}]}"#);
    std::fs::write(project.path().join("input/storyboard_bom.json"), bom).unwrap();
    std::fs::write(
        project.path().join("input/storyboard_latin1.json"),
        b"{\"segments\": [{\"prompt_text\": \"caf\xE9\"}]}",
    )
    .unwrap();
    let assert = project.sora().arg("--dry-run").assert().code(2);
    let err = stderr_of(&assert);
    assert!(err.contains("input/storyboard_latin1.json: line 1, column 35: the file is not UTF-8 text (byte 0xE9); save it as UTF-8"), "{err}");
    assert!(!err.contains("storyboard_bom.json"), "{err}");
}

#[test]
fn settings_layer_flag_over_env_over_dotenv_over_default() {
    let project = Project::new();
    project.write(
        "stories/storyboard.json",
        r#"{"segments": [{"segment_index": 1, "prompt_text": "x"}]}"#,
    );
    project.write(
        ".env",
        "SORA_INPUT_DIR=stories\nGEN_COUNT_PER_SEGMENT=4\nSORA_PRICE_NORMAL=7\n",
    );
    let from_dotenv = plan_json(&project, &[]);
    assert_eq!(from_dotenv["jobs_new"], 4);
    assert_eq!(from_dotenv["estimated_cost_cents"], 28);
    assert_eq!(from_dotenv["price_source"], "mixed");
    let out = stdout_of(
        project
            .sora()
            .env("GEN_COUNT_PER_SEGMENT", "5")
            .args(["--dry-run", "--json"])
            .assert()
            .success(),
    );
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["jobs_new"], 5);
    let out = stdout_of(
        project
            .sora()
            .env("GEN_COUNT_PER_SEGMENT", "5")
            .args([
                "--dry-run",
                "--json",
                "--gen-count",
                "1",
                "--price-pro",
                "40",
            ])
            .assert()
            .success(),
    );
    let plan: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["jobs_new"], 1);
    assert_eq!(plan["price_source"], "settings");
}

#[test]
fn broken_dotenv_is_a_clear_error() {
    let project = Project::new();
    project.write(".env", "GOOD=1\nnot a setting\n");
    project
        .sora()
        .arg("--dry-run")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            ".env: line 2: cannot parse this setting; write it as NAME=value",
        ));
}

#[test]
fn missing_input_folder_and_empty_folder() {
    let project = Project::new();
    project
        .sora()
        .args(["--dry-run", "--input-dir", "nowhere"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error: the input folder nowhere does not exist",
        ));
    let assert = project.sora().arg("--dry-run").assert().success();
    assert!(
        stderr_of(&assert)
            .contains("warning: no storyboard files in input (looking for storyboard*.json")
    );
    // Not "every video is done": there are no videos to speak of.
    let printed = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        printed.contains("Nothing to generate: no storyboard asks for a video.")
            && !printed.contains("every video is done"),
        "{printed}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let project = Project::new();
    project
        .sora()
        .args(["--gen-count", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--gen-count"));
    project
        .sora()
        .args(["--output-mode", "sideways"])
        .assert()
        .code(2);
    project
        .sora()
        .args(["--base-url", "not a url"])
        .assert()
        .code(2);
    project
        .sora()
        .args(["--verbose", "--quiet"])
        .assert()
        .code(2);
}

#[test]
fn schema_command_prints_a_json_schema() {
    let project = Project::new();
    let out = stdout_of(project.sora().arg("schema").assert().success());
    let schema: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(schema["title"], "sora-batch storyboard");
    assert_eq!(schema["required"], serde_json::json!(["segments"]));
}

#[test]
fn help_shows_every_option_with_its_variable_and_default() {
    let project = Project::new();
    let out = stdout_of(project.sora().arg("--help").assert().success());
    for text in [
        "--input-dir",
        "SORA_INPUT_DIR",
        "[default: ./input]",
        "GEN_COUNT_PER_SEGMENT",
        "[default: 2]",
        "SORA_API_KEY",
        "Exit codes",
    ] {
        assert!(out.contains(text), "--help lacks {text:?}:\n{out}");
    }
}

#[test]
fn bundled_examples_are_valid() {
    let project = Project::new();
    let input = repo_path("input");
    let plan = plan_json(&project, &["--input-dir", input.to_str().unwrap()]);
    assert_eq!(
        plan["storyboards"].as_array().unwrap().len(),
        1,
        "only storyboard_demo.json is a storyboard: {plan}"
    );
    assert!(plan["jobs_total"].as_u64().unwrap() >= 3);
    // The template is skipped by discovery, so check it is itself a valid storyboard.
    project.write(
        "input/storyboard_from_template.json",
        &std::fs::read_to_string(input.join("_template.json")).unwrap(),
    );
    let from_template = plan_json(&project, &[]);
    assert_eq!(from_template["jobs_total"], 3);
}

#[test]
fn unreachable_provider_falls_back_and_never_shows_the_key() {
    let project = Project::new();
    project.write("input/storyboard.json", EPISODE);
    // Port 9 on loopback: nothing listens, so the connection is refused at once.
    let assert = project
        .sora()
        .env("SORA_API_KEY", "sk-test-secret-value")
        .args(["--dry-run", "--json", "--base-url", "http://127.0.0.1:9/v1"])
        .assert()
        .success();
    let err = stderr_of(&assert);
    let out = stdout_of(assert);
    assert!(
        err.contains("could not ask the provider for prices"),
        "{err}"
    );
    assert!(!err.contains("sk-test-secret-value") && !out.contains("sk-test-secret-value"));
    let plan: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["price_source"], "default");
}

#[test]
fn a_price_call_that_fails_does_not_ask_for_a_key_that_is_set() {
    // The key is set; the provider refused the connection. The prices line must not tell
    // the user to set SORA_API_KEY, the one thing that is already right.
    let project = Project::new();
    project.write("input/storyboard.json", EPISODE);
    let assert = project
        .sora()
        .env("SORA_API_KEY", "sk-test-secret-value")
        .args(["--dry-run", "--base-url", "http://127.0.0.1:9/v1"])
        .assert()
        .success();
    let err = stderr_of(&assert);
    let out = stdout_of(assert);
    assert!(out.contains("documented prices"), "{out}");
    assert!(!out.contains("set SORA_API_KEY"), "{out}");
    assert!(out.contains("did not answer"), "{out}");
    let said = format!("{out}{err}");
    assert!(
        said.contains("could not ask the provider for prices"),
        "{said}"
    );
    // Without a key, the hint stays.
    let out = stdout_of(project.sora().args(["--dry-run"]).assert().success());
    assert!(
        out.contains("set SORA_API_KEY to ask for current ones"),
        "{out}"
    );
}

mod against_the_simulator {
    use super::*;
    use sora_batch::sim::{self, SimSettings};

    #[test]
    fn dry_run_uses_the_providers_prices_and_warns_about_the_balance() {
        let simulator = sim::start_on_thread(SimSettings {
            balance: Some(40),
            ..SimSettings::default()
        })
        .unwrap();
        let project = Project::new();
        project.write("input/storyboard.json", EPISODE);
        let assert = project
            .sora()
            .env("SORA_API_KEY", sim::DEFAULT_KEY)
            .env("SORA_BASE_URL", simulator.base_url())
            .args(["--dry-run", "--json"])
            .assert()
            .success();
        let err = stderr_of(&assert);
        let plan: Value = serde_json::from_str(&stdout_of(assert)).unwrap();
        assert_eq!(plan["price_source"], "provider");
        assert_eq!(plan["balance_cents"], 40);
        // 5 normal jobs at 3 cents and 1 pro job at 30 cents.
        assert_eq!(plan["estimated_cost_cents"], 45);
        assert!(err.contains("exceeds your balance"), "{err}");
        // A dry run spends nothing.
        assert_eq!(simulator.stats().creates, 0);
    }

    #[test]
    fn a_refused_key_fails_the_dry_run_as_it_would_the_run_and_never_shows_the_key() {
        let simulator = sim::start_on_thread(SimSettings::default()).unwrap();
        let project = Project::new();
        project.write("input/storyboard.json", EPISODE);
        let assert = project
            .sora()
            .env("SORA_API_KEY", "sk-wrong-secret-value")
            .env("SORA_BASE_URL", simulator.base_url())
            .arg("--dry-run")
            .assert()
            .code(2);
        let all = format!("{}{}", stderr_of(&assert), stdout_of(assert));
        assert!(all.contains("refused the API key"), "{all}");
        assert!(!all.contains("sk-wrong-secret-value"));
        assert!(simulator.stats().unauthorized >= 1);
    }

    #[test]
    fn provider_simulator_prices_offline_without_a_key() {
        let project = Project::new();
        project.write("input/storyboard.json", EPISODE);
        let plan = plan_json(&project, &["--provider", "simulator"]);
        assert_eq!(plan["price_source"], "provider");
        assert_eq!(plan["estimated_cost_cents"], 45);
        assert!(plan["balance_cents"].as_i64().unwrap() > 0);
    }
}

#[test]
fn a_dry_run_with_retry_failed_prices_just_the_listed_jobs() {
    let project = Project::new();
    project.write("input/ep1/storyboard_a.json", EPISODE);
    let missing = project
        .sora()
        .args(["--dry-run", "--retry-failed", "nofile.json"])
        .assert()
        .code(2);
    let err = stderr_of(&missing);
    assert!(
        err.contains("nofile.json: cannot read this failed-jobs file"),
        "{err}"
    );

    // The storm (pro, 25 s) and one take of the waves failed in an earlier run.
    project.write(
        "failed.json",
        r#"[{"storyboard": "ep1/storyboard_a.json", "segment": 3, "version": 1,
             "reason": "rejected", "message": "content policy"},
            {"storyboard": "ep1/storyboard_a.json", "segment": 2, "version": 2,
             "reason": "rejected", "message": "content policy"},
            {"storyboard": "ep1/storyboard_a.json", "segment": 9, "version": 1,
             "reason": "rejected", "message": "gone since"}]"#,
    );
    let output = project
        .sora()
        .args(["--dry-run", "--json", "--retry-failed", "failed.json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(plan["jobs_total"], 2, "{plan}");
    assert_eq!(plan["video_seconds"], 25 + 15, "{plan}");
    assert_eq!(plan["estimated_cost_cents"], 30 + 3, "{plan}");
    assert!(
        stderr.contains("1 of 3 jobs listed in failed.json is no longer in the storyboards"),
        "{stderr}"
    );
}

#[test]
fn jobs_at_the_provider_and_failed_ones_have_columns_and_are_not_called_done() {
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        r#"{"segments": [{"segment_index": 1, "prompt_text": "left in flight"}]}"#,
    );
    let key = common::planted::job_key(&project, "storyboard.json", 1, 1);
    common::planted::plant_lost_create(
        &project,
        &key,
        "left in flight",
        common::planted::now_ms(),
        Some(0),
    );
    let assert = project
        .sora()
        .args(["--dry-run", "--gen-count", "1"])
        .assert()
        .success();
    let out = stdout_of(assert);
    assert!(out.contains("in flight  failed"), "{out}");
    assert!(
        out.contains("input/storyboard.json      0        0          1       0      0"),
        "{out}"
    );
    assert!(out.contains("Nothing new to pay for."), "{out}");
    assert!(!out.contains("every video is done"), "{out}");
}

#[test]
fn names_in_wide_characters_keep_the_table_aligned() {
    let project = Project::new();
    project.write("input/故事/storyboard_一.json", EPISODE);
    project.write("input/storyboard_b.json", EPISODE);
    let out = stdout_of(project.sora().arg("--dry-run").assert().success());
    // Every row's "new" count ends in the same terminal column as the header's "new".
    let column = |line: &str, marker: &str| {
        let at = line
            .find(marker)
            .unwrap_or_else(|| panic!("{marker} in {line}"));
        unicode_width::UnicodeWidthStr::width(&line[..at + marker.len()])
    };
    let lines: Vec<&str> = out.lines().take(4).collect();
    let header = column(lines[0], "new");
    assert_eq!(column(lines[1], "  6"), header, "{out}");
    assert_eq!(column(lines[2], "  6"), header, "{out}");
    assert_eq!(column(lines[3], " 12"), header, "{out}");
}

#[test]
fn a_dry_run_with_retry_failed_does_not_take_unlisted_jobs_in_flight_for_extra_takes() {
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        r#"{"segments": [{"segment_index": 1, "prompt_text": "failed before"},
                         {"segment_index": 2, "prompt_text": "still at the provider"}]}"#,
    );
    let key = common::planted::job_key(&project, "storyboard.json", 2, 1);
    let now = common::planted::now_ms();
    common::planted::plant_lost_create(&project, &key, "still at the provider", now, Some(0));
    project.write(
        "failed.json",
        r#"[{"storyboard": "storyboard.json", "segment": 1, "version": 1,
             "reason": "rejected", "message": "content policy"}]"#,
    );
    let output = project
        .sora()
        .args(["--dry-run", "--json", "--gen-count", "1"])
        .args(["--retry-failed", "failed.json"])
        .output()
        .unwrap();
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(plan["jobs_total"], 1, "{plan}");
    // Segment 2 is a planned job the run does not touch, not a task no storyboard wants.
    assert_eq!(plan["extra_takes"], serde_json::json!([]), "{plan}");
}

#[test]
fn price_pro_large_prices_openai_pro_segments_larger_than_720p() {
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        r#"{"defaults": {"duration_seconds": 8, "gen_count": 1}, "segments": [
            {"segment_index": 1, "prompt_text": "dunes wide", "is_pro": true, "size": "1792x1024"},
            {"segment_index": 2, "prompt_text": "dunes close", "is_pro": true}]}"#,
    );
    let priced = |args: &[&str], env: Option<&str>| {
        let mut command = project.sora();
        if let Some(cents) = env {
            command.env("SORA_PRICE_PRO_LARGE", cents);
        }
        let assert = command
            .args(["--provider", "openai", "--dry-run", "--json"])
            .args(args)
            .assert()
            .success();
        let text = stderr_of(&assert);
        let plan: Value = serde_json::from_str(&stdout_of(assert)).unwrap();
        (plan, text)
    };
    // The documented 50¢/s for the large segment, 30¢/s for the 720p one.
    let (plan, text) = priced(&[], None);
    assert_eq!(plan["estimated_cost_cents"], 8 * 50 + 8 * 30, "{plan}");
    assert_eq!(plan["prices"]["pro_large_cents"], 50, "{plan}");
    assert_eq!(plan["price_source"], "default", "{plan}");
    assert!(text.contains("$0.50 larger than 720p"), "{text}");
    // The flag's 70¢/s × 8 seconds, the 720p pro segment still at 30.
    let (plan, text) = priced(&["--price-pro-large", "70"], None);
    assert_eq!(plan["estimated_cost_cents"], 8 * 70 + 8 * 30, "{plan}");
    assert_eq!(plan["prices"]["pro_large_cents"], 70, "{plan}");
    assert_eq!(plan["price_source"], "mixed", "{plan}");
    assert!(text.contains("$0.70 larger than 720p"), "{text}");
    assert!(
        text.contains("partly from --price-normal/--price-pro/--price-pro-large"),
        "{text}"
    );
    let (plan, _) = priced(&[], Some("70"));
    assert_eq!(plan["estimated_cost_cents"], 8 * 70 + 8 * 30, "{plan}");
    // Every price set: they all come from the settings.
    let all = [
        "--price-normal",
        "10",
        "--price-pro",
        "20",
        "--price-pro-large",
        "40",
    ];
    let (plan, _) = priced(&all, None);
    assert_eq!(plan["estimated_cost_cents"], 8 * 40 + 8 * 20, "{plan}");
    assert_eq!(plan["price_source"], "settings", "{plan}");
}

#[test]
fn price_pro_large_is_refused_for_a_provider_without_a_larger_sizes_price() {
    let project = Project::new();
    project.write("input/storyboard.json", EPISODE);
    for provider in ["sora-hk", "simulator"] {
        let assert = project
            .sora()
            .args([
                "--provider",
                provider,
                "--dry-run",
                "--price-pro-large",
                "70",
            ])
            .assert()
            .code(2);
        let err = stderr_of(&assert);
        assert!(
            err.contains(&format!(
                "--price-pro-large applies only to --provider openai, not to --provider {provider}"
            )),
            "{err}"
        );
    }
    let assert = project
        .sora()
        .env("SORA_PRICE_PRO_LARGE", "70")
        .arg("--dry-run")
        .assert()
        .code(2);
    let err = stderr_of(&assert);
    assert!(
        err.contains("SORA_PRICE_PRO_LARGE (set in the environment or .env) applies only to --provider openai"),
        "{err}"
    );
}

/// The lengths every `duration_seconds` of a schema allows (the storyboard's defaults and
/// each segment's), each as a list.
fn schema_durations(schema: &Value) -> Vec<Value> {
    let mut found = Vec::new();
    let mut stack = vec![schema];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                if let Some(allowed) = map.get("duration_seconds").and_then(|d| d.get("enum")) {
                    found.push(allowed.clone());
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    found
}

#[test]
fn schema_follows_provider_and_durations_given_before_or_after_it() {
    let project = Project::new();
    let schema_of = |args: &[&str]| -> Value {
        let out = stdout_of(project.sora().args(args).assert().success());
        serde_json::from_str(&out).unwrap_or_else(|err| panic!("{args:?}: not JSON ({err})"))
    };
    let openai = serde_json::json!([4, 8, 12, null]);
    for args in [
        &["--provider", "openai", "schema"][..],
        &["schema", "--provider", "openai"],
        &["--provider=openai", "schema"],
    ] {
        let found = schema_durations(&schema_of(args));
        assert!(!found.is_empty(), "{args:?}: no duration_seconds");
        assert!(
            found.iter().all(|allowed| *allowed == openai),
            "{args:?}: {found:?}"
        );
    }
    let sora_hk = schema_durations(&schema_of(&["schema"]));
    assert!(!sora_hk.contains(&openai), "{sora_hk:?}");
    let gateway = serde_json::json!([10, 15, null]);
    for args in [
        &["--provider", "openai", "--durations", "15,10", "schema"][..],
        &["schema", "--durations", "10,15", "--provider", "openai"],
    ] {
        let found = schema_durations(&schema_of(args));
        assert!(
            found.iter().all(|allowed| *allowed == gateway),
            "{args:?}: {found:?}"
        );
    }
}

#[test]
fn run_flags_a_subcommand_has_no_use_for_are_refused_by_name() {
    let project = Project::new();
    for (args, flag, subcommand) in [
        (&["--dry-run", "schema"][..], "--dry-run", "schema"),
        (
            &["--provider", "openai", "--input-dir", "x", "schema"],
            "--input-dir",
            "schema",
        ),
        (&["--generate", "man", "schema"], "--generate", "schema"),
        (
            &["--provider", "openai", "simulate"],
            "--provider",
            "simulate",
        ),
        (
            &["simulate", "--durations", "10,15"],
            "--durations",
            "simulate",
        ),
        (
            &["--max-workers", "3", "simulate"],
            "--max-workers",
            "simulate",
        ),
    ] {
        let assert = project.sora().args(args).assert().code(2);
        let err = stderr_of(&assert);
        assert!(
            err.contains(&format!(
                "{flag} does not apply to `sora-batch {subcommand}`"
            )),
            "{args:?}: {err}"
        );
    }
    // After the subcommand, clap itself refuses what the subcommand does not define.
    let assert = project
        .sora()
        .args(["schema", "--dry-run"])
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("--dry-run"));
    // Settings from the environment are the run's: a subcommand leaves them alone.
    project
        .sora()
        .env("SORA_DRY_RUN", "1")
        .env("MAX_CONCURRENT_TASKS", "3")
        .arg("schema")
        .assert()
        .success();
}
