//! The real binary with `--provider openai` against the simulator's OpenAI side over
//! 127.0.0.1: the same guarantees as with Sora.hk (every video delivered and billed once,
//! rate limits waited out, lost answers found again, a killed run resumed), the provider's
//! own durations and key variable, and the flags that only the OpenAI dialect takes.

mod common;

use common::Project;
use common::batch::{
    FAST, RUN_TIMEOUT, assert_all_videos, assert_billed_once_per_version, assert_videos_as_served,
    output_dir, storyboard,
};
use common::openai::{openai, run, simulator};
use common::stderr_of;
use serde_json::Value;
use sora_batch::sim::{self, FORBIDDEN_MARK, GenSeconds, LOST_ANSWER_MARK, SimSettings};

/// A storyboard whose segments cycle through 4, 8 and 12 seconds, every third one pro.
fn four_eight_twelve(tag: &str, segments: u32) -> String {
    let list: Vec<String> = (1..=segments)
        .map(|n| {
            let seconds = [4, 8, 12][(n as usize - 1) % 3];
            let pro = n % 3 == 0;
            format!(
                r#"{{"segment_index": {n}, "prompt_text": "{tag} shot {n}",
                    "duration_seconds": {seconds}, "is_pro": {pro}}}"#
            )
        })
        .collect();
    format!(r#"{{"segments": [{}]}}"#, list.join(","))
}

#[test]
fn openai_a_20_job_batch_of_4_8_and_12_seconds_delivers_every_video_billed_once() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write("input/storyboard.json", &four_eight_twelve("meadow", 10));

    // The dry run, without a key, prices per second and says where the prices came from.
    let dry = project
        .sora()
        .args(["--provider", "openai", "--dry-run", "--json"])
        .assert()
        .code(0);
    let plan: Value = serde_json::from_slice(&dry.get_output().stdout).unwrap();
    assert_eq!(plan["jobs_new"], 20, "{plan}");
    assert_eq!(plan["price_unit"], "second", "{plan}");
    assert_eq!(plan["price_source"], "default", "{plan}");
    let estimate = plan["estimated_cost_cents"].as_i64().unwrap();

    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(summary["done"], 20, "{summary}");
    assert_all_videos(&project, 20, None, &err);
    assert_videos_as_served(&project, None, &err);
    assert_billed_once_per_version(&sim, 10, 2, &err);
    // The provider billed per second what the dry run estimated from the documented prices.
    assert_eq!(sim.stats().billed_cents, estimate, "{err}");
    // OpenAI never says what a task cost: the summary says what they come to at the
    // run's prices, rather than a bare "$0.00".
    assert_eq!(summary["unknown_cost_tasks"], 20, "{summary}");
    assert_eq!(
        summary["unknown_cost_estimate_cents"], estimate,
        "{summary}"
    );
    let sidecar: Value = serde_json::from_slice(
        &std::fs::read(output_dir(&project).join("storyboard/Segment_3/3_v1.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(sidecar["provider"], "openai", "{sidecar}");
    assert_eq!(sidecar["provider_status"]["seconds"], "12", "{sidecar}");
}

#[test]
fn openai_a_1792x1024_pro_segment_is_delivered_and_billed_50_cents_a_second_as_priced() {
    let sim = simulator(SimSettings {
        ambiguous_rate: 0.3,
        ..SimSettings::default()
    });
    let project = Project::new();
    // Pro by `is_pro`, and by a dated pro model whose answer is lost (found in the list
    // by its size); and a 720p pro segment beside them, at 30 cents.
    let storyboard = format!(
        r#"{{"defaults": {{"duration_seconds": 8, "gen_count": 1}}, "segments": [
            {{"segment_index": 1, "prompt_text": "dunes wide", "is_pro": true, "size": "1792x1024"}},
            {{"segment_index": 2, "prompt_text": "dunes {LOST_ANSWER_MARK} tall",
              "model": "sora-2-pro-2025-10-06", "size": "1024x1792"}},
            {{"segment_index": 3, "prompt_text": "dunes close", "is_pro": true}}]}}"#
    );
    project.write("input/storyboard.json", &storyboard);
    let dry = project
        .sora()
        .args(["--provider", "openai", "--dry-run", "--json"])
        .assert()
        .code(0);
    let plan: Value = serde_json::from_slice(&dry.get_output().stdout).unwrap();
    let estimate = plan["estimated_cost_cents"].as_i64().unwrap();
    assert_eq!(estimate, 2 * 8 * 50 + 8 * 30, "{plan}");
    assert_eq!(plan["prices"]["pro_large_cents"], 50, "{plan}");

    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_all_videos(&project, 3, None, &err);
    assert_billed_once_per_version(&sim, 3, 1, &err);
    assert_eq!(sim.stats().billed_cents, estimate, "{err}");
    let sidecar = |n: u32| -> Value {
        let path = output_dir(&project).join(format!("storyboard/Segment_{n}/{n}_v1.json"));
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    let wide = sidecar(1);
    assert_eq!(wide["provider_status"]["size"], "1792x1024", "{wide}");
    assert_eq!(wide["provider_status"]["model"], "sora-2-pro", "{wide}");
    assert_eq!(wide["size"], "1792x1024", "{wide}");
    let tall = sidecar(2);
    assert_eq!(tall["provider_status"]["size"], "1024x1792", "{tall}");
    assert_eq!(
        tall["provider_status"]["model"], "sora-2-pro-2025-10-06",
        "{tall}"
    );
}

