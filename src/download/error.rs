//! How a download can fail, each failure's message (naming the file or URL and what to
//! do), and which failures another attempt can fix.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::HumanBytes;

/// Why a download did not finish. `retryable()` says whether another attempt can help.
/// The `.tmp` is kept for that attempt (also after final errors: a 403 only needs a fresh
/// link), except after `NotMp4`, `BrokenMp4`, `RangeMismatch`, `PastLimit` and a body
/// longer than announced.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// No answer at all: refused, reset, DNS, TLS or a timeout before the headers. (What
    /// happens next, another attempt or the job's failure, the engine says.)
    #[error("could not download {url}: {message}")]
    Unreachable { url: String, message: String },
    /// The connection dropped or timed out while the body was arriving.
    #[error(
        "the download of {url} broke off after {kept} bytes ({message}); the partial file is \
         kept and the next attempt resumes from there"
    )]
    Interrupted {
        url: String,
        message: String,
        kept: u64,
    },
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status} ({detail}); {}", status_advice(*.status))]
    Status {
        url: String,
        status: u16,
        detail: String,
        retry_after: Option<Duration>,
    },
    /// The provider no longer has the video (its asset expired: OpenAI keeps content for a
    /// limited time after completion). No attempt, now or in a later run, can fetch it.
    #[error(
        "the video at {url} has expired at the provider (HTTP {status}, {code}): its content \
         is no longer available and no later attempt can download it"
    )]
    Expired {
        url: String,
        status: u16,
        code: String,
    },
    /// The body ended without an error, but not at the size the server announced.
    #[error(
        "the download of {url} ended at {got} bytes where the server announced {expected}; \
         the next attempt resumes or starts over"
    )]
    WrongSize {
        url: String,
        got: u64,
        expected: u64,
    },
    /// A request for the whole file was answered with a part of it.
    #[error(
        "{url} answered a request for the whole file with Content-Range \"{answered}\"; \
         nothing was kept and the next attempt starts over"
    )]
    RangeMismatch { url: String, answered: String },
    /// The body is not a video (an error page served with status 200, say).
    #[error(
        "what was downloaded for {} is not an MP4 video (it starts with {first_bytes}); it \
         was deleted; check the video URL the provider reported", dest.display()
    )]
    NotMp4 { dest: PathBuf, first_bytes: String },
    /// The body starts like an MP4 but is not a whole one (cut short, spliced, no index).
    #[error(
        "what was downloaded for {} is not a whole MP4 video: {problem}; it was deleted and \
         is downloaded again from the start", dest.display()
    )]
    BrokenMp4 { dest: PathBuf, problem: String },
    /// The disk (or the user's quota) is full.
    #[error(
        "the disk is full while writing {}{}; nothing was written under the final name and \
         the partial file stays for the next attempt to resume; free some space and run \
         again", path.display(), needed_note(*.needed)
    )]
    DiskFull { path: PathBuf, needed: Option<u64> },
    /// The link is not one sora-batch downloads from (see `limits`).
    #[error(
        "the provider's video link {url} is refused: {reason}; it is not tried again; ask the \
         provider why its task links there"
    )]
    RefusedLink { url: String, reason: String },
    /// The server announced a video larger than `--max-video-bytes`.
    #[error(
        "{url} announces a video of {}, more than --max-video-bytes ({}); nothing was \
         downloaded and it is not tried again; raise --max-video-bytes (SORA_MAX_VIDEO_BYTES) \
         if a video that large is expected", HumanBytes(*.announced), HumanBytes(*.limit)
    )]
    TooLarge {
        url: String,
        announced: u64,
        limit: u64,
    },
    /// A body without an announced size ran past `--max-video-bytes`.
    #[error(
        "the download of {url} ran past --max-video-bytes ({}) without announcing its size; it \
         was stopped, the partial file deleted, and it is not tried again; raise \
         --max-video-bytes (SORA_MAX_VIDEO_BYTES) if a video that large is expected",
        HumanBytes(*.limit)
    )]
    PastLimit { url: String, limit: u64 },
    /// A body ran past the size the server announced.
    #[error(
        "the download of {url} ran past the {expected} bytes the server announced; it was \
         stopped and the partial file deleted; the next attempt starts over"
    )]
    Overrun { url: String, expected: u64 },
    /// The video is larger than the free space of its disk.
    #[error(
        "{} needs {} but its disk has only {} free; nothing was downloaded; free some space \
         and run again", dest.display(), HumanBytes(*.needed), HumanBytes(*.free)
    )]
    NoRoom {
        dest: PathBuf,
        needed: u64,
        free: u64,
    },
    /// Any other failure to create, write, read or rename a file.
    #[error("could not access {}: {source}; check that the folder exists and is writable", path.display())]
    Io { path: PathBuf, source: io::Error },
}

impl DownloadError {
    /// Whether another attempt can succeed: network trouble, a cut, 408/429/5xx, a size
    /// mismatch, a broken MP4 (fetched again from scratch). A 4xx (expired link, missing
    /// video), a non-video body, a full disk or a file system error needs something else
    /// to change first.
    pub fn retryable(&self) -> bool {
        match self {
            DownloadError::Unreachable { .. }
            | DownloadError::Interrupted { .. }
            | DownloadError::WrongSize { .. }
            | DownloadError::RangeMismatch { .. }
            | DownloadError::Overrun { .. }
            | DownloadError::BrokenMp4 { .. } => true,
            DownloadError::Status { status, .. } => {
                matches!(status, 408 | 429) || (500..600).contains(status)
            }
            DownloadError::NotMp4 { .. }
            | DownloadError::Expired { .. }
            | DownloadError::DiskFull { .. }
            | DownloadError::RefusedLink { .. }
            | DownloadError::TooLarge { .. }
            | DownloadError::PastLimit { .. }
            | DownloadError::NoRoom { .. }
            | DownloadError::Io { .. } => false,
        }
    }

    /// How long the server asked us to wait (429, 503), when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            DownloadError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

fn status_advice(status: u16) -> &'static str {
    match status {
        401 => {
            "the provider refused the API key; check SORA_API_KEY (OPENAI_API_KEY with --provider openai)"
        }
        403 | 410 => {
            "the link has probably expired; ask the provider for the task again to get a fresh one"
        }
        404 => "the video is not (or no longer) there; ask the provider for the task again",
        408 | 429 => "the server is busy",
        500..=599 => "the server failed",
        _ => "the download was refused",
    }
}

fn needed_note(needed: Option<u64>) -> String {
    match needed {
        Some(bytes) => format!(
            " (about {:.1} MB more are needed)",
            bytes as f64 / 1_000_000.0
        ),
        None => String::new(),
    }
}

/// A file error, told apart as a full disk (which says how much more room is needed).
pub(super) fn io_failure(path: &Path, err: io::Error, needed: Option<u64>) -> DownloadError {
    let path = path.to_path_buf();
    match err.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            DownloadError::DiskFull { path, needed }
        }
        _ => DownloadError::Io { path, source: err },
    }
}
