//! The streamed answer to a billed chat create: Server-Sent Events that stay open while
//! the task generates. The first chunk carries the assistant's role (and, for a reference
//! image, its upload), then progress every `--chat-progress-every`, then the result in the
//! job's shape or the failure, then `data: [DONE]`. A stream can be cut once its progress
//! reaches a point (`--chat-cut-after`, a lost answer), dropping the connection or ending
//! the body early, go silent for good (`--chat-stall-after`), or repeat one progress for
//! ever (`--chat-trickle-after`). A finished task counts as 100% for all three. A stream
//! the client closes before its end is counted.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use tokio::time::Instant;

use super::chunk::{self, Envelope};
use super::settings::{CutHow, ResultShape};
use crate::sim::faults::{self, Connection};
use crate::sim::world::{Phase, World};
use crate::sim::{hostile, sora_hk};

/// The shortest wait between two looks at the task, so rounding at its end cannot spin.
const LEAST_WAIT: Duration = Duration::from_millis(10);

/// One stream's job and how it is to end.
pub struct Plan {
    pub task_id: String,
    pub envelope: Envelope,
    pub shape: ResultShape,
    /// A reference image was uploaded first.
    pub uploaded: bool,
    /// Cut once progress reaches this percent.
    pub cut_at: Option<u8>,
    /// Go silent once progress reaches this percent.
    pub stall_at: Option<u8>,
    /// Repeat this percent for ever once progress reaches it.
    pub trickle_at: Option<u8>,
}

struct Streamer {
    world: Arc<World>,
    headers: HeaderMap,
    connection: Connection,
    plan: Plan,
    queue: VecDeque<String>,
    next_progress: Instant,
    finished: bool,
    trickling: bool,
}

impl Drop for Streamer {
    fn drop(&mut self) {
        if !self.finished {
            self.world.count(|stats| stats.chat.closed_by_client += 1);
        }
    }
}

pub fn answer(
    world: Arc<World>,
    headers: HeaderMap,
    connection: Connection,
    plan: Plan,
) -> Response {
    let settings = &world.settings.chat;
    let now = world.unix_seconds();
    let mut queue = VecDeque::new();
    let first = chunk::started(settings.chat_progress_object, now);
    queue.push_back(chunk::line(&plan.envelope.chunk(first, None)));
    if plan.uploaded {
        let upload = chunk::uploaded(settings.chat_progress_object, now);
        queue.push_back(chunk::line(&plan.envelope.chunk(upload, None)));
    }
    let streamer = Streamer {
        next_progress: Instant::now() + settings.chat_progress_every,
        world,
        headers,
        connection,
        plan,
        queue,
        finished: false,
        trickling: false,
    };
    let lines = futures_util::stream::unfold(streamer, |mut streamer| async move {
        let item = streamer.next().await?;
        Some((item, streamer))
    });
    let mut response = Response::new(Body::from_stream(lines));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

impl Streamer {
    /// The next piece of the body; `None` at its end, an error to drop the connection.
    async fn next(&mut self) -> Option<std::io::Result<String>> {
        if let Some(line) = self.queue.pop_front() {
            return Some(Ok(line));
        }
        if self.finished {
            return None;
        }
        loop {
            let now = Instant::now();
            let task = self.world.poll(&self.plan.task_id, now)?;
            let phase = task.phase(now);
            let percent = match phase {
                Phase::Pending => 0,
                Phase::Processing { progress } => progress,
                Phase::Completed | Phase::Failed { .. } => 100,
            };
            if self.plan.cut_at.is_some_and(|at| percent >= at) {
                return self.cut();
            }
            if self.plan.stall_at.is_some_and(|at| percent >= at) {
                self.world.count(|stats| stats.chat.stalls += 1);
                std::future::pending::<()>().await;
            }
            if let Some(at) = self.plan.trickle_at.filter(|at| percent >= *at) {
                return Some(Ok(self.trickle(at).await));
            }
            match phase {
                Phase::Completed => return Some(Ok(self.result())),
                Phase::Failed { message } => return Some(Ok(self.failure(&message))),
                _ if now >= self.next_progress => {
                    self.next_progress = now + self.world.settings.chat.chat_progress_every;
                    return Some(Ok(self.progress(percent, &phase)));
                }
                _ => {
                    let wake = self.next_progress.min(task.ends_at()).max(now + LEAST_WAIT);
                    tokio::time::sleep_until(wake).await;
                }
            }
        }
    }

    /// The same progress again after a while, and a keep-alive comment: a stream that
    /// talks for ever and never gets anywhere.
    async fn trickle(&mut self, percent: u8) -> String {
        if !self.trickling {
            self.trickling = true;
            self.world.count(|stats| stats.chat.trickles += 1);
        }
        tokio::time::sleep(self.world.settings.chat.chat_progress_every).await;
        let progress = self.progress(percent, &Phase::Processing { progress: percent });
        format!(": keep-alive\n\n{progress}")
    }

    fn cut(&mut self) -> Option<std::io::Result<String>> {
        self.finished = true;
        self.world.count(|stats| stats.chat.stream_cuts += 1);
        match self.world.settings.chat.chat_cut_how {
            CutHow::Drop => {
                self.connection.kill();
                Some(Err(std::io::ErrorKind::ConnectionReset.into()))
            }
            CutHow::End => None,
        }
    }

    fn progress(&self, percent: u8, phase: &Phase) -> String {
        let status = match phase {
            Phase::Pending => "queued",
            _ => "processing",
        };
        let as_object = self.world.settings.chat.chat_progress_object;
        let delta = chunk::progress(percent, status, as_object, self.world.unix_seconds());
        chunk::line(&self.plan.envelope.chunk(delta, None))
    }

    fn result(&mut self) -> String {
        self.finished = true;
        let id = &self.plan.task_id;
        let url = hostile::video_url(&self.world, &self.headers, id)
            .unwrap_or_else(|| sora_hk::video_url(&self.headers, id));
        let shape = self.plan.shape;
        self.world.count(|stats| {
            *stats
                .chat
                .results_by_shape
                .entry(shape.name().to_string())
                .or_default() += 1;
        });
        self.queue.push_back(chunk::DONE.to_string());
        let delta = chunk::result(shape, &url, id);
        chunk::line(&self.plan.envelope.chunk(delta, Some("STOP")))
    }

    fn failure(&mut self, message: &str) -> String {
        self.finished = true;
        let reason = faults::echoed(&self.world, &self.headers, message);
        self.queue.push_back(chunk::DONE.to_string());
        if self.world.settings.chat.chat_error_chunk {
            self.world.count(|stats| stats.chat.error_chunks += 1);
            return chunk::line(&chunk::error(&reason));
        }
        self.world.count(|stats| stats.chat.failure_texts += 1);
        let delta = chunk::failure(&reason);
        chunk::line(&self.plan.envelope.chunk(delta, Some("STOP")))
    }
}
