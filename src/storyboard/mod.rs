//! Storyboard files: what they may hold, how they are read, and the checks that turn a file
//! into resolved segments — or into a list of every problem, each naming file, segment and
//! field, so a user fixes a whole batch in one pass.
//!
//! Resolution order for a segment's optional fields: the segment itself, then the file's
//! `defaults`, then the run's settings (only `gen_count` has one), then the built-in default.

mod continuity;
mod decode;
mod duplicates;
mod durations;
mod fields;
mod images;
mod read;
mod refusal;
mod schema;
mod spec;
mod suggest;
mod text;
mod values;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::i18n::{Lang, Message};

pub use continuity::{Character, MAX_CHARACTERS, RemixOf, is_share_id};
pub use durations::Durations;
pub use images::{
    FittedCopy, ImageFormat, ImageRules, LocalImage, MAX_IMAGE_BYTES, describe as describe_image,
    is_link, read_hashed as read_image,
};
pub use read::MAX_FILE_BYTES;
pub use refusal::Refusal;
pub use schema::schema_json;
pub use spec::STYLES;
pub use text::DEFAULT_MAX_PROMPT_CHARS;
pub use values::check_web_link;

/// Frame orientation, as the Sora.hk API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Resolution {
    /// 16:9 landscape.
    #[default]
    Horizontal,
    /// 9:16 portrait.
    Vertical,
}

impl Resolution {
    pub const ALL: [Resolution; 2] = [Resolution::Horizontal, Resolution::Vertical];

    /// The frame's width to height, as the storyboard's documentation and messages say it.
    pub fn ratio(self) -> &'static str {
        match self {
            Resolution::Horizontal => "16:9",
            Resolution::Vertical => "9:16",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Horizontal => "horizontal",
            Resolution::Vertical => "vertical",
        }
    }

    /// The 720p frame of this orientation (`WIDTHxHEIGHT`): what a segment without a
    /// `size` asks for.
    pub fn frame_size(self) -> &'static str {
        match self {
            Resolution::Horizontal => "1280x720",
            Resolution::Vertical => "720x1280",
        }
    }
}

/// One segment with every field resolved: what the engine turns into `gen_count` jobs.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub index: u32,
    pub prompt: String,
    /// A reference image's link: the storyboard's own, or where `--image-host-cmd` put
    /// the `image_file`.
    pub image_url: Option<String>,
    /// A reference image on disk (an `image_url` that is a path), checked when read.
    pub image_file: Option<LocalImage>,
    /// The video this shot remixes (continuity.rs).
    pub remix_of: Option<RemixOf>,
    /// Character references, for providers that take them.
    pub characters: Vec<Character>,
    /// A video style (one of [`STYLES`]), for providers that apply one.
    pub style_id: Option<String>,
    pub is_pro: bool,
    pub duration_seconds: u32,
    pub resolution: Resolution,
    pub gen_count: u32,
    /// Notes for humans; never sent to the API, so not part of the fingerprint.
    pub director_intent: Option<String>,
    /// The model name to send instead of the one `is_pro` picks (gateways name their
    /// own). A `sora-2-pro…` model makes the segment pro (`is_pro` is then true).
    pub model: Option<String>,
    /// The frame size (`WIDTHxHEIGHT`) to send instead of the one `resolution` picks; one
    /// of the provider's sizes for the segment's mode.
    pub size: Option<String>,
}

/// Whether a model name is pro: `sora-2-pro…` is, other `sora-2…` are not; a name this
/// does not know (a gateway's own) says nothing.
pub fn model_is_pro(model: &str) -> Option<bool> {
    let model = model.trim().to_ascii_lowercase();
    if model.starts_with("sora-2-pro") {
        Some(true)
    } else if model.starts_with("sora-2") {
        Some(false)
    } else {
        None
    }
}

