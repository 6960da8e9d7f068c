//! `POST /videos/{id}/remix` with `{prompt}`: a new video from a completed one of this
//! account, with the source's model, size and length (`remixed_from_video_id` names the
//! source), billed and answered as a create of those parameters is (`create::answer`:
//! the same capacity, quota and lost-answer faults). Every remix that made a video is
//! recorded in arrival order (`Stats::openai_remixes`), so tests can assert a chain.

use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Request, State};
use axum::response::Response;
use serde::Serialize;
use tokio::time::Instant;

use super::request::{self, Asked};
use super::{ApiError, create, refuse_key, unknown_video};
use crate::sim::faults::Connection;
use crate::sim::world::{Dialect, Phase, Task, World};

/// A remix that made a video.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenAiRemix {
    /// The new video, the one it remixes, and the remix's prompt.
    pub id: String,
    pub source: String,
    pub prompt: String,
}

pub async fn remix(
    State(world): State<Arc<World>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    Path(source): Path<String>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let account = match refuse_key(&world, &headers) {
        Ok(account) => account,
        Err(refusal) => return *refusal,
    };
    let now = Instant::now();
    let asked = match create::read(request, &world).await.and_then(|read| {
        let source = source_of(&world, &source, now)?;
        remake(&source, read)
    }) {
        Ok(asked) => asked,
        Err(err) => {
            world.count(|stats| stats.bad_requests += 1);
            return err.answer(&world, &headers);
        }
    };
    let prompt = asked.prompt.clone();
    let mut task = asked.into_task(None);
    task.remixed_from = Some(source.clone());
    let created = world.create(account, task, now);
    if let Ok(task) = &created {
        let seen = OpenAiRemix {
            id: task.id.clone(),
            source,
            prompt,
        };
        world.count(|stats| stats.openai_remixes.push(seen));
    }
    create::answer(&world, &headers, &connection, created, now)
}

/// The video to remix: one of this account's, completed.
fn source_of(world: &World, id: &str, now: Instant) -> Result<Task, ApiError> {
    let source = world
        .task(id)
        .filter(|task| task.request.dialect == Dialect::OpenAi)
        .ok_or_else(|| unknown_video(id))?;
    match source.phase(now) {
        Phase::Completed => Ok(source),
        phase => {
            let status = match phase {
                Phase::Pending => "queued",
                Phase::Processing { .. } => "in_progress",
                _ => "failed",
            };
            Err(ApiError::bad_request(format!(
                "Video '{id}' is {status}; only a completed video can be remixed."
            )))
        }
    }
}

/// The remix's parameters: its prompt (the only field it takes), the source's model,
/// length and size.
fn remake(source: &Task, (fields, reference): create::Read) -> Result<Asked, ApiError> {
    if reference.is_some() {
        return Err(unknown_parameter("input_reference"));
    }
    if let Some(other) = fields.keys().find(|key| *key != "prompt") {
        return Err(unknown_parameter(other));
    }
    let request = &source.request;
    Ok(Asked {
        prompt: request::prompt(&fields)?,
        model: request.model.clone().unwrap_or_default(),
        is_pro: request.is_pro,
        seconds: request.duration,
        size: request.shape.clone(),
    })
}

fn unknown_parameter(name: &str) -> ApiError {
    ApiError {
        param: None,
        ..ApiError::invalid(
            "",
            "unknown_parameter",
            format!("Unknown parameter: '{name}'. A remix takes only 'prompt'."),
        )
    }
}
