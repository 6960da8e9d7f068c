//! The OpenAI Videos API as PROTOCOLS.md section 2 describes it: `POST /videos` (JSON, or
//! multipart with an `input_reference` file part), `GET /videos/{id}` and
//! `GET /videos/{id}/content`, with OpenAI's `{"error": {...}}` answers.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::faults::{self, Connection};
use super::video;
use super::world::{Phase, Refusal, Task, TaskRequest, World};

/// Cents per second of video, as OpenAI prices sora-2 and sora-2-pro.
const NORMAL_CENTS_PER_SECOND: i64 = 10;
const PRO_CENTS_PER_SECOND: i64 = 30;

pub fn routes() -> Router<Arc<World>> {
    Router::new()
        .route("/videos", post(create))
        .route("/videos/{id}", get(status))
        .route("/videos/{id}/content", get(content))
}

fn error(status: StatusCode, kind: &str, code: &str, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": kind, "code": code}});
    (status, Json(body)).into_response()
}

fn unknown_video(id: &str) -> Response {
    let message = format!("Video {id} not found");
    error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        "not_found",
        &message,
    )
}

fn refuse_key(world: &World, headers: &HeaderMap) -> Option<Response> {
    if world.admits(headers) {
        return None;
    }
    Some(error(
        StatusCode::UNAUTHORIZED,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided",
    ))
}

async fn create(
    State(world): State<Arc<World>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    request: Request,
) -> Response {
    if let Some(refusal) = refuse_key(&world, request.headers()) {
        return refusal;
    }
    let fields = match read_fields(request, &world).await {
        Ok(fields) => fields,
        Err(message) => return bad_request(&world, &message),
    };
    let task_request = match parse_create(&fields) {
        Ok(task_request) => task_request,
        Err(message) => return bad_request(&world, &message),
    };
    let model = fields
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("sora-2")
        .to_string();
    match world.create(task_request, Instant::now()) {
        Ok(task) => {
            if world.loses_answer(&task) {
                connection.kill();
            }
            Json(describe(&task, &model, Instant::now())).into_response()
        }
        Err(Refusal::AtCapacity { retry_after }) => {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "requests",
                "rate_limit_exceeded",
                "Too many concurrent video generations",
            );
            faults::set_retry_after(&mut response, retry_after);
            response
        }
        Err(Refusal::OutOfBalance { .. }) => error(
            StatusCode::TOO_MANY_REQUESTS,
            "insufficient_quota",
            "insufficient_quota",
            "You exceeded your current quota, please check your plan and billing details",
        ),
    }
}

fn bad_request(world: &World, message: &str) -> Response {
    world.count(|stats| stats.bad_requests += 1);
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        "invalid_value",
        message,
    )
}

/// The form fields of a JSON or multipart create; a file part `input_reference` becomes
/// a note of its size (the simulator does not look at pictures).
async fn read_fields(request: Request, world: &Arc<World>) -> Result<Map<String, Value>, String> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"));
    if !is_multipart {
        let Json(fields) = Json::<Map<String, Value>>::from_request(request, world)
            .await
            .map_err(|err| err.body_text())?;
        return Ok(fields);
    }
    let mut form = Multipart::from_request(request, world)
        .await
        .map_err(|err| err.body_text())?;
    let mut fields = Map::new();
    while let Some(field) = form.next_field().await.map_err(|err| err.body_text())? {
        let name = field.name().unwrap_or_default().to_string();
        let value = if name == "input_reference" {
            let bytes = field.bytes().await.map_err(|err| err.body_text())?;
            Value::String(format!("input_reference ({} bytes)", bytes.len()))
        } else {
            Value::String(field.text().await.map_err(|err| err.body_text())?)
        };
        fields.insert(name, value);
    }
    Ok(fields)
}

