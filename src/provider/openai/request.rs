//! What a create sends: a segment as OpenAI's fields (`model` from `is_pro` or the
//! segment's `model`, `seconds` as a string, `size` from the resolution or the segment's
//! `size`, the prompt), as a multipart form or a JSON body.
//!
//! A reference image given as an http(s) URL goes in JSON as `input_reference:
//! {"image_url": URL}`, the shape the API takes for links. A multipart create can carry an
//! image only as a file part, and the API does not fetch a URL sent as a text part: such
//! a create is refused here, before anything is sent or paid for, naming the fix
//! (`--request-format json`). An image on disk goes as the `input_reference` file part,
//! or in JSON as a data URL; its bytes are read at the create, and an image changed since
//! the storyboard was read is refused (what is sent is what the fingerprint says).

use base64::Engine;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::RequestFormat;
use crate::provider::ProviderError;
use crate::storyboard::{ImageFormat, LocalImage, Segment};

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
    segment.frame_size()
}

/// A create's reference image.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    /// A link the API fetches (JSON creates only).
    Link(String),
    /// A file on disk, sent as its bytes.
    File(LocalImage),
}

/// One create's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Create {
    pub model: String,
    pub prompt: String,
    pub seconds: String,
    pub size: String,
    pub reference: Option<Reference>,
}

impl Create {
    /// The fields for `segment`, or why it cannot be sent in `format`.
    pub fn of(segment: &Segment, format: RequestFormat) -> Result<Create, ProviderError> {
        let reference = match (&segment.image_file, &segment.image_url) {
            (Some(file), _) => Some(Reference::File(file.clone())),
            (None, Some(link)) => Some(Reference::Link(link.clone())),
            (None, None) => None,
        };
        if let (Some(Reference::Link(image_url)), RequestFormat::Multipart) = (&reference, format) {
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
            reference,
        })
    }

    /// The JSON body; an image on disk goes as a data URL.
    pub async fn json(&self) -> Result<Value, ProviderError> {
        let mut body = json!({
            "model": self.model,
            "prompt": self.prompt,
            "seconds": self.seconds,
            "size": self.size,
        });
        let image_url = match &self.reference {
            None => return Ok(body),
            Some(Reference::Link(link)) => link.clone(),
            Some(Reference::File(image)) => {
                let (bytes, format) = bytes_of(image).await?;
                let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
                format!("data:{};base64,{encoded}", format.mime())
            }
        };
        body["input_reference"] = json!({ "image_url": image_url });
        Ok(body)
    }

    /// The multipart form, an image on disk as the `input_reference` file part (never
    /// with an image link: see [`Create::of`]).
    pub async fn form(&self) -> Result<Form, ProviderError> {
        let form = Form::new()
            .text("model", self.model.clone())
            .text("prompt", self.prompt.clone())
            .text("seconds", self.seconds.clone())
            .text("size", self.size.clone());
        let Some(Reference::File(image)) = &self.reference else {
            return Ok(form);
        };
        let (bytes, format) = bytes_of(image).await?;
        let part = Part::bytes(bytes)
            .file_name(upload_name(image, format))
            .mime_str(format.mime())
            .expect("a known media type parses");
        Ok(form.part("input_reference", part))
    }
}

/// What is sent for the image (its letterboxed copy under `--fit-images`) and its format,
/// as checked, read off the runtime's threads; a change since is a refusal naming the
/// file (nothing was sent).
async fn bytes_of(image: &LocalImage) -> Result<(Vec<u8>, ImageFormat), ProviderError> {
    let owned = image.clone();
    let read = tokio::task::spawn_blocking(move || owned.read_to_send())
        .await
        .unwrap_or_else(|err| Err(crate::i18n::Message::new("image.read_failed").with("err", err)));
    read.map_err(|why| ProviderError::Rejected {
        message: format!(
            "the reference image \"{}\" was not sent: {why}",
            crate::ui::escaped(&image.written, 100)
        ),
        request_id: None,
    })
}

