//! The handle of a running simulator: its addresses, its counters, and the switches a
//! test flips while it runs (the clock, a draw host going down), plus tasks made as
//! another client of the same account would make them.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::world::{self, World};
use super::{DownHow, Host, Stats, draw, openai, sora_hk};

/// A running simulator. Dropping it stops the server.
pub struct RunningSim {
    /// The main port: Sora.hk, OpenAI, and the draw API's overseas host.
    pub addr: SocketAddr,
    /// The draw API's domestic host: the same APIs over the same world.
    pub domestic: SocketAddr,
    pub(super) world: Arc<World>,
    pub(super) stop: Option<oneshot::Sender<()>>,
    pub(super) thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningSim {
    /// The base URL of both APIs, e.g. `http://127.0.0.1:8790/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The chat-completions endpoint, e.g. `http://127.0.0.1:8790/v1/chat/completions`.
    pub fn chat_url(&self) -> String {
        format!("{}/chat/completions", self.base_url())
    }

    /// The root of one of the draw API's hosts, e.g. `http://127.0.0.1:8790`: its paths
    /// (`/v1/video/sora-video`, `/v1/draw/result`, `/client/...`) hang from it.
    pub fn draw_url(&self, host: Host) -> String {
        match host {
            Host::Overseas => format!("http://{}", self.addr),
            Host::Domestic => format!("http://{}", self.domestic),
        }
    }

    /// Takes one of the draw API's hosts down (`Some(how)`) or brings it back (`None`).
    /// Calls already being answered finish; a hung call stays hung.
    pub fn set_host_down(&self, host: Host, down: Option<DownHow>) {
        self.world.hosts.set(host, down);
    }

    /// Creates a draw task as another client of the same key would (billed in credits),
    /// and returns its id and the `pid` its video will have once it is done: what a
    /// `remixTargetId` names.
    pub fn create_draw_video(&self, prompt: &str) -> (String, String) {
        draw::create_video(&self.world, prompt)
            .unwrap_or_else(|problem| panic!("the simulator refused a draw video: {problem}"))
    }

    /// The counters, read directly (the same numbers `GET /__stats` answers).
    pub fn stats(&self) -> Stats {
        self.world.stats()
    }

    /// Sets how far the simulator's clock is ahead of this machine's (negative: behind):
    /// what a client whose clock is changed between runs sees.
    pub fn set_clock_skew(&self, seconds: f64) {
        self.world.set_clock_skew(seconds);
    }

    /// Creates a task as another client of the same account would (billed, listed), and
    /// returns its id.
    pub fn create_task(&self, prompt: &str) -> String {
        let request = world::TaskRequest {
            dialect: world::Dialect::SoraHk,
            prompt: prompt.to_string(),
            image_url: None,
            is_pro: false,
            duration: 10,
            shape: "horizontal".to_string(),
            cost_cents: sora_hk::NORMAL_PRICE,
            model: None,
            remixed_from: None,
        };
        match self.world.create(0, request, tokio::time::Instant::now()) {
            Ok(task) => task.id,
            Err(refusal) => panic!("the simulator refused a task: {refusal:?}"),
        }
    }

    /// Creates a video through the OpenAI side as another client of the same account
    /// would (checked, billed, listed), and returns its id. `seconds` and `size` as the
    /// API takes them (`"8"`, `"1280x720"`).
    pub fn create_video(&self, prompt: &str, model: &str, seconds: &str, size: &str) -> String {
        let fields =
            serde_json::json!({"prompt": prompt, "model": model, "seconds": seconds, "size": size});
        let fields = fields.as_object().cloned().unwrap_or_default();
        let durations = self.world.settings.openai_durations.as_deref();
        let asked = openai::parse_create(&fields, durations)
            .unwrap_or_else(|err| panic!("the simulator refused a video: {}", err.message));
        match self
            .world
            .create(0, asked.into_task(None), tokio::time::Instant::now())
        {
            Ok(task) => task.id,
            Err(refusal) => panic!("the simulator refused a video: {refusal:?}"),
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
