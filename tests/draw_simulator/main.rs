//! The simulator's draw side (Sora2 Web Studio's API), spoken to with a real HTTP client
//! over loopback: creates, their checks, credits and streams (`create`), remixes and
//! characters (`remix`), results in both spellings and on both paths (`result`), the
//! shared fault knobs in the draw envelope (`faults`), and the two hosts going down
//! (`hosts`), each knob checked through HTTP status, envelope and `/__stats`.

mod create;
mod faults;
mod hosts;
mod remix;
mod result;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sora_batch::sim::{self, DrawSettings, GenSeconds, Host, RunningSim, SimSettings};

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

/// Quick tasks with these draw knobs.
pub fn drawing(draw: DrawSettings) -> SimSettings {
    SimSettings { draw, ..quick() }
}

pub fn client() -> reqwest::Client {
    sora_batch::provider::http_client(Duration::from_secs(10))
}

/// A create body as a careful client sends it: `webHook: "-1"`.
pub fn ask(prompt: &str) -> Value {
    json!({"model": "sora-2", "prompt": prompt, "aspectRatio": "16:9", "duration": 10,
        "size": "small", "webHook": "-1", "shutProgress": false})
}

/// A POST of `body` to `path` on `host` with the simulator's key: status and JSON body.
pub async fn post_to(
    sim: &RunningSim,
    host: Host,
    path: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let url = format!("{}{path}", sim.draw_url(host));
    let response = client()
        .post(url)
        .bearer_auth("sk-sim")
        .json(body)
        .send()
        .await
        .expect("the call is answered");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn post(sim: &RunningSim, path: &str, body: &Value) -> (StatusCode, Value) {
    post_to(sim, Host::Overseas, path, body).await
}

pub async fn create(sim: &RunningSim, body: &Value) -> (StatusCode, Value) {
    post(sim, "/v1/video/sora-video", body).await
}

/// A create that must succeed at once; the task's id.
pub async fn created(sim: &RunningSim, body: &Value) -> String {
    let (status, answer) = create(sim, body).await;
    assert_eq!(
        (status, &answer["code"]),
        (StatusCode::OK, &json!(0)),
        "{answer}"
    );
    assert_eq!(answer["msg"], "success", "{answer}");
    answer["data"]["id"].as_str().expect("an id").to_string()
}

/// The result's `data` through `/v1/draw/result`.
pub async fn result(sim: &RunningSim, id: &str) -> Value {
    let (status, answer) = post(sim, "/v1/draw/result", &json!({"id": id})).await;
    assert_eq!(
        (status, &answer["code"]),
        (StatusCode::OK, &json!(0)),
        "{answer}"
    );
    answer["data"].clone()
}

/// Polls until the task has succeeded or failed; its last `data`.
pub async fn wait_for_end(sim: &RunningSim, id: &str) -> Value {
    for _ in 0..200 {
        let data = result(sim, id).await;
        if ["succeeded", "failed"].contains(&data["status"].as_str().unwrap_or_default()) {
            return data;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("task {id} never finished");
}

/// The key's credits left, as `getAPIKeyCredits` says.
pub async fn credits_left(sim: &RunningSim) -> i64 {
    let path = "/client/openapi/getAPIKeyCredits";
    let (_, answer) = post(sim, path, &json!({"apiKey": "sk-sim"})).await;
    answer["data"]["credits"].as_i64().expect("credits")
}

/// `GET /__stats`, as a client outside the process reads it.
pub async fn stats(sim: &RunningSim) -> Value {
    let url = format!("{}/__stats", sim.draw_url(Host::Overseas));
    let response = client().get(url).send().await.expect("answered");
    response.json().await.expect("JSON counters")
}
