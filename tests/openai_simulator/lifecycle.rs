//! A video's life on the OpenAI side: official and gateway status names, the poll hint,
//! moderation failures, expiry of the content, and the content redirect to another origin.

use reqwest::Method;
use serde_json::json;

use super::*;

async fn content(sim: &RunningSim, id: &str) -> reqwest::Response {
    let path = format!("/videos/{id}/content");
    api(sim, Method::GET, &path).send().await.expect("answered")
}

#[tokio::test]
async fn a_video_goes_queued_in_progress_completed_and_its_content_is_served() {
    // Seconds apart, so a busy machine's delays cannot move a check into another phase.
    let sim = start(SimSettings {
        gen_seconds: GenSeconds(4.0, 4.0),
        ..SimSettings::default()
    });
    let id = created(&sim, json!({"prompt": "dunes"})).await;
    assert_eq!(video(&sim, &id).await["status"], "queued");
    let early = content(&sim, &id).await;
    assert_eq!(early.status(), StatusCode::BAD_REQUEST);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let middle = video(&sim, &id).await;
    assert_eq!(middle["status"], "in_progress", "{middle}");
    assert!(
        (20..=80).contains(&middle["progress"].as_u64().unwrap()),
        "{middle}"
    );
    let done = wait_for_end(&sim, &id).await;
    assert_eq!(
        (&done["status"], &done["progress"]),
        (&json!("completed"), &json!(100))
    );
    let completed_at = done["completed_at"].as_u64().unwrap();
    assert_eq!(done["expires_at"], completed_at + 3600, "{done}");
    let served = content(&sim, &id).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(&served.bytes().await.unwrap()[4..8], b"ftyp");
    // A Sora.hk task is not a video of this API.
    let other = sim.create_task("sora.hk");
    assert_eq!(video(&sim, &other).await["error"]["code"], "not_found");
}

#[tokio::test]
async fn gateway_statuses_name_every_state_as_gateways_do() {
    let sim = start(SimSettings {
        gateway_statuses: true,
        gen_seconds: GenSeconds(4.0, 4.0),
        expire_after: Some(Duration::from_millis(300)),
        ..SimSettings::default()
    });
    let id = created(&sim, json!({"prompt": "pier"})).await;
    assert_eq!(video(&sim, &id).await["status"], "pending");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(video(&sim, &id).await["status"], "processing");
    assert_eq!(wait_for_end(&sim, &id).await["status"], "succeeded");
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(video(&sim, &id).await["status"], "expired");
    let failing = start(SimSettings {
        gateway_statuses: true,
        fail_rate: 1.0,
        ..quick()
    });
    let cancelled = created(&failing, json!({"prompt": "plain"})).await;
    let blocked = created(&failing, json!({"prompt": "FORBIDDEN plain"})).await;
    assert_eq!(
        wait_for_end(&failing, &cancelled).await["status"],
        "cancelled"
    );
    let blocked = wait_for_end(&failing, &blocked).await;
    assert_eq!(
        (&blocked["status"], &blocked["error"]["code"]),
        (&json!("failed"), &json!("moderation_blocked"))
    );
}

#[tokio::test]
async fn the_poll_hint_header_comes_only_with_the_knob() {
    let plain = start(quick());
    let id = created(&plain, json!({"prompt": "p"})).await;
    let response = api(&plain, Method::GET, &format!("/videos/{id}"))
        .send()
        .await
        .unwrap();
    assert!(!response.headers().contains_key("openai-poll-after-ms"));
    let hinting = start(SimSettings {
        openai_poll_after_ms: Some(250),
        ..quick()
    });
    let id = created(&hinting, json!({"prompt": "p"})).await;
    let response = api(&hinting, Method::GET, &format!("/videos/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["openai-poll-after-ms"], "250");
}

#[tokio::test]
async fn a_forbidden_prompt_fails_with_moderation_blocked_and_openai_words() {
    let sim = start(quick());
    let id = created(&sim, json!({"prompt": "FORBIDDEN act"})).await;
    let failed = wait_for_end(&sim, &id).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["code"], "moderation_blocked");
    let message = failed["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("moderation") && message.is_ascii(),
        "{message}"
    );
    assert!(
        failed["completed_at"].is_u64() && failed["expires_at"].is_null(),
        "{failed}"
    );
    assert_eq!(content(&sim, &id).await.status(), StatusCode::BAD_REQUEST);
    let plain = start(SimSettings {
        fail_rate: 1.0,
        ..quick()
    });
    let id = created(&plain, json!({"prompt": "plain"})).await;
    let failed = wait_for_end(&plain, &id).await;
    assert_eq!(
        (&failed["status"], &failed["error"]["code"]),
        (&json!("failed"), &json!("video_generation_failed"))
    );
}

#[tokio::test]
async fn expire_after_sets_expires_at_and_then_content_answers_404_video_expired() {
    let sim = start(SimSettings {
        expire_after: Some(Duration::from_millis(800)),
        ..quick()
    });
    let id = created(&sim, json!({"prompt": "tide"})).await;
    let done = wait_for_end(&sim, &id).await;
    let completed_at = done["completed_at"].as_u64().unwrap();
    assert_eq!(done["expires_at"], completed_at + 1, "{done}");
    assert_eq!(content(&sim, &id).await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(850)).await;
    assert_eq!(
        video(&sim, &id).await["status"],
        "completed",
        "official names do not change"
    );
    let gone = content(&sim, &id).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let body: Value = gone.json().await.unwrap();
    assert_eq!(body["error"]["code"], "video_expired", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    let stats = sim.stats();
    assert_eq!((stats.downloads, stats.expired_downloads), (1, 1));
}

#[tokio::test]
async fn content_redirect_sends_downloads_to_another_origin_that_counts_keys() {
    let sim = start(SimSettings {
        content_redirect: true,
        ..quick()
    });
    let id = created(&sim, json!({"prompt": "lighthouse"})).await;
    wait_for_end(&sim, &id).await;
    let not_followed = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{}/videos/{id}/content", sim.base_url());
    let redirect = not_followed
        .get(&url)
        .bearer_auth("sk-sim")
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), StatusCode::FOUND);
    let location = reqwest::Url::parse(redirect.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.host_str(), Some("127.0.0.1"));
    assert_ne!(location.port(), Some(sim.addr.port()), "the same origin");
    // Followed by a client that keeps its key at home: the video, and no key there.
    let followed = content(&sim, &id).await;
    assert_eq!(followed.status(), StatusCode::OK);
    assert_eq!(&followed.bytes().await.unwrap()[4..8], b"ftyp");
    let stats = sim.stats();
    assert_eq!(
        (stats.redirected_requests, stats.redirected_with_key),
        (1, 0)
    );
    // A client that carries its key along is caught, in either header.
    for (name, value) in [("authorization", "Bearer sk-sim"), ("api-key", "sk-sim")] {
        let leaked = client()
            .get(location.clone())
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(leaked.status(), StatusCode::OK);
    }
    let stats = sim.stats();
    assert_eq!(
        (stats.redirected_requests, stats.redirected_with_key),
        (3, 2)
    );
}
