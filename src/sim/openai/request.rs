//! What an OpenAI create asks for, checked as the API checks it: a prompt; the model
//! (`sora-2`, `sora-2-pro`, or a dated snapshot of either); `seconds` as a string among the
//! allowed values (`4`, `8`, `12`, or `--openai-durations`); `size` among the model's. And
//! what it costs: a price per second of video, by model and size.

use serde_json::{Map, Value};

use super::ApiError;
use crate::sim::world::{Dialect, ReferenceSeen, TaskRequest};

/// Cents per second of video: `sora-2`, `sora-2-pro` at 720p, and pro at its larger sizes.
pub const NORMAL_CENTS_PER_SECOND: i64 = 10;
pub const PRO_CENTS_PER_SECOND: i64 = 30;
pub const PRO_LARGE_CENTS_PER_SECOND: i64 = 50;

const SIZES_720P: [&str; 2] = ["720x1280", "1280x720"];
const SIZES_PRO_LARGE: [&str; 2] = ["1024x1792", "1792x1024"];
const OFFICIAL_SECONDS: [u32; 3] = [4, 8, 12];

/// A create's parameters, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Asked {
    pub prompt: String,
    /// As the client wrote it (a dated snapshot stays dated).
    pub model: String,
    pub is_pro: bool,
    pub seconds: u32,
    pub size: String,
}

impl Asked {
    pub fn cost_cents(&self) -> i64 {
        let per_second = match (self.is_pro, SIZES_PRO_LARGE.contains(&self.size.as_str())) {
            (false, _) => NORMAL_CENTS_PER_SECOND,
            (true, false) => PRO_CENTS_PER_SECOND,
            (true, true) => PRO_LARGE_CENTS_PER_SECOND,
        };
        per_second * i64::from(self.seconds)
    }

    /// The task to make, with how its reference image came (if it had one).
    pub fn into_task(self, reference: Option<&ReferenceSeen>) -> TaskRequest {
        TaskRequest {
            dialect: Dialect::OpenAi,
            cost_cents: self.cost_cents(),
            image_url: reference.map(|seen| seen.how.clone()),
            is_pro: self.is_pro,
            duration: self.seconds,
            prompt: self.prompt,
            shape: self.size,
            model: Some(self.model),
            remixed_from: None,
        }
    }

    /// The size in pixels, width first.
    pub fn pixels(&self) -> (u32, u32) {
        let (width, height) = self.size.split_once('x').unwrap_or_default();
        (width.parse().unwrap_or(0), height.parse().unwrap_or(0))
    }
}

/// Checks a create's fields; `durations` is `--openai-durations`.
pub fn parse(fields: &Map<String, Value>, durations: Option<&[u32]>) -> Result<Asked, ApiError> {
    let prompt = prompt(fields)?;
    let model = text(fields, "model")?.unwrap_or_else(|| "sora-2".to_string());
    let is_pro = model_is_pro(&model).ok_or_else(|| {
        let message = format!(
            "Invalid value for 'model': '{model}'. Supported values are: 'sora-2' and 'sora-2-pro'."
        );
        ApiError::invalid("model", "invalid_value", message)
    })?;
    let allowed = durations.unwrap_or(&OFFICIAL_SECONDS);
    let seconds = match text(fields, "seconds")? {
        None => allowed.first().copied().unwrap_or(4),
        Some(seconds) => seconds
            .parse()
            .ok()
            .filter(|seconds| allowed.contains(seconds))
            .ok_or_else(|| {
                let listed: Vec<String> = allowed.iter().map(|s| format!("'{s}'")).collect();
                let message = format!(
                    "Invalid value for 'seconds': '{seconds}'. Supported values are: {}.",
                    listed.join(", ")
                );
                ApiError::invalid("seconds", "invalid_value", message)
            })?,
    };
    let size = text(fields, "size")?.unwrap_or_else(|| SIZES_720P[0].to_string());
    let large = is_pro && SIZES_PRO_LARGE.contains(&size.as_str());
    if !(large || SIZES_720P.contains(&size.as_str())) {
        let mut supported = SIZES_720P.to_vec();
        if is_pro {
            supported.extend(SIZES_PRO_LARGE);
        }
        let message = format!(
            "Invalid value for 'size': '{size}' is not supported by {model}. Supported values are: {}.",
            supported.join(", ")
        );
        return Err(ApiError::invalid("size", "invalid_value", message));
    }
    Ok(Asked {
        prompt,
        model,
        is_pro,
        seconds,
        size,
    })
}

