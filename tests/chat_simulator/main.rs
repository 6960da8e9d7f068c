//! The simulator's chat side (sora2api-style chat-completions gateways), spoken to with a
//! real HTTP client over loopback and read line by line as Server-Sent Events: clean
//! streams, progress and the three result shapes (`stream`), failures and refusals
//! (`failures`), cut and silent streams and the shared faults (`cuts`), reference images
//! (`references`) and seed 004's generation ids (`generation`), each knob checked through
//! the stream and `/__stats`. Generation takes seconds and no test times a phase.

mod cuts;
mod failures;
mod generation;
mod references;
mod stream;

#[path = "../common/images.rs"]
mod images;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sora_batch::sim::{self, ChatSettings, GenSeconds, RunningSim, SimSettings};

pub fn start(settings: SimSettings) -> RunningSim {
    sim::start_on_thread(SimSettings {
        seed: Some(7),
        ..settings
    })
    .expect("the simulator starts")
}

/// Tasks that take 2 s, progress every 300 ms.
pub fn quick() -> SimSettings {
    chatting(ChatSettings::default())
}

/// Quick tasks with these chat knobs (progress every 300 ms unless they say).
pub fn chatting(chat: ChatSettings) -> SimSettings {
    let default = ChatSettings::default().chat_progress_every;
    let every = match chat.chat_progress_every {
        every if every == default => Duration::from_millis(300),
        every => every,
    };
    SimSettings {
        gen_seconds: GenSeconds(2.0, 2.0),
        chat: ChatSettings {
            chat_progress_every: every,
            ..chat
        },
        ..SimSettings::default()
    }
}

pub fn client() -> reqwest::Client {
    sora_batch::provider::http_client(Duration::from_secs(30))
}

/// A streamed create of `model` with `prompt` as the user's message.
pub fn ask(model: &str, prompt: &str) -> Value {
    json!({"model": model, "stream": true,
        "messages": [{"role": "user", "content": prompt}]})
}

/// A POST of `body` to the chat endpoint with the simulator's key; the response once its
/// headers are in (the job is billed by then).
pub async fn send(sim: &RunningSim, body: &Value) -> reqwest::Response {
    client()
        .post(sim.chat_url())
        .bearer_auth("sk-sim")
        .json(body)
        .send()
        .await
        .expect("the call is answered")
}

/// What a stream carried.
#[derive(Debug, Default)]
pub struct Streamed {
    /// Every `data:` line's JSON, in order (`[DONE]` not among them).
    pub chunks: Vec<Value>,
    pub done: bool,
    /// The body broke off (a dropped connection) instead of ending.
    pub broken: bool,
}

impl Streamed {
    /// The chunk that carries a `finish_reason`, if one came.
    pub fn finish(&self) -> Option<&Value> {
        self.chunks
            .iter()
            .find(|chunk| !chunk["choices"][0]["finish_reason"].is_null())
    }

    /// Every `reasoning_content`, in order.
    pub fn reasoning(&self) -> Vec<&Value> {
        self.chunks
            .iter()
            .map(|chunk| &chunk["choices"][0]["delta"]["reasoning_content"])
            .filter(|reasoning| !reasoning.is_null())
            .collect()
    }
}

/// Reads a stream to its end (or until it breaks), line by line.
pub async fn read(mut response: reqwest::Response) -> Streamed {
    assert_eq!(response.status(), StatusCode::OK);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap_or_default();
    assert!(kind.starts_with("text/event-stream"), "{kind}");
    let mut streamed = Streamed::default();
    let mut pending = String::new();
    loop {
        match response.chunk().await {
            Ok(Some(bytes)) => pending.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(None) => break,
            Err(_) => {
                streamed.broken = true;
                break;
            }
        }
        while let Some(end) = pending.find('\n') {
            let line: String = pending.drain(..=end).collect();
            take_line(&mut streamed, line.trim_end());
        }
    }
    take_line(&mut streamed, pending.trim_end());
    streamed
}

fn take_line(streamed: &mut Streamed, line: &str) {
    let Some(data) = line.strip_prefix("data: ") else {
        return;
    };
    assert!(!streamed.done, "nothing follows [DONE]: {data}");
    match data {
        "[DONE]" => streamed.done = true,
        json => streamed
            .chunks
            .push(serde_json::from_str(json).expect("each data line is JSON")),
    }
}

/// A streamed create read to its end.
pub async fn streamed(sim: &RunningSim, body: &Value) -> Streamed {
    read(send(sim, body).await).await
}

/// The status and JSON body of a call that is refused (or answered without a stream).
pub async fn answered(sim: &RunningSim, body: &Value) -> (StatusCode, Value) {
    let response = send(sim, body).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `GET /__stats`, as a client outside the process reads it.
pub async fn stats(sim: &RunningSim) -> Value {
    let url = format!("http://{}/__stats", sim.addr);
    let response = client().get(url).send().await.expect("answered");
    response.json().await.expect("JSON counters")
}

/// The link in an html result: what `<video src='…'>` names.
pub fn html_link(content: &str) -> &str {
    let (_, rest) = content.split_once("<video src='").expect("a video tag");
    rest.split_once('\'').expect("a quoted link").0
}
