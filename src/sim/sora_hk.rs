//! The Sora.hk task API as PROTOCOLS.md section 1 describes it: every answer in the
//! `{code, message, data}` envelope, in-body codes 1001 (bad parameter) and 1012
//! (insufficient balance), HTTP 401 for a wrong key and 429 at capacity.

use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::faults::{self, Connection};
use super::hostile;
use super::world::{Dialect, Phase, Refusal, Task, TaskRequest, World};
use super::{AmbiguousAnswer, EndlessBody};

/// Prices in cents per task, as `GET /pricing` documents them.
pub const NORMAL_PRICE: i64 = 3;
pub const PRO_PRICE: i64 = 30;
/// What `GET /balance` says when no `--balance` was set.
const UNLIMITED_BALANCE: i64 = 1_000_000;

pub fn routes() -> Router<Arc<World>> {
    Router::new()
        .route("/create", post(create))
        .route("/tasks", get(list))
        .route("/tasks/{id}", get(status))
        .route("/balance", get(balance))
        .route("/pricing", get(pricing))
}

fn envelope(code: i64, message: &str, data: Value) -> Response {
    Json(json!({"code": code, "message": message, "data": data})).into_response()
}

fn ok(data: Value) -> Response {
    envelope(200, "success", data)
}

/// Checks the bearer key: the index of its key (account), or the answer to send when it
/// is wrong.
fn refuse_key(world: &World, headers: &HeaderMap) -> Result<usize, Box<Response>> {
    if let Some(account) = world.caller(headers, false) {
        return Ok(account);
    }
    let message = faults::echoed(world, headers, "invalid or disabled API key");
    let mut response = envelope(401, &message, Value::Null);
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    Err(Box::new(response))
}

async fn create(
    State(world): State<Arc<World>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let account = match refuse_key(&world, &headers) {
        Ok(account) => account,
        Err(refusal) => return *refusal,
    };
    let request = match parse_create(&body) {
        Ok(request) => request,
        Err(problem) => {
            world.count(|stats| stats.bad_requests += 1);
            return envelope(
                1001,
                &faults::echoed(&world, &headers, &problem),
                Value::Null,
            );
        }
    };
    match world.create(account, request, Instant::now()) {
        Ok(task) => {
            if let Some(endless) = hostile::endless_answer(&world, EndlessBody::Create) {
                return endless;
            }
            if world.loses_answer(&task) {
                return lost_answer(&world, &connection);
            }
            let cost = world.reported_cost(&task);
            let data = json!({"task_id": task.id, "status": "pending", "cost": cost});
            ok(data)
        }
        Err(Refusal::AtCapacity { retry_after }) => {
            let mut response = envelope(429, "too many active tasks", Value::Null);
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            faults::set_retry_after(&mut response, retry_after);
            response
        }
        Err(Refusal::OutOfBalance { balance_cents }) => {
            let message = format!("insufficient balance: {balance_cents} cents left");
            envelope(
                1012,
                &faults::echoed(&world, &headers, &message),
                Value::Null,
            )
        }
    }
}

/// The end of a create that was billed but is not answered properly.
fn lost_answer(world: &World, connection: &Connection) -> Response {
    match world.settings.ambiguous_answer {
        AmbiguousAnswer::Drop => {
            connection.kill();
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        AmbiguousAnswer::ServerError => {
            let mut response = envelope(500, "internal server error", Value::Null);
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
        }
        AmbiguousAnswer::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "service temporarily unavailable",
        )
            .into_response(),
    }
}

/// Reads a create request, or says (as the real API does) which parameter is wrong.
fn parse_create(body: &[u8]) -> Result<TaskRequest, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|err| format!("invalid JSON: {err}"))?;
    let prompt = value["prompt"]
        .as_str()
        .unwrap_or_default()
        .trim()
        .to_string();
    if prompt.is_empty() {
        return Err("prompt is required".to_string());
    }
    let is_pro = match &value["is_pro"] {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        other => return Err(format!("is_pro must be a boolean, not {other}")),
    };
    let duration = match &value["duration"] {
        Value::Null => 10,
        other => other
            .as_u64()
            .ok_or(format!("duration must be a number, not {other}"))? as u32,
    };
    let allowed: &[u32] = if is_pro { &[10, 15, 25] } else { &[10, 15] };
    if !allowed.contains(&duration) {
        let mode = if is_pro { "pro" } else { "normal" };
        return Err(format!(
            "duration {duration} is not allowed in {mode} mode ({allowed:?})"
        ));
    }
    let resolution = value["resolution"]
        .as_str()
        .unwrap_or("horizontal")
        .to_string();
    if resolution != "horizontal" && resolution != "vertical" {
        return Err(format!(
            "resolution must be horizontal or vertical, not {resolution}"
        ));
    }
    let image_url = value["image_url"].as_str().filter(|url| !url.is_empty());
    if let Some(url) = image_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(format!("image_url must be an http(s) URL, not {url}"));
    }
    Ok(TaskRequest {
        dialect: Dialect::SoraHk,
        prompt,
        image_url: image_url.map(str::to_string),
        is_pro,
        duration,
        shape: resolution,
        cost_cents: if is_pro { PRO_PRICE } else { NORMAL_PRICE },
        model: None,
        remixed_from: None,
    })
}