/// The prompt, which every create and remix needs.
pub fn prompt(fields: &Map<String, Value>) -> Result<String, ApiError> {
    let prompt = text(fields, "prompt")?.map(|prompt| prompt.trim().to_string());
    prompt.filter(|prompt| !prompt.is_empty()).ok_or_else(|| {
        let message = "Missing required parameter: 'prompt'.".to_string();
        ApiError::invalid("prompt", "missing_required_parameter", message)
    })
}

/// A field that must be a string when present: the API refuses `"seconds": 8`.
fn text(fields: &Map<String, Value>, name: &'static str) -> Result<Option<String>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => {
            let kind = match other {
                Value::Number(_) => "a number",
                Value::Bool(_) => "a boolean",
                Value::Array(_) => "an array",
                _ => "an object",
            };
            let message =
                format!("Invalid type for '{name}': expected a string, but got {kind} instead.");
            Err(ApiError::invalid(name, "invalid_type", message))
        }
    }
}

/// Whether a known model is pro; `None` for one the API does not serve. Dated snapshots
/// (`sora-2-2025-12-08`) count as their model.
fn model_is_pro(model: &str) -> Option<bool> {
    let dated = |rest: &str| {
        rest.is_empty()
            || rest.strip_prefix('-').is_some_and(|date| {
                date.len() == 10 && date.chars().all(|c| c.is_ascii_digit() || c == '-')
            })
    };
    match model.strip_prefix("sora-2-pro") {
        Some(rest) if dated(rest) => Some(true),
        Some(_) => None,
        None => model
            .strip_prefix("sora-2")
            .filter(|rest| dated(rest))
            .map(|_| false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn models_are_the_two_sora_models_and_their_dated_snapshots() {
        assert_eq!(model_is_pro("sora-2"), Some(false));
        assert_eq!(model_is_pro("sora-2-pro"), Some(true));
        assert_eq!(model_is_pro("sora-2-2025-12-08"), Some(false));
        assert_eq!(model_is_pro("sora-2-pro-2025-12-08"), Some(true));
        for unknown in ["sora-3", "sora-2x", "sora-2-pro-max", "gpt-4o", ""] {
            assert_eq!(model_is_pro(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn prices_are_per_second_by_model_and_size() {
        let asked = |model: &str, seconds: &str, size: &str| {
            let asked = json!({"prompt": "p", "model": model, "seconds": seconds, "size": size});
            parse(&fields(asked), None).unwrap().cost_cents()
        };
        assert_eq!(asked("sora-2", "4", "720x1280"), 40);
        assert_eq!(asked("sora-2-pro", "8", "1280x720"), 240);
        assert_eq!(asked("sora-2-pro", "12", "1792x1024"), 600);
    }

    #[test]
    fn seconds_must_be_an_allowed_string() {
        let seconds = |value: Value, durations: Option<&[u32]>| {
            parse(&fields(json!({"prompt": "p", "seconds": value})), durations)
        };
        assert_eq!(seconds(json!("12"), None).unwrap().seconds, 12);
        let number = seconds(json!(8), None).unwrap_err();
        assert_eq!(
            (number.param, number.code),
            (Some("seconds"), "invalid_type")
        );
        let other = seconds(json!("10"), None).unwrap_err();
        assert_eq!(
            (other.param, other.code),
            (Some("seconds"), "invalid_value")
        );
        assert!(
            other.message.contains("'4', '8', '12'"),
            "{}",
            other.message
        );
        assert_eq!(seconds(json!("10"), Some(&[10, 15])).unwrap().seconds, 10);
        assert!(seconds(json!("4"), Some(&[10, 15])).is_err());
    }
}
