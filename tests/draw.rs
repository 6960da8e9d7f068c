//! The real binary with `--provider draw` against the simulator's draw side over
//! 127.0.0.1: a batch delivered and billed once in credits with each video's `pid` kept,
//! both field spellings and result paths, the two hosts (status calls fail over, a create
//! is never sent twice), lost creates left as unknown outcomes, the key's credits in the
//! dry run, a refused key, and a remix of a video made elsewhere.

mod common;

use std::time::Duration;

use common::Project;
use common::batch::{
    assert_all_videos, assert_billed_once_per_version, log_tail, one_version_each, storyboard,
    unresolved_messages,
};
use common::draw::{draw, run, sidecar, simulator};
use serde_json::Value;
use sora_batch::sim::{
    self, DownHow, DrawSettings, GenSeconds, Host, LOST_ANSWER_MARK, SimSettings, Spelling,
};

fn drawing(draw: DrawSettings) -> SimSettings {
    SimSettings {
        draw,
        ..SimSettings::default()
    }
}

/// A storyboard of `segments` segments of 10 and 15 seconds, one version each.
fn ten_and_fifteen(tag: &str, segments: u32) -> String {
    let list: Vec<String> = (1..=segments)
        .map(|n| {
            let seconds = [10, 15][(n as usize - 1) % 2];
            format!(
                r#"{{"segment_index": {n}, "prompt_text": "{tag} shot {n}", "duration_seconds": {seconds}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"defaults": {{"gen_count": 1}}, "segments": [{}]}}"#,
        list.join(",")
    )
}

fn hosts_count(map: &std::collections::BTreeMap<String, u64>, host: &str) -> u64 {
    map.get(host).copied().unwrap_or(0)
}

#[test]
fn draw_a_clean_batch_is_delivered_billed_once_in_credits_with_each_videos_pid() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        r#"{"segments": [
            {"segment_index": 1, "prompt_text": "harbor shot 1"},
            {"segment_index": 2, "prompt_text": "harbor shot 2", "duration_seconds": 15, "resolution": "vertical"},
            {"segment_index": 3, "prompt_text": "harbor shot 3", "size": "large"}]}"#,
    );
    let dry = project
        .sora()
        .args(["--provider", "draw", "--dry-run", "--json"])
        .assert()
        .code(0);
    let plan: Value = serde_json::from_slice(&dry.get_output().stdout).unwrap();
    assert_eq!(plan["jobs_new"], 6, "{plan}");
    assert_eq!(
        (&plan["price_unit"], &plan["currency"]),
        (&"task".into(), &"credits".into())
    );
    let estimate = plan["estimated_cost_cents"].as_i64().unwrap();
    assert_eq!(
        estimate,
        4 * sim::SMALL_PRICE + 2 * sim::LARGE_PRICE,
        "{plan}"
    );

    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(summary["done"], 6, "{summary}");
    assert_all_videos(&project, 6, None, &err);
    assert_billed_once_per_version(&sim, 3, 2, &err);
    let stats = sim.stats();
    assert_eq!(stats.draw.credits_billed, estimate, "{err}");
    assert_eq!(
        stats.draw.stream_creates, 0,
        "every create asks for its id at once"
    );
    let shot = sidecar(&project, "storyboard/Segment_2/2_v1.mp4");
    assert_eq!(shot["provider"], "draw", "{shot}");
    let pid = shot["remix_id"].as_str().unwrap_or_default();
    assert!(pid.starts_with("s_"), "the result's pid is kept: {shot}");
    assert_eq!(shot["provider_status"]["results"][0]["pid"], pid, "{shot}");
}

#[test]
fn draw_the_reseller_spelling_is_read_and_its_pid_kept() {
    let sim = simulator(drawing(DrawSettings {
        draw_spelling: Spelling::Reseller,
        ..DrawSettings::default()
    }));
    let project = Project::new();
    project.write("input/storyboard.json", &ten_and_fifteen("reseller", 3));
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_all_videos(&project, 3, None, &err);
    assert_billed_once_per_version(&sim, 3, 1, &err);
    let shot = sidecar(&project, "storyboard/Segment_1/1_v1.mp4");
    assert_eq!(
        shot["remix_id"], shot["provider_status"]["result_pid"],
        "{shot}"
    );
    assert!(shot["remix_id"].as_str().is_some(), "{shot}");
}

