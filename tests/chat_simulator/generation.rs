//! Seed 004's gateways: with `--chat-generation-ids` the chunks carry the generation's
//! id and `GET /v1/generation/{id}` reports on it (progress while it runs, the result in
//! the job's shape with `stop`, a failure with `error`); without the knob that path is
//! unknown.

use super::*;
use sora_batch::sim::{FAILURE_PREFIX, FORBIDDEN_MARK};

fn with_ids() -> SimSettings {
    chatting(ChatSettings {
        chat_generation_ids: true,
        ..ChatSettings::default()
    })
}

async fn generation(sim: &RunningSim, id: &str) -> (StatusCode, Value) {
    let url = format!("{}/generation/{id}", sim.base_url());
    let response = client()
        .get(url)
        .bearer_auth("sk-sim")
        .send()
        .await
        .expect("answered");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn generation_ids_let_a_client_look_a_job_up_while_and_after_it_runs() {
    let sim = start(with_ids());
    let mut response = send(&sim, &ask("sora2-landscape-10s", "SHAPE-JSON shot")).await;
    let first = response.chunk().await.expect("readable").expect("a chunk");
    let first: Value = serde_json::from_str(
        String::from_utf8_lossy(&first)
            .trim()
            .trim_start_matches("data: "),
    )
    .expect("a JSON chunk");
    let id = first["id"].as_str().expect("an id").to_string();
    assert!(id.starts_with("chatcmpl-"), "{id}");
    let (status, running) = generation(&sim, &id).await;
    assert_eq!(status, StatusCode::OK, "{running}");
    assert_eq!(running["id"], id);
    assert_eq!(running["object"], "chat.completion");
    let rest = read(response).await;
    assert!(
        rest.chunks.iter().all(|chunk| chunk["id"] == id),
        "{rest:?}"
    );
    let (_, done) = generation(&sim, &id).await;
    assert_eq!(done["choices"][0]["finish_reason"], "stop", "{done}");
    let content = done["choices"][0]["message"]["content"]
        .as_str()
        .expect("content");
    let result: Value = serde_json::from_str(content).expect("the job's shape: JSON");
    assert!(
        result["url"]
            .as_str()
            .is_some_and(|url| url.contains("/cdn/")),
        "{result}"
    );
    let stats = stats(&sim).await;
    assert_eq!(stats["chat"]["generation_calls"], 2);
}

#[tokio::test]
async fn a_failed_generation_reports_error_and_unknown_ids_get_404() {
    let sim = start(with_ids());
    let failed = streamed(
        &sim,
        &ask("sora2-landscape-10s", &format!("{FORBIDDEN_MARK} x")),
    )
    .await;
    let id = failed.chunks[0]["id"].as_str().expect("an id").to_string();
    let (_, answer) = generation(&sim, &id).await;
    assert_eq!(answer["choices"][0]["finish_reason"], "error", "{answer}");
    let content = answer["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(content.starts_with(FAILURE_PREFIX), "{content}");
    let (status, _) = generation(&sim, "chatcmpl-task_nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_the_knob_ids_are_throwaway_and_the_path_is_unknown() {
    let sim = start(quick());
    let streamed = streamed(&sim, &ask("sora2-landscape-10s", "shot")).await;
    let id = streamed.chunks[0]["id"]
        .as_str()
        .expect("an id")
        .to_string();
    let (status, _) = generation(&sim, &id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(stats(&sim).await["chat"]["generation_calls"], 0);
}
