//! Remixes (`POST /videos/{id}/remix` with `{prompt}`): of a completed video of this key
//! only, inheriting its model, size and length, billed as a create of those, listed with
//! `remixed_from_video_id`, recorded in arrival order, and meeting a create's faults.

use reqwest::Method;
use serde_json::json;

use super::*;

/// A remix of `source` with `body`; its status and body.
async fn remix(sim: &RunningSim, source: &str, body: Value) -> (StatusCode, Value) {
    let path = format!("/videos/{source}/remix");
    answer(api(sim, Method::POST, &path).json(&body)).await
}

/// A completed pro video of 12 s at 1792x1024 (600 cents); its id.
async fn finished_source(sim: &RunningSim) -> String {
    let body =
        json!({"model": "sora-2-pro", "prompt": "harbour", "seconds": "12", "size": "1792x1024"});
    let id = created(sim, body).await;
    assert_eq!(wait_for_end(sim, &id).await["status"], "completed");
    id
}

#[tokio::test]
async fn a_remix_inherits_the_sources_model_size_and_length_and_is_billed_like_their_create() {
    let sim = start(quick());
    let source = finished_source(&sim).await;
    let before = sim.stats();
    let (status, video) = remix(&sim, &source, json!({"prompt": "harbour at night"})).await;
    assert_eq!(status, StatusCode::OK, "{video}");
    for (field, want) in [
        ("object", json!("video")),
        ("status", json!("queued")),
        ("model", json!("sora-2-pro")),
        ("seconds", json!("12")),
        ("size", json!("1792x1024")),
        ("prompt", json!("harbour at night")),
        ("remixed_from_video_id", json!(source)),
    ] {
        assert_eq!(video[field], want, "{field} in {video}");
    }
    assert_ne!(video["id"], json!(source));
    let stats = sim.stats();
    assert_eq!(stats.creates - before.creates, 1);
    assert_eq!(stats.billed_cents - before.billed_cents, 600);
    let id = video["id"].as_str().unwrap();
    assert_eq!(
        wait_for_end(&sim, id).await["remixed_from_video_id"],
        source
    );
}

#[tokio::test]
async fn a_remix_of_an_unknown_or_unfinished_video_is_refused_unbilled() {
    let sim = start(SimSettings {
        gen_seconds: GenSeconds(30.0, 30.0),
        ..SimSettings::default()
    });
    let (status, body) = remix(&sim, "video_nope", json!({"prompt": "p"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("video_nope"),
        "{body}"
    );
    let running = created(&sim, json!({"prompt": "slow"})).await;
    let (status, body) = remix(&sim, &running, json!({"prompt": "p"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&running) && message.contains("completed"),
        "{message}"
    );
    let stats = sim.stats();
    assert_eq!((stats.creates, stats.billed_cents), (1, 40));
    assert!(
        stats.openai_remixes.is_empty(),
        "{:?}",
        stats.openai_remixes
    );
}

#[tokio::test]
async fn a_remix_takes_only_a_prompt() {
    let sim = start(quick());
    let source = finished_source(&sim).await;
    for (body, param) in [
        (json!({}), "prompt"),
        (json!({"prompt": "p", "seconds": "4"}), "seconds"),
        (
            json!({"prompt": "p", "input_reference": {"image_url": "https://x/y.png"}}),
            "input_reference",
        ),
    ] {
        let (status, answer) = remix(&sim, &source, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(param), "{body} → {message}");
    }
    assert_eq!(sim.stats().creates, 1, "only the source");
}

#[tokio::test]
async fn remixes_are_listed_with_their_source_and_recorded_in_arrival_order() {
    let sim = start(quick());
    let first = finished_source(&sim).await;
    let (_, second) = remix(&sim, &first, json!({"prompt": "shot 2"})).await;
    let second = second["id"].as_str().unwrap().to_string();
    wait_for_end(&sim, &second).await;
    let (_, third) = remix(&sim, &second, json!({"prompt": "shot 3"})).await;
    let third = third["id"].as_str().unwrap().to_string();
    let chain: Vec<(String, String, String)> = sim
        .stats()
        .openai_remixes
        .into_iter()
        .map(|seen| (seen.id, seen.source, seen.prompt))
        .collect();
    assert_eq!(
        chain,
        [
            (second.clone(), first.clone(), "shot 2".to_string()),
            (third.clone(), second.clone(), "shot 3".to_string()),
        ]
    );
    let (_, listed) = answer(api(&sim, Method::GET, "/videos")).await;
    let sources: Vec<(&Value, &Value)> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|video| (&video["id"], &video["remixed_from_video_id"]))
        .collect();
    assert_eq!(
        sources,
        [
            (&json!(third), &json!(second)),
            (&json!(second), &json!(first)),
            (&json!(first), &Value::Null),
        ]
    );
}

#[tokio::test]
async fn a_remix_meets_a_creates_faults_lost_answers_and_rate_limits() {
    let sim = start(SimSettings {
        capacity: Some(1),
        ..quick()
    });
    let source = finished_source(&sim).await;
    let path = format!("/videos/{source}/remix");
    let lost = api(&sim, Method::POST, &path)
        .json(&json!({"prompt": "LOST-ANSWER remix"}))
        .send()
        .await;
    assert!(lost.is_err(), "the lost remix was answered: {lost:?}");
    let stats = sim.stats();
    assert_eq!((stats.creates, stats.ambiguous), (2, 1));
    assert_eq!(stats.billed_cents, 1200, "the lost remix was billed");
    assert_eq!(stats.openai_remixes.len(), 1, "and recorded");
    let (status, busy) = remix(&sim, &source, json!({"prompt": "one too many"})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{busy}");
    assert_eq!(busy["error"]["code"], "rate_limit_exceeded");
    assert_eq!(sim.stats().creates, 2, "a refused remix is not billed");
}

#[tokio::test]
async fn server_faults_hit_remixes_and_forbidden_remixes_fail_moderation() {
    let faulty = start(SimSettings {
        fault_rate: 1.0,
        ..quick()
    });
    let id = faulty.create_video("src", "sora-2", "4", "720x1280");
    let path = format!("/videos/{id}/remix");
    let hit = api(&faulty, Method::POST, &path)
        .json(&json!({"prompt": "p"}))
        .send()
        .await;
    assert!(
        hit.as_ref().map_or(true, |r| r.status().is_server_error()),
        "{hit:?}"
    );
    assert_eq!(faulty.stats().openai_remixes.len(), 0);
    let sim = start(quick());
    let source = finished_source(&sim).await;
    let (_, video) = remix(&sim, &source, json!({"prompt": "FORBIDDEN remix"})).await;
    let ended = wait_for_end(&sim, video["id"].as_str().unwrap()).await;
    assert_eq!(ended["error"]["code"], "moderation_blocked", "{ended}");
}
