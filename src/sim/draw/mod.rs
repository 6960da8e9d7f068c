//! The Sora2 "draw" API (GrsAI and its resellers) as PROTOCOLS.md section 4 describes it:
//! every answer an envelope `{code, msg, data}`, `code` 0 for success. `create` (`POST
//! /v1/video/sora-video`, checked in `request`, answered at once or as a `stream`),
//! `result` (`/v1/draw/result` and `/v1/video/result`, in two field spellings), `credits`
//! (`/client/...`: a key's credits, the model's status), `ledger` (credits, refunds and
//! pids), `settings` (its knobs). Served on both hosts (see `sim::hosts`).
//!
//! Error codes mirror HTTP: 400 bad parameter, 401 wrong key, 402 out of credits, 404
//! unknown task, 429 too many active tasks, 500 server error. The HTTP status is 200
//! (as the real API answers) unless `--draw-error-status`; a 429 is always HTTP 429.

mod create;
mod credits;
mod ledger;
mod request;
mod result;
mod settings;
mod stream;

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::faults;
use super::world::World;

pub use ledger::{DrawStats, Ledger, RemixSeen};
pub use settings::{DownHow, DrawSettings, Host, LARGE_PRICE, ResultPath, SMALL_PRICE, Spelling};

/// The create path, which hosts count apart.
pub const CREATE_PATH: &str = "/v1/video/sora-video";

/// Routes under `/v1`.
pub fn routes() -> Router<Arc<World>> {
    Router::new()
        .route("/video/sora-video", post(create::create))
        .route("/draw/result", post(result::draw_result))
        .route("/video/result", post(result::video_result))
}

/// Routes at the host's root.
pub fn client_routes() -> Router<Arc<World>> {
    Router::new()
        .route(
            "/client/openapi/getAPIKeyCredits",
            post(credits::key_credits),
        )
        .route("/client/common/getModelStatus", get(credits::model_status))
}

/// Creates a draw task as another client of the same key would (checked, billed in
/// credits, counted); its id and the pid its video will have.
pub fn create_video(world: &World, prompt: &str) -> Result<(String, String), String> {
    let body = json!({"model": "sora-2", "prompt": prompt, "webHook": "-1"});
    let ask = request::parse(body.to_string().as_bytes())?;
    let task = create::billed(world, 0, &ask).map_err(|refused| refused.to_string())?;
    let (pid, _) = world
        .draw
        .of(&task.id, tokio::time::Instant::now())
        .unwrap_or_default();
    Ok((task.id, pid))
}

/// A success envelope.
fn ok(data: Value) -> Response {
    Json(json!({"code": 0, "msg": "success", "data": data})).into_response()
}

/// An error envelope with `code`, its message as `--echo-key` has it; HTTP 200 unless
/// `--draw-error-status`.
fn error(world: &World, headers: &HeaderMap, code: u16, message: &str) -> Response {
    let message = faults::echoed(world, headers, message);
    let mut response = Json(faults::Shape::Draw.error(code.into(), "", &message)).into_response();
    if world.settings.draw.draw_error_status {
        *response.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    }
    response
}

/// Checks the bearer key: the index of its key (account), or the answer to send when it
/// is wrong.
fn refuse_key(world: &World, headers: &HeaderMap) -> Result<usize, Box<Response>> {
    world
        .caller(headers, false)
        .ok_or_else(|| Box::new(error(world, headers, 401, "invalid api key")))
}
