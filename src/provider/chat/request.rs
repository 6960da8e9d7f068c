//! What a chat create sends: the model name the segment's job is encoded in (the
//! template, or the segment's own `model`), `stream: true` always (these gateways generate
//! only when streaming), and the prompt as the user message, with a reference image as an
//! `image_url` content part in a `data:` URL (sora2api ignores https links): a file on
//! disk is read, an https link is fetched once, size-capped (not cached between runs yet).

use base64::Engine;
use serde_json::{Value, json};

use super::super::{ProviderError, Redactor, capped_body};
use crate::storyboard::{MAX_IMAGE_BYTES, Resolution, Segment};

/// sora2api's spelling: `sora2-landscape-10s`, `sora2pro-portrait-25s`.
pub const DEFAULT_MODEL_TEMPLATE: &str = "sora2{pro}-{orientation}-{seconds}s";

/// The model name for `segment`: its own `model`, else `template` filled in.
pub fn model(segment: &Segment, template: &str) -> String {
    if let Some(model) = &segment.model {
        return model.clone();
    }
    let orientation = match segment.resolution {
        Resolution::Horizontal => "landscape",
        Resolution::Vertical => "portrait",
    };
    template
        .replace("{pro}", if segment.is_pro { "pro" } else { "" })
        .replace("{orientation}", orientation)
        .replace("{seconds}", &segment.duration_seconds.to_string())
}

/// The create's body; `image` is the reference image as a data URL, when there is one.
pub fn body(segment: &Segment, template: &str, image: Option<String>) -> Value {
    let content = match image {
        None => json!(segment.prompt),
        Some(data_url) => json!([
            {"type": "text", "text": segment.prompt},
            {"type": "image_url", "image_url": {"url": data_url}},
        ]),
    };
    json!({
        "model": model(segment, template),
        "messages": [{"role": "user", "content": content}],
        "stream": true,
    })
}

/// `bytes` of media type `mime` as a `data:` URL.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!("data:{mime};base64,{encoded}")
}

/// The segment's reference image as a data URL: the file on disk, or the link fetched.
pub async fn image(
    segment: &Segment,
    http: &reqwest::Client,
    redact: &Redactor,
) -> Result<Option<String>, ProviderError> {
    if let Some(file) = &segment.image_file {
        let (bytes, format) = file.read_to_send().map_err(|why| ProviderError::Rejected {
            message: format!("the reference image {}: {why}", file.shown()),
            request_id: None,
        })?;
        return Ok(Some(data_url(format.mime(), &bytes)));
    }
    let Some(link) = &segment.image_url else {
        return Ok(None);
    };
    if link.starts_with("data:") {
        return Ok(Some(link.clone()));
    }
    fetch(link, http, redact).await.map(Some)
}

/// Fetches an https reference image (the gateway would ignore the link) as a data URL.
async fn fetch(
    link: &str,
    http: &reqwest::Client,
    redact: &Redactor,
) -> Result<String, ProviderError> {
    let failed = |why: String| ProviderError::Transient {
        message: format!("could not fetch the reference image {link} to send it inline: {why}"),
        request_id: None,
    };
    let response = http
        .get(link)
        .send()
        .await
        .map_err(|err| failed(redact.error_chain(&err)))?;
    if !response.status().is_success() {
        return Err(failed(format!("HTTP {}", response.status())));
    }
    let mime = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .filter(|value| value.starts_with("image/"))
        .map(|value| value.split(';').next().unwrap_or(value).trim().to_string())
        .unwrap_or_else(|| "image/png".to_string());
    let bytes = capped_body(response, MAX_IMAGE_BYTES as usize)
        .await
        .map_err(|err| failed(err.describe(redact)))?;
    Ok(data_url(&mime, &bytes))
}
