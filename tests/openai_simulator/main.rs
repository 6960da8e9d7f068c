//! The simulator's OpenAI Videos side, spoken to with a real HTTP client over loopback:
//! the video object, validation and prices (`create`), reference images (`reference`),
//! remixes (`remix`), the list (`list`), statuses, expiry and the content redirect
//! (`lifecycle`), each knob checked through status codes, bodies and `/__stats`.

mod create;
mod lifecycle;
mod list;
mod reference;
mod remix;

use std::time::Duration;

use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

pub fn start(settings: SimSettings) -> RunningSim {
    sim::start_on_thread(SimSettings {
        seed: Some(7),
        ..settings
    })
    .expect("the simulator starts")
}

/// Tasks that take 0.3 s.
pub fn quick() -> SimSettings {
    SimSettings {
        gen_seconds: GenSeconds(0.3, 0.3),
        ..SimSettings::default()
    }
}

pub fn client() -> reqwest::Client {
    sora_batch::provider::http_client(Duration::from_secs(10))
}

/// A request to `path` under the API, with the simulator's key.
pub fn api(sim: &RunningSim, method: reqwest::Method, path: &str) -> RequestBuilder {
    let url = format!("{}{path}", sim.base_url());
    client().request(method, url).bearer_auth("sk-sim")
}

/// The answer's status and JSON body (`null` when it has none).
pub async fn answer(request: RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("the call is answered");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A JSON create; its status and body.
pub async fn create(sim: &RunningSim, body: Value) -> (StatusCode, Value) {
    answer(api(sim, reqwest::Method::POST, "/videos").json(&body)).await
}

/// A JSON create that must succeed; the video's id.
pub async fn created(sim: &RunningSim, body: Value) -> String {
    let (status, video) = create(sim, body).await;
    assert_eq!(status, StatusCode::OK, "{video}");
    video["id"].as_str().expect("an id").to_string()
}

pub async fn video(sim: &RunningSim, id: &str) -> Value {
    answer(api(sim, reqwest::Method::GET, &format!("/videos/{id}")))
        .await
        .1
}

/// Polls until the video has left the queue and generation; its last object.
pub async fn wait_for_end(sim: &RunningSim, id: &str) -> Value {
    for _ in 0..200 {
        let video = video(sim, id).await;
        let status = video["status"].as_str().unwrap_or_default();
        if !["queued", "in_progress", "pending", "processing"].contains(&status) {
            return video;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("video {id} never finished");
}
