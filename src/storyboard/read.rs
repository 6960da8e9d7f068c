//! A storyboard's bytes: only from a regular file, and never more than [`MAX_FILE_BYTES`]
//! of them, whatever the file's size says (it may grow while it is read, or lie).

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

use indicatif::HumanBytes;

use crate::i18n::Message;

/// The largest storyboard file read (16 MiB): thousands of segments fit, and a huge file
/// (a log or a video renamed by mistake) is refused before it fills memory.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The file's bytes, or the message of the problem that stops it from being read.
pub(super) fn read_storyboard(path: &Path) -> Result<Vec<u8>, Message> {
    let file = open_without_waiting(path).map_err(cannot_read)?;
    let meta = file.metadata().map_err(cannot_read)?;
    if !meta.is_file() {
        return Err(Message::new("storyboard.file.not_regular"));
    }
    read_at_most(file, meta.len(), MAX_FILE_BYTES, Limit::Storyboard)
}

fn cannot_read(err: io::Error) -> Message {
    Message::new("storyboard.file.unreadable").with("error", err)
}

/// What a size limit is for; the refusal says it, with the fix.
#[derive(Debug, Clone, Copy)]
pub(super) enum Limit {
    Storyboard,
    Image,
}

impl Limit {
    /// The refusal of a file that declares a size over the limit.
    fn declared(self, size: u64) -> Message {
        let message = match self {
            Limit::Storyboard => Message::new("storyboard.file.too_large"),
            Limit::Image => Message::new("storyboard.image.too_large"),
        };
        message.with("size", HumanBytes(size)).with("bytes", size)
    }

    /// The refusal of a file that grew past the limit while it was read.
    fn grew(self) -> Message {
        match self {
            Limit::Storyboard => Message::new("storyboard.file.grew"),
            Limit::Image => Message::new("storyboard.image.grew"),
        }
    }
}

/// Opens for reading; on Unix without blocking, so a FIFO put in the file's place since
/// the scan is refused by the type check instead of hanging the run.
pub(super) fn open_without_waiting(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    options.open(path)
}

/// Reads `source` whole when it holds at most `limit` bytes. `declared` (the file's size)
/// refuses a large file without reading it; the read itself stops one byte past `limit`.
/// `limit_of` says what the limit is for, and the fix.
pub(super) fn read_at_most(
    source: impl Read,
    declared: u64,
    limit: u64,
    limit_of: Limit,
) -> Result<Vec<u8>, Message> {
    if declared > limit {
        return Err(limit_of.declared(declared).with("limit", HumanBytes(limit)));
    }
    let capacity = usize::try_from(declared).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    source
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() as u64 > limit {
        return Err(limit_of.grew().with("limit", HumanBytes(limit)));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storyboard::{Location, load};

    #[test]
    fn a_storyboard_over_the_size_limit_is_refused_naming_file_and_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("storyboard.json");
        // Sparse: the size is declared, not written, so the test stays cheap.
        let file = File::create(&path).unwrap();
        file.set_len(MAX_FILE_BYTES + 1).unwrap();
        let shown = Path::new("input/storyboard.json");
        let problems = load(
            &path,
            shown,
            crate::provider::sora_hk::CAPABILITIES.segment_settings(1),
        )
        .unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].location, Location::File);
        let line = problems[0].to_string();
        assert!(
            line.starts_with(
                "input/storyboard.json: the file is 16.00 MiB (16777217 bytes), over the 16.00 MiB limit"
            ),
            "{line}"
        );
    }

    #[test]
    fn a_source_longer_than_it_said_stops_at_the_limit() {
        // An endless source that declared itself small: the read ends just past the limit.
        let err = read_at_most(io::repeat(b' '), 10, 1024, Limit::Storyboard).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the file is larger than it was when opened, over the 1.00 KiB limit for a storyboard; \
             split it into several storyboard files"
        );
        assert_eq!(
            read_at_most(&b"{}"[..], 2, 1024, Limit::Storyboard).unwrap(),
            b"{}"
        );
        assert_eq!(
            read_at_most(&[b' '; 1024][..], 1024, 1024, Limit::Storyboard)
                .unwrap()
                .len(),
            1024
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_put_in_a_storyboards_place_is_refused_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("storyboard.json");
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
        // Opening a FIFO for reading waits for a writer: without O_NONBLOCK this never ends.
        let err = read_storyboard(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            "is not a regular file any more; a storyboard must be a file"
        );
    }
}
