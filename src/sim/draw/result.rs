//! `POST /v1/draw/result` and `POST /v1/video/result` with `{id}`: a task's state in the
//! standard spelling (`status` running/succeeded/failed, `results: [{url, pid}]`,
//! `failure_reason`, `error`) or the reseller's (`--draw-spelling reseller`: status
//! `pending` too, `result_url`, `result_urls`, `result_pid`, `error_message`,
//! `credits_refunded`). `--draw-result-path` makes one of the two paths answer 404.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::settings::{ResultPath, Spelling};
use super::{error, ok, refuse_key};
use crate::sim::world::{CONTENT_POLICY_MESSAGE, Dialect, Phase, Task, World};
use crate::sim::{EndlessBody, faults, hostile, sora_hk};

pub async fn draw_result(
    State(world): State<Arc<World>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    answer(&world, ResultPath::Draw, &headers, &body)
}

pub async fn video_result(
    State(world): State<Arc<World>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    answer(&world, ResultPath::Video, &headers, &body)
}

fn answer(world: &World, path: ResultPath, headers: &HeaderMap, body: &[u8]) -> Response {
    let (name, served) = match path {
        ResultPath::Draw => (
            "/v1/draw/result",
            world.settings.draw.draw_result_path != ResultPath::Video,
        ),
        _ => (
            "/v1/video/result",
            world.settings.draw.draw_result_path != ResultPath::Draw,
        ),
    };
    if !served {
        world.count(|stats| stats.draw.wrong_result_path += 1);
        return (StatusCode::NOT_FOUND, "404 page not found").into_response();
    }
    let account = match refuse_key(world, headers) {
        Ok(account) => account,
        Err(refusal) => return *refusal,
    };
    world.count(|stats| {
        stats.polls += 1;
        *stats.draw.result_calls.entry(name.to_string()).or_default() += 1;
    });
    if let Some(endless) = hostile::endless_answer(world, EndlessBody::Status) {
        return endless;
    }
    let asked: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let Some(id) = asked["id"].as_str() else {
        return error(world, headers, 400, "id is required");
    };
    let now = Instant::now();
    match world
        .poll(id, now)
        .filter(|task| task.request.dialect == Dialect::Draw && task.owner == account)
    {
        Some(task) => ok(hostile::padded(world, describe(world, &task, headers, now))),
        None => error(world, headers, 404, &format!("task {id} not found")),
    }
}

/// A task's state as of `now`, in the spelling `--draw-spelling` asks for.
pub fn describe(world: &World, task: &Task, headers: &HeaderMap, now: Instant) -> Value {
    let phase = task.phase(now);
    let (pid, refunded) = world.draw.of(&task.id, now).unwrap_or_default();
    let url = (phase == Phase::Completed).then(|| {
        hostile::video_url(world, headers, &task.id)
            .unwrap_or_else(|| sora_hk::video_url(headers, &task.id))
    });
    let (reason, message) = match &phase {
        Phase::Failed { message } if message == CONTENT_POLICY_MESSAGE => {
            ("input_moderation", faults::echoed(world, headers, message))
        }
        Phase::Failed { message } => ("error", faults::echoed(world, headers, message)),
        _ => ("", String::new()),
    };
    let reseller = world.settings.draw.draw_spelling == Spelling::Reseller;
    let (status, progress) = match phase {
        Phase::Pending => (if reseller { "pending" } else { "running" }, 0),
        Phase::Processing { progress } => ("running", progress),
        Phase::Completed => ("succeeded", 100),
        Phase::Failed { .. } => ("failed", 0),
    };
    if reseller {
        let failed = status == "failed";
        return json!({
            "id": task.id,
            "status": status,
            "progress": progress,
            "result_url": url,
            "result_urls": url.iter().collect::<Vec<_>>(),
            "result_pid": url.as_ref().map(|_| pid),
            "error_message": failed.then_some(message),
            "credits_refunded": refunded,
        });
    }
    let results: Vec<Value> = url
        .iter()
        .map(|url| json!({"url": url, "pid": pid, "removeWatermark": true}))
        .collect();
    json!({
        "id": task.id,
        "status": status,
        "progress": progress,
        "results": results,
        "failure_reason": reason,
        "error": message,
    })
}