/// The name the file part declares: the file's own name, which the API sees, never the
/// folders above it (they may say more about the user than the video needs); a
/// letterboxed copy keeps the file's stem with `.png`.
fn upload_name(image: &LocalImage, sent: ImageFormat) -> String {
    let extension = match sent {
        ImageFormat::Png => "png",
        ImageFormat::Jpeg => "jpg",
        ImageFormat::Webp => "webp",
    };
    let name = match image.fitted {
        None => image
            .path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned()),
        Some(_) => image
            .path
            .file_stem()
            .map(|stem| format!("{}.{extension}", stem.to_string_lossy())),
    };
    name.unwrap_or_else(|| format!("reference.{extension}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storyboard::Resolution;

    fn segment() -> Segment {
        Segment {
            duration_seconds: 8,
            ..Segment::example("a red fox")
        }
    }

    #[tokio::test]
    async fn a_segment_becomes_openai_fields() {
        let create = Create::of(&segment(), RequestFormat::Json).unwrap();
        assert_eq!(
            create.json().await.unwrap(),
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

    #[tokio::test]
    async fn an_image_link_goes_as_image_url_in_json_and_is_refused_in_multipart() {
        let with_image = Segment {
            image_url: Some("https://example.com/first.png".to_string()),
            ..segment()
        };
        let json = Create::of(&with_image, RequestFormat::Json)
            .unwrap()
            .json()
            .await
            .unwrap();
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

    #[tokio::test]
    async fn an_image_on_disk_goes_in_json_as_a_data_url_of_its_bytes_and_type() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("first.jpg");
        let image = LocalImage::written_at(&path, b"jpeg bytes", ImageFormat::Jpeg, (1280, 720));
        let with_file = Segment {
            image_file: Some(image.clone()),
            ..segment()
        };
        let create = Create::of(&with_file, RequestFormat::Json).unwrap();
        let json = create.json().await.unwrap();
        assert_eq!(
            json["input_reference"],
            json!({"image_url": "data:image/jpeg;base64,anBlZyBieXRlcw=="})
        );
        assert!(Create::of(&with_file, RequestFormat::Multipart).is_ok());
        std::fs::write(&image.path, b"other bytes").unwrap();
        let refused = create.json().await.unwrap_err();
        assert!(
            matches!(&refused, ProviderError::Rejected { message, .. }
                if message.starts_with("the reference image \"first.jpg\" was not sent: it changed")),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn a_letterboxed_copy_is_sent_as_png_instead_of_the_file_and_checked_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let digest =
            |bytes: &[u8]| crate::storyboard::hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes));
        let (original, copy) = (dir.path().join("first.jpg"), dir.path().join("copy.png"));
        std::fs::write(&copy, b"png bytes").unwrap();
        let image = LocalImage {
            fitted: Some(crate::storyboard::FittedCopy {
                path: copy.clone(),
                sha256: digest(b"png bytes"),
            }),
            ..LocalImage::written_at(&original, b"jpeg bytes", ImageFormat::Jpeg, (1024, 1024))
        };
        let with_file = Segment {
            image_file: Some(image.clone()),
            ..segment()
        };
        let create = Create::of(&with_file, RequestFormat::Json).unwrap();
        assert_eq!(
            create.json().await.unwrap()["input_reference"],
            json!({"image_url": "data:image/png;base64,cG5nIGJ5dGVz"})
        );
        assert_eq!(upload_name(&image, ImageFormat::Png), "first.png");
        std::fs::write(&copy, b"other bytes").unwrap();
        let refused = create.json().await.unwrap_err();
        assert!(
            matches!(&refused, ProviderError::Rejected { message, .. }
                if message.contains("\"first.jpg\" was not sent: its letterboxed copy")),
            "{refused:?}"
        );
    }
}