#[test]
fn openai_a_run_counts_its_unknown_costs_at_the_price_pro_large_its_dry_run_used() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        r#"{"defaults": {"duration_seconds": 8, "gen_count": 1}, "segments": [
            {"segment_index": 1, "prompt_text": "dunes wide", "is_pro": true, "size": "1792x1024"}]}"#,
    );
    let price = ["--price-pro-large", "70"];
    let dry = project
        .sora()
        .args(["--provider", "openai", "--dry-run", "--json"])
        .args(price)
        .assert()
        .code(0);
    let plan: Value = serde_json::from_slice(&dry.get_output().stdout).unwrap();
    assert_eq!(plan["estimated_cost_cents"], 8 * 70, "{plan}");

    let (code, summary, err) = run(&project, &sim, &price);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(summary["unknown_cost_tasks"], 1, "{summary}");
    assert_eq!(
        summary["unknown_cost_estimate_cents"], plan["estimated_cost_cents"],
        "{summary}"
    );
}

#[test]
fn openai_rate_limits_with_retry_after_ms_are_waited_out() {
    let sim = simulator(SimSettings {
        capacity: Some(2),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("quay", 4));
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_all_videos(&project, 8, None, &err);
    assert_billed_once_per_version(&sim, 4, 2, &err);
    let stats = sim.stats();
    assert!(stats.rate_limited > 0, "no 429 was met: {stats:?}");
    assert!(stats.max_active <= 2, "{stats:?}");
}

#[test]
fn openai_moderation_failures_end_as_failures_with_the_providers_message() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        &format!(
            r#"{{"segments": [
                {{"segment_index": 1, "prompt_text": "a calm lake"}},
                {{"segment_index": 2, "prompt_text": "a {FORBIDDEN_MARK} scene", "gen_count": 1}}
            ]}}"#
        ),
    );
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert_eq!(summary["done"], 2, "{summary}");
    assert_eq!(summary["failed"], 1, "{summary}");
    let message = summary["failures"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("blocked by our moderation system"),
        "{message}"
    );
    assert_eq!(
        sim.stats().creates_by_prompt[&format!("a {FORBIDDEN_MARK} scene")],
        1,
        "a moderation failure is final, never submitted again"
    );
}

