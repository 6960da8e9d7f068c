//! What a chat create sends: the model name the segment's job is encoded in (the
//! template, or the segment's own `model`), `stream: true` always (these gateways generate
//! only when streaming), and the prompt as the user message, with a reference image as an
//! `image_url` content part in a `data:` URL (sora2api ignores https links): a file on
//! disk is read, and so is the copy of an https link fetched before the run. A style and
//! the video to remix (a Sora share id) go before the prompt, as PROTOCOLS.md section 3
//! says.

use base64::Engine;
use serde_json::{Value, json};

use super::super::ProviderError;
use crate::storyboard::{RemixOf, Resolution, Segment};

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
    let text = text(segment);
    let content = match image {
        None => json!(text),
        Some(data_url) => json!([
            {"type": "text", "text": text},
            {"type": "image_url", "image_url": {"url": data_url}},
        ]),
    };
    let mut body = json!({
        "model": model(segment, template),
        "messages": [{"role": "user", "content": content}],
        "stream": true,
    });
    if let Some(style) = &segment.style_id {
        body["style_id"] = json!(style);
    }
    body
}

/// The user message: the prompt, after the style as `{style}` (sora2api reads it there;
/// forks read the `style_id` field, also sent) and the video to remix as its share id
/// (which sora2api finds anywhere in the text).
fn text(segment: &Segment) -> String {
    let style = segment
        .style_id
        .as_ref()
        .map(|style| format!("{{{style}}}"));
    let remix = segment
        .remix_of
        .as_ref()
        .and_then(RemixOf::target)
        .map(|id| format!("{id} "));
    format!(
        "{}{}{}",
        style.unwrap_or_default(),
        remix.unwrap_or_default(),
        segment.prompt
    )
}

/// `bytes` of media type `mime` as a `data:` URL.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!("data:{mime};base64,{encoded}")
}

/// The segment's reference image as a data URL: the file on disk, or the copy of its link
/// fetched before the run (`app/images/fetched.rs`), checked unchanged.
pub fn image(segment: &Segment) -> Result<Option<String>, ProviderError> {
    if let Some(file) = &segment.image_file {
        let (bytes, format) = file.read_to_send().map_err(|why| ProviderError::Rejected {
            message: format!("the reference image {}: {why}", file.shown()),
            request_id: None,
        })?;
        return Ok(Some(data_url(format.mime(), &bytes)));
    }
    match &segment.image_url {
        None => Ok(None),
        // A gateway would ignore the link: never sent as one.
        Some(link) => Err(ProviderError::Rejected {
            message: format!(
                "the reference image {} was not fetched before the run, and a chat gateway \
                 ignores links",
                crate::ui::escaped(link, 200)
            ),
            request_id: None,
        }),
    }
}
