//! The real binary with `--provider chat` against the simulator's chat-completions side
//! over 127.0.0.1: a batch delivered from each result shape, a failure with the gateway's
//! reason, a stream cut after billing left as an unknown outcome (submitted again only
//! with `--resubmit-lost`), a local or linked reference image sent as a data URL (the link
//! fetched once across runs), a style and a remix sent as the gateways read them (a take
//! remix refused), a stream talking for ever ended by `--poll-timeout`, Ctrl+C closing the
//! open streams, a dry run without `--base-url`, and a real run naming it missing.

mod common;

use common::Project;
use common::batch::{
    assert_all_videos, one_version_each, sha256_hex, storyboard, unresolved_messages,
};
use common::chat::{chat, chat_process, run, simulator};
use common::images::png;
use sora_batch::sim::{CONTENT_POLICY_MESSAGE, FORBIDDEN_MARK, LOST_ANSWER_MARK, SimSettings};

#[test]
fn chat_a_batch_is_delivered_from_each_result_shape() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        r#"{"defaults": {"gen_count": 1}, "segments": [
            {"segment_index": 1, "prompt_text": "harbor SHAPE-HTML"},
            {"segment_index": 2, "prompt_text": "harbor SHAPE-JSON", "duration_seconds": 15},
            {"segment_index": 3, "prompt_text": "harbor SHAPE-OUTPUT", "resolution": "vertical"}]}"#,
    );
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(summary["done"], 3, "{summary}");
    assert_all_videos(&project, 3, None, "chat");
    let stats = sim.stats();
    assert_eq!(stats.chat.creates, 3, "{:?}", stats.chat);
    for shape in ["html", "json", "output"] {
        assert_eq!(stats.chat.results_by_shape.get(shape), Some(&1), "{shape}");
    }
    let models = &stats.chat.creates_by_model;
    for model in [
        "sora2-landscape-10s",
        "sora2-landscape-15s",
        "sora2-portrait-10s",
    ] {
        assert_eq!(models.get(model), Some(&1), "{model}: {models:?}");
    }
}

#[test]
fn chat_a_refused_generation_fails_with_the_gateways_reason() {
    for error_chunk in [false, true] {
        let mut settings = SimSettings::default();
        settings.chat.chat_error_chunk = error_chunk;
        let sim = simulator(settings);
        let project = Project::new();
        let forbidden = format!("harbor {FORBIDDEN_MARK} shot");
        project.write(
            "input/storyboard.json",
            &one_version_each(&["harbor shot", &forbidden]),
        );
        let (code, summary, err) = run(&project, &sim, &[]);
        assert_eq!(code, 1, "{err}\n{summary}");
        assert_eq!(summary["done"], 1, "{summary}");
        let text = summary.to_string();
        assert!(
            text.contains(CONTENT_POLICY_MESSAGE),
            "error chunk {error_chunk}: {summary}"
        );
        let stats = sim.stats();
        assert_eq!(stats.creates_by_prompt.get(&forbidden), Some(&1));
        let sent = match error_chunk {
            true => stats.chat.error_chunks,
            false => stats.chat.failure_texts,
        };
        assert_eq!(sent, 1, "{:?}", stats.chat);
    }
}

#[test]
fn chat_a_stream_cut_after_billing_is_an_unknown_outcome_resubmitted_only_when_asked() {
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
    assert!(
        message.contains("unknown outcome at the provider"),
        "{message}"
    );
    assert!(message.contains("--resubmit-lost"), "{message}");
    assert_eq!(sim.stats().chat.stream_cuts, 1);
    assert_eq!(sim.stats().creates_by_prompt.get(&lost), Some(&1));

    // A rerun cannot find it either, and pays nothing.
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert_eq!(
        summary["unresolved"].as_array().map(Vec::len),
        Some(1),
        "{summary}"
    );
    assert_eq!(sim.stats().creates_by_prompt.get(&lost), Some(&1), "{err}");

    let dry = chat(&project, &sim).args(["--dry-run"]).assert().code(0);
    let plan: serde_json::Value = serde_json::from_slice(&dry.get_output().stdout).unwrap();
    assert_eq!(plan["jobs_unknown_outcome"], 1, "{plan}");
    assert_eq!(plan["jobs_new"], 0, "{plan}");

    // Asked to, it pays again (the simulator cuts only the first stream).
    let (code, summary, err) = run(&project, &sim, &["--resubmit-lost"]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(sim.stats().creates_by_prompt.get(&lost), Some(&2), "{err}");
    assert_all_videos(&project, 2, None, "chat resubmitted");
}

#[test]
fn chat_a_local_reference_image_arrives_as_a_data_url() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write(
        "input/ep1/storyboard.json",
        r#"{"defaults": {"gen_count": 1, "image_url": "frames/first.png"},
            "segments": [{"segment_index": 1, "prompt_text": "the harbour at dawn"}]}"#,
    );
    let image = png(1280, 720);
    let frames = project.path().join("input/ep1/frames");
    std::fs::create_dir_all(&frames).unwrap();
    std::fs::write(frames.join("first.png"), &image).unwrap();
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    let references = sim.stats().chat.references;
    assert_eq!(references.len(), 1, "{references:?}");
    assert_eq!(references[0].how, "data_url");
    assert_eq!(
        references[0].sha256.as_deref(),
        Some(sha256_hex(&image).as_str())
    );
    assert_eq!(references[0].pixels.as_deref(), Some("1280x720"));
}