#[test]
fn draw_a_deployment_with_only_the_video_result_path_is_found_once_and_remembered() {
    let sim = simulator(drawing(DrawSettings {
        draw_result_path: sim::ResultPath::Video,
        ..DrawSettings::default()
    }));
    let project = Project::new();
    project.write("input/storyboard.json", &ten_and_fifteen("forked", 4));
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_all_videos(&project, 4, None, &err);
    let stats = sim.stats().draw;
    assert!(
        stats
            .result_calls
            .get("/v1/video/result")
            .copied()
            .unwrap_or(0)
            >= 4,
        "{stats:?}"
    );
    // Found by its first status calls (some may run at once), then asked directly: not
    // one 404 per status call.
    let video_calls = stats.result_calls["/v1/video/result"];
    assert!(
        stats.wrong_result_path <= 4 && stats.wrong_result_path < video_calls,
        "{stats:?}"
    );

    // Told which, it asks only that one.
    let sim = simulator(drawing(DrawSettings {
        draw_result_path: sim::ResultPath::Video,
        ..DrawSettings::default()
    }));
    let project = Project::new();
    project.write("input/storyboard.json", &ten_and_fifteen("told", 2));
    let (code, summary, err) = run(&project, &sim, &["--result-path", "video"]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(sim.stats().draw.wrong_result_path, 0);
}

#[test]
fn draw_a_refusing_first_host_sends_every_call_to_the_second_and_no_create_twice() {
    let sim = simulator(drawing(DrawSettings {
        draw_down: Some(Host::Domestic),
        ..DrawSettings::default()
    }));
    let project = Project::new();
    project.write("input/storyboard.json", &ten_and_fifteen("refused", 4));
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_all_videos(&project, 4, None, &err);
    assert_billed_once_per_version(&sim, 4, 1, &err);
    let stats = sim.stats().draw;
    assert_eq!(
        hosts_count(&stats.creates_by_host, "overseas"),
        4,
        "{stats:?}"
    );
    assert_eq!(
        hosts_count(&stats.calls_by_host, "domestic"),
        0,
        "{stats:?}"
    );
}

#[test]
fn draw_status_calls_fail_over_from_a_host_that_hangs_while_creates_stay_where_they_were_sent() {
    let sim = simulator(SimSettings {
        gen_seconds: GenSeconds(3.0, 3.5),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &ten_and_fifteen("hung", 3));
    let stderr_path = project.path().join("stderr.txt");
    let mut process = project
        .sora_process()
        .env("DRAW_API_KEY", sim::DEFAULT_KEY)
        .args([
            "--provider",
            "draw",
            "--base-url",
            &sim.draw_url(Host::Domestic),
        ])
        .args(["--fallback-url", &sim.draw_url(Host::Overseas)])
        .args(common::batch::FAST)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .expect("the binary starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while sim.stats().creates < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            log_tail(&project)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    sim.set_host_down(Host::Domestic, Some(DownHow::Hang));
    let status = wait_with_timeout(&mut process, Duration::from_secs(120));
    let err = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    assert_eq!(status.code(), Some(0), "{err}");
    assert_all_videos(&project, 3, None, &err);
    assert_billed_once_per_version(&sim, 3, 1, &err);
    let stats = sim.stats().draw;
    assert_eq!(
        hosts_count(&stats.creates_by_host, "domestic"),
        3,
        "{stats:?}"
    );
    assert_eq!(
        hosts_count(&stats.creates_by_host, "overseas"),
        0,
        "{stats:?}"
    );
    assert!(
        hosts_count(&stats.calls_by_host, "overseas") >= 3,
        "{stats:?}"
    );
}

fn wait_with_timeout(child: &mut std::process::Child, most: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + most;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the run did not end");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn draw_a_create_sent_to_a_hanging_host_is_an_unknown_outcome_never_sent_elsewhere() {
    let sim = simulator(drawing(DrawSettings {
        draw_down: Some(Host::Domestic),
        draw_down_how: DownHow::Hang,
        ..DrawSettings::default()
    }));
    let project = Project::new();
    project.write("input/storyboard.json", &ten_and_fifteen("swallowed", 2));
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert_eq!(
        summary["unresolved"].as_array().map(Vec::len),
        Some(2),
        "{summary}"
    );
    let stats = sim.stats();
    assert_eq!(
        hosts_count(&stats.draw.creates_by_host, "domestic"),
        2,
        "{:?}",
        stats.draw
    );
    assert_eq!(
        hosts_count(&stats.draw.creates_by_host, "overseas"),
        0,
        "{:?}",
        stats.draw
    );
    assert_eq!(
        stats.creates, 0,
        "the hung host billed nothing, and nothing else was sent"
    );
}

#[test]
fn draw_lost_create_answers_are_unknown_outcomes_counted_apart_and_never_resubmitted() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    let lost = format!("lighthouse {LOST_ANSWER_MARK} shot 2");
    project.write(
        "input/storyboard.json",
        &one_version_each(&["lighthouse shot 1", &lost]),
    );
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert_eq!(summary["done"], 1, "{summary}");
    let unresolved = unresolved_messages(&summary);
    assert_eq!(unresolved.len(), 1, "{summary}");
    let message = &unresolved[0];
    assert!(message.contains("draw cannot list its tasks"), "{message}");
    assert_eq!(sim.stats().creates_by_prompt.get(&lost), Some(&1));

    // The next run cannot look it up either: it is left alone, and counted apart.
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert_eq!(
        summary["unresolved"].as_array().map(Vec::len),
        Some(1),
        "{summary}"
    );
    assert_eq!(sim.stats().creates_by_prompt.get(&lost), Some(&1), "{err}");
    let dry = draw(&project, &sim).args(["--dry-run"]).assert().code(0);
    let plan: Value = serde_json::from_slice(&dry.get_output().stdout).unwrap();
    assert_eq!(plan["jobs_unknown_outcome"], 1, "{plan}");
    let text = common::stderr_of(&dry);
    assert!(text.contains("unknown outcome at the provider"), "{text}");
    assert_eq!(plan["jobs_new"], 0, "{plan}");
}

#[test]
fn draw_the_dry_run_warns_when_the_batch_needs_more_credits_than_the_key_has() {
    let sim = simulator(drawing(DrawSettings {
        draw_credits: Some(100),
        ..DrawSettings::default()
    }));
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("credits", 2));
    let dry = draw(&project, &sim).args(["--dry-run"]).assert().code(0);
    let plan: Value = serde_json::from_slice(&dry.get_output().stdout).unwrap();
    assert_eq!(plan["balance_cents"], 100, "{plan}");
    assert_eq!(plan["estimated_cost_cents"], 4 * sim::SMALL_PRICE, "{plan}");
    let warnings = plan["warnings"].to_string();
    assert!(
        warnings.contains("160 credits") && warnings.contains("100 credits"),
        "{warnings}"
    );
    assert_eq!(sim.stats().draw.credit_queries, 1);
    assert_eq!(sim.stats().creates, 0);
}

#[test]
fn draw_a_refused_key_names_draw_api_key() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("refused", 1));
    let output = draw(&project, &sim)
        .env("DRAW_API_KEY", "sk-wrong-key-123")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("check DRAW_API_KEY"), "{err}");
    assert!(!err.contains("sk-wrong-key-123"), "{err}");
    assert_eq!(sim.stats().creates, 0);
}

