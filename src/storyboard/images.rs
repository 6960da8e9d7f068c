//! Reference images on disk: an `image_url` that is a path, not a link. It is resolved
//! against the storyboard's folder, must be a PNG, JPEG or WebP file (read from its
//! header, whatever its name says), and is described by its pixel size and SHA-256. The
//! hash is part of the job's fingerprint, so editing the image generates the job again.
//! Whether the provider can take a file, and at which pixel size, is the run's
//! [`ImageRules`].

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use indicatif::HumanBytes;
use sha2::{Digest, Sha256};

use super::{Location, Problem, Refusal, Segment, hex, read, text};
use crate::i18n::Message;

/// The largest reference image read (50 MiB): far above what any provider takes, and a
/// video or archive named by mistake is refused before it is hashed or uploaded.
pub const MAX_IMAGE_BYTES: u64 = 50 * 1024 * 1024;

/// What the run can do with a reference image, from the provider and the run's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImageRules {
    /// Why a link cannot be sent, with the fix; `None`: it can.
    pub link_refused: Option<Refusal>,
    /// Why a file on disk cannot be sent, with the fix; `None`: it can.
    pub file_refused: Option<Refusal>,
    /// The provider takes an image only at the video's frame size (OpenAI's rule).
    pub must_match_frame: bool,
    /// `--fit-images`: an image of another size is letterboxed to the frame instead.
    pub fit: bool,
    /// `--image-host-cmd` where files are refused: each file is uploaded by the command
    /// and its link sent instead.
    pub hosted: bool,
}

/// The image formats providers take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
    Webp,
}

impl ImageFormat {
    /// The media type an upload declares.
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Webp => "image/webp",
        }
    }

    /// As messages and the plan name it.
    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Png => "PNG",
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Webp => "WebP",
        }
    }
}

/// A reference image file, as checked when the storyboard was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalImage {
    /// The path as the storyboard writes it.
    pub written: String,
    /// Where it is: a relative path resolved against the storyboard's folder.
    pub path: PathBuf,
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// `--fit-images`: the letterboxed copy sent instead of the file; the job's
    /// fingerprint still holds the file's own hash.
    pub fitted: Option<FittedCopy>,
}

/// A PNG copy of a [`LocalImage`] letterboxed to a video's frame, in the state folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FittedCopy {
    pub path: PathBuf,
    /// Lower-case hex SHA-256 of the copy's bytes, as it was made or checked.
    pub sha256: String,
}

impl LocalImage {
    /// The image as messages name it: the path the storyboard writes and, when that is
    /// not the same, where it is (relative to where the run started).
    pub fn shown(&self) -> String {
        let at = crate::ui::printable(crate::plan::tidy(&self.path).display());
        match at == self.written {
            true => quoted(&self.written),
            false => format!("{} ({at})", quoted(&self.written)),
        }
    }

    /// Its size in pixels, as `WIDTHxHEIGHT`.
    pub fn pixels(&self) -> String {
        format!("{}x{}", self.width, self.height)
    }

    /// The file's bytes as they were checked; a file changed (or gone) since is an
    /// error, so what is sent is always what the fingerprint says.
    pub fn read_unchanged(&self) -> Result<Vec<u8>, Message> {
        let (bytes, sha256) = read_hashed(&self.path)
            .map_err(|err| Message::new("image.unreadable_now").with("err", err))?;
        if sha256 != self.sha256 {
            return Err(Message::new("image.changed_since_start"));
        }
        Ok(bytes)
    }

    /// What a create sends, and its format: the letterboxed copy when there is one, else
    /// the file; either checked unchanged, as [`LocalImage::read_unchanged`] does.
    pub fn read_to_send(&self) -> Result<(Vec<u8>, ImageFormat), Message> {
        let Some(copy) = &self.fitted else {
            return Ok((self.read_unchanged()?, self.format));
        };
        let copy_shown = crate::ui::printable(copy.path.display());
        let (bytes, sha256) = read_hashed(&copy.path).map_err(|err| {
            Message::new("image.copy_unreadable")
                .with("copy", &copy_shown)
                .with("err", err)
        })?;
        if sha256 != copy.sha256 {
            return Err(Message::new("image.copy_changed").with("copy", &copy_shown));
        }
        Ok((bytes, ImageFormat::Png))
    }
}