fn parse_create(fields: &Map<String, Value>) -> Result<TaskRequest, String> {
    let text = |name: &str| match &fields.get(name) {
        Some(Value::String(text)) => Some(text.trim().to_string()),
        Some(Value::Number(number)) => Some(number.to_string()),
        _ => None,
    };
    let prompt = text("prompt").filter(|prompt| !prompt.is_empty());
    let prompt = prompt.ok_or("Missing required parameter: 'prompt'.")?;
    let model = text("model").unwrap_or_else(|| "sora-2".to_string());
    let is_pro = model.starts_with("sora-2-pro");
    if !is_pro && !model.starts_with("sora-2") {
        return Err(format!("Invalid value for 'model': '{model}'."));
    }
    let seconds = text("seconds").unwrap_or_else(|| "4".to_string());
    let duration = match seconds.as_str() {
        "4" | "8" | "12" => seconds.parse().unwrap_or(4),
        other => {
            return Err(format!(
                "Invalid value for 'seconds': '{other}'. Supported values are: '4', '8', and '12'."
            ));
        }
    };
    let size = text("size").unwrap_or_else(|| "720x1280".to_string());
    let sizes: &[&str] = if is_pro {
        &["720x1280", "1280x720", "1024x1792", "1792x1024"]
    } else {
        &["720x1280", "1280x720"]
    };
    if !sizes.contains(&size.as_str()) {
        return Err(format!("Invalid value for 'size': '{size}'."));
    }
    let per_second = if is_pro {
        PRO_CENTS_PER_SECOND
    } else {
        NORMAL_CENTS_PER_SECOND
    };
    Ok(TaskRequest {
        prompt,
        image_url: text("input_reference"),
        is_pro,
        duration,
        shape: size,
        cost_cents: per_second * i64::from(duration),
    })
}

/// The video object.
fn describe(task: &Task, model: &str, now: Instant) -> Value {
    let phase = task.phase(now);
    let (status, progress) = match &phase {
        Phase::Pending => ("queued", 0),
        Phase::Processing { progress } => ("in_progress", *progress),
        Phase::Completed => ("completed", 100),
        Phase::Failed { .. } => ("failed", 0),
    };
    let mut video = json!({
        "id": task.id,
        "object": "video",
        "model": model,
        "status": status,
        "progress": progress,
        "created_at": task.created_unix,
        "seconds": task.request.duration.to_string(),
        "size": task.request.shape,
        "prompt": task.request.prompt,
    });
    match phase {
        Phase::Completed => {
            video["completed_at"] = json!(task.completed_unix());
            video["expires_at"] = json!(task.completed_unix().map(|at| at + 3600));
        }
        Phase::Failed { message } => {
            let code = if message.contains("content policy") {
                "moderation_blocked"
            } else {
                "video_generation_failed"
            };
            video["error"] = json!({"code": code, "message": message});
        }
        _ => {}
    }
    video
}

async fn status(
    State(world): State<Arc<World>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = refuse_key(&world, &headers) {
        return refusal;
    }
    world.count(|stats| stats.polls += 1);
    let now = Instant::now();
    let Some(task) = world.poll(&id, now) else {
        return unknown_video(&id);
    };
    let model = if task.request.is_pro {
        "sora-2-pro"
    } else {
        "sora-2"
    };
    let mut response = Json(describe(&task, model, now)).into_response();
    // The server's hint for the next poll: half the time left, as a gateway might say.
    let left = (task.created + task.generation).saturating_duration_since(now);
    if !left.is_zero() {
        let hint = (left / 2).max(Duration::from_millis(100)).as_millis();
        if let Ok(value) = HeaderValue::from_str(&hint.to_string()) {
            response.headers_mut().insert("openai-poll-after-ms", value);
        }
    }
    response
}

async fn content(
    State(world): State<Arc<World>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = refuse_key(&world, &headers) {
        return refusal;
    }
    match world.task(&id).map(|task| task.phase(Instant::now())) {
        None => unknown_video(&id),
        Some(Phase::Completed) => video::serve(&world, &id, &headers),
        Some(_) => error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "video_not_ready",
            "Video is not ready yet",
        ),
    }
}
