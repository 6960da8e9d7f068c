//! Whether a partial file may be resumed, and what each answer of the server means for it.
//! A `.tmp` is resumed only when its origin record names the same owner (the task), and
//! the server's answer proves the bytes asked for belong to the same file: a 206 whose
//! `Content-Range` starts at the byte asked for, whose total is the recorded total, and
//! whose ETag, when the server sends one, is the recorded one. Anything else discards the
//! partial file and starts over from byte 0: two files are never spliced.

use std::path::Path;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, ETAG, HeaderMap, HeaderName};
use tracing::warn;

use crate::i18n::Message;

use super::error::io_failure;
use super::files::{self, Found};
use super::origin::{self, Origin};
use super::{DownloadError, Source, discard, remove_quietly, shown, tmp_path};

/// A partial file that may be continued: `have` bytes of the file `origin` describes.
#[derive(Debug)]
pub(super) struct Resume {
    pub have: u64,
    pub origin: Origin,
}

/// The partial file of `dest` that may be resumed for `owner`. Anything else at its name
/// (another task's bytes, a file without a record, a link, a file longer than recorded)
/// is discarded, saying why, and the download starts from byte 0.
pub(super) async fn leftover(dest: &Path, owner: &str) -> Result<Option<Resume>, DownloadError> {
    let tmp = tmp_path(dest);
    let found = files::look(&tmp)
        .await
        .map_err(|err| io_failure(&tmp, err, None))?;
    let have = match found {
        Found::File(len) => len,
        Found::Nothing => {
            remove_quietly(&origin::path(dest)).await;
            return Ok(None);
        }
        Found::Other => {
            refuse(dest, Message::new("resume.not_a_file")).await;
            return Ok(None);
        }
    };
    let origin = Origin::read(dest).await;
    let why = match &origin {
        None => Message::new("resume.no_record"),
        Some(origin) if origin.owner != owner => Message::new("resume.other_task")
            .with("task", &origin.owner)
            .with("owner", owner),
        Some(Origin {
            total: Some(total), ..
        }) if have > *total => Message::new("resume.too_long")
            .with("have", have)
            .with("total", total),
        Some(origin) if have > 0 => {
            let origin = origin.clone();
            return Ok(Some(Resume { have, origin }));
        }
        Some(_) => {
            discard(dest).await;
            return Ok(None);
        }
    };
    refuse(dest, why).await;
    Ok(None)
}

async fn refuse(dest: &Path, why: Message) {
    let tmp = tmp_path(dest);
    let message = Message::new("download.not_resumed")
        .with("path", tmp.display())
        .with_text("why", why);
    warn!(shown = %message.shown(), "{message}");
    discard(dest).await;
}

/// What to do with an answer.
#[derive(Debug)]
pub(super) enum Plan {
    /// Write the whole body into a fresh `.tmp` that comes from `Origin`.
    Fresh(Origin),
    /// Append the body to the `.tmp`; the whole file is `total` bytes if known.
    Append { resume: Resume, total: Option<u64> },
    /// 416, and the `.tmp` is already the whole file.
    Complete(Resume),
    /// An error status (or one that fits nothing asked): the download fails with it.
    Refused,
    /// The answer does not prove the `.tmp` is the start of this file (the text says
    /// why): discard it and ask for everything.
    StartOver(Message),
}

/// What the answer to a request means, given the partial file it asked to continue.
pub(super) fn plan(
    response: &reqwest::Response,
    resume: Option<Resume>,
    source: &Source,
) -> Result<Plan, DownloadError> {
    let headers = response.headers();
    let etag = text_header(headers, ETAG);
    let range = content_range(headers);
    let length = response.content_length();
    let fresh = |total| Plan::Fresh(Origin::new(&source.owner, etag.clone(), total));
    match (response.status(), resume) {
        // The whole file: the server ignored the range, or If-Range named another version.
        (StatusCode::OK, _) => Ok(fresh(length)),
        (StatusCode::PARTIAL_CONTENT, None) => match range {
            // Some servers answer every request with 206; from byte 0 that is the file.
            Some((Some(0), total)) => Ok(fresh(total.or(length))),
            _ => Err(DownloadError::RangeMismatch {
                url: shown(&source.url),
                answered: text_header(headers, CONTENT_RANGE).unwrap_or_default(),
            }),
        },
        (StatusCode::PARTIAL_CONTENT, Some(resume)) => {
            let total = match range {
                Some((Some(first), total)) if first == resume.have => {
                    total.or(length.map(|len| resume.have + len))
                }
                _ => {
                    let answered = text_header(headers, CONTENT_RANGE);
                    let answered = answered.as_deref().unwrap_or("none");
                    let why = Message::new("resume.range_mismatch")
                        .with("from", resume.have)
                        .with("answered", answered);
                    return Ok(Plan::StartOver(why));
                }
            };
            Ok(match other_file(&resume.origin, total, etag.as_deref()) {
                Some(why) => Plan::StartOver(why),
                None => Plan::Append {
                    total: resume.origin.total.or(total),
                    resume,
                },
            })
        }
        (StatusCode::RANGE_NOT_SATISFIABLE, Some(resume)) => {
            let total = range.and_then(|(_, total)| total);
            Ok(match other_file(&resume.origin, total, etag.as_deref()) {
                Some(why) => Plan::StartOver(why),
                None if total == Some(resume.have) => Plan::Complete(resume),
                None => {
                    let why = match total {
                        Some(n) => Message::new("resume.size_differs").with("size", n),
                        None => Message::new("resume.size_untold"),
                    }
                    .with("have", resume.have);
                    Plan::StartOver(why)
                }
            })
        }
        _ => Ok(Plan::Refused),
    }
}

/// Why an answer's file (its total size and ETag, where given) is not the one the partial
/// file was recorded from, or None when nothing tells them apart.
fn other_file(origin: &Origin, total: Option<u64>, etag: Option<&str>) -> Option<Message> {
    if let (Some(recorded), Some(total)) = (origin.total, total)
        && recorded != total
    {
        let why = Message::new("resume.total_changed")
            .with("total", total)
            .with("recorded", recorded);
        return Some(why);
    }
    match (etag, origin.etag.as_deref()) {
        (Some(etag), recorded) if Some(etag) != recorded => {
            let why = Message::new("resume.version_changed")
                .with("etag", etag)
                .with("recorded", recorded.unwrap_or("(none)"));
            Some(why)
        }
        _ => None,
    }
}

/// `Content-Range: bytes FIRST-LAST/TOTAL` or `bytes */TOTAL`, as (first byte, total);
/// either is None where the server wrote `*`.
pub(super) fn content_range(headers: &HeaderMap) -> Option<(Option<u64>, Option<u64>)> {
    let value = headers.get(CONTENT_RANGE)?.to_str().ok()?.trim();
    let (range, total) = value.strip_prefix("bytes")?.trim().split_once('/')?;
    let first = range
        .split_once('-')
        .and_then(|(first, _)| first.trim().parse().ok());
    Some((first, total.trim().parse().ok()))
}

fn text_header(headers: &HeaderMap, name: HeaderName) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?;
    Some(value.trim().to_string())
}