#[test]
fn openai_lost_create_answers_are_found_in_the_list_and_never_billed_twice() {
    let sim = simulator(SimSettings {
        ambiguous_rate: 0.3,
        ..SimSettings::default()
    });
    let project = Project::new();
    let mut segments: Vec<String> = (1..=6)
        .map(|n| format!(r#"{{"segment_index": {n}, "prompt_text": "reef shot {n}"}}"#))
        .collect();
    segments.push(format!(
        r#"{{"segment_index": 7, "prompt_text": "reef {LOST_ANSWER_MARK} shot 7"}}"#
    ));
    project.write(
        "input/storyboard.json",
        &format!(r#"{{"segments": [{}]}}"#, segments.join(",")),
    );
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_all_videos(&project, 14, None, &err);
    assert_billed_once_per_version(&sim, 7, 2, &err);
    let stats = sim.stats();
    assert!(stats.ambiguous > 0 && stats.lists > 0, "{stats:?}");
}

#[cfg(unix)]
#[test]
fn openai_a_run_killed_mid_batch_is_resumed_by_a_rerun_that_bills_nothing_twice() {
    let sim = simulator(SimSettings {
        gen_seconds: GenSeconds(1.0, 2.0),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("canal", 5));
    let child = project
        .sora_process()
        .env("OPENAI_API_KEY", sim::DEFAULT_KEY)
        .args(["--provider", "openai", "--base-url", &sim.base_url()])
        .args(FAST)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    common::batch::kill_when(child, &project, "three creates", || {
        sim.stats().creates >= 3
    });
    assert!(sim.stats().downloads < 10, "killed too late");

    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_all_videos(&project, 10, None, &err);
    assert_billed_once_per_version(&sim, 5, 2, &err);
}

#[test]
fn openai_a_storyboard_valid_for_sora_hk_is_refused_naming_4_8_or_12() {
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a dune", "duration_seconds": 15}]}"#,
    );
    project.sora().arg("--dry-run").assert().code(0);
    let refused = project
        .sora()
        .env("OPENAI_API_KEY", "sk-unused")
        .args(["--provider", "openai"])
        .assert()
        .code(2);
    let err = stderr_of(&refused);
    assert!(
        err.contains(
            "input/storyboard.json: segment 1: duration_seconds: 15 is not allowed; openai allows 4, 8 or 12"
        ),
        "{err}"
    );
}

#[test]
fn openai_durations_override_lets_a_gateways_own_lengths_through() {
    let sim = simulator(SimSettings {
        openai_durations: Some(vec![10, 15]),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        r#"{"segments": [
            {"segment_index": 1, "prompt_text": "a gateway shot 1", "duration_seconds": 15},
            {"segment_index": 2, "prompt_text": "a gateway shot 2"}
        ]}"#,
    );
    let (code, summary, err) = run(
        &project,
        &sim,
        &["--durations", "10,15", "--gen-count", "1"],
    );
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_all_videos(&project, 2, None, &err);
    assert_billed_once_per_version(&sim, 2, 1, &err);
    // A length the setting does not list is refused naming the setting, not the provider.
    project.write(
        "input/other/storyboard.json",
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a gateway shot 3", "duration_seconds": 8}]}"#,
    );
    let (code, _, err) = run(&project, &sim, &["--durations", "10,15", "--dry-run"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "duration_seconds: 8 is not allowed; --durations (SORA_DURATIONS) allows 10 or 15"
        ),
        "{err}"
    );
    std::fs::remove_dir_all(project.path().join("input/other")).unwrap();
    // A segment without a length gets the shortest listed, not the provider's 4.
    let sidecar: Value = serde_json::from_slice(
        &std::fs::read(output_dir(&project).join("storyboard/Segment_2/2_v1.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(sidecar["provider_status"]["seconds"], "10", "{sidecar}");

    // The schema reads the same lengths (a subcommand takes settings from variables).
    let schema = project
        .sora()
        .env("SORA_PROVIDER", "openai")
        .env("SORA_DURATIONS", "10,15")
        .arg("schema")
        .assert()
        .code(0);
    let schema: Value = serde_json::from_slice(&schema.get_output().stdout).unwrap();
    let duration = &schema["$defs"]["segment"]["properties"]["duration_seconds"];
    assert_eq!(duration["enum"], serde_json::json!([10, 15, null]));
}

#[test]
fn openai_api_key_header_runs_deliver_videos_with_the_key_in_api_key() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("azure", 2));
    let (code, summary, err) = run(&project, &sim, &["--auth-header", "api-key"]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_all_videos(&project, 4, None, &err);
    assert_billed_once_per_version(&sim, 2, 2, &err);
    let stats = sim.stats();
    // Every create, status call and download, none of them refused (a download that
    // sent the key as Bearer instead would be refused by an Azure endpoint).
    assert!(
        stats.api_key_header_calls >= stats.creates + stats.polls + stats.downloads,
        "{stats:?}"
    );
    assert_eq!(stats.unauthorized, 0, "{stats:?}");
}

#[test]
fn openai_an_image_link_under_multipart_is_a_validation_problem_naming_the_fix() {
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a kite",
            "image_url": "https://example.com/kite.png"}]}"#,
    );
    let refused = project
        .sora()
        .args(["--provider", "openai", "--dry-run"])
        .assert()
        .code(2);
    let err = stderr_of(&refused);
    assert!(
        err.contains("input/storyboard.json: segment 1: image_url:")
            && err.contains("--request-format json"),
        "{err}"
    );
    // With JSON creates the link can be sent; Sora.hk takes links as they are.
    project
        .sora()
        .args([
            "--provider",
            "openai",
            "--dry-run",
            "--request-format",
            "json",
        ])
        .assert()
        .code(0);
    project.sora().arg("--dry-run").assert().code(0);
}

