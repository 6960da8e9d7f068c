//! The `input_reference` of a create: a multipart file part (as the official SDK sends
//! it), or in JSON a URL, a data URL, or `{"image_url": …}` / `{"file_id": …}`. An image
//! the simulator holds is read for its format and pixel size (PNG, JPEG or WebP, from its
//! header); one that does not match the video's `size` is refused, as the API refuses it.

use base64::Engine;
use imagesize::ImageType;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::ApiError;
use crate::sim::world::ReferenceSeen;

const PARAM: &str = "input_reference";

/// A reference image, as received.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    /// Bytes the simulator holds: a file part (`file`) or a data URL (`data_url`).
    Image { how: &'static str, bytes: Vec<u8> },
    /// An image elsewhere, not fetched: an http(s) URL (`url`) or an uploaded file's id
    /// (`file_id`).
    Elsewhere { how: &'static str },
}

impl Reference {
    /// A multipart part: a file, unless it is text naming a URL or carrying a data URL
    /// (as some gateways take it in a form).
    pub fn from_part(bytes: Vec<u8>, is_file: bool) -> Result<Reference, ApiError> {
        match std::str::from_utf8(&bytes) {
            Ok(text) if !is_file => from_text(text),
            _ => Ok(Reference::Image { how: "file", bytes }),
        }
    }

    /// The JSON field: a string, or an object with `image_url` or `file_id`.
    pub fn from_json(value: &Value) -> Result<Reference, ApiError> {
        match value {
            Value::String(text) => from_text(text),
            Value::Object(object) => match (&object.get("image_url"), &object.get("file_id")) {
                (Some(Value::String(url)), _) => from_text(url),
                (_, Some(Value::String(_))) => Ok(Reference::Elsewhere { how: "file_id" }),
                _ => Err(invalid(
                    "Invalid 'input_reference': give 'image_url' or 'file_id'.".to_string(),
                )),
            },
            _ => Err(invalid(
                "Invalid type for 'input_reference': expected a file, a URL or an object."
                    .to_string(),
            )),
        }
    }

    /// What the simulator saw, once the image is known to fit a video of `pixels`.
    pub fn check(&self, pixels: (u32, u32)) -> Result<ReferenceSeen, ApiError> {
        let seen = self.seen()?;
        let Some(size) = &seen.pixels else {
            return Ok(seen);
        };
        let (want_width, want_height) = pixels;
        if *size != format!("{want_width}x{want_height}") {
            return Err(invalid(format!(
                "Inpaint image must match the requested width and height: the image is {size}, the video {want_width}x{want_height}."
            )));
        }
        Ok(seen)
    }

    /// What the simulator saw: how the image came, and for one it holds its size, SHA-256
    /// and pixel size, once it is known to be a PNG, JPEG or WebP.
    pub fn seen(&self) -> Result<ReferenceSeen, ApiError> {
        let (how, bytes) = match self {
            Reference::Elsewhere { how } => {
                return Ok(ReferenceSeen {
                    how: how.to_string(),
                    bytes: None,
                    sha256: None,
                    pixels: None,
                });
            }
            Reference::Image { how, bytes } => (how, bytes),
        };
        let supported = matches!(
            imagesize::image_type(bytes),
            Ok(ImageType::Png | ImageType::Jpeg | ImageType::Webp)
        );
        let size = imagesize::blob_size(bytes).ok().filter(|_| supported);
        let size = size.ok_or_else(|| {
            invalid("Invalid file format for 'input_reference'. Supported formats are image/jpeg, image/png and image/webp.".to_string())
        })?;
        Ok(ReferenceSeen {
            how: how.to_string(),
            bytes: Some(bytes.len() as u64),
            sha256: Some(crate::storyboard::hex(&Sha256::digest(bytes))),
            pixels: Some(format!("{}x{}", size.width, size.height)),
        })
    }
}

fn from_text(text: &str) -> Result<Reference, ApiError> {
    let text = text.trim();
    if let Some(data) = text.strip_prefix("data:") {
        let (kind, payload) = data.split_once(',').unwrap_or((data, ""));
        let bytes = kind
            .ends_with(";base64")
            .then(|| {
                base64::engine::general_purpose::STANDARD
                    .decode(payload)
                    .ok()
            })
            .flatten()
            .ok_or_else(|| {
                invalid(
                    "Invalid data URL for 'input_reference': expected data:<type>;base64,<data>."
                        .to_string(),
                )
            })?;
        return Ok(Reference::Image {
            how: "data_url",
            bytes,
        });
    }
    if text.starts_with("http://") || text.starts_with("https://") {
        return Ok(Reference::Elsewhere { how: "url" });
    }
    Err(invalid(
        "Invalid value for 'input_reference': expected an image file, an http(s) URL or a data URL."
            .to_string(),
    ))
}

fn invalid(message: String) -> ApiError {
    ApiError::invalid(PARAM, "invalid_value", message)
}