/// The request parameters of a segment, in a fixed order: hashing this is the fingerprint.
#[derive(Serialize)]
struct FingerprintInput<'a> {
    prompt: &'a str,
    image_url: Option<&'a str>,
    is_pro: bool,
    duration_seconds: u32,
    resolution: Resolution,
    // Absent when unset, so a segment without them keeps the fingerprint it had before
    // these fields existed (its earlier runs are not generated again).
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<&'a str>,
    /// A reference image on disk, by its content: where it is (or is hosted) does not
    /// change the video.
    #[serde(skip_serializing_if = "Option::is_none")]
    image_sha256: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remix_of: Option<String>,
    #[serde(skip_serializing_if = "<[Character]>::is_empty")]
    characters: &'a [Character],
    #[serde(skip_serializing_if = "Option::is_none")]
    style_id: Option<&'a str>,
}

impl Segment {
    /// Segment 1 with `prompt` and every other field at its default (one version): what
    /// tests start from.
    #[cfg(test)]
    pub(crate) fn example(prompt: &str) -> Segment {
        Segment {
            index: 1,
            prompt: prompt.to_string(),
            image_url: None,
            is_pro: false,
            duration_seconds: 10,
            resolution: Resolution::Horizontal,
            gen_count: 1,
            director_intent: None,
            model: None,
            size: None,
            image_file: None,
            remix_of: None,
            characters: Vec::new(),
            style_id: None,
        }
    }

    /// The frame size (`WIDTHxHEIGHT`) the segment asks for: its `size`, else the 720p
    /// frame of its resolution.
    pub fn frame_size(&self) -> &str {
        self.size.as_deref().unwrap_or(self.resolution.frame_size())
    }

    /// A hash of everything the API receives for this segment: two segments with the same
    /// fingerprint produce interchangeable videos, and an edit that changes the request
    /// changes the fingerprint.
    pub fn fingerprint(&self) -> String {
        let image_sha256 = self.image_file.as_ref().map(|image| image.sha256.as_str());
        let input = FingerprintInput {
            prompt: &self.prompt,
            image_url: self.image_url.as_deref().filter(|_| image_sha256.is_none()),
            is_pro: self.is_pro,
            duration_seconds: self.duration_seconds,
            resolution: self.resolution,
            model: self.model.as_deref(),
            size: self.size.as_deref(),
            image_sha256,
            remix_of: self.remix_of.as_ref().map(RemixOf::fingerprinted),
            characters: &self.characters,
            style_id: self.style_id.as_deref(),
        };
        let bytes = serde_json::to_vec(&input).expect("serializing plain fields cannot fail");
        hex(&Sha256::digest(&bytes))
    }
}

/// Lower-case hex of a byte string (sha2's digests have no `{:x}`).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// The most versions of one segment.
pub const MAX_GEN_COUNT: u32 = 100;

/// Where in a file a problem is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Location {
    /// The file as a whole (unreadable, wrong top-level shape).
    File,
    /// A position in the text (syntax and encoding errors).
    Text { line: usize, column: usize },
    /// The file's `defaults` object.
    Defaults,
    /// A segment known by its `segment_index`.
    Segment { index: u32 },
    /// A segment without a usable `segment_index`, by its 1-based place in `segments`.
    Position { position: usize },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words(Lang::En))
    }
}

impl Location {
    /// Where in the file, in `lang`'s words (`defaults` is the key's name in both).
    pub fn words(&self, lang: Lang) -> String {
        match self {
            Location::File => String::new(),
            Location::Text { line, column } => {
                lang.text("problem.at_text", &[("line", line), ("column", column)])
            }
            Location::Defaults => "defaults".to_string(),
            Location::Segment { index } => lang.text("problem.at_segment", &[("index", index)]),
            Location::Position { position } => {
                lang.text("problem.at_position", &[("position", position)])
            }
        }
    }
}

/// One thing wrong with a storyboard, printed as one line:
/// `input/ep1/storyboard_a.json: segment 3: duration_seconds: 25 needs "is_pro": true (…)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: PathBuf,
    pub location: Location,
    /// The field (or unknown key) at fault, when there is one.
    pub field: Option<String>,
    pub message: Message,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words(Lang::En))
    }
}

