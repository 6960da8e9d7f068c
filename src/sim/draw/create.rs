//! `POST /v1/video/sora-video`: checks the create (`request`), bills its credits, checks
//! its `remixTargetId` against the pids the simulator issued (a remix of anything but a
//! finished video of this account fails, refunded), and answers with `{id}` at once
//! (`webHook: "-1"`) or as a stream of `data:` lines. A billed create can meet the shared
//! faults: its answer lost (`--ambiguous-rate`, a `LOST-ANSWER` prompt, as
//! `--ambiguous-answer` says) or never ending (`--endless-body create`).

use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::time::Instant;

use super::ledger::RemixSeen;
use super::request::{self, DrawAsk};
use super::{error, ok, refuse_key, stream};
use crate::sim::faults::{self, Connection};
use crate::sim::world::{Refusal, Task, World};
use crate::sim::{AmbiguousAnswer, EndlessBody, hostile};

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
    let ask = match request::parse(&body) {
        Ok(ask) => ask,
        Err(problem) => {
            world.count(|stats| stats.bad_requests += 1);
            return error(&world, &headers, 400, &problem);
        }
    };
    let task = match billed(&world, account, &ask) {
        Ok(task) => task,
        Err(refused) => return refused.answer(&world, &headers),
    };
    if let Some(endless) = hostile::endless_answer(&world, EndlessBody::Create) {
        return endless;
    }
    if world.loses_answer(&task) {
        return lost_answer(&world, &headers, &connection);
    }
    match ask.immediate {
        true => ok(json!({"id": task.id})),
        false => stream::answer(world, task.id, headers, ask.shut_progress),
    }
}

/// Why a create made no task.
#[derive(Debug)]
pub enum Refused {
    Credits { left: i64, price: i64 },
    Busy(Refusal),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Credits { left, price } => write!(f, "{left} credits left, {price} needed"),
            Refused::Busy(refusal) => write!(f, "{refusal:?}"),
        }
    }
}

impl Refused {
    fn answer(self, world: &World, headers: &HeaderMap) -> Response {
        match self {
            Refused::Credits { left, price } => {
                let message = format!("insufficient credits: {left} left, the task costs {price}");
                error(world, headers, 402, &message)
            }
            Refused::Busy(Refusal::AtCapacity { retry_after }) => {
                let body = faults::Shape::Draw.error(429, "", "too many running tasks");
                let mut response =
                    (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
                faults::set_retry_after(&mut response, retry_after);
                response
            }
            // Draw tasks cost no cents, so the cents balance never refuses them.
            Refused::Busy(Refusal::OutOfBalance { .. }) => {
                error(world, headers, 402, "insufficient balance")
            }
        }
    }
}

/// Takes the credits, makes the task (key `account`'s), checks its remix target, and
/// counts it all.
pub fn billed(world: &World, account: usize, ask: &DrawAsk) -> Result<Task, Refused> {
    let settings = &world.settings.draw;
    let price = ask.credits(settings);
    let now = Instant::now();
    if let Err(left) = world.draw.reserve(settings.draw_credits, price, now) {
        world.count(|stats| stats.draw.out_of_credits += 1);
        return Err(Refused::Credits { left, price });
    }
    let task = world
        .create(account, ask.task_request(), now)
        .map_err(|refusal| {
            world.draw.release(price);
            Refused::Busy(refusal)
        })?;
    let remix = ask
        .remix_target
        .as_ref()
        .map(|target| remix_seen(world, &task, target, now));
    let task = match &remix {
        Some(seen) if !seen.accepted => {
            let message = format!(
                "remixTargetId {} names no finished video of this account",
                seen.target
            );
            world.set_failure(&task.id, message).unwrap_or(task)
        }
        _ => task,
    };
    world.draw.record(&task, price);
    world.count(|stats| {
        let draw = &mut stats.draw;
        draw.creates += 1;
        draw.stream_creates += u64::from(!ask.immediate);
        draw.credits_billed += price;
        draw.character_creates += u64::from(ask.characters > 0);
        draw.characters += ask.characters as u64;
        draw.remixes.extend(remix);
    });
    Ok(task)
}

fn remix_seen(world: &World, task: &Task, target: &str, now: Instant) -> RemixSeen {
    let source_task = world.draw.task_of(target);
    let accepted = source_task
        .as_deref()
        .and_then(|id| world.task(id))
        .is_some_and(|source| source.phase(now) == crate::sim::world::Phase::Completed);
    RemixSeen {
        task_id: task.id.clone(),
        prompt: task.request.prompt.clone(),
        target: target.to_string(),
        source_task,
        accepted,
    }
}

/// The end of a create that was billed but is not answered properly.
fn lost_answer(world: &World, headers: &HeaderMap, connection: &Connection) -> Response {
    match world.settings.ambiguous_answer {
        AmbiguousAnswer::Drop => {
            connection.kill();
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        AmbiguousAnswer::ServerError => {
            let message = faults::echoed(world, headers, "internal server error");
            let body = faults::Shape::Draw.error(500, "", &message);
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
        }
        AmbiguousAnswer::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "service temporarily unavailable",
        )
            .into_response(),
    }
}
