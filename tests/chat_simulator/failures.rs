//! Failures and refusals: a failed generation as the gateway's `❌ 生成失败` text or, with
//! the knob, an error chunk; model names the gateway does not serve (and
//! `--chat-model-prefix`), `stream: false`, a wrong key: all answered before any billing.

use super::*;
use sora_batch::sim::{
    AVAILABILITY_MESSAGE, CONTENT_POLICY_MESSAGE, FAILURE_PREFIX, FORBIDDEN_MARK,
};

#[tokio::test]
async fn a_forbidden_prompt_fails_with_the_gateways_text_and_stays_billed() {
    let sim = start(quick());
    let prompt = format!("{FORBIDDEN_MARK} shot");
    let streamed = streamed(&sim, &ask("sora2-landscape-10s", &prompt)).await;
    assert!(streamed.done && !streamed.broken, "{streamed:?}");
    let finish = streamed.finish().expect("a last chunk");
    assert_eq!(finish["choices"][0]["finish_reason"], "STOP");
    let content = finish["choices"][0]["delta"]["content"]
        .as_str()
        .expect("text");
    assert_eq!(content, format!("{FAILURE_PREFIX}{CONTENT_POLICY_MESSAGE}"));
    let stats = stats(&sim).await;
    assert_eq!(
        (&stats["chat"]["failure_texts"], &stats["chat"]["creates"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(stats["chat"]["results_by_shape"], json!({}));
}

#[tokio::test]
async fn with_the_error_chunk_knob_a_fail_rate_failure_is_an_error_chunk() {
    let sim = start(SimSettings {
        fail_rate: 1.0,
        ..chatting(ChatSettings {
            chat_error_chunk: true,
            ..ChatSettings::default()
        })
    });
    let streamed = streamed(&sim, &ask("sora2-landscape-10s", "shot")).await;
    assert!(streamed.done && !streamed.broken, "{streamed:?}");
    assert!(
        streamed.finish().is_none(),
        "no choice ends it: {streamed:?}"
    );
    let error = &streamed.chunks.last().expect("chunks")["error"];
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{error}"
    );
    assert_eq!(error["type"], "server_error");
    let stats = stats(&sim).await;
    assert_eq!(
        (
            &stats["chat"]["error_chunks"],
            &stats["chat"]["failure_texts"]
        ),
        (&json!(1), &json!(0))
    );
}

#[tokio::test]
async fn models_the_gateway_does_not_serve_get_400_and_bill_nothing() {
    let sim = start(quick());
    for model in [
        "sora2-landscape-12s",
        "sora2pro-hd-landscape-25s",
        "sora-video-landscape-10s",
    ] {
        let (status, answer) = answered(&sim, &ask(model, "shot")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{model}");
        assert_eq!(answer["error"]["param"], "model", "{answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(model), "{message}");
    }
    let counted = stats(&sim).await;
    assert_eq!(
        (&counted["chat"]["unknown_models"], &counted["creates"]),
        (&json!(3), &json!(0))
    );

    let sim = start(chatting(ChatSettings {
        chat_model_prefix: "sora-video".to_string(),
        ..ChatSettings::default()
    }));
    let (status, _) = answered(&sim, &ask("sora2-landscape-10s", "shot")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        streamed(&sim, &ask("sora-video-portrait-15s", "shot"))
            .await
            .done
    );
    let stats = stats(&sim).await;
    assert_eq!(
        stats["chat"]["creates_by_model"],
        json!({"sora-video-portrait-15s": 1})
    );
}

#[tokio::test]
async fn stream_false_only_says_the_gateway_is_available() {
    let sim = start(quick());
    let mut body = ask("sora2-landscape-10s", "shot");
    body["stream"] = json!(false);
    let (status, answer) = answered(&sim, &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["object"], "chat.completion");
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        AVAILABILITY_MESSAGE
    );
    let stats = stats(&sim).await;
    assert_eq!(stats["chat"]["availability_checks"], 1);
    assert_eq!(
        (&stats["creates"], &stats["billed_cents"]),
        (&json!(0), &json!(0))
    );
}

#[tokio::test]
async fn a_wrong_key_is_refused_before_anything() {
    let sim = start(quick());
    let response = client()
        .post(sim.chat_url())
        .bearer_auth("sk-wrong")
        .json(&ask("sora2-landscape-10s", "shot"))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let answer: Value = response.json().await.expect("JSON");
    assert_eq!(answer["error"]["code"], "invalid_api_key");
    let stats = stats(&sim).await;
    assert_eq!(
        (&stats["unauthorized"], &stats["creates"]),
        (&json!(1), &json!(0))
    );
}
