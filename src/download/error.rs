//! How a download can fail, each failure's message (naming the file or URL and what to
//! do), and which failures another attempt can fix.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::HumanBytes;

use crate::i18n::Message;

/// Why a download did not finish. `retryable()` says whether another attempt can help.
/// The `.tmp` is kept for that attempt (also after final errors: a 403 only needs a fresh
/// link), except after `NotMp4`, `BrokenMp4`, `RangeMismatch`, `PastLimit` and a body
/// longer than announced.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// No answer at all: refused, reset, DNS, TLS or a timeout before the headers. (What
    /// happens next, another attempt or the job's failure, the engine says.)
    Unreachable { url: String, message: String },
    /// The connection dropped or timed out while the body was arriving.
    Interrupted {
        url: String,
        message: String,
        kept: u64,
    },
    /// The server answered with an error status.
    Status {
        url: String,
        status: u16,
        detail: String,
        retry_after: Option<Duration>,
    },
    /// The provider no longer has the video (its asset expired: OpenAI keeps content for a
    /// limited time after completion). No attempt, now or in a later run, can fetch it.
    Expired {
        url: String,
        status: u16,
        code: String,
    },
    /// The body ended without an error, but not at the size the server announced.
    WrongSize {
        url: String,
        got: u64,
        expected: u64,
    },
    /// A request for the whole file was answered with a part of it.
    RangeMismatch { url: String, answered: String },
    /// The body is not a video (an error page served with status 200, say).
    NotMp4 { dest: PathBuf, first_bytes: String },
    /// The body starts like an MP4 but is not a whole one (cut short, spliced, no index).
    BrokenMp4 { dest: PathBuf, problem: String },
    /// The disk (or the user's quota) is full.
    DiskFull { path: PathBuf, needed: Option<u64> },
    /// The link is not one sora-batch downloads from (see `limits`).
    RefusedLink { url: String, reason: String },
    /// The server announced a video larger than `--max-video-bytes`.
    TooLarge {
        url: String,
        announced: u64,
        limit: u64,
    },
    /// A body without an announced size ran past `--max-video-bytes`.
    PastLimit { url: String, limit: u64 },
    /// A body ran past the size the server announced.
    Overrun { url: String, expected: u64 },
    /// The video is larger than the free space of its disk.
    NoRoom {
        dest: PathBuf,
        needed: u64,
        free: u64,
    },
    /// Any other failure to create, write, read or rename a file.
    Io { path: PathBuf, source: io::Error },
}

crate::display_from_message!(DownloadError);

impl DownloadError {
    /// What went wrong and what to do, in any language (`Display` is its English).
    pub fn message(&self) -> Message {
        match self {
            DownloadError::Unreachable { url, message } => Message::new("download.unreachable")
                .with("url", url)
                .with("message", message),
            DownloadError::Interrupted { url, message, kept } => {
                Message::new("download.interrupted")
                    .with("url", url)
                    .with("message", message)
                    .with("kept", kept)
            }
            DownloadError::Status {
                url,
                status,
                detail,
                ..
            } => Message::new("download.status")
                .with("url", url)
                .with("status", status)
                .with("detail", detail)
                .with_text("advice", status_advice(*status)),
            DownloadError::Expired { url, status, code } => Message::new("download.gone")
                .with("url", url)
                .with("status", status)
                .with("code", code),
            DownloadError::WrongSize { url, got, expected } => Message::new("download.wrong_size")
                .with("url", url)
                .with("got", got)
                .with("expected", expected),
            DownloadError::RangeMismatch { url, answered } => {
                Message::new("download.range_mismatch")
                    .with("url", url)
                    .with("answered", answered)
            }
            DownloadError::NotMp4 { dest, first_bytes } => Message::new("download.not_mp4")
                .with("path", dest.display())
                .with("first", first_bytes),
            DownloadError::BrokenMp4 { dest, problem } => Message::new("download.broken_mp4")
                .with("path", dest.display())
                .with("problem", problem),
            DownloadError::DiskFull { path, needed } => {
                let needed = match needed {
                    Some(bytes) => Message::new("download.needed")
                        .with("mb", format!("{:.1}", *bytes as f64 / 1_000_000.0)),
                    None => Message::plain(""),
                };
                Message::new("download.disk_full")
                    .with("path", path.display())
                    .with_text("needed", needed)
            }
            DownloadError::RefusedLink { url, reason } => Message::new("download.refused_link")
                .with("url", url)
                .with("reason", reason),
            DownloadError::TooLarge {
                url,
                announced,
                limit,
            } => Message::new("download.too_large")
                .with("url", url)
                .with("announced", HumanBytes(*announced))
                .with("limit", HumanBytes(*limit)),
            DownloadError::PastLimit { url, limit } => Message::new("download.past_limit")
                .with("url", url)
                .with("limit", HumanBytes(*limit)),
            DownloadError::Overrun { url, expected } => Message::new("download.overrun")
                .with("url", url)
                .with("expected", expected),
            DownloadError::NoRoom { dest, needed, free } => Message::new("download.no_room")
                .with("path", dest.display())
                .with("needed", HumanBytes(*needed))
                .with("free", HumanBytes(*free)),
            DownloadError::Io { path, source } => Message::new("download.io")
                .with("path", path.display())
                .with("source", source),
        }
    }
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

fn status_advice(status: u16) -> Message {
    match status {
        401 => Message::new("download.advice.key_refused"),
        403 | 410 => Message::new("download.advice.expired_link"),
        404 => Message::new("download.advice.not_there"),
        408 | 429 => Message::new("download.advice.busy"),
        500..=599 => Message::new("download.advice.failed"),
        _ => Message::new("download.advice.refused"),
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
