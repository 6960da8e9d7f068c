//! The picture work of `--fit-images`: decode a reference image (PNG, JPEG or WebP) under
//! bounds that refuse decompression bombs, scale it to fit inside a frame keeping its
//! aspect ratio, centre it on black bars, and encode the result as PNG. Pure: bytes in,
//! bytes out; where the copy is kept is fit.rs's job.

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::{self, FilterType};
use image::{DynamicImage, ImageEncoder, ImageReader, Limits, RgbImage};

use crate::i18n::Message;

/// The most pixels an image may decode to (40 megapixels, above an 8K frame's 33): a
/// few kilobytes of PNG or WebP can declare billions, which would take the machine's
/// memory before any create.
pub const MAX_PIXELS: u64 = 40_000_000;

/// The longest side a decoder accepts, and the most it may allocate: the decoders' own
/// bounds, behind the pixel count checked first.
const MAX_SIDE: u32 = 20_000;
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// Why an image could not be letterboxed; the caller names the file and the fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LetterboxError {
    TooLarge { width: u32, height: u32 },
    Undecodable(String),
    Unencodable(String),
}

crate::display_from_message!(LetterboxError);

impl LetterboxError {
    /// What is wrong with the image, in any language (`Display` is its English).
    pub fn message(&self) -> Message {
        match self {
            LetterboxError::TooLarge { width, height } => Message::new("image.too_large")
                .with("width", width)
                .with("height", height)
                .with("limit", MAX_PIXELS),
            LetterboxError::Undecodable(why) => Message::new("image.undecodable").with("why", why),
            LetterboxError::Unencodable(why) => Message::new("image.unencodable").with("why", why),
        }
    }
}

/// Where the scaled image sits in the frame: its size and top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub width: u32,
    pub height: u32,
    pub left: u32,
    pub top: u32,
}

/// The largest size of `image`'s aspect ratio inside `frame`, centred (an odd leftover
/// pixel goes to the right or bottom bar). A side never rounds to 0.
pub fn placement(image: (u32, u32), frame: (u32, u32)) -> Placement {
    let (image_w, image_h) = (u64::from(image.0.max(1)), u64::from(image.1.max(1)));
    let (frame_w, frame_h) = (u64::from(frame.0), u64::from(frame.1));
    // Compared as cross products, so an exact scale (1920x1080 into 1280x720) stays exact.
    let (width, height) = if image_w * frame_h >= image_h * frame_w {
        (frame_w, rounded_div(image_h * frame_w, image_w))
    } else {
        (rounded_div(image_w * frame_h, image_h), frame_h)
    };
    let width = width.clamp(1, frame_w.max(1)) as u32;
    let height = height.clamp(1, frame_h.max(1)) as u32;
    Placement {
        width,
        height,
        left: (frame.0 - width) / 2,
        top: (frame.1 - height) / 2,
    }
}

fn rounded_div(numerator: u64, denominator: u64) -> u64 {
    (numerator + denominator / 2) / denominator
}

/// `bytes` (a PNG, JPEG or WebP image) letterboxed to `frame`, as a PNG.
pub fn letterbox(bytes: &[u8], frame: (u32, u32)) -> Result<Vec<u8>, LetterboxError> {
    let image = decode(bytes)?;
    let placed = placement((image.width(), image.height()), frame);
    let scaled = imageops::resize(
        &on_black(image),
        placed.width,
        placed.height,
        FilterType::Lanczos3,
    );
    let mut canvas = RgbImage::new(frame.0, frame.1);
    imageops::replace(
        &mut canvas,
        &scaled,
        i64::from(placed.left),
        i64::from(placed.top),
    );
    encode_png(&canvas)
}

/// Decodes under the bounds: the header's pixel count first, then the decoder's limits.
fn decode(bytes: &[u8]) -> Result<DynamicImage, LetterboxError> {
    let undecodable = |err: &dyn std::fmt::Display| LetterboxError::Undecodable(err.to_string());
    let reader = || {
        ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|err| undecodable(&err))
    };
    let (width, height) = reader()?
        .into_dimensions()
        .map_err(|err| undecodable(&err))?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(LetterboxError::TooLarge { width, height });
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = reader()?;
    reader.limits(limits);
    reader.decode().map_err(|err| undecodable(&err))
}

/// The image as RGB, a transparent part showing black as the bars do (its colour
/// weighed by its opacity before scaling, so no hidden colour bleeds in at the edges).
fn on_black(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let weigh = |c: u8| ((u16::from(c) * u16::from(a) + 127) / 255) as u8;
        image::Rgb([weigh(r), weigh(g), weigh(b)])
    })
}

fn encode_png(canvas: &RgbImage) -> Result<Vec<u8>, LetterboxError> {
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, PngFilter::Adaptive)
        .write_image(
            canvas.as_raw(),
            canvas.width(),
            canvas.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|err| LetterboxError::Unencodable(err.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests;