#[test]
fn draw_a_remix_of_a_video_made_elsewhere_reaches_the_api_as_its_remix_target() {
    let sim = simulator(SimSettings::default());
    let (_, pid) = sim.create_draw_video("the original");
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        &format!(
            r#"{{"defaults": {{"gen_count": 1}}, "segments": [
                {{"segment_index": 1, "prompt_text": "the sequel", "remix_of": "{pid}"}}]}}"#
        ),
    );
    // The original is done once it has had its generation time.
    std::thread::sleep(Duration::from_millis(800));
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    let remixes = sim.stats().draw.remixes;
    assert_eq!(remixes.len(), 1, "{remixes:?}");
    assert_eq!(remixes[0].target, pid);
    assert!(remixes[0].accepted, "{remixes:?}");
    let shot = sidecar(&project, "storyboard/Segment_1/1_v1.mp4");
    assert_eq!(shot["remix_of"], pid.as_str(), "{shot}");
}

#[test]
fn draw_character_references_reach_the_api_with_the_create() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        r#"{"defaults": {"gen_count": 1}, "segments": [
            {"segment_index": 1, "prompt_text": "two friends at the pier",
             "characters": [{"url": "https://cdn.example/ana.mp4", "timestamps": "0,3"},
                            {"url": "https://cdn.example/ben.mp4", "timestamps": "1.5,4"}]},
            {"segment_index": 2, "prompt_text": "the empty pier"}]}"#,
    );
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    let draw = sim.stats().draw;
    assert_eq!(
        (draw.creates, draw.character_creates, draw.characters),
        (2, 1, 2),
        "{err}"
    );
}

#[test]
fn draw_only_flags_are_refused_with_another_provider() {
    let project = Project::new();
    let output = project
        .sora()
        .args([
            "--provider",
            "openai",
            "--host-mode",
            "overseas",
            "--dry-run",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--host-mode applies only to --provider draw"),
        "{err}"
    );
}