#[test]
fn openai_a_missing_or_refused_key_names_openai_api_key() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("gate", 1));
    let missing = project
        .sora()
        .env("SORA_API_KEY", "sk-the-wrong-variable")
        .args(["--provider", "openai", "--base-url", &sim.base_url()])
        .assert()
        .code(2);
    assert!(
        stderr_of(&missing).contains("OPENAI_API_KEY is not set"),
        "{}",
        stderr_of(&missing)
    );
    let refused = project
        .sora()
        .env("OPENAI_API_KEY", "sk-not-the-simulators")
        .args(["--provider", "openai", "--base-url", &sim.base_url()])
        .args(FAST)
        .timeout(RUN_TIMEOUT)
        .assert()
        .code(2);
    let err = stderr_of(&refused);
    assert!(err.contains("check OPENAI_API_KEY"), "{err}");
    assert!(!err.contains("sk-not-the-simulators"), "{err}");
    assert_eq!(sim.stats().creates, 0);
}

#[test]
fn openai_only_flags_with_another_provider_are_a_usage_error() {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("pier", 1));
    let flag = project
        .sora()
        .args(["--dry-run", "--auth-header", "api-key"])
        .assert()
        .code(2);
    assert!(
        stderr_of(&flag).contains("--auth-header applies only to --provider openai"),
        "{}",
        stderr_of(&flag)
    );
    let variable = project
        .sora()
        .env("SORA_REQUEST_FORMAT", "json")
        .args(["--dry-run", "--provider", "simulator"])
        .assert()
        .code(2);
    assert!(
        stderr_of(&variable).contains("SORA_REQUEST_FORMAT (set in the environment or .env)"),
        "{}",
        stderr_of(&variable)
    );
}

#[test]
fn openai_a_gateway_that_echoes_the_key_never_gets_it_into_any_output_or_file() {
    const KEY: &str = "sk-openai-echoed-secret-42";
    let sim = simulator(SimSettings {
        api_keys: vec![sora_batch::sim::SimKey::new(KEY)],
        echo_key: true,
        fault_rate: 0.25,
        ..SimSettings::default()
    });
    let project = Project::new();
    let board = storyboard("beacon", 4).replacen("beacon shot 1", "beacon FORBIDDEN shot", 1);
    project.write("input/storyboard.json", &board);
    let output = openai(&project, &sim)
        .env("OPENAI_API_KEY", KEY)
        .args([
            "--auth-header",
            "api-key",
            "--report",
            "report.json",
            "--verbose",
        ])
        .output()
        .expect("it runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "the moderated job fails: {stderr}"
    );
    let stats = sim.stats();
    assert!(
        stats.faults > 0,
        "the echoing answers should have been met: {stats:?}"
    );
    assert!(
        !stdout.contains(KEY) && !stderr.contains(KEY),
        "{stdout}\n{stderr}"
    );
    let files = common::batch::walk(project.path());
    assert!(files.iter().any(|file| file.ends_with("report.json")));
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).to_string();
        assert!(
            !text.contains(KEY),
            "{} holds the key:\n{text}",
            file.display()
        );
    }
}

/// With `--durations` making a request valid for both, the same job's fingerprint is the
/// same under either provider: a task left at Sora.hk is neither followed up at OpenAI
/// (its id means nothing there) nor paid for again.
#[cfg(unix)]
#[test]
fn openai_a_task_left_at_sora_hk_is_neither_followed_up_nor_paid_again_at_openai() {
    let sim = simulator(SimSettings {
        gen_seconds: GenSeconds(2.0, 3.0),
        openai_durations: Some(vec![10, 15]),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("switch", 2));
    let child = common::batch::spawn(&project, &sim, &[]);
    common::batch::kill_when(child, &project, "every job submitted", || {
        sim.stats().creates >= 4
    });
    let (code, summary, err) = run(&project, &sim, &["--durations", "10,15"]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert_eq!(sim.stats().creates, 4, "paid again at openai: {err}");
    assert_eq!(summary["left_in_flight"], 4, "{summary}");
    let message = summary["unresolved"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("is at the provider sora-hk")
            && message.contains("run with --provider sora-hk to collect it"),
        "{message}"
    );
    // Sora.hk's run collects them, paying nothing more.
    let (code, summary, err) = common::batch::run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_all_videos(&project, 4, None, &err);
    assert_billed_once_per_version(&sim, 2, 2, &err);
}
