//! What a draw create (`POST /v1/video/sora-video`) asks for, checked as the API checks it:
//! `model` `sora-2`, a prompt, `aspectRatio` `16:9`/`9:16`, `duration` 10 or 15 (a
//! number), `size` `small`/`large`, an http(s) `url`, a `remixTargetId`, `characters`
//! (`[{url, timestamps: "0,3"}]`), and whether to answer at once (`webHook: "-1"`) or as
//! a stream (`shutProgress` leaves out the progress lines).

use serde_json::{Map, Value};

use super::settings::DrawSettings;
use crate::sim::world::{Dialect, TaskRequest};

const MODEL: &str = "sora-2";
const ASPECT_RATIOS: [&str; 2] = ["16:9", "9:16"];
const DURATIONS: [u64; 2] = [10, 15];
const SIZES: [&str; 2] = ["small", "large"];

/// A create's parameters, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawAsk {
    pub prompt: String,
    pub aspect_ratio: String,
    pub duration: u32,
    pub large: bool,
    pub url: Option<String>,
    pub remix_target: Option<String>,
    pub characters: usize,
    /// `webHook: "-1"` (or a callback URL, never called): the answer is the id at once.
    pub immediate: bool,
    pub shut_progress: bool,
}

impl DrawAsk {
    /// Credits it costs, as the knobs price it.
    pub fn credits(&self, settings: &DrawSettings) -> i64 {
        match self.large {
            true => settings.draw_price_large,
            false => settings.draw_price_small,
        }
    }

    /// The task to make (billed in credits, not cents). Large tasks take longer.
    pub fn task_request(&self) -> TaskRequest {
        TaskRequest {
            dialect: Dialect::Draw,
            prompt: self.prompt.clone(),
            image_url: self.url.clone(),
            is_pro: self.large,
            duration: self.duration,
            shape: self.aspect_ratio.clone(),
            cost_cents: 0,
            model: Some(MODEL.to_string()),
            remixed_from: None,
        }
    }
}

/// Checks a create's body; the message names the parameter at fault.
pub fn parse(body: &[u8]) -> Result<DrawAsk, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|err| format!("invalid JSON: {err}"))?;
    let Value::Object(fields) = value else {
        return Err("the body must be a JSON object".to_string());
    };
    let model = text(&fields, "model")?.unwrap_or_default();
    if model != MODEL {
        return Err(format!("model must be {MODEL}, not \"{model}\""));
    }
    let prompt = text(&fields, "prompt")?
        .unwrap_or_default()
        .trim()
        .to_string();
    if prompt.is_empty() {
        return Err("prompt is required".to_string());
    }
    let aspect_ratio = one_of(&fields, "aspectRatio", &ASPECT_RATIOS, "9:16")?;
    let duration = match fields.get("duration") {
        None | Some(Value::Null) => DURATIONS[0],
        Some(value) => value
            .as_u64()
            .filter(|seconds| DURATIONS.contains(seconds))
            .ok_or(format!("duration must be the number 10 or 15, not {value}"))?,
    };
    let size = one_of(&fields, "size", &SIZES, "small")?;
    let url = text(&fields, "url")?.filter(|url| !url.is_empty());
    if let Some(url) = &url {
        web_link("url", url)?;
    }
    let remix_target = text(&fields, "remixTargetId")?.filter(|id| !id.is_empty());
    let characters = characters(&fields)?;
    let web_hook = text(&fields, "webHook")?.unwrap_or_default();
    let shut_progress = match fields.get("shutProgress") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(other) => return Err(format!("shutProgress must be a boolean, not {other}")),
    };
    Ok(DrawAsk {
        prompt,
        aspect_ratio,
        duration: duration as u32,
        large: size == "large",
        url,
        remix_target,
        characters,
        immediate: web_hook == "-1" || web_hook.starts_with("http"),
        shut_progress,
    })
}

/// A field that must be a string when present.
fn text(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(format!("{name} must be a string, not {other}")),
    }
}

fn one_of(
    fields: &Map<String, Value>,
    name: &str,
    allowed: &[&str],
    default: &str,
) -> Result<String, String> {
    let value = text(fields, name)?.unwrap_or_else(|| default.to_string());
    match allowed.contains(&value.as_str()) {
        true => Ok(value),
        false => Err(format!(
            "{name} must be one of {}, not \"{value}\"",
            allowed.join(", ")
        )),
    }
}

fn web_link(name: &str, url: &str) -> Result<(), String> {
    match url.starts_with("http://") || url.starts_with("https://") {
        true => Ok(()),
        false => Err(format!("{name} must be an http(s) URL, not \"{url}\"")),
    }
}

/// `characters`: a list of `{url, timestamps}`, timestamps as numbers separated by commas.
fn characters(fields: &Map<String, Value>) -> Result<usize, String> {
    let list = match fields.get("characters") {
        None | Some(Value::Null) => return Ok(0),
        Some(Value::Array(list)) => list,
        Some(other) => return Err(format!("characters must be a list, not {other}")),
    };
    for (n, character) in list.iter().enumerate() {
        let Value::Object(character) = character else {
            return Err(format!(
                "characters[{n}] must be an object with url and timestamps"
            ));
        };
        let url = text(character, "url")?.unwrap_or_default();
        web_link(&format!("characters[{n}].url"), &url)?;
        let timestamps = text(character, "timestamps")?.unwrap_or_default();
        let numbers = timestamps.split(',').map(|part| part.trim().parse::<f64>());
        if timestamps.is_empty() || numbers.clone().any(|number| number.is_err()) {
            return Err(format!(
                "characters[{n}].timestamps must be seconds separated by commas, e.g. \"0,3\", not \"{timestamps}\""
            ));
        }
    }
    Ok(list.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(body: Value) -> Result<DrawAsk, String> {
        parse(body.to_string().as_bytes())
    }

    #[test]
    fn a_full_create_is_read_and_defaults_fill_the_rest() {
        let ask = parsed(
            json!({"model": "sora-2", "prompt": " cat ", "aspectRatio": "16:9",
            "duration": 15, "size": "large", "url": "https://x/y.png", "remixTargetId": "s_1",
            "characters": [{"url": "https://x/c.mp4", "timestamps": "0,3"}],
            "webHook": "-1", "shutProgress": true}),
        )
        .unwrap();
        assert_eq!(
            (ask.prompt.as_str(), ask.duration, ask.large),
            ("cat", 15, true)
        );
        assert_eq!(
            (ask.characters, ask.immediate, ask.shut_progress),
            (1, true, true)
        );
        let plain = parsed(json!({"model": "sora-2", "prompt": "cat"})).unwrap();
        assert_eq!((plain.aspect_ratio.as_str(), plain.duration), ("9:16", 10));
        assert!(!plain.large && !plain.immediate && plain.remix_target.is_none());
    }

    #[test]
    fn each_wrong_parameter_is_named() {
        let base = json!({"model": "sora-2", "prompt": "cat"});
        for (field, value) in [
            ("model", json!("sora-3")),
            ("prompt", json!("  ")),
            ("aspectRatio", json!("4:3")),
            ("duration", json!(12)),
            ("duration", json!("10")),
            ("size", json!("720p")),
            ("url", json!("file:///etc/passwd")),
            (
                "characters",
                json!([{"url": "https://x", "timestamps": "a,b"}]),
            ),
            ("shutProgress", json!("no")),
        ] {
            let mut body = base.clone();
            body[field] = value;
            let problem = parsed(body).unwrap_err();
            assert!(problem.contains(field), "{field}: {problem}");
        }
    }
}
