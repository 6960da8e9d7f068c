//! The plan's reference images on disk, as the dry run lists them: each file once, with
//! its format, pixel size and bytes, and the frame sizes it is letterboxed to when
//! `--fit-images` must fit it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::i18n::{counted, text};
use crate::plan::Plan;
use crate::storyboard::ImageRules;

/// One image file the plan's segments use.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ImageLine {
    /// As messages show it: the storyboard's folder joined with the path it writes.
    pub path: PathBuf,
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub sha256: String,
    /// The video sizes (`WIDTHxHEIGHT`) a letterboxed copy is made for; empty: the file
    /// is sent as it is.
    pub letterboxed_to: Vec<String>,
    /// Uploaded by `--image-host-cmd` before the first create (unless an earlier run
    /// did), and its link sent.
    pub hosted: bool,
}

/// Every image file of the plan's jobs, by path, under `rules`.
pub fn image_lines(plan: &Plan, rules: ImageRules) -> Vec<ImageLine> {
    let mut lines: BTreeMap<PathBuf, ImageLine> = BTreeMap::new();
    for job in &plan.jobs {
        let Some(image) = &job.segment.image_file else {
            continue;
        };
        let shown_dir = plan.storyboards[job.storyboard]
            .shown
            .parent()
            .map(PathBuf::from)
            .unwrap_or_default();
        let path = crate::plan::tidy(&shown_dir.join(&image.written));
        let line = lines.entry(path.clone()).or_insert_with(|| ImageLine {
            path,
            format: image.format.name(),
            width: image.width,
            height: image.height,
            bytes: image.bytes,
            sha256: image.sha256.clone(),
            letterboxed_to: Vec::new(),
            hosted: rules.hosted,
        });
        let frame = job.segment.frame_size();
        if rules.fit
            && rules.must_match_frame
            && image.pixels() != frame
            && !line.letterboxed_to.iter().any(|size| size == frame)
        {
            line.letterboxed_to.push(frame.to_string());
        }
    }
    lines.into_values().collect()
}

/// The lines as the dry run's text shows them, under a heading; nothing without images.
pub fn images_text(lines: &[ImageLine]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = lines
        .iter()
        .map(|line| crate::ui::printable(line.path.display()))
        .collect();
    let width = shown.iter().map(|path| path.width()).max().unwrap_or(0);
    let mut out = format!("\n{}\n", text("plan.images", &[]));
    for (line, path) in lines.iter().zip(&shown) {
        let fitted = match line.letterboxed_to.as_slice() {
            [] => String::new(),
            sizes => {
                let sizes = sizes.join(&text("plan.and", &[]));
                text("plan.letterboxed", &[("sizes", &sizes)])
            }
        };
        let padding = " ".repeat(width - path.width());
        let image = text(
            "plan.image",
            &[
                ("path", &format!("{path}{padding}")),
                ("format", &line.format),
                ("width", &line.width),
                ("height", &line.height),
                ("bytes", &indicatif::HumanBytes(line.bytes)),
                ("fitted", &fitted),
            ],
        );
        out.push_str(&format!("  {image}\n"));
    }
    let hosted: std::collections::BTreeSet<&str> = lines
        .iter()
        .filter(|line| line.hosted)
        .map(|line| line.sha256.as_str())
        .collect();
    if !hosted.is_empty() {
        let upload = counted("plan.to_upload", hosted.len() as u64, &[]);
        out.push_str(&format!("  {upload}\n"));
    }
    out
}
