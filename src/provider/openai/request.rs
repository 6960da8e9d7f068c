//! What a create sends: a segment as OpenAI's fields (`model` from `is_pro` or the
//! segment's `model`, `seconds` as a string, `size` from the resolution or the segment's
//! `size`, the prompt), as a multipart form or a JSON body.
//!
//! A reference image given as an http(s) URL goes in JSON as `input_reference:
//! {"image_url": URL}`, the shape the API takes for links. A multipart create can carry an
//! image only as a file part, and the API does not fetch a URL sent as a text part: such
//! a create is refused here, before anything is sent or paid for, naming the fix
//! (`--request-format json`). Local image files, sent as the file part, come later.

use reqwest::multipart::Form;
use serde_json::{Value, json};

use super::RequestFormat;
use crate::provider::ProviderError;
use crate::storyboard::{Resolution, Segment};

/// The model a segment asks for: its `model` field, else `sora-2-pro` or `sora-2` by
/// its mode.
pub fn model_of(segment: &Segment) -> &str {
    match (&segment.model, segment.is_pro) {
        (Some(model), _) => model,
        (None, true) => "sora-2-pro",
        (None, false) => "sora-2",
    }
}

/// The size (width x height in pixels) a segment asks for: its `size` field (checked
/// against the sizes this dialect offers), else the one its resolution picks.
pub fn size_of(segment: &Segment) -> &str {
    match (&segment.size, segment.resolution) {
        (Some(size), _) => size,
        (None, Resolution::Horizontal) => "1280x720",
        (None, Resolution::Vertical) => "720x1280",
    }
}

/// One create's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Create {
    pub model: String,
    pub prompt: String,
    pub seconds: String,
    pub size: String,
    /// A reference image's URL (JSON creates only).
    pub image_url: Option<String>,
}

impl Create {
    /// The fields for `segment`, or why it cannot be sent in `format`.
    pub fn of(segment: &Segment, format: RequestFormat) -> Result<Create, ProviderError> {
        if let (Some(image_url), RequestFormat::Multipart) = (&segment.image_url, format) {
            return Err(ProviderError::Rejected {
                message: format!(
                    "segment {} has the image_url \"{}\", but a multipart create (the \
                     default) can carry a reference image only as a file, and the API does \
                     not fetch links; use --request-format json, which sends it as \
                     input_reference {{\"image_url\": …}}",
                    segment.index,
                    crate::ui::escaped(image_url, 100)
                ),
                request_id: None,
            });
        }
        Ok(Create {
            model: model_of(segment).to_string(),
            prompt: segment.prompt.clone(),
            seconds: segment.duration_seconds.to_string(),
            size: size_of(segment).to_string(),
            image_url: segment.image_url.clone(),
        })
    }

    pub fn json(&self) -> Value {
        let mut body = json!({
            "model": self.model,
            "prompt": self.prompt,
            "seconds": self.seconds,
            "size": self.size,
        });
        if let Some(image_url) = &self.image_url {
            body["input_reference"] = json!({ "image_url": image_url });
        }
        body
    }

    /// The multipart form (never with an image URL: see [`Create::of`]).
    pub fn form(&self) -> Form {
        Form::new()
            .text("model", self.model.clone())
            .text("prompt", self.prompt.clone())
            .text("seconds", self.seconds.clone())
            .text("size", self.size.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment() -> Segment {
        Segment {
            duration_seconds: 8,
            ..Segment::example("a red fox")
        }
    }

    #[test]
    fn a_segment_becomes_openai_fields() {
        let create = Create::of(&segment(), RequestFormat::Json).unwrap();
        assert_eq!(
            create.json(),
            json!({"model": "sora-2", "prompt": "a red fox", "seconds": "8", "size": "1280x720"})
        );
        let pro_vertical = Segment {
            is_pro: true,
            resolution: Resolution::Vertical,
            ..segment()
        };
        let create = Create::of(&pro_vertical, RequestFormat::Multipart).unwrap();
        assert_eq!((&*create.model, &*create.size), ("sora-2-pro", "720x1280"));
    }

    #[test]
    fn a_segments_model_and_size_override_the_ones_its_mode_and_resolution_pick() {
        let large = Segment {
            is_pro: true,
            model: Some("sora-2-pro-2025-10-06".to_string()),
            size: Some("1792x1024".to_string()),
            ..segment()
        };
        let create = Create::of(&large, RequestFormat::Json).unwrap();
        assert_eq!(
            (&*create.model, &*create.size),
            ("sora-2-pro-2025-10-06", "1792x1024")
        );
        let gateway = Segment {
            model: Some("my-sora".to_string()),
            ..segment()
        };
        assert_eq!(model_of(&gateway), "my-sora");
    }

    #[test]
    fn an_image_link_goes_as_image_url_in_json_and_is_refused_in_multipart() {
        let with_image = Segment {
            image_url: Some("https://example.com/first.png".to_string()),
            ..segment()
        };
        let json = Create::of(&with_image, RequestFormat::Json).unwrap().json();
        assert_eq!(
            json["input_reference"],
            json!({"image_url": "https://example.com/first.png"})
        );
        let refused = Create::of(&with_image, RequestFormat::Multipart).unwrap_err();
        assert!(
            matches!(&refused, ProviderError::Rejected { message, .. }
                if message.contains("--request-format json") && message.contains("segment 1")),
            "{refused:?}"
        );
    }
}
