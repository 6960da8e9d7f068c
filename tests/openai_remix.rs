//! The real binary with `--provider openai` remixing videos (`"remix_of": "<id>"`) through
//! the simulator: delivered as remixes of the named video, billed once, a lost remix
//! answer found again in the list by its source, and an image with a remix refused.

mod common;

use std::time::Duration;

use common::Project;
use common::batch::output_dir;
use common::openai::{openai, run, simulator};
use common::stderr_of;
use serde_json::{Value, json};
use sora_batch::sim::{self, LOST_ANSWER_MARK, RunningSim, SimSettings};

/// A video made through the simulator's API as another client of the key would (8 s,
/// sora-2, 1280x720), waited for until completed; its id.
fn finished_video(sim: &RunningSim, prompt: &str) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = sora_batch::provider::http_client(Duration::from_secs(10));
        let call = |method: reqwest::Method, path: &str| {
            client
                .request(method, format!("{}{path}", sim.base_url()))
                .bearer_auth(sim::DEFAULT_KEY)
        };
        let body = json!({"prompt": prompt, "seconds": "8", "size": "1280x720"});
        let created: Value = call(reqwest::Method::POST, "/videos")
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().expect("an id").to_string();
        for _ in 0..400 {
            let video: Value = call(reqwest::Method::GET, &format!("/videos/{id}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if video["status"] == "completed" {
                return id;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("video {id} never completed");
    })
}

fn sidecar(project: &Project, segment: u32, version: u32) -> Value {
    let path = output_dir(project).join(format!(
        "storyboard/Segment_{segment}/{segment}_v{version}.json"
    ));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn openai_a_segment_remixing_a_video_made_elsewhere_is_delivered_as_its_remix_billed_once() {
    let sim = simulator(SimSettings::default());
    let source = finished_video(&sim, "a lighthouse");
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        &format!(
            r#"{{"defaults": {{"gen_count": 2, "duration_seconds": 8}}, "segments": [
                {{"segment_index": 1, "prompt_text": "the lighthouse at night", "remix_of": "{source}"}},
                {{"segment_index": 2, "prompt_text": "a harbour"}}]}}"#
        ),
    );
    let before = sim.stats();
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(summary["done"], 4, "{summary}");
    let stats = sim.stats();
    let remixes: Vec<(&str, &str)> = stats
        .openai_remixes
        .iter()
        .map(|seen| (seen.source.as_str(), seen.prompt.as_str()))
        .collect();
    assert_eq!(
        remixes,
        [(source.as_str(), "the lighthouse at night"); 2],
        "{err}"
    );
    assert_eq!(stats.creates_by_prompt["the lighthouse at night"], 2);
    assert_eq!(stats.creates_by_prompt["a harbour"], 2);
    // Four videos of 8 s of sora-2, the remixes at their source's length.
    assert_eq!(stats.billed_cents - before.billed_cents, 4 * 80, "{err}");
    for version in [1, 2] {
        let remix = sidecar(&project, 1, version);
        assert_eq!(remix["remix_of"], json!(source), "{remix}");
        assert_eq!(
            remix["provider_status"]["remixed_from_video_id"],
            json!(source),
            "{remix}"
        );
        let plain = sidecar(&project, 2, version);
        assert_eq!(plain["remix_of"], Value::Null, "{plain}");
    }
}

#[test]
fn openai_a_lost_remix_answer_is_found_again_by_its_source_and_billed_once() {
    let sim = simulator(SimSettings::default());
    let source = finished_video(&sim, "a lighthouse");
    let project = Project::new();
    // The same prompt and length as a plain create beside it: only the source tells the
    // lost remix from that one's video.
    let prompt = format!("the lighthouse {LOST_ANSWER_MARK} later");
    project.write(
        "input/storyboard.json",
        &format!(
            r#"{{"defaults": {{"gen_count": 1, "duration_seconds": 8}}, "segments": [
                {{"segment_index": 1, "prompt_text": "{prompt}", "remix_of": "{source}"}},
                {{"segment_index": 2, "prompt_text": "{prompt}"}}]}}"#
        ),
    );
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(summary["done"], 2, "{summary}");
    let stats = sim.stats();
    assert_eq!(stats.ambiguous, 1, "{err}");
    assert_eq!(
        stats.creates_by_prompt[&prompt], 2,
        "each billed once: {err}"
    );
    assert_eq!(stats.openai_remixes.len(), 1, "{err}");
    let remix = sidecar(&project, 1, 1);
    assert_eq!(
        remix["task_id"],
        json!(stats.openai_remixes[0].id),
        "{remix}"
    );
    assert_ne!(sidecar(&project, 2, 1)["task_id"], remix["task_id"]);
}

#[test]
fn openai_an_image_with_a_remix_is_a_validation_error_naming_both() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a fox", "remix_of": "video_1",
            "image_url": "https://example.com/fox.png"}]}"#,
    );
    let assert = openai(&project, &sim)
        .args(["--request-format", "json"])
        .assert()
        .code(2);
    let err = stderr_of(&assert);
    assert!(
        err.contains("segment 1: image_url: \"image_url\" cannot go with \"remix_of\" on openai"),
        "{err}"
    );
    assert_eq!(sim.stats().creates, 0, "{err}");
}
