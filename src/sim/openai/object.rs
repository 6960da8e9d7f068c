//! The video object (status answers, create answers and list entries alike), its status
//! names (official, or a gateway's with `--gateway-statuses`), its expiry
//! (`--expire-after`), and `GET /videos/{id}` with its `openai-poll-after-ms` hint.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{refuse_key, unknown_video};
use crate::sim::EndlessBody;
use crate::sim::faults;
use crate::sim::hostile;
use crate::sim::world::{CONTENT_POLICY_MESSAGE, Dialect, Phase, Task, World};

/// What `expires_at` says when `--expire-after` is not set (the content never expires).
const NOMINAL_LIFETIME: Duration = Duration::from_secs(3600);

/// What a moderation failure says, in OpenAI's words.
pub const MODERATION_MESSAGE: &str =
    "Your request was blocked by our moderation system. Please revise the prompt and try again.";

/// Whether a completed video's content has expired (`--expire-after`).
pub fn expired(world: &World, task: &Task, now: Instant) -> bool {
    world
        .settings
        .expire_after
        .is_some_and(|after| task.phase(now) == Phase::Completed && now >= task.ends_at() + after)
}

/// The video object of `task` as of `now`.
pub fn describe(world: &World, task: &Task, headers: &HeaderMap, now: Instant) -> Value {
    let phase = task.phase(now);
    let gateway = world.settings.gateway_statuses;
    let (status, progress) = match &phase {
        Phase::Pending => (if gateway { "pending" } else { "queued" }, 0),
        Phase::Processing { progress } => (
            if gateway { "processing" } else { "in_progress" },
            *progress,
        ),
        Phase::Completed if gateway && expired(world, task, now) => ("expired", 100),
        Phase::Completed => (if gateway { "succeeded" } else { "completed" }, 100),
        Phase::Failed { message } if gateway && message != CONTENT_POLICY_MESSAGE => {
            ("cancelled", 0)
        }
        Phase::Failed { .. } => ("failed", 0),
    };
    let model = task
        .request
        .model
        .as_deref()
        .unwrap_or(match task.request.is_pro {
            true => "sora-2-pro",
            false => "sora-2",
        });
    let ended = matches!(phase, Phase::Completed | Phase::Failed { .. });
    let lifetime = world.settings.expire_after.unwrap_or(NOMINAL_LIFETIME);
    let completed_at = task.completed_unix().filter(|_| ended);
    let expires_at = completed_at
        .filter(|_| phase == Phase::Completed)
        .map(|at| at + lifetime.as_secs_f64().ceil() as u64);
    let error = match phase {
        Phase::Failed { message } if message == CONTENT_POLICY_MESSAGE => {
            json!({"code": "moderation_blocked", "message": faults::echoed(world, headers, MODERATION_MESSAGE)})
        }
        Phase::Failed { message } => {
            json!({"code": "video_generation_failed", "message": faults::echoed(world, headers, &message)})
        }
        _ => Value::Null,
    };
    json!({
        "id": task.id,
        "object": "video",
        "model": model,
        "status": status,
        "progress": progress,
        "created_at": task.created_unix,
        "completed_at": completed_at,
        "expires_at": expires_at,
        "seconds": task.request.duration.to_string(),
        "size": task.request.shape,
        "prompt": task.request.prompt,
        "remixed_from_video_id": task.request.remixed_from,
        "error": error,
    })
}

/// `GET /videos/{id}`.
pub async fn status(
    State(world): State<Arc<World>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let account = match refuse_key(&world, &headers) {
        Ok(account) => account,
        Err(refusal) => return *refusal,
    };
    world.count(|stats| stats.polls += 1);
    if let Some(endless) = hostile::endless_answer(&world, EndlessBody::Status) {
        return endless;
    }
    let now = Instant::now();
    let Some(task) = world
        .poll(&id, now)
        .filter(|task| task.request.dialect == Dialect::OpenAi && task.owner == account)
    else {
        return unknown_video(&id).answer(&world, &headers);
    };
    let video = hostile::padded(&world, describe(&world, &task, &headers, now));
    let mut response = Json(video).into_response();
    if let Some(hint) = world.settings.openai_poll_after_ms {
        response
            .headers_mut()
            .insert("openai-poll-after-ms", HeaderValue::from(hint));
    }
    response
}
