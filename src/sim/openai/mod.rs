//! The OpenAI Videos API as PROTOCOLS.md section 2 describes it, answering errors as
//! `{"error": {message, type, param, code}}`: `create` (`POST /videos`, JSON or multipart)
//! with its checks in `request` and its image in `reference`; `object` (the video object
//! and `GET /videos/{id}`); `remix` (`POST /videos/{id}/remix`); `list` (`GET /videos`);
//! `content` (the bytes, their expiry, and the redirect to another origin). The key is
//! taken as `Authorization: Bearer` or in an `api-key` header, as Azure OpenAI takes it.

mod content;
mod create;
mod list;
mod object;
mod reference;
mod remix;
mod request;

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::faults;
use super::world::World;

pub use content::other_origin;
pub use reference::Reference;
pub use remix::OpenAiRemix;
pub use request::parse as parse_create;

pub fn routes() -> Router<Arc<World>> {
    Router::new()
        .route("/videos", post(create::create).get(list::list))
        .route("/videos/{id}", get(object::status))
        .route("/videos/{id}/content", get(content::content))
        .route("/videos/{id}/remix", post(remix::remix))
}

/// An error answer in OpenAI's shape.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: &'static str,
    /// The request parameter at fault, if one is.
    pub param: Option<&'static str>,
    pub message: String,
}

impl ApiError {
    /// A 400 `invalid_request_error` about one parameter.
    pub fn invalid(param: &'static str, code: &'static str, message: String) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code,
            param: Some(param),
            message,
        }
    }

    /// A 400 `invalid_request_error` about the request as a whole.
    pub fn bad_request(message: String) -> Self {
        ApiError {
            param: None,
            ..ApiError::invalid("", "invalid_request", message)
        }
    }

    /// The answer, its message as `--echo-key` has it.
    pub fn answer(self, world: &World, headers: &HeaderMap) -> Response {
        let message = faults::echoed(world, headers, &self.message);
        let body = json!({"error": {
            "message": message,
            "type": self.kind,
            "param": self.param,
            "code": self.code,
        }});
        (self.status, Json(body)).into_response()
    }
}

fn unknown_video(id: &str) -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        kind: "invalid_request_error",
        code: "not_found",
        param: None,
        message: format!("Video with id '{id}' not found."),
    }
}

/// Checks the key: the index of its key (account), or the answer to send when it is
/// wrong.
fn refuse_key(world: &World, headers: &HeaderMap) -> Result<usize, Box<Response>> {
    if let Some(account) = world.caller(headers, true) {
        return Ok(account);
    }
    let refusal = ApiError {
        status: StatusCode::UNAUTHORIZED,
        kind: "invalid_request_error",
        code: "invalid_api_key",
        param: None,
        message: "Incorrect API key provided.".to_string(),
    };
    Err(Box::new(refusal.answer(world, headers)))
}