/// A task as `GET /tasks/{id}` and the list show it.
fn describe(world: &World, task: &Task, headers: &HeaderMap, now: Instant) -> Value {
    let phase = task.phase(now);
    let (status, progress) = match &phase {
        Phase::Pending => ("pending", 0),
        Phase::Processing { progress } => ("processing", *progress),
        Phase::Completed => ("completed", 100),
        Phase::Failed { .. } => ("failed", 0),
    };
    let mut data = json!({
        "task_id": task.id,
        "status": status,
        "progress": progress,
        "prompt": task.request.prompt,
        "image_url": task.request.image_url,
        "is_pro": task.request.is_pro,
        "duration": task.request.duration,
        "resolution": task.request.shape,
        "cost": world.reported_cost(task),
        "created_at": task.created_unix,
    });
    match phase {
        Phase::Completed => {
            let link = hostile::video_url(world, headers, &task.id)
                .unwrap_or_else(|| video_url(headers, &task.id));
            data["video_url"] = json!(link);
            data["completed_at"] = json!(task.completed_unix());
        }
        Phase::Failed { message } => {
            data["error_msg"] = json!(faults::echoed(world, headers, &message));
            data["completed_at"] = json!(task.completed_unix());
        }
        _ => {}
    }
    data
}

/// The CDN link of a video, on the host the client called.
pub fn video_url(headers: &HeaderMap, task_id: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}/cdn/{task_id}.mp4")
}

async fn status(
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
    match world.poll(&id, now).filter(|task| task.owner == account) {
        Some(task) => ok(hostile::padded(
            &world,
            describe(&world, &task, &headers, now),
        )),
        None => {
            let message = faults::echoed(&world, &headers, &format!("task {id} not found"));
            let mut response = envelope(404, &message, Value::Null);
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
    }
}

#[derive(Deserialize)]
struct ListQuery {
    page: Option<usize>,
    page_size: Option<usize>,
    status: Option<String>,
}

async fn list(
    State(world): State<Arc<World>>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    let account = match refuse_key(&world, &headers) {
        Ok(account) => account,
        Err(refusal) => return *refusal,
    };
    world.count(|stats| stats.lists += 1);
    let page = match world.settings.list_ignores_page {
        true => 1,
        false => query.page.unwrap_or(1).max(1),
    };
    let page_size = query.page_size.unwrap_or(20).clamp(1, 100);
    let (tasks, total) = world.page(account, page, page_size);
    let now = Instant::now();
    let list: Vec<Value> = tasks
        .iter()
        .map(|task| describe(&world, task, &headers, now))
        .map(|mut task| {
            if let (Some(limit), Some(prompt)) =
                (world.settings.list_prompt_chars, task["prompt"].as_str())
            {
                task["prompt"] = json!(prompt.chars().take(limit).collect::<String>());
            }
            task
        })
        .filter(|task| query.status.as_deref().is_none_or(|s| task["status"] == s))
        .collect();
    ok(json!({"list": list, "total": total, "page": page, "page_size": page_size}))
}

async fn balance(State(world): State<Arc<World>>, headers: HeaderMap) -> Response {
    let account = match refuse_key(&world, &headers) {
        Ok(account) => account,
        Err(refusal) => return *refusal,
    };
    if world.settings.no_balance_endpoint {
        return StatusCode::NOT_FOUND.into_response();
    }
    let left = world
        .balance_cents(account)
        .unwrap_or(UNLIMITED_BALANCE - world.spent_cents(account));
    ok(json!({"balance": left}))
}

async fn pricing(State(world): State<Arc<World>>, headers: HeaderMap) -> Response {
    if let Err(refusal) = refuse_key(&world, &headers) {
        return *refusal;
    }
    ok(
        json!({"normal_price": NORMAL_PRICE, "pro_price": PRO_PRICE, "currency": "USD", "unit": "cents"}),
    )
}
