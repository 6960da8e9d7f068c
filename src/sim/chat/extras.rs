//! What a chat create asks for besides its prompt, read as sora2api reads it: a style as
//! `{name}` in the text, or forks' `style_id` field, and the video to remix as a Sora
//! share id (`s_` and 32 hex digits, alone or inside a share link) anywhere in the text.
//! Recorded for every billed create (`/__stats` → `chat.asks`), so a test sees what a
//! client sent.

use serde::Serialize;
use serde_json::Value;

use crate::storyboard::STYLES;

/// One create's extras, as the gateway read them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AskSeen {
    /// The text as it arrived.
    pub prompt: String,
    /// The body's `style_id` field.
    pub style_id: Option<String>,
    /// The first `{style}` of the text that names a style.
    pub prompt_style: Option<String>,
    /// The first share id in the text: the video remixed.
    pub remix_of: Option<String>,
}

impl AskSeen {
    pub fn read(prompt: &str, body: &Value) -> AskSeen {
        AskSeen {
            prompt: prompt.to_string(),
            style_id: body["style_id"].as_str().map(str::to_string),
            prompt_style: STYLES
                .iter()
                .find(|style| prompt.contains(&format!("{{{style}}}")))
                .map(|style| style.to_string()),
            remix_of: share_id_in(prompt),
        }
    }
}

/// The first `s_` followed by 32 lower-case hex digits.
fn share_id_in(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len()).find_map(|at| {
        let candidate = text.get(at..at + 34)?;
        crate::storyboard::is_share_id(candidate).then(|| candidate.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_style_and_a_share_id_are_read_from_the_text_or_the_field() {
        let id = "s_68e3a06dcd888191b150971da152c1f5";
        let text = format!("{{comic}}https://sora.chatgpt.com/p/{id}改成漫画风格");
        let seen = AskSeen::read(&text, &json!({"style_id": "retro"}));
        assert_eq!(seen.prompt_style.as_deref(), Some("comic"));
        assert_eq!(seen.style_id.as_deref(), Some("retro"));
        assert_eq!(seen.remix_of.as_deref(), Some(id));
        let plain = AskSeen::read("{noir} a cat s_123", &json!({}));
        assert_eq!((plain.prompt_style, plain.remix_of), (None, None));
    }
}
