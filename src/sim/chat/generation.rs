//! `GET /v1/generation/{id}` (seed 004's gateway): a chat job's state, looked up by the id
//! its chunks carried, as a `chat.completion` whose message says it: progress text and no
//! `finish_reason` while it runs, the result in the job's shape with `stop`, the failure
//! text with `error`. Only with `--chat-generation-ids`; otherwise the path is unknown
//! (HTTP 404), as it is on sora2api.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::chunk::{self, Envelope};
use super::create::GENERATION_ID_PREFIX;
use super::{ApiError, refuse_key};
use crate::sim::world::{Dialect, Phase, World};
use crate::sim::{faults, hostile, sora_hk};

pub async fn status(
    State(world): State<Arc<World>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !world.settings.chat.chat_generation_ids {
        return (StatusCode::NOT_FOUND, Json(json!({"detail": "Not Found"}))).into_response();
    }
    let account = match refuse_key(&world, &headers) {
        Ok(account) => account,
        Err(refusal) => return *refusal,
    };
    world.count(|stats| {
        stats.polls += 1;
        stats.chat.generation_calls += 1;
    });
    let now = Instant::now();
    let task = id
        .strip_prefix(GENERATION_ID_PREFIX)
        .and_then(|task_id| world.poll(task_id, now))
        .filter(|task| task.request.dialect == Dialect::Chat && task.owner == account);
    let Some(task) = task else {
        let unknown = ApiError {
            status: StatusCode::NOT_FOUND,
            kind: "invalid_request_error",
            code: "not_found",
            param: None,
            message: format!("No generation with id '{id}'."),
        };
        return unknown.answer(&world, &headers);
    };
    let envelope = Envelope {
        id,
        created: task.created_unix,
    };
    let (mut message, finish) = match task.phase(now) {
        Phase::Pending => (chunk::progress(0, "queued", false, 0), None),
        Phase::Processing { progress } => (chunk::progress(progress, "processing", false, 0), None),
        Phase::Completed => {
            let url = hostile::video_url(&world, &headers, &task.id)
                .unwrap_or_else(|| sora_hk::video_url(&headers, &task.id));
            let shape = world.chat.shape(&task.id);
            (chunk::result(shape, &url, &task.id), Some("stop"))
        }
        Phase::Failed { message } => {
            let reason = faults::echoed(&world, &headers, &message);
            (chunk::failure(&reason), Some("error"))
        }
    };
    if message["content"].is_null() {
        message["content"] = message["reasoning_content"].take();
    }
    if let Value::Object(fields) = &mut message {
        fields.retain(|_, value| !value.is_null());
        fields.insert("role".to_string(), json!("assistant"));
    }
    Json(hostile::padded(
        &world,
        envelope.completion(message, finish),
    ))
    .into_response()
}
