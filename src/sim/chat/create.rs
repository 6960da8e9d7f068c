//! `POST /v1/chat/completions`: checks the key and the request (`request`), answers
//! `stream: false` with availability alone (nothing generated, nothing billed, as
//! sora2api does), and otherwise bills the job through the shared world before anything
//! is sent, gives it its result shape, and answers with the `stream`. Refusals come before
//! the stream, in OpenAI's error shape: 400 for a model the gateway does not serve, 429
//! at `--capacity` (with `Retry-After`) or past `--balance`. A billed create can meet the
//! shared faults: its stream cut (a `LOST-ANSWER` prompt, `--ambiguous-rate`) or never
//! ending (`--endless-body create`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::time::Instant;

use super::chunk::{AVAILABILITY_MESSAGE, Envelope};
use super::request::{self, ChatAsk};
use super::stream::{self, Plan};
use super::{ApiError, refuse_key};
use crate::sim::EndlessBody;
use crate::sim::faults::{self, Connection};
use crate::sim::hostile;
use crate::sim::world::{Refusal, Task, World};

/// Where a lost answer's stream is cut unless `--chat-cut-after` says.
const LOST_ANSWER_CUT: u8 = 50;

pub async fn create(
    State(world): State<Arc<World>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let account = match refuse_key(&world, &headers) {
        Ok(account) => account,
        Err(refusal) => return *refusal,
    };
    let ask = match request::parse(&body, &world.settings.chat.chat_model_prefix) {
        Ok(ask) => ask,
        Err(err) => {
            let unknown_model = err.param == Some("model");
            world.count(|stats| {
                stats.bad_requests += 1;
                stats.chat.unknown_models += u64::from(unknown_model);
            });
            return err.answer(&world, &headers);
        }
    };
    if !ask.stream {
        world.count(|stats| stats.chat.availability_checks += 1);
        let envelope = envelope(&world, None);
        let message = json!({"role": "assistant", "content": AVAILABILITY_MESSAGE});
        return Json(envelope.completion(message, Some("stop"))).into_response();
    }
    let task = match world.create(account, ask.task_request(), Instant::now()) {
        Ok(task) => task,
        Err(refusal) => return refused(&world, &headers, refusal),
    };
    billed(&world, &ask, &task);
    if let Some(endless) = hostile::endless_answer(&world, EndlessBody::Create) {
        return endless;
    }
    let settings = &world.settings.chat;
    let cut_at = match world.loses_answer(&task) {
        true => Some(settings.chat_cut_after.unwrap_or(LOST_ANSWER_CUT)),
        false => settings.chat_cut_after,
    };
    let plan = Plan {
        envelope: envelope(&world, Some(&task.id)),
        shape: world
            .chat
            .assign(&task.id, &ask.prompt, settings.chat_result_shape),
        uploaded: task.request.image_url.is_some(),
        cut_at,
        stall_at: settings.chat_stall_after,
        trickle_at: settings.chat_trickle_after,
        task_id: task.id,
    };
    stream::answer(world.clone(), headers, connection, plan)
}

/// The id and time every chunk of an answer carries: the generation's own id with
/// `--chat-generation-ids`, else a throwaway one in sora2api's style.
pub fn envelope(world: &World, task_id: Option<&str>) -> Envelope {
    let id = match task_id.filter(|_| world.settings.chat.chat_generation_ids) {
        Some(task_id) => generation_id(task_id),
        None => {
            let since = world.system_now().duration_since(std::time::UNIX_EPOCH);
            format!("chatcmpl-{}", since.unwrap_or_default().as_millis())
        }
    };
    Envelope {
        id,
        created: world.unix_seconds(),
    }
}

/// The id `GET /v1/generation/{id}` knows a task by.
pub fn generation_id(task_id: &str) -> String {
    format!("{GENERATION_ID_PREFIX}{task_id}")
}

pub const GENERATION_ID_PREFIX: &str = "chatcmpl-";

/// Counts a billed job on the chat side.
fn billed(world: &World, ask: &ChatAsk, task: &Task) {
    world.count(|stats| {
        let chat = &mut stats.chat;
        chat.creates += 1;
        chat.billed_cents += task.request.cost_cents;
        *chat
            .creates_by_model
            .entry(ask.model.name.clone())
            .or_default() += 1;
        chat.references.extend(ask.reference.clone());
        chat.asks.push(ask.extras.clone());
    });
}

fn refused(world: &World, headers: &HeaderMap, refusal: Refusal) -> Response {
    match refusal {
        Refusal::AtCapacity { retry_after } => {
            let busy = ApiError {
                status: StatusCode::TOO_MANY_REQUESTS,
                kind: "rate_limit_exceeded",
                code: "rate_limit_exceeded",
                param: None,
                message: "Failed to acquire concurrency slot: too many generations running"
                    .to_string(),
            };
            let mut response = busy.answer(world, headers);
            faults::set_retry_after(&mut response, retry_after);
            response
        }
        Refusal::OutOfBalance { .. } => ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            kind: "insufficient_quota",
            code: "insufficient_quota",
            param: None,
            message: "No available tokens for video generation: Sora2 quota exhausted".to_string(),
        }
        .answer(world, headers),
    }
}
