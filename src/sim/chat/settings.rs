//! The chat side's knobs (`SimSettings::chat`, flattened into `sora-batch simulate`'s
//! flags): how results, progress and failures are written into the stream, how model
//! names are spelled, which streams are cut or go silent, and whether generation ids can
//! be looked up.

use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::cli::{count_in, duration_in};

/// The model-name prefix of sora2api (`sora2-landscape-10s`, `sora2pro-hd-portrait-15s`).
pub const DEFAULT_MODEL_PREFIX: &str = "sora2";

/// How often a stream reports progress unless told otherwise (sora2api: every 30 s).
pub const DEFAULT_PROGRESS_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Args)]
pub struct ChatSettings {
    /// Chat side: the shape of the result chunk: `html` (a fenced html block around
    /// `<video src>`, as sora2api writes it), `json` (content is a JSON string `{"type":
    /// "video", "url"}`), `output` (`delta.output: [{url, type, task_id}]`), or `cycle`
    /// (the three in turn, by creation order); a prompt containing `SHAPE-HTML`,
    /// `SHAPE-JSON` or `SHAPE-OUTPUT` picks its own
    #[arg(long, value_name = "SHAPE", default_value = "html")]
    pub chat_result_shape: ShapeChoice,

    /// Chat side: progress in `reasoning_content` as an object `{stage, status, progress,
    /// message, timestamp}` (forks) instead of text (`**Video Generation Progress**: 42%
    /// (processing)`)
    #[arg(long)]
    pub chat_progress_object: bool,

    /// Chat side: how often a stream reports progress, e.g. 30s as sora2api does
    #[arg(long, value_name = "TIME", default_value = "1s", value_parser = duration_in(Duration::from_millis(10), Duration::from_secs(3600)))]
    pub chat_progress_every: Duration,

    /// Chat side: a failed generation ends with an error chunk `{"error": {message,
    /// type}}` instead of the content `❌ 生成失败: <reason>`
    #[arg(long)]
    pub chat_error_chunk: bool,

    /// Chat side: every stream is cut once its progress reaches PERCENT (0: right after
    /// the first chunk), after billing; a `LOST-ANSWER` prompt's first stream (and
    /// `--ambiguous-rate`) is cut at this point too, or at 50%
    #[arg(long, value_name = "PERCENT", value_parser = count_in(0u8, 100))]
    pub chat_cut_after: Option<u8>,

    /// Chat side: how a cut stream ends: `drop` the connection mid-body, or `end` the body
    /// cleanly with neither a result nor `[DONE]`
    #[arg(long, value_name = "HOW", default_value = "drop")]
    pub chat_cut_how: CutHow,

    /// Chat side: every stream goes silent (open, no more chunks, never ends) once its
    /// progress reaches PERCENT, as a gateway whose upstream hung does
    #[arg(long, value_name = "PERCENT", value_parser = count_in(0u8, 100))]
    pub chat_stall_after: Option<u8>,

    /// Chat side: every stream, once its progress reaches PERCENT, repeats that progress
    /// (with a `: keep-alive` comment) every --chat-progress-every and never ends, as a
    /// hostile gateway may: only the client's --poll-timeout ends the job
    #[arg(long, value_name = "PERCENT", value_parser = count_in(0u8, 100))]
    pub chat_trickle_after: Option<u8>,

    /// Chat side: how model names start: `sora2` (`sora2-landscape-10s`,
    /// `sora2pro-hd-portrait-15s`) or another spelling, e.g. `sora-video`
    #[arg(long, value_name = "TEXT", default_value = DEFAULT_MODEL_PREFIX)]
    pub chat_model_prefix: String,

    /// Chat side: chunks carry the generation's id (`chatcmpl-<task>`), which `GET
    /// /v1/generation/{id}` reports on (progress, result, failure), as seed 004's gateway
    /// does; without it ids are throwaway and that endpoint answers 404
    #[arg(long)]
    pub chat_generation_ids: bool,
}

impl Default for ChatSettings {
    fn default() -> Self {
        ChatSettings {
            chat_result_shape: ShapeChoice::Html,
            chat_progress_object: false,
            chat_progress_every: DEFAULT_PROGRESS_EVERY,
            chat_error_chunk: false,
            chat_cut_after: None,
            chat_cut_how: CutHow::Drop,
            chat_stall_after: None,
            chat_trickle_after: None,
            chat_model_prefix: DEFAULT_MODEL_PREFIX.to_string(),
            chat_generation_ids: false,
        }
    }
}

/// Where the video link is written in the result chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResultShape {
    /// `content`: a fenced html block around `<video src='URL' controls></video>`.
    Html,
    /// `content`: a JSON string `{"type": "video", "url": URL, "data": [{url}]}`.
    Json,
    /// `delta.output: [{url, type: "video", task_id}]`, the content only text.
    Output,
}

impl ResultShape {
    pub const ALL: [ResultShape; 3] = [ResultShape::Html, ResultShape::Json, ResultShape::Output];

    pub fn name(self) -> &'static str {
        match self {
            ResultShape::Html => "html",
            ResultShape::Json => "json",
            ResultShape::Output => "output",
        }
    }

    /// The prompt mark that picks this shape for one job.
    pub fn mark(self) -> &'static str {
        match self {
            ResultShape::Html => "SHAPE-HTML",
            ResultShape::Json => "SHAPE-JSON",
            ResultShape::Output => "SHAPE-OUTPUT",
        }
    }
}

/// `--chat-result-shape`: one shape for every job, or the three in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShapeChoice {
    Html,
    Json,
    Output,
    Cycle,
}

/// How a cut stream ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CutHow {
    /// The connection is dropped mid-body (no terminating chunk).
    Drop,
    /// The body ends cleanly, without a result or `[DONE]`.
    End,
}
