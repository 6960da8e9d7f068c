//! `GET /videos/{id}/content`: a completed video's bytes, with the key, through the
//! shared video server (Range, ETag, the download knobs). With `--expire-after` the bytes
//! go away (404 `video_expired`); with `--content-redirect` the answer is a 302 to the same
//! video on a second origin, which counts the requests that arrive there carrying a key:
//! a client must never send its key to another host.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::time::Instant;

use super::object::expired;
use super::{ApiError, refuse_key, unknown_video};
use crate::sim::video;
use crate::sim::world::{Dialect, Phase, World};

pub async fn content(
    State(world): State<Arc<World>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let account = match refuse_key(&world, &headers) {
        Ok(account) => account,
        Err(refusal) => return *refusal,
    };
    let now = Instant::now();
    let Some(task) = world
        .task(&id)
        .filter(|task| task.request.dialect == Dialect::OpenAi && task.owner == account)
    else {
        return unknown_video(&id).answer(&world, &headers);
    };
    if task.phase(now) != Phase::Completed {
        let not_ready = ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code: "video_not_ready",
            param: None,
            message: format!("Video '{id}' is not ready yet: it has not completed."),
        };
        return not_ready.answer(&world, &headers);
    }
    if expired(&world, &task, now) {
        world.count(|stats| stats.expired_downloads += 1);
        let gone = ApiError {
            status: StatusCode::NOT_FOUND,
            kind: "invalid_request_error",
            code: "video_expired",
            param: None,
            message: format!("Video '{id}' has expired: its content is no longer available."),
        };
        return gone.answer(&world, &headers);
    }
    match world.other_origin {
        Some(origin) => {
            let location = format!("http://{origin}/cdn/{id}.mp4");
            let mut response = StatusCode::FOUND.into_response();
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        None => video::serve(&world, &id, &headers),
    }
}

/// The second origin of `--content-redirect`: a CDN that needs no key and notes whether
/// one arrived anyway.
pub fn other_origin(world: Arc<World>) -> Router {
    Router::new()
        .route("/cdn/{file}", get(redirected))
        .with_state(world)
}

async fn redirected(
    State(world): State<Arc<World>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let with_key = headers.contains_key(header::AUTHORIZATION) || headers.contains_key("api-key");
    world.count(|stats| {
        stats.redirected_requests += 1;
        stats.redirected_with_key += u64::from(with_key);
    });
    let id = file.strip_suffix(".mp4").unwrap_or(&file);
    video::serve(&world, id, &headers)
}
