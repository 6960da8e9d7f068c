//! Hostile answers a broken or malicious provider gives, each behind a knob of its own:
//! bodies that never end (`--endless-body`), status answers of any size
//! (`--status-padding`), a video's size announced wrongly (`--video-length-lie`), and video
//! links that point anywhere (`--video-url`). Clients must bound what they read and refuse
//! where they are sent.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::Value;

use super::EndlessBody;
use super::world::World;

/// The size an endless video pretends to have: more than any client could ever store.
const ENDLESS_VIDEO_BYTES: u64 = 1 << 60;

/// Chunk of filler in an endless answer.
const FILLER_CHUNK: usize = 64 * 1024;

/// `--endless-body create|status`: for the matching call, an answer that opens a JSON
/// envelope and then sends filler inside a string forever.
pub fn endless_answer(world: &World, call: EndlessBody) -> Option<Response> {
    if world.settings.endless_body != Some(call) {
        return None;
    }
    let opening =
        Bytes::from_static(br#"{"code": 200, "message": "success", "data": {"filler": ""#);
    let filler = Bytes::from(vec![b'a'; FILLER_CHUNK]);
    let body = futures_util::stream::iter([opening])
        .chain(futures_util::stream::repeat(filler))
        .map(Ok::<_, std::io::Error>);
    let mut response = Response::new(Body::from_stream(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Some(response)
}

/// `--status-padding N`: `data` with a filler field of N bytes.
pub fn padded(world: &World, mut data: Value) -> Value {
    if let Some(bytes) = world.settings.status_padding {
        data["padding"] = Value::String("p".repeat(bytes));
    }
    data
}

/// `--video-url TEMPLATE`: the link a completed task reports instead of its CDN link.
pub fn video_url(world: &World, headers: &HeaderMap, task_id: &str) -> Option<String> {
    let template = world.settings.video_url.as_ref()?;
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    Some(template.replace("{host}", host).replace("{id}", task_id))
}

/// `--endless-body video`: the size of a video that never ends.
pub fn video_size(world: &World) -> Option<u64> {
    (world.settings.endless_body == Some(EndlessBody::Video)).then_some(ENDLESS_VIDEO_BYTES)
}

/// The `Content-Length` a video is served with: none for an endless one, the lie of
/// `--video-length-lie`, else the true one already set.
pub fn video_length(world: &World, response: &mut Response) {
    let headers = response.headers_mut();
    if video_size(world).is_some() {
        headers.remove(header::CONTENT_LENGTH);
    }
    if let Some(lie) = world.settings.video_length_lie {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(lie));
    }
}