#[test]
fn chat_a_linked_reference_image_arrives_as_a_data_url_fetched_once_across_runs() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    let link = format!("http://{}/images/640x360.png", sim.addr);
    let segment = |n: u32| {
        format!(r#"{{"segment_index": {n}, "prompt_text": "pier {n}", "image_url": "{link}"}}"#)
    };
    let write = |segments: &[String]| {
        let text = format!(
            r#"{{"defaults": {{"gen_count": 2}}, "segments": [{}]}}"#,
            segments.join(",")
        );
        project.write("input/storyboard.json", &text);
    };
    write(&[segment(1)]);
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    let stats = sim.stats();
    assert_eq!(stats.image_fetches, 1, "once for both versions");
    let image = sha256_hex(&png(640, 360));
    // How many creates carried the image inline, when every one did.
    let arrived = |stats: &sora_batch::sim::Stats| {
        let references = &stats.chat.references;
        let inline = |seen: &sora_batch::sim::ReferenceSeen| {
            seen.how == "data_url" && seen.sha256.as_deref() == Some(image.as_str())
        };
        references.iter().all(inline).then_some(references.len())
    };
    assert_eq!(arrived(&stats), Some(2), "{:?}", stats.chat.references);

    // A new shot with the same link, in a later run: the kept copy is sent.
    write(&[segment(1), segment(2)]);
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    let stats = sim.stats();
    assert_eq!(stats.image_fetches, 1, "not fetched again");
    assert_eq!(arrived(&stats), Some(4), "{:?}", stats.chat.references);
}

#[test]
fn chat_a_style_and_a_remix_of_a_share_link_reach_the_gateway() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    let share_id = "s_68e3a06dcd888191b150971da152c1f5";
    project.write(
        "input/storyboard.json",
        &format!(
            r#"{{"defaults": {{"gen_count": 1, "style_id": "anime"}}, "segments": [
            {{"segment_index": 1, "prompt_text": "kites over the bay"}},
            {{"segment_index": 2, "prompt_text": "as ink wash", "style_id": "retro",
              "remix_of": "https://sora.chatgpt.com/p/{share_id}"}}]}}"#
        ),
    );
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    let mut asks = sim.stats().chat.asks;
    asks.sort_by(|a, b| a.prompt.cmp(&b.prompt));
    let seen: Vec<_> = asks
        .iter()
        .map(|ask| {
            (
                ask.style_id.as_deref(),
                ask.prompt_style.as_deref(),
                ask.remix_of.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (Some("anime"), Some("anime"), None),
            (Some("retro"), Some("retro"), Some(share_id)),
        ],
        "{asks:#?}"
    );
    assert!(asks[1].prompt.ends_with("as ink wash"), "{asks:#?}");
    let path = project.path().join("output/storyboard/Segment_2/2_v1.json");
    let sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("the sidecar")).unwrap();
    assert_eq!(sidecar["remix_of"], share_id, "{sidecar}");
    assert_eq!(sidecar["style_id"], "retro", "{sidecar}");
}

#[test]
fn chat_a_remix_of_a_take_is_refused_before_anything_is_paid() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        r#"{"defaults": {"gen_count": 1}, "segments": [
            {"segment_index": 1, "prompt_text": "a pier"},
            {"segment_index": 2, "prompt_text": "the pier at night", "remix_of": {"segment": 1}}]}"#,
    );
    let assert = chat(&project, &sim).assert().code(2);
    let text = common::stderr_of(&assert);
    for said in [
        "segment 2: remix_of:",
        "chat cannot remix a take of this storyboard",
        "share link",
    ] {
        assert!(text.contains(said), "{said:?} in {text}");
    }
    assert_eq!(sim.stats().chat.creates, 0);
}

#[test]
fn chat_without_a_base_url_says_which_flag_is_missing() {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("harbor", 1));
    let assert = project
        .sora()
        .env("CHAT_API_KEY", "sk-test")
        .args(["--provider", "chat"])
        .assert()
        .failure();
    let text = common::stderr_of(&assert);
    assert!(text.contains("--base-url"), "{text}");
}

