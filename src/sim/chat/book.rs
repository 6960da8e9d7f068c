//! The chat side's books: the result shape each job was given (so the stream and the
//! generation endpoint write it alike), the turn of `--chat-result-shape cycle`, and the
//! counters `/__stats` shows under `chat`. Tasks themselves live in the shared world.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde::Serialize;

use super::extras::AskSeen;
use super::settings::{ResultShape, ShapeChoice};
use crate::sim::world::ReferenceSeen;

/// Counters of the chat side (`/__stats` → `chat`).
#[derive(Debug, Default, Clone, Serialize)]
pub struct ChatStats {
    /// Streamed creates billed (also counted in `creates`), their cents, and how many
    /// asked for each model name.
    pub creates: u64,
    pub billed_cents: i64,
    pub creates_by_model: BTreeMap<String, u64>,
    /// `stream: false` calls: answered with availability, nothing generated or billed.
    pub availability_checks: u64,
    /// Creates refused for a model name the gateway does not serve (HTTP 400).
    pub unknown_models: u64,
    /// Streams cut after billing, and streams that went silent on purpose.
    pub stream_cuts: u64,
    pub stalls: u64,
    /// Streams that began repeating one progress for ever (`--chat-trickle-after`).
    pub trickles: u64,
    /// Streams the client closed before their end (it stopped reading: a timeout, a
    /// stopped run).
    pub closed_by_client: u64,
    /// Result chunks sent, per shape (`html`, `json`, `output`).
    pub results_by_shape: BTreeMap<String, u64>,
    /// Failures sent as `❌ 生成失败` content, and as an error chunk.
    pub failure_texts: u64,
    pub error_chunks: u64,
    /// Every reference image, in the order the creates carrying one arrived: `data_url`
    /// (with its bytes, SHA-256 and pixel size) or `url` (a link, which sora2api ignores).
    pub references: Vec<ReferenceSeen>,
    /// What each billed create asked for besides its prompt (a style, a remix), in order.
    pub asks: Vec<AskSeen>,
    /// `GET /v1/generation/{id}` calls.
    pub generation_calls: u64,
}

#[derive(Default)]
pub struct ChatBook {
    books: Mutex<Books>,
}

#[derive(Default)]
struct Books {
    shapes: HashMap<String, ResultShape>,
    next_in_cycle: usize,
}

impl ChatBook {
    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Gives a new job its result shape: the prompt's mark, else the knob's (the next in
    /// turn for `cycle`); the shape, returned.
    pub fn assign(&self, task_id: &str, prompt: &str, choice: ShapeChoice) -> ResultShape {
        let mut books = self.books();
        let marked = ResultShape::ALL
            .into_iter()
            .find(|shape| prompt.contains(shape.mark()));
        let shape = marked.unwrap_or_else(|| match choice {
            ShapeChoice::Html => ResultShape::Html,
            ShapeChoice::Json => ResultShape::Json,
            ShapeChoice::Output => ResultShape::Output,
            ShapeChoice::Cycle => {
                let shape = ResultShape::ALL[books.next_in_cycle % ResultShape::ALL.len()];
                books.next_in_cycle += 1;
                shape
            }
        });
        books.shapes.insert(task_id.to_string(), shape);
        shape
    }

    pub fn shape(&self, task_id: &str) -> ResultShape {
        self.books()
            .shapes
            .get(task_id)
            .copied()
            .unwrap_or(ResultShape::Html)
    }
}