impl Problem {
    /// The line in `lang`: the file, the place and the field framed in its words, and the
    /// message in them (a person's terminal shows this, the log and `--json` the English).
    pub fn words(&self, lang: Lang) -> String {
        let mut line = self.file.display().to_string();
        if self.location != Location::File {
            line = lang.text(
                "problem.framed",
                &[("before", &line), ("part", &self.location.words(lang))],
            );
        }
        if let Some(field) = &self.field {
            line = lang.text("problem.framed", &[("before", &line), ("part", field)]);
        }
        lang.text(
            "problem.framed",
            &[("before", &line), ("part", &self.message.words(lang))],
        )
    }
}

/// What the run's settings contribute to segments (the third layer of resolution), and
/// what the chosen provider allows: the format is the same for every provider, its
/// allowed values are a parameter of checking (see `provider::Capabilities`).
#[derive(Debug, Clone, Copy)]
pub struct SegmentSettings {
    pub gen_count: u32,
    /// The longest prompt the provider takes, in characters.
    pub max_prompt_chars: usize,
    /// The video lengths the provider offers.
    pub durations: Durations,
    /// What the run can do with reference images (links, files on disk).
    pub images: ImageRules,
    /// Why `remix_of` cannot be sent to the provider, with the fix; `None`: it can.
    pub remix_refused: Option<Refusal>,
    /// Why `image_url` cannot go with `remix_of` (the provider's remixes take no image),
    /// with the fix; `None`: it can.
    pub remix_image_refused: Option<Refusal>,
    /// Why `characters` cannot be sent to the provider, with the fix; `None`: it can.
    pub characters_refused: Option<Refusal>,
    /// Why a take of this storyboard cannot be remixed (the provider's videos carry no
    /// id a remix can name), with the fix; `None`: it can, where remixes can be sent.
    pub take_remix_refused: Option<Refusal>,
    /// The provider reads a video to remix only as a Sora share id (`s_…`) or link.
    pub remix_share_ids_only: bool,
    /// Why `style_id` cannot be sent to the provider, with the fix; `None`: it can.
    pub style_refused: Option<Refusal>,
    /// The frame sizes the provider offers per mode.
    pub sizes: Sizes,
}

/// The frame sizes (`WIDTHxHEIGHT`) a provider offers, without and with `is_pro`; both
/// empty: it has no size parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub normal: &'static [&'static str],
    pub pro: &'static [&'static str],
    /// The size a segment that sets none gets (draw's `small`/`large`, which `resolution`
    /// cannot pick); `None`: it gets none, and `resolution` picks its frame.
    pub default: Option<&'static str>,
}

impl Sizes {
    /// Every size offered in either mode, each once, normal ones first.
    pub fn all(&self) -> Vec<&'static str> {
        let mut all = self.normal.to_vec();
        all.extend(self.pro.iter().filter(|size| !self.normal.contains(size)));
        all
    }

    /// The sizes offered in a mode.
    pub fn of(&self, is_pro: bool) -> &'static [&'static str] {
        match is_pro {
            true => self.pro,
            false => self.normal,
        }
    }
}
/// Reads and checks one storyboard. `shown_as` is the path used in messages.
pub fn load(
    path: &Path,
    shown_as: &Path,
    settings: SegmentSettings,
) -> Result<Vec<Segment>, Vec<Problem>> {
    let problem = |location, message: Message| {
        vec![Problem {
            file: shown_as.to_path_buf(),
            location,
            field: None,
            message,
        }]
    };
    let bytes = read::read_storyboard(path).map_err(|message| problem(Location::File, message))?;
    let parsed =
        decode::decode(&bytes).map_err(|(location, message)| problem(location, message))?;
    let (mut segments, mut problems) = fields::check_file(&parsed, shown_as, settings);
    let folder = path.parent().unwrap_or(Path::new("."));
    problems.extend(images::attach(
        &mut segments,
        folder,
        shown_as,
        settings.images,
    ));
    // After the images: a source's fingerprint holds its image's hash.
    continuity::set_sources(&mut segments);
    match problems.is_empty() {
        true => Ok(segments),
        false => Err(problems),
    }
}

#[cfg(test)]
mod tests;
