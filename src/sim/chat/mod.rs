//! Chat-completions gateways (sora2api and its forks) as PROTOCOLS.md section 3 describes
//! them: one streamed `POST /v1/chat/completions` per video, the job encoded in the model
//! name. `create` (the call, checked in `request`; `stream: false` only says the gateway is
//! available), `stream` (the Server-Sent Events that stay open while the video generates,
//! made of `chunk`s), `extras` (a style and a remix read from the text), `generation` (seed 004's `GET /v1/generation/{id}`), `book` (each
//! job's result shape and the `chat` counters), `settings` (its knobs). Errors before a
//! stream starts are in OpenAI's shape; the key is a Bearer token.

mod book;
mod chunk;
mod create;
mod extras;
mod generation;
mod request;
mod settings;
mod stream;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};

use super::openai::ApiError;
use super::world::World;

pub use book::{ChatBook, ChatStats};
pub use chunk::{AVAILABILITY_MESSAGE, FAILURE_PREFIX};
pub use extras::AskSeen;
pub use request::{CHAT_CENTS_PER_SECOND, CHAT_PRO_CENTS_PER_SECOND, CHAT_PRO_HD_CENTS_PER_SECOND};
pub use settings::{ChatSettings, CutHow, ResultShape, ShapeChoice};

/// Routes under `/v1`.
pub fn routes() -> Router<Arc<World>> {
    Router::new()
        .route("/chat/completions", post(create::create))
        .route("/generation/{id}", get(generation::status))
}

/// Checks the bearer key: the index of its key (account), or the answer to send when it
/// is wrong.
fn refuse_key(world: &World, headers: &HeaderMap) -> Result<usize, Box<Response>> {
    if let Some(account) = world.caller(headers, false) {
        return Ok(account);
    }
    let refusal = ApiError {
        status: StatusCode::UNAUTHORIZED,
        kind: "invalid_request_error",
        code: "invalid_api_key",
        param: None,
        message: "Invalid API key".to_string(),
    };
    Err(Box::new(refusal.answer(world, headers)))
}
