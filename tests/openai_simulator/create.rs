//! Creates: the video object, prices, the API's checks, the key in either header, 429s
//! and the answers a billed create can lose.

use reqwest::Method;
use serde_json::json;
use sora_batch::sim::AmbiguousAnswer;

use super::*;

#[tokio::test]
async fn create_answers_a_full_video_object_and_bills_per_second_by_model_and_size() {
    let sim = start(quick());
    let (status, video) = create(
        &sim,
        json!({"model": "sora-2", "prompt": "waves", "seconds": "8", "size": "1280x720"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{video}");
    for (field, want) in [
        ("object", json!("video")),
        ("status", json!("queued")),
        ("progress", json!(0)),
        ("model", json!("sora-2")),
        ("prompt", json!("waves")),
        ("seconds", json!("8")),
        ("size", json!("1280x720")),
        ("completed_at", json!(null)),
        ("expires_at", json!(null)),
        ("remixed_from_video_id", json!(null)),
        ("error", json!(null)),
    ] {
        assert_eq!(video[field], want, "{field} in {video}");
    }
    assert!(
        video["created_at"].as_u64().unwrap() > 1_700_000_000,
        "{video}"
    );
    assert_eq!(sim.stats().billed_cents, 80);
    for (model, seconds, size, cents) in [
        ("sora-2-pro", "4", "720x1280", 120),
        ("sora-2-pro", "12", "1792x1024", 600),
        ("sora-2-2025-12-08", "12", "720x1280", 120),
    ] {
        let body = json!({"model": model, "prompt": "p", "seconds": seconds, "size": size});
        let before = sim.stats().billed_cents;
        let (_, video) = create(&sim, body).await;
        assert_eq!(video["model"], model, "a dated model is echoed as sent");
        assert_eq!(sim.stats().billed_cents - before, cents, "{model} {size}");
    }
    // The default: sora-2, 4 s, 720x1280.
    let (_, plain) = create(&sim, json!({"prompt": "defaults"})).await;
    assert_eq!(
        (&plain["model"], &plain["seconds"], &plain["size"]),
        (&json!("sora-2"), &json!("4"), &json!("720x1280"))
    );
}

#[tokio::test]
async fn bad_parameters_get_400_invalid_request_error_naming_the_parameter() {
    let sim = start(quick());
    for (body, param, code) in [
        (
            json!({"prompt": "x", "seconds": 8}),
            "seconds",
            "invalid_type",
        ),
        (
            json!({"prompt": "x", "seconds": "5"}),
            "seconds",
            "invalid_value",
        ),
        (
            json!({"prompt": "x", "seconds": "10"}),
            "seconds",
            "invalid_value",
        ),
        (
            json!({"prompt": "x", "size": "1792x1024"}),
            "size",
            "invalid_value",
        ),
        (
            json!({"prompt": "x", "size": "1920x1080", "model": "sora-2-pro"}),
            "size",
            "invalid_value",
        ),
        (
            json!({"prompt": "x", "model": "sora-3"}),
            "model",
            "invalid_value",
        ),
        (
            json!({"prompt": "x", "model": "sora-2x"}),
            "model",
            "invalid_value",
        ),
        (
            json!({"prompt": "  "}),
            "prompt",
            "missing_required_parameter",
        ),
    ] {
        let (status, answer) = create(&sim, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let error = &answer["error"];
        assert_eq!(error["type"], "invalid_request_error", "{answer}");
        assert_eq!(
            (&error["param"], &error["code"]),
            (&json!(param), &json!(code)),
            "{body}"
        );
        assert!(
            error["message"].as_str().unwrap().contains(param),
            "{answer}"
        );
    }
    let stats = sim.stats();
    assert_eq!(
        (stats.bad_requests, stats.creates, stats.billed_cents),
        (8, 0, 0)
    );
}

#[tokio::test]
async fn openai_durations_replace_the_allowed_seconds() {
    let sim = start(SimSettings {
        openai_durations: Some(vec![10, 15]),
        ..quick()
    });
    let (status, video) = create(&sim, json!({"prompt": "x", "seconds": "15"})).await;
    assert_eq!((status, &video["seconds"]), (StatusCode::OK, &json!("15")));
    assert_eq!(sim.stats().billed_cents, 150);
    let (status, refused) = create(&sim, json!({"prompt": "x", "seconds": "4"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("'10', '15'"), "{message}");
}

#[tokio::test]
async fn the_key_is_taken_as_a_bearer_token_or_in_an_api_key_header() {
    let sim = start(quick());
    let url = format!("{}/videos", sim.base_url());
    let azure = client().post(&url).header("api-key", "sk-sim");
    let (status, video) = answer(azure.json(&json!({"prompt": "azure"}))).await;
    assert_eq!(status, StatusCode::OK, "{video}");
    let id = video["id"].as_str().unwrap();
    let status_call = client()
        .get(format!("{url}/{id}"))
        .header("api-key", "sk-sim");
    assert_eq!(answer(status_call).await.0, StatusCode::OK);
    let list = client().get(&url).header("api-key", "sk-sim");
    assert_eq!(answer(list).await.0, StatusCode::OK);
    for wrong in [
        client().get(&url).header("api-key", "sk-wrong"),
        client().get(&url).bearer_auth("sk-wrong"),
        client().get(&url),
        // The Sora.hk side takes only the Bearer token.
        client()
            .get(format!("{}/balance", sim.base_url()))
            .header("api-key", "sk-sim"),
    ] {
        let (status, body) = answer(wrong).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    let stats = sim.stats();
    assert_eq!((stats.api_key_header_calls, stats.unauthorized), (3, 4));
}

#[tokio::test]
async fn at_capacity_a_create_gets_429_with_retry_after_and_retry_after_ms() {
    let sim = start(SimSettings {
        capacity: Some(1),
        gen_seconds: GenSeconds(2.0, 2.0),
        ..SimSettings::default()
    });
    created(&sim, json!({"prompt": "first"})).await;
    let response = api(&sim, Method::POST, "/videos")
        .json(&json!({"prompt": "second"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let header =
        |name: &str| -> u64 { response.headers()[name].to_str().unwrap().parse().unwrap() };
    let (seconds, millis) = (header("retry-after"), header("retry-after-ms"));
    assert!(
        (1..=2).contains(&seconds) && (1..=2000).contains(&millis),
        "{seconds} {millis}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limit_exceeded", "{body}");
    assert_eq!((sim.stats().creates, sim.stats().rate_limited), (1, 1));
}

#[tokio::test]
async fn list_retry_after_answers_the_openai_list_in_openai_shape() {
    let sim = start(SimSettings {
        list_retry_after: Some(Duration::from_secs(30)),
        ..quick()
    });
    let response = api(&sim, Method::GET, "/videos").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after-ms"], "30000");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limit_exceeded", "{body}");
}

#[tokio::test]
async fn a_lost_answer_mark_drops_the_first_create_after_billing_it() {
    let sim = start(quick());
    let body = json!({"prompt": "LOST-ANSWER dawn", "seconds": "8"});
    let lost = api(&sim, Method::POST, "/videos").json(&body).send().await;
    assert!(
        lost.is_err(),
        "the answer to the first create arrived: {lost:?}"
    );
    let stats = sim.stats();
    assert_eq!(
        (stats.creates, stats.ambiguous, stats.billed_cents),
        (1, 1, 80)
    );
    // Only the first: a resubmission is answered, and billed again.
    let (status, _) = create(&sim, body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sim.stats().creates_by_prompt["LOST-ANSWER dawn"], 2);
}

#[tokio::test]
async fn ambiguous_answers_500_and_503_are_openai_errors_after_billing() {
    for (how, code, kind) in [
        (
            AmbiguousAnswer::ServerError,
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
        ),
        (
            AmbiguousAnswer::Unavailable,
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
        ),
    ] {
        let sim = start(SimSettings {
            ambiguous_rate: 1.0,
            ambiguous_answer: how,
            ..quick()
        });
        let response = api(&sim, Method::POST, "/videos")
            .json(&json!({"prompt": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), code);
        assert!(!response.headers().contains_key("retry-after"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["type"], kind, "{body}");
        let stats = sim.stats();
        assert_eq!((stats.creates, stats.ambiguous), (1, 1), "{how:?}");
    }
}

#[tokio::test]
async fn echo_key_quotes_the_key_in_openai_errors_whichever_header_carried_it() {
    let sim = start(SimSettings {
        echo_key: true,
        ..quick()
    });
    let (_, bearer) = create(&sim, json!({"prompt": "x", "seconds": "5"})).await;
    let message = bearer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Authorization: Bearer sk-sim") && message.contains('\x1b'),
        "{message}"
    );
    let azure = client()
        .get(format!("{}/videos/video_none", sim.base_url()))
        .header("api-key", "sk-sim");
    let (status, missing) = answer(azure).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let message = missing["error"]["message"].as_str().unwrap();
    assert!(message.contains("api-key: sk-sim"), "{message}");
    let id = created(&sim, json!({"prompt": "FORBIDDEN deed"})).await;
    let failed = wait_for_end(&sim, &id).await;
    let message = failed["error"]["message"].as_str().unwrap();
    assert!(message.contains("Bearer sk-sim"), "{message}");
}

#[tokio::test]
async fn without_echo_key_no_openai_answer_quotes_the_key() {
    let sim = start(quick());
    let (_, bad) = create(&sim, json!({"prompt": "x", "seconds": "5"})).await;
    let id = created(&sim, json!({"prompt": "FORBIDDEN deed"})).await;
    let failed = wait_for_end(&sim, &id).await;
    for text in [bad.to_string(), failed.to_string()] {
        assert!(!text.contains("sk-sim"), "{text}");
    }
}

#[tokio::test]
async fn injected_500s_on_the_openai_side_are_openai_errors() {
    let sim = start(SimSettings {
        fault_rate: 1.0,
        ..quick()
    });
    let mut server_errors = 0;
    for _ in 0..30 {
        let sent = api(&sim, Method::GET, "/videos").send().await;
        let Ok(response) = sent else { continue };
        if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
            continue;
        }
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["type"], "server_error", "{body}");
        server_errors += 1;
    }
    assert!(server_errors > 0, "no 500 in 30 faults");
    assert_eq!(sim.stats().faults, 30);
}