/// A file's bytes (at most [`MAX_IMAGE_BYTES`]) and their lower-case hex SHA-256.
pub fn read_hashed(path: &Path) -> Result<(Vec<u8>, String), String> {
    let file = read::open_without_waiting(path).map_err(|err| err.to_string())?;
    let bytes = read::read_at_most(file, 0, MAX_IMAGE_BYTES, read::Limit::Image)
        .map_err(|message| message.to_string())?;
    let sha256 = hex(&Sha256::digest(&bytes));
    Ok((bytes, sha256))
}

#[cfg(test)]
impl LocalImage {
    /// `bytes` written at `path`, described as validation would describe a file of that
    /// format and size (what tests of the senders start from).
    pub(crate) fn written_at(
        path: &Path,
        bytes: &[u8],
        format: ImageFormat,
        (width, height): (u32, u32),
    ) -> LocalImage {
        std::fs::create_dir_all(path.parent().expect("a file's folder")).unwrap();
        std::fs::write(path, bytes).unwrap();
        LocalImage {
            written: path
                .file_name()
                .map_or_else(String::new, |name| name.to_string_lossy().into_owned()),
            path: path.to_path_buf(),
            format,
            width,
            height,
            bytes: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
            fitted: None,
        }
    }
}

/// Whether an `image_url` value is a web link rather than a path on disk; characters a
/// link may not hold before the scheme do not make it a path (the link's check names them).
pub fn is_link(text: &str) -> bool {
    let start = text.trim_start_matches(|c: char| c.is_control() || text::is_invisible(c));
    let scheme = start.get(..8).unwrap_or(start).to_ascii_lowercase();
    scheme.starts_with("http://") || scheme.starts_with("https://")
}

/// Turns each segment's `image_url` that is a path into its [`LocalImage`], checking it
/// under `rules`; `dir` is the storyboard's folder, `shown_dir` that folder as messages
/// show it. Each distinct path is read once.
pub(super) fn attach(
    segments: &mut [Segment],
    dir: &Path,
    shown_file: &Path,
    rules: ImageRules,
) -> Vec<Problem> {
    let shown_dir = shown_file.parent().unwrap_or(Path::new(""));
    let mut seen: HashMap<String, Result<LocalImage, Message>> = HashMap::new();
    let mut problems = Vec::new();
    for segment in segments {
        let Some(written) = segment.image_url.take_if(|text| !is_link(text)) else {
            continue;
        };
        let inspected = seen
            .entry(written.clone())
            .or_insert_with(|| inspect(&written, dir, shown_dir));
        // What is wrong with the file comes first: "a file on disk" would mislead about
        // a path that names none.
        let checked = match (inspected, rules.file_refused) {
            (Err(message), _) => Err(message.clone()),
            (Ok(_), Some(why)) => Err(Message::new("storyboard.image.on_disk")
                .with("image", quoted(&written))
                .with_text("why", why.message())),
            (Ok(image), None) => fits(image, segment, rules).map(|()| image.clone()),
        };
        match checked {
            Ok(image) => segment.image_file = Some(image),
            Err(message) => problems.push(Problem {
                file: shown_file.to_path_buf(),
                location: Location::Segment {
                    index: segment.index,
                },
                field: Some("image_url".to_string()),
                message,
            }),
        }
    }
    problems
}

/// Whether an image can go with `segment` at its pixel size.
fn fits(image: &LocalImage, segment: &Segment, rules: ImageRules) -> Result<(), Message> {
    let frame = segment.frame_size();
    if !rules.must_match_frame || rules.fit || image.pixels() == frame {
        return Ok(());
    }
    Err(Message::new("storyboard.image.wrong_size")
        .with("image", quoted(&image.written))
        .with("pixels", image.pixels())
        .with("frame", frame))
}

