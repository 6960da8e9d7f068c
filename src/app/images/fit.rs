//! `--fit-images`: a reference image on disk whose pixel size is not its video's (which
//! OpenAI refuses) is sent as a letterboxed PNG copy kept in the state folder,
//! `images/<SHA-256 of the image>-<WxH>.png`; the user's file is only read.
//!
//! Each copy is kept with a record of its own hash (`kept`): a rerun reuses it without
//! decoding or encoding again while it still hashes to that record. The hash also goes with the job
//! ([`FittedCopy`]), so a copy changed after this check is refused at the create. The
//! job's fingerprint stays the original's hash: the copy is how it is sent, not what.

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};
use tracing::{debug, info};

use super::kept;
use super::letterbox::{self, LetterboxError};
use crate::cli::RunArgs;
use crate::engine::JobSpec;
use crate::i18n::Message;
use crate::storyboard::{FittedCopy, LocalImage, Segment, hex};

/// The copies' folder, in the state folder.
pub const FOLDER: &str = "images";

/// Why an image could not be made ready; nothing has been submitted.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    Unreadable {
        image: String,
        why: Message,
    },
    Letterbox {
        image: String,
        frame: String,
        source: LetterboxError,
    },
    Write {
        image: String,
        source: std::io::Error,
    },
}

crate::display_from_message!(FitError);

impl FitError {
    /// What went wrong and the fix, in any language (`Display` is its English).
    pub fn message(&self) -> Message {
        match self {
            FitError::Unreadable { image, why } => Message::new("image.not_letterboxed")
                .with("image", image)
                .with_text("why", why.clone()),
            FitError::Letterbox {
                image,
                frame,
                source,
            } => {
                let fix = match source {
                    LetterboxError::TooLarge { .. } => Message::new("image.fix.resize"),
                    _ => Message::new("image.fix.save_again"),
                };
                Message::new("image.cannot_letterbox")
                    .with("image", image)
                    .with("frame", frame)
                    .with_text("source", source.message())
                    .with_text("fix", fix.with("frame", frame))
            }
            FitError::Write { image, source } => Message::new("image.letterboxed_unwritable")
                .with("image", image)
                .with("source", source),
        }
    }
}

/// Points each job still to be submitted whose image must be fitted at its copy, making
/// the copies that are missing; one copy per image and frame size.
pub(super) fn prepare(
    jobs: &mut [JobSpec],
    state_dir: &Path,
    args: &RunArgs,
) -> Result<(), FitError> {
    let rules = args.segment_settings().images;
    if !(rules.fit && rules.must_match_frame) {
        return Ok(());
    }
    let folder = state_dir.join(FOLDER);
    let mut copies: HashMap<(String, String), FittedCopy> = HashMap::new();
    super::rebuild(jobs, super::may_create, |segment| {
        let Some((image, frame)) = needs_fitting(segment) else {
            return Ok(None);
        };
        let key = (image.sha256.clone(), segment.frame_size().to_string());
        let copy = match copies.get(&key) {
            Some(copy) => copy.clone(),
            None => {
                let copy = copy_for(image, frame, &folder)?;
                copies.insert(key, copy.clone());
                copy
            }
        };
        let mut fitted = segment.clone();
        if let Some(image) = &mut fitted.image_file {
            image.fitted = Some(copy);
        }
        Ok(Some(fitted))
    })
}

/// The segment's image on disk and the video's frame, when their pixel sizes differ.
fn needs_fitting(segment: &Segment) -> Option<(&LocalImage, (u32, u32))> {
    let image = segment.image_file.as_ref()?;
    let frame = pixels_of(segment.frame_size())?;
    (frame != (image.width, image.height)).then_some((image, frame))
}

/// The copy of `image` at `frame` in `folder`: the one there if it checks, else made now.
fn copy_for(
    image: &LocalImage,
    (width, height): (u32, u32),
    folder: &Path,
) -> Result<FittedCopy, FitError> {
    let frame = format!("{width}x{height}");
    let path = folder.join(format!("{}-{frame}.png", image.sha256));
    let shown = image.shown();
    if let Some((_, sha256)) = kept::checked(&path) {
        debug!(
            "reusing the letterboxed copy of {shown}: {}",
            path.display()
        );
        return Ok(FittedCopy { path, sha256 });
    }
    let bytes = image.read_unchanged().map_err(|why| FitError::Unreadable {
        image: shown.clone(),
        why,
    })?;
    let png =
        letterbox::letterbox(&bytes, (width, height)).map_err(|source| FitError::Letterbox {
            image: shown.clone(),
            frame: frame.clone(),
            source,
        })?;
    let sha256 = hex(&Sha256::digest(&png));
    let write = |source| FitError::Write {
        image: shown.clone(),
        source,
    };
    kept::keep(&path, &png, &sha256).map_err(write)?;
    let fitted = Message::new("events.letterboxed")
        .with("image", &shown)
        .with("pixels", image.pixels())
        .with("frame", frame)
        .with("path", path.display());
    info!(shown = %fitted.shown(), "{fitted}");
    Ok(FittedCopy { path, sha256 })
}

/// `"1280x720"` as numbers (a frame size was checked when the storyboard was read).
fn pixels_of(frame: &str) -> Option<(u32, u32)> {
    let (width, height) = frame.split_once('x')?;
    Some((width.parse().ok()?, height.parse().ok()?))
}

#[cfg(test)]
mod tests;
