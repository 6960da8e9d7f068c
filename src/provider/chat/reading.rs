//! What one Server-Sent Event of a chat gateway's stream says (PROTOCOLS.md section 3):
//! progress in `reasoning_content` (text `…: 42% (processing)` or an object with
//! `progress`), the video link in one of three shapes (a fenced html `<video src>`, a JSON
//! string with `url`, `delta.output[]`), or a failure (content starting `❌ 生成失败: `, or
//! an `error` chunk). Pure functions, so every shape is unit-tested.

use serde_json::Value;

/// What a failure's content starts with (after any whitespace).
const FAILURE_MARK: &str = "❌";

/// What one event says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// Progress, in percent.
    Progress(u8),
    /// The video link, as the gateway wrote it.
    Result(String),
    /// The generation failed, with the gateway's reason.
    Failed(String),
    /// `[DONE]`: the stream's last event.
    Done,
    /// Nothing the run needs (the role chunk, an upload notice, keep-alives).
    Nothing,
}

/// Reads one event's `data`.
pub fn read(data: &str) -> Said {
    let data = data.trim();
    if data == "[DONE]" {
        return Said::Done;
    }
    let Ok(chunk) = serde_json::from_str::<Value>(data) else {
        return Said::Nothing;
    };
    if let Some(error) = chunk.get("error").filter(|error| !error.is_null()) {
        let message = error["message"].as_str().unwrap_or("an error chunk");
        return Said::Failed(message.to_string());
    }
    let choice = &chunk["choices"][0];
    let delta = match choice.get("delta") {
        Some(delta) => delta,
        None => &choice["message"],
    };
    if let Some(url) = output_url(&delta["output"]) {
        return Said::Result(url);
    }
    if let Some(content) = delta["content"].as_str()
        && let Some(said) = from_content(content)
    {
        return said;
    }
    // Seed 004's status answer moves the progress text into `content`.
    match progress(&delta["reasoning_content"]).or_else(|| progress(&delta["content"])) {
        Some(percent) => Said::Progress(percent),
        None => Said::Nothing,
    }
}

/// `delta.output: [{url, type: "video"}]`: the first video's link.
fn output_url(output: &Value) -> Option<String> {
    output.as_array()?.iter().find_map(|item| {
        let is_video = item["type"].as_str().is_none_or(|kind| kind == "video");
        item["url"]
            .as_str()
            .filter(|_| is_video)
            .map(str::to_string)
    })
}

/// The content's link or failure; `None` for other text.
fn from_content(content: &str) -> Option<Said> {
    let trimmed = content.trim();
    if let Some(rest) = trimmed.strip_prefix(FAILURE_MARK) {
        let reason = match rest.split_once(':').or_else(|| rest.split_once('：')) {
            Some((_, reason)) => reason.trim(),
            None => rest.trim(),
        };
        return Some(Said::Failed(reason.to_string()));
    }
    if let Some(src) = video_src(trimmed) {
        return Some(Said::Result(src));
    }
    let json: Value = serde_json::from_str(trimmed).ok()?;
    json["url"]
        .as_str()
        .or_else(|| json["data"][0]["url"].as_str())
        .map(|url| Said::Result(url.to_string()))
}

/// The `src` of the first `<video>` tag, quoted with `'` or `"`.
fn video_src(html: &str) -> Option<String> {
    let tag = &html[html.find("<video")?..];
    let tag = &tag[..tag.find('>')?];
    let after = &tag[tag.find("src=")? + 4..];
    let quote = after.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let value = &after[1..];
    Some(value[..value.find(quote)?].to_string())
}

/// Progress from `reasoning_content`: an object's `progress`, or the last `NN%` of text.
fn progress(reasoning: &Value) -> Option<u8> {
    if let Some(number) = super::super::flexible_number(&reasoning["progress"]) {
        return Some(number.clamp(0.0, 100.0) as u8);
    }
    let text = reasoning.as_str()?;
    let before = &text[..text.rfind('%')?];
    let digits: String = before
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits
        .parse::<u32>()
        .ok()
        .map(|percent| percent.min(100) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chunk(delta: Value) -> String {
        json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]})
            .to_string()
    }

    #[test]
    fn progress_arrives_as_text_or_object() {
        let text = chunk(
            json!({"reasoning_content": "**Video Generation Progress**: 42% (processing)\n"}),
        );
        assert_eq!(read(&text), Said::Progress(42));
        let object = chunk(json!({"reasoning_content": {"stage": "generation", "progress": 7}}));
        assert_eq!(read(&object), Said::Progress(7));
        let role = chunk(json!({"role": "assistant", "reasoning_content": "Initializing..."}));
        assert_eq!(read(&role), Said::Nothing);
    }

    #[test]
    fn the_link_arrives_in_each_shape() {
        let url = "https://gw.example/tmp/a.mp4";
        let html = chunk(
            json!({"content": format!("```html\n<video src='{url}' controls></video>\n```")}),
        );
        let json_text = chunk(json!({"content": json!({"type": "video", "url": url}).to_string()}));
        let output =
            chunk(json!({"content": "✅ done", "output": [{"url": url, "type": "video"}]}));
        for event in [html, json_text, output] {
            assert_eq!(read(&event), Said::Result(url.to_string()), "{event}");
        }
    }

    #[test]
    fn failures_carry_the_gateways_reason() {
        let text = chunk(json!({"content": "❌ 生成失败: content policy violation"}));
        assert_eq!(read(&text), Said::Failed("content policy violation".into()));
        let error = json!({"error": {"message": "upstream broke", "type": "server_error"}});
        assert_eq!(
            read(&error.to_string()),
            Said::Failed("upstream broke".into())
        );
        assert_eq!(read("[DONE]"), Said::Done);
    }
}