#[test]
fn chat_a_dry_run_needs_no_base_url() {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("harbor", 2));
    for key in [None, Some("sk-test")] {
        let mut command = project.sora();
        command.env_remove("CHAT_API_KEY");
        if let Some(key) = key {
            command.env("CHAT_API_KEY", key);
        }
        let assert = command
            .args(["--provider", "chat", "--dry-run", "--json"])
            .assert()
            .code(0);
        let plan: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
        assert_eq!(
            plan["jobs_new"], 4,
            "two segments of two versions; key {key:?}: {plan}"
        );
    }
}

#[test]
fn chat_with_generation_ids_a_cut_stream_is_followed_up_and_delivered_without_paying_again() {
    let mut settings = SimSettings::default();
    settings.chat.chat_generation_ids = true;
    let sim = simulator(settings);
    let project = Project::new();
    let lost = format!("lighthouse {LOST_ANSWER_MARK} shot 2");
    project.write(
        "input/storyboard.json",
        &one_version_each(&["lighthouse shot 1", &lost]),
    );
    let (code, summary, err) = run(&project, &sim, &["--chat-generation-ids"]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(summary["done"], 2, "{summary}");
    assert_all_videos(&project, 2, None, "chat generation ids");
    let stats = sim.stats();
    assert_eq!(stats.chat.stream_cuts, 1, "{:?}", stats.chat);
    assert!(stats.chat.generation_calls >= 1, "{:?}", stats.chat);
    assert_eq!(stats.creates_by_prompt.get(&lost), Some(&1));
}

#[test]
fn chat_only_flags_are_refused_with_another_provider() {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("harbor", 1));
    for flag in [
        &["--chat-generation-ids"][..],
        &["--chat-model-template", "x-{seconds}s"],
    ] {
        let assert = project
            .sora()
            .args(["--dry-run"])
            .args(flag)
            .assert()
            .code(2);
        let text = common::stderr_of(&assert);
        assert!(text.contains("--provider chat"), "{text}");
    }
}

#[test]
fn chat_a_stream_that_ends_cleanly_without_a_link_is_an_unknown_outcome_too() {
    let mut settings = SimSettings::default();
    settings.chat.chat_cut_how = sora_batch::sim::CutHow::End;
    let sim = simulator(settings);
    let project = Project::new();
    let lost = format!("lighthouse {LOST_ANSWER_MARK} shot 1");
    project.write("input/storyboard.json", &one_version_each(&[&lost]));
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 1, "{err}\n{summary}");
    let unresolved = unresolved_messages(&summary);
    assert_eq!(unresolved.len(), 1, "{summary}");
    let message = &unresolved[0];
    assert!(message.contains("ended without a video link"), "{message}");
    assert_eq!(sim.stats().creates_by_prompt.get(&lost), Some(&1));
}

#[test]
fn chat_a_stream_trickling_for_ever_ends_at_the_poll_timeout_as_an_unknown_outcome() {
    let mut settings = SimSettings::default();
    settings.chat.chat_trickle_after = Some(20);
    let sim = simulator(settings);
    let project = Project::new();
    project.write("input/storyboard.json", &one_version_each(&["tide shot 1"]));
    let (code, summary, err) = run(&project, &sim, &["--poll-timeout", "3s"]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    let unresolved = unresolved_messages(&summary);
    assert_eq!(unresolved.len(), 1, "{summary}");
    let message = &unresolved[0];
    for said in [
        "unknown outcome at the provider",
        "--poll-timeout",
        "--resubmit-lost",
    ] {
        assert!(message.contains(said), "{said:?} in {message}");
    }
    let stats = sim.stats();
    assert_eq!(stats.chat.trickles, 1, "{:?}", stats.chat);
    assert_eq!(stats.chat.closed_by_client, 1, "{:?}", stats.chat);

    // A rerun pays nothing for it, and neither does a dry run count it as new.
    let (code, summary, err) = run(&project, &sim, &["--poll-timeout", "3s"]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert_eq!(unresolved_messages(&summary).len(), 1, "{summary}");
    assert_eq!(sim.stats().chat.creates, 1);
}

#[cfg(unix)]
#[test]
fn chat_ctrl_c_closes_the_open_streams_and_names_their_jobs_unknown_not_collectable() {
    let sim = simulator(SimSettings {
        gen_seconds: sora_batch::sim::GenSeconds(60.0, 60.0),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        &one_version_each(&["dusk 1", "dusk 2"]),
    );
    let child = chat_process(&project, &sim)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while sim.stats().chat.creates < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    common::interrupt(&child);
    let output = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{err}");
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let unresolved = unresolved_messages(&summary);
    assert_eq!(unresolved.len(), 2, "{summary}");
    for message in &unresolved {
        for said in [
            "unknown outcome",
            "stopped while its stream",
            "--resubmit-lost",
        ] {
            assert!(message.contains(said), "{said:?} in {message}");
        }
    }
    assert_eq!(sim.stats().chat.closed_by_client, 2);
}
