//! The answer to a create without `webHook: "-1"`: a stream of `data: {...}` lines (the
//! result call's `data`, in the same spelling), one whenever the task's status or progress
//! changes, the last in its final state; `shutProgress: true` sends only that last one.
//! A client that forgets `webHook` is held here for the whole generation.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use serde_json::Value;
use tokio::time::Instant;

use super::result::describe;
use crate::sim::world::World;

/// How often the stream looks at its task.
const TICK: Duration = Duration::from_millis(100);

pub fn answer(world: Arc<World>, id: String, headers: HeaderMap, shut_progress: bool) -> Response {
    let lines = futures_util::stream::unfold(Some(Value::Null), move |last| {
        let (world, id, headers) = (world.clone(), id.clone(), headers.clone());
        async move {
            let mut last = last?;
            loop {
                let now = Instant::now();
                let task = world.poll(&id, now)?;
                let data = describe(&world, &task, &headers, now);
                let ended = ["succeeded", "failed"].contains(&data["status"].as_str()?);
                let changed =
                    data["status"] != last["status"] || data["progress"] != last["progress"];
                if ended || (changed && !shut_progress) {
                    let line = format!("data: {data}\n\n");
                    let next = (!ended).then_some(data);
                    return Some((Ok::<_, std::io::Error>(line), next));
                }
                last = data;
                tokio::time::sleep(TICK).await;
            }
        }
    });
    let mut response = Response::new(Body::from_stream(lines));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    response
}
