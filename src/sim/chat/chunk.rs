//! The pieces of a chat answer, written as sora2api writes them: `chat.completion.chunk`
//! objects (the first with `role`, progress in `delta.reasoning_content` as text or as an
//! object, the result in one of three shapes with `finish_reason: "STOP"`, the failure
//! text), the error chunk, the SSE lines that carry them, and the non-streamed
//! `chat.completion` object (the availability answer, and seed 004's status answer).

use serde_json::{Value, json};

use super::settings::ResultShape;

/// The model every chunk names, as sora2api names it whatever was asked.
const CHUNK_MODEL: &str = "sora";

/// What a failure's content starts with.
pub const FAILURE_PREFIX: &str = "❌ 生成失败: ";

/// The answer to `stream: false`: nothing is generated.
pub const AVAILABILITY_MESSAGE: &str = "All tokens available for video generation. Please enable streaming to use the generation feature.";

/// The id and creation time every chunk of one answer carries.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub id: String,
    pub created: u64,
}

impl Envelope {
    /// A chunk with this `delta` and `finish_reason`.
    pub fn chunk(&self, delta: Value, finish: Option<&str>) -> Value {
        let usage = match finish {
            Some(_) => json!({"prompt_tokens": 0, "completion_tokens": 1, "total_tokens": 1}),
            None => json!({"prompt_tokens": 0}),
        };
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": CHUNK_MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish,
                "native_finish_reason": finish}],
            "usage": usage,
        })
    }

    /// A whole `chat.completion` (no stream) whose message says `content`.
    pub fn completion(&self, message: Value, finish: Option<&str>) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": CHUNK_MODEL,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 1, "total_tokens": 1},
        })
    }
}

/// A progress report in `reasoning_content`: text, or the forks' object.
pub fn reasoning(text: &str, object: Option<Value>) -> Value {
    let reasoning = object.unwrap_or_else(|| Value::String(text.to_string()));
    json!({"content": null, "reasoning_content": reasoning, "tool_calls": null})
}

/// The first chunk: the assistant's role and the start of the generation.
pub fn started(as_object: bool, now: u64) -> Value {
    let object = as_object.then(|| {
        json!({"stage": "generation", "status": "started",
            "message": "Initializing generation request...", "timestamp": now})
    });
    let mut delta = reasoning(
        "**Generation Process Begins**\n\nInitializing generation request...\n",
        object,
    );
    delta["role"] = json!("assistant");
    delta
}

/// A reference image arriving before the generation starts.
pub fn uploaded(as_object: bool, now: u64) -> Value {
    let object = as_object.then(|| {
        json!({"stage": "upload", "status": "completed",
            "message": "Image uploaded successfully. Proceeding to generation...", "timestamp": now})
    });
    reasoning(
        "Image uploaded successfully. Proceeding to generation...\n",
        object,
    )
}

/// Progress as `**Video Generation Progress**: 42% (processing)`, or as an object.
pub fn progress(percent: u8, status: &str, as_object: bool, now: u64) -> Value {
    let object = as_object.then(|| {
        json!({"stage": "generation", "status": "processing", "progress": percent,
            "message": format!("Video generation in progress: {percent}% completed..."),
            "details": {"upstream_status": status}, "timestamp": now})
    });
    let text = format!("**Video Generation Progress**: {percent}% ({status})\n");
    reasoning(&text, object)
}

/// The `delta` (or non-streamed `message`) that carries the video link.
pub fn result(shape: ResultShape, url: &str, task_id: &str) -> Value {
    let content = match shape {
        ResultShape::Html => format!("```html\n<video src='{url}' controls></video>\n```"),
        ResultShape::Json => json!({"type": "video", "url": url,
            "data": [{"url": url, "revised_prompt": null}]})
        .to_string(),
        ResultShape::Output => "✅ 视频生成完成".to_string(),
    };
    let mut delta = json!({"content": content, "reasoning_content": null, "tool_calls": null});
    if shape == ResultShape::Output {
        delta["output"] = json!([{"url": url, "type": "video", "task_id": task_id}]);
    }
    delta
}

/// The failure as content.
pub fn failure(reason: &str) -> Value {
    json!({"content": format!("{FAILURE_PREFIX}{reason}"), "reasoning_content": null,
        "tool_calls": null})
}

/// The failure as an error chunk, sent instead of any choice.
pub fn error(reason: &str) -> Value {
    json!({"error": {"message": reason, "type": "server_error", "param": null, "code": null}})
}

/// One SSE event carrying `data`.
pub fn line(data: &Value) -> String {
    format!("data: {data}\n\n")
}

/// The end of a stream.
pub const DONE: &str = "data: [DONE]\n\n";
