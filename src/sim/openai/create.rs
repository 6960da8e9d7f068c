//! `POST /videos`: reads a JSON or multipart create, checks it (`request`, `reference`),
//! bills it through the shared world, and answers with the video object, or with the
//! faults a billed create can meet: its answer lost (`--ambiguous-rate`, a `LOST-ANSWER`
//! prompt, as `--ambiguous-answer` says) or never ending (`--endless-body create`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use tokio::time::Instant;

use super::object::describe;
use super::reference::Reference;
use super::request::{self, Asked};
use super::{ApiError, refuse_key};
use crate::sim::faults::{self, Connection};
use crate::sim::hostile;
use crate::sim::world::{ReferenceSeen, Refusal, Task, World};
use crate::sim::{AmbiguousAnswer, EndlessBody};

pub async fn create(
    State(world): State<Arc<World>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let account = match refuse_key(&world, &headers) {
        Ok(account) => account,
        Err(refusal) => return *refusal,
    };
    let (asked, seen) = match read(request, &world)
        .await
        .and_then(|read| checked(&world, read))
    {
        Ok(checked) => checked,
        Err(err) => {
            world.count(|stats| stats.bad_requests += 1);
            return err.answer(&world, &headers);
        }
    };
    let now = Instant::now();
    let created = world.create(account, asked.into_task(seen.as_ref()), now);
    if let (Ok(_), Some(seen)) = (&created, seen) {
        world.count(|stats| {
            stats.reference_creates += 1;
            stats.last_reference = Some(seen);
        });
    }
    answer(&world, &headers, &connection, created, now)
}

/// The answer to a create (or a remix, which is billed as one) that `World::create`
/// made or refused: the video object, or the faults a billed create can meet.
pub fn answer(
    world: &World,
    headers: &HeaderMap,
    connection: &Connection,
    created: Result<Task, Refusal>,
    now: Instant,
) -> Response {
    match created {
        Ok(task) => {
            if let Some(endless) = hostile::endless_answer(world, EndlessBody::Create) {
                return endless;
            }
            if world.loses_answer(&task) {
                return lost_answer(world, headers, connection);
            }
            Json(describe(world, &task, headers, now)).into_response()
        }
        Err(Refusal::AtCapacity { retry_after }) => {
            let busy = ApiError {
                status: StatusCode::TOO_MANY_REQUESTS,
                kind: "requests",
                code: "rate_limit_exceeded",
                param: None,
                message: "Too many concurrent video generations. Try again later.".to_string(),
            };
            let mut response = busy.answer(world, headers);
            faults::set_retry_after(&mut response, retry_after);
            response
        }
        Err(Refusal::OutOfBalance { .. }) => ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            kind: "insufficient_quota",
            code: "insufficient_quota",
            param: None,
            message: "You exceeded your current quota, please check your plan and billing details."
                .to_string(),
        }
        .answer(world, headers),
    }
}

/// A create's fields and its reference image, as read.
pub type Read = (Map<String, Value>, Option<Reference>);

fn checked(
    world: &World,
    (fields, reference): Read,
) -> Result<(Asked, Option<ReferenceSeen>), ApiError> {
    let asked = request::parse(&fields, world.settings.openai_durations.as_deref())?;
    let seen = reference
        .map(|reference| reference.check(asked.pixels()))
        .transpose()?;
    Ok((asked, seen))
}

/// The fields of a JSON or multipart create, the reference image taken out.
pub async fn read(request: Request, world: &Arc<World>) -> Result<Read, ApiError> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"));
    let unreadable =
        |text: String| ApiError::bad_request(format!("Could not read the request body: {text}"));
    if !is_multipart {
        let Json(mut fields) = Json::<Map<String, Value>>::from_request(request, world)
            .await
            .map_err(|err| unreadable(err.body_text()))?;
        let reference = match fields.remove("input_reference") {
            None | Some(Value::Null) => None,
            Some(value) => Some(Reference::from_json(&value)?),
        };
        return Ok((fields, reference));
    }
    let mut form = Multipart::from_request(request, world)
        .await
        .map_err(|err| unreadable(err.body_text()))?;
    let mut fields = Map::new();
    let mut reference = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|err| unreadable(err.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let is_file = field.file_name().is_some();
        let bytes = field
            .bytes()
            .await
            .map_err(|err| unreadable(err.body_text()))?;
        if name == "input_reference" {
            reference = Some(Reference::from_part(bytes.to_vec(), is_file)?);
        } else {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            fields.insert(name, Value::String(text));
        }
    }
    Ok((fields, reference))
}

/// The end of a create that was billed but is not answered properly.
fn lost_answer(world: &World, headers: &HeaderMap, connection: &Connection) -> Response {
    let (status, kind) = match world.settings.ambiguous_answer {
        AmbiguousAnswer::Drop => {
            connection.kill();
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        AmbiguousAnswer::ServerError => (StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
        AmbiguousAnswer::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "service_unavailable"),
    };
    let failure = ApiError {
        status,
        kind,
        code: kind,
        param: None,
        message: "The server had an error while processing your request. Sorry about that!"
            .to_string(),
    };
    failure.answer(world, headers)
}
