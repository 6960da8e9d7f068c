//! What a chat create asks for, read as sora2api reads it: the model name that encodes the
//! job (`{prefix}[pro[-hd]]-{landscape|portrait}-{10|15|25}s`, hd without 25), the prompt
//! in the last message (a string, or the text part of a list), an `image_url` part (a
//! `data:image/…;base64,` URL, or an https link the gateway ignores), and `stream`. And
//! what the job costs: a price per second of video by model.

use serde_json::Value;

use super::super::openai::{ApiError, Reference};
use super::extras::AskSeen;
use crate::sim::world::{Dialect, ReferenceSeen, TaskRequest};

/// Cents per second of video: standard, pro, pro hd.
pub const CHAT_CENTS_PER_SECOND: i64 = 10;
pub const CHAT_PRO_CENTS_PER_SECOND: i64 = 30;
pub const CHAT_PRO_HD_CENTS_PER_SECOND: i64 = 50;

/// A job as its model name encodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub name: String,
    pub pro: bool,
    pub hd: bool,
    pub portrait: bool,
    pub seconds: u32,
}

impl Model {
    /// Reads `name` after `prefix`; `None` for a name the gateway does not serve.
    pub fn parse(name: &str, prefix: &str) -> Option<Model> {
        let rest = name.strip_prefix(prefix)?;
        let (pro, hd, rest) = match rest.strip_prefix("pro-hd") {
            Some(rest) => (true, true, rest),
            None => match rest.strip_prefix("pro") {
                Some(rest) => (true, false, rest),
                None => (false, false, rest),
            },
        };
        let rest = rest.strip_prefix('-')?;
        let (orientation, seconds) = rest.split_once('-')?;
        let portrait = match orientation {
            "landscape" => false,
            "portrait" => true,
            _ => return None,
        };
        let seconds: u32 = match seconds {
            "10s" => 10,
            "15s" => 15,
            "25s" if !hd => 25,
            _ => return None,
        };
        Some(Model {
            name: name.to_string(),
            pro,
            hd,
            portrait,
            seconds,
        })
    }

    pub fn cost_cents(&self) -> i64 {
        let per_second = match (self.pro, self.hd) {
            (_, true) => CHAT_PRO_HD_CENTS_PER_SECOND,
            (true, false) => CHAT_PRO_CENTS_PER_SECOND,
            (false, false) => CHAT_CENTS_PER_SECOND,
        };
        per_second * i64::from(self.seconds)
    }
}

/// A chat create, read.
#[derive(Debug, Clone)]
pub struct ChatAsk {
    pub model: Model,
    pub prompt: String,
    pub stream: bool,
    /// The reference image as it arrived, when there was one.
    pub reference: Option<ReferenceSeen>,
    /// The style and the remix it asked for.
    pub extras: AskSeen,
}

impl ChatAsk {
    /// The task to bill. A linked image is ignored, as sora2api ignores it.
    pub fn task_request(&self) -> TaskRequest {
        let image = self
            .reference
            .as_ref()
            .filter(|seen| seen.how == "data_url");
        TaskRequest {
            dialect: Dialect::Chat,
            prompt: self.prompt.clone(),
            image_url: image.map(|seen| seen.how.clone()),
            is_pro: self.model.pro,
            duration: self.model.seconds,
            shape: if self.model.portrait {
                "portrait"
            } else {
                "landscape"
            }
            .to_string(),
            cost_cents: self.model.cost_cents(),
            model: Some(self.model.name.clone()),
            remixed_from: None,
        }
    }
}

/// Reads a create's body; the error answer names what is wrong.
pub fn parse(body: &[u8], prefix: &str) -> Result<ChatAsk, ApiError> {
    let body: Value = serde_json::from_slice(body)
        .map_err(|err| ApiError::bad_request(format!("Could not read the request body: {err}")))?;
    let name = body["model"].as_str().unwrap_or_default();
    let model = Model::parse(name, prefix).ok_or_else(|| {
        let message = format!(
            "Invalid model: {name} (this gateway serves {prefix}[pro[-hd]]-{{landscape|portrait}}-{{10|15|25}}s)"
        );
        ApiError::invalid("model", "model_not_found", message)
    })?;
    let last = body["messages"]
        .as_array()
        .and_then(|messages| messages.last())
        .ok_or_else(|| {
            ApiError::invalid(
                "messages",
                "invalid_value",
                "Messages cannot be empty".to_string(),
            )
        })?;
    let (prompt, image) = match &last["content"] {
        Value::String(text) => (text.clone(), None),
        Value::Array(parts) => parts_of(parts),
        _ => {
            let message = "Invalid content format".to_string();
            return Err(ApiError::invalid("messages", "invalid_value", message));
        }
    };
    let reference = image
        .map(|url| Reference::from_json(&Value::String(url)).and_then(|image| image.seen()))
        .transpose()
        .map_err(|err| ApiError {
            param: Some("messages"),
            message: format!("Invalid image_url: {}", err.message),
            ..err
        })?;
    Ok(ChatAsk {
        model,
        extras: AskSeen::read(&prompt, &body),
        prompt,
        stream: body["stream"].as_bool().unwrap_or(false),
        reference,
    })
}

/// The text and the image link of a content list (the last of each, as sora2api reads it).
fn parts_of(parts: &[Value]) -> (String, Option<String>) {
    let mut text = String::new();
    let mut image = None;
    for part in parts {
        match part["type"].as_str() {
            Some("text") => text = part["text"].as_str().unwrap_or_default().to_string(),
            Some("image_url") => image = part["image_url"]["url"].as_str().map(str::to_string),
            _ => {}
        }
    }
    (text, image)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn model_names_encode_the_job_and_unknown_ones_are_refused() {
        let model = Model::parse("sora2pro-hd-portrait-15s", "sora2").unwrap();
        assert_eq!(
            (model.pro, model.hd, model.portrait, model.seconds),
            (true, true, true, 15)
        );
        let model = Model::parse("sora2-landscape-25s", "sora2").unwrap();
        assert_eq!(
            (model.pro, model.hd, model.portrait, model.seconds),
            (false, false, false, 25)
        );
        assert!(Model::parse("sora-video-landscape-10s", "sora-video").is_some());
        for unknown in [
            "sora2-landscape-12s",
            "sora2pro-hd-landscape-25s",
            "sora2-square-10s",
            "sora-video-landscape-10s",
            "sora2landscape-10s",
            "gpt-4o",
        ] {
            assert_eq!(Model::parse(unknown, "sora2"), None, "{unknown}");
        }
    }

    #[test]
    fn pro_and_hd_cost_more() {
        let cost = |name: &str| Model::parse(name, "sora2").unwrap().cost_cents();
        assert_eq!(cost("sora2-landscape-10s"), 100);
        assert_eq!(cost("sora2pro-landscape-10s"), 300);
        assert_eq!(cost("sora2pro-hd-landscape-10s"), 500);
    }

    #[test]
    fn the_prompt_and_image_come_from_the_last_message() {
        let body = json!({"model": "sora2-portrait-10s", "stream": true, "messages": [
            {"role": "user", "content": "old"},
            {"role": "user", "content": [
                {"type": "text", "text": "a cat"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]});
        let ask = parse(body.to_string().as_bytes(), "sora2").unwrap();
        assert_eq!((ask.prompt.as_str(), ask.stream), ("a cat", true));
        assert_eq!(ask.reference.unwrap().how, "url");
        let bad = json!({"model": "sora2-portrait-10s", "messages": []});
        assert_eq!(
            parse(bad.to_string().as_bytes(), "sora2")
                .unwrap_err()
                .param,
            Some("messages")
        );
    }
}
