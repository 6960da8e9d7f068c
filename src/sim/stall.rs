//! Providers that keep a client waiting: `--hang` (connections accepted, requests never
//! answered), `--trickle-status` (status answers sent one byte at a time) and
//! `--status-retry-after` / `--list-retry-after` (every status or task-list call told to
//! come back later). A client with only
//! an idle timeout, or one that honours any `Retry-After`, waits on these for ever; the
//! knobs prove it does not.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::world::World;

/// Middleware on the API routes: hangs every call, or trickles status answers, as the
/// knobs say; otherwise the handler answers as usual.
pub async fn stall(State(world): State<Arc<World>>, request: Request, next: Next) -> Response {
    if world.settings.hang {
        // Accepted and read, never answered: the connection stays open and silent.
        std::future::pending::<()>().await;
    }
    if let Some(wait) = world.settings.status_retry_after
        && is_status_call(&request)
    {
        return come_back_later(wait, &request);
    }
    if let Some(wait) = world.settings.list_retry_after
        && is_list_call(&request)
    {
        return come_back_later(wait, &request);
    }
    match world.settings.trickle_status {
        Some(pause) if is_status_call(&request) => {
            let response = next.run(request).await;
            trickled(response, pause).await
        }
        _ => next.run(request).await,
    }
}

/// `GET /v1/tasks/{id}` (Sora.hk), `GET /v1/videos/{id}` (OpenAI), `POST
/// /v1/draw/result` and `/v1/video/result` (draw) or `GET /v1/generation/{id}` (chat): a
/// status call, not a list, a balance or a video's content.
fn is_status_call(request: &Request) -> bool {
    let path = request.uri().path();
    let id_under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
    };
    let draw = request.method() == Method::POST
        && (path == "/v1/draw/result" || path == "/v1/video/result");
    let by_id = ["/v1/tasks/", "/v1/videos/", "/v1/generation/"]
        .iter()
        .any(|prefix| id_under(prefix));
    draw || request.method() == Method::GET && by_id
}

/// `GET /v1/tasks` (Sora.hk) or `GET /v1/videos` (OpenAI): the account's task list.
fn is_list_call(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == Method::GET && (path == "/v1/tasks" || path == "/v1/videos")
}

/// A 429 in the dialect's shape (OpenAI's error, or the Sora.hk or draw envelope) that
/// asks the client to wait `wait` before asking again.
fn come_back_later(wait: Duration, request: &Request) -> Response {
    let message = "too many requests; come back later";
    let shape = super::faults::Shape::of(request.uri().path());
    let mut body = shape.error(429, "rate_limit_exceeded", message);
    if shape == super::faults::Shape::OpenAi {
        body["error"]["type"] = serde_json::json!("requests");
    }
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    super::faults::set_retry_after(&mut response, wait);
    response
}

/// The same answer (status and headers), its body sent one byte per `pause`.
async fn trickled(response: Response, pause: Duration) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    // Sent in chunks of one byte: a length up front would not change how it arrives.
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let drip = futures_util::stream::unfold(0usize, move |sent| {
        let bytes = bytes.clone();
        async move {
            if sent >= bytes.len() {
                return None;
            }
            tokio::time::sleep(pause).await;
            let byte: Bytes = bytes.slice(sent..sent + 1);
            Some((Ok::<_, std::io::Error>(byte), sent + 1))
        }
    });
    Response::from_parts(parts, Body::from_stream(drip))
}
