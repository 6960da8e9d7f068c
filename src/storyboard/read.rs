//! A storyboard's bytes: only from a regular file, and never more than [`MAX_FILE_BYTES`]
//! of them, whatever the file's size says (it may grow while it is read, or lie).

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

use indicatif::HumanBytes;

/// The largest storyboard file read (16 MiB): thousands of segments fit, and a huge file
/// (a log or a video renamed by mistake) is refused before it fills memory.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The file's bytes, or the message of the problem that stops it from being read.
pub(super) fn read_storyboard(path: &Path) -> Result<Vec<u8>, String> {
    let file = open_without_waiting(path).map_err(|err| format!("cannot read the file: {err}"))?;
    let meta = file
        .metadata()
        .map_err(|err| format!("cannot read the file: {err}"))?;
    if !meta.is_file() {
        return Err("is not a regular file any more; a storyboard must be a file".to_string());
    }
    read_at_most(file, meta.len(), MAX_FILE_BYTES, STORYBOARD_LIMIT)
}

/// What the storyboard's size limit is, and the fix, as the refusal says it.
const STORYBOARD_LIMIT: &str = "for a storyboard; split it into several storyboard files";

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
    limit_of: &str,
) -> Result<Vec<u8>, String> {
    let too_large = |size: &str| {
        format!(
            "the file is {size}, over the {} limit {limit_of}",
            HumanBytes(limit)
        )
    };
    if declared > limit {
        return Err(too_large(&format!(
            "{} ({declared} bytes)",
            HumanBytes(declared)
        )));
    }
    let capacity = usize::try_from(declared).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    source
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| format!("cannot read the file: {err}"))?;
    if bytes.len() as u64 > limit {
        return Err(too_large("larger than it was when opened"));
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
        let err = read_at_most(io::repeat(b' '), 10, 1024, STORYBOARD_LIMIT).unwrap_err();
        assert_eq!(
            err,
            "the file is larger than it was when opened, over the 1.00 KiB limit for a storyboard; \
             split it into several storyboard files"
        );
        assert_eq!(
            read_at_most(&b"{}"[..], 2, 1024, STORYBOARD_LIMIT).unwrap(),
            b"{}"
        );
        assert_eq!(
            read_at_most(&[b' '; 1024][..], 1024, 1024, STORYBOARD_LIMIT)
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
            err,
            "is not a regular file any more; a storyboard must be a file"
        );
    }
}