/// Reads a path's header and hash; the message says what is wrong and where it looked.
fn inspect(written: &str, dir: &Path, shown_dir: &Path) -> Result<LocalImage, Message> {
    let path = dir.join(written);
    let shown = quoted(written);
    let looked = shown_dir.join(written);
    let cannot_read = |err: io::Error| {
        Message::new("storyboard.image.unreadable")
            .with("image", &shown)
            .with("error", err)
    };
    let file = read::open_without_waiting(&path).map_err(|err| match err.kind() {
        io::ErrorKind::NotFound => Message::new("storyboard.image.missing")
            .with("image", &shown)
            .with("path", looked.display()),
        _ => Message::new("storyboard.image.unreadable_at")
            .with("image", &shown)
            .with("path", looked.display())
            .with("error", err),
    })?;
    let meta = file.metadata().map_err(cannot_read)?;
    if !meta.is_file() {
        return Err(Message::new("storyboard.image.not_regular")
            .with("image", &shown)
            .with("path", looked.display()));
    }
    if meta.len() > MAX_IMAGE_BYTES {
        return Err(Message::new("storyboard.image.over_limit")
            .with("image", &shown)
            .with("size", HumanBytes(meta.len()))
            .with("limit", HumanBytes(MAX_IMAGE_BYTES)));
    }
    let mut reader = BufReader::new(file);
    let format = format_of(&mut reader)
        .ok_or_else(|| Message::new("storyboard.image.not_an_image").with("image", &shown))?;
    let size = imagesize::reader_size(&mut reader).map_err(|_| {
        Message::new("storyboard.image.damaged")
            .with("image", &shown)
            .with("format", format.name())
    })?;
    let (sha256, bytes) = hash(&mut reader).map_err(cannot_read)?;
    Ok(LocalImage {
        written: written.to_string(),
        path,
        format,
        width: u32::try_from(size.width).unwrap_or(u32::MAX),
        height: u32::try_from(size.height).unwrap_or(u32::MAX),
        bytes,
        sha256,
        fitted: None,
    })
}

fn format_of(reader: &mut BufReader<File>) -> Option<ImageFormat> {
    let found = supported(imagesize::reader_type(&mut *reader).ok()?)?;
    reader.rewind().ok()?;
    Some(found)
}

fn supported(kind: imagesize::ImageType) -> Option<ImageFormat> {
    match kind {
        imagesize::ImageType::Png => Some(ImageFormat::Png),
        imagesize::ImageType::Jpeg => Some(ImageFormat::Jpeg),
        imagesize::ImageType::Webp => Some(ImageFormat::Webp),
        _ => None,
    }
}

/// What an image's bytes are, read from its header as a file on disk is: its format and
/// pixel size; why not, when it is not a PNG, JPEG or WebP image whose size can be read.
pub fn describe(bytes: &[u8]) -> Result<(ImageFormat, u32, u32), String> {
    let format = imagesize::image_type(bytes)
        .ok()
        .and_then(supported)
        .ok_or("it is not a PNG, JPEG or WebP image (read from its first bytes)")?;
    let size = imagesize::blob_size(bytes).map_err(|_| {
        format!(
            "it is a {} image whose size cannot be read; it may be damaged",
            format.name()
        )
    })?;
    let pixels = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok((format, pixels(size.width), pixels(size.height)))
}

/// The SHA-256 of the whole file and its length, read from the start in pieces, never
/// past the size limit (a file growing while read is cut there, and then refused).
fn hash(reader: &mut BufReader<File>) -> io::Result<(String, u64)> {
    reader.rewind()?;
    let mut hasher = Sha256::new();
    let mut limited = reader.take(MAX_IMAGE_BYTES + 1);
    let mut buffer = [0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let read = limited.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        total += read as u64;
        hasher.update(&buffer[..read]);
    }
    if total > MAX_IMAGE_BYTES {
        return Err(io::Error::other(
            "it grew past the size limit while it was read",
        ));
    }
    Ok((hex(&hasher.finalize()), total))
}

fn quoted(written: &str) -> String {
    format!("\"{}\"", crate::ui::escaped(written, 100))
}
