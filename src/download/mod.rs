//! Getting a finished video onto disk safely: streamed into `<name>.tmp` (memory stays
//! flat whatever the size) beside a record of where its bytes come from, resumed with
//! `Range`/`If-Range` after a cut only when the record and the server's answer prove it is
//! the same file, verified (size, the MP4's box structure, SHA-256), fsynced, and only then
//! renamed to its final name, so neither a partial nor a spliced file ever sits under the
//! final name. No link is followed for any of these files. What may be fetched at all (the
//! link's scheme and address, the size, the free space) is checked first (`limits`).
//! Also the atomic write the
//! sidecars and reports use, and `set_aside`, which keeps a replaced video beside its
//! successor.

mod auth;
mod error;
mod files;
mod hops;
mod limits;
mod mp4;
pub mod origin;
mod resume;
mod sink;

use std::fmt;
use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tracing::warn;
use url::Url;

pub use auth::DownloadAuth;
pub use error::DownloadError;
pub(crate) use files::{open_regular, remove_entry};
pub use files::{set_aside, tmp_path, write_atomically};
pub use hops::{Http, get_checked};
pub use limits::{check_url, is_local, redirect_refusal};

use error::io_failure;
use origin::Origin;
use resume::Plan;
use sink::Sink;

use crate::provider;

/// Write buffer and re-read chunk size: big enough for few syscalls, small enough that a
/// 10 GB video costs no more memory than a 10 MB one.
const BUFFER: usize = 256 * 1024;

/// Where a video comes from, and whom it is for.
#[derive(Clone)]
pub struct Source {
    pub url: Url,
    /// The header content URLs need (OpenAI's key), sent only to the API's own origin,
    /// whichever hop of a redirect that is; never printed.
    pub auth: Option<DownloadAuth>,
    /// Who the download is for (the engine passes the provider's task id): a partial file
    /// recorded for another owner is discarded, never resumed.
    pub owner: String,
    /// The largest video accepted (`--max-video-bytes`).
    pub max_bytes: u64,
    /// Whether the link may point at this machine or a private network: only when the
    /// provider's API does too (see `limits`).
    pub local_links: bool,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source")
            .field("url", &shown(&self.url))
            .field("auth", &self.auth)
            .field("owner", &self.owner)
            .field("max_bytes", &self.max_bytes)
            .field("local_links", &self.local_links)
            .finish()
    }
}

/// A video that is now complete under its final name.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// Size of the whole file.
    pub bytes: u64,
    /// SHA-256 of the whole file, lowercase hex.
    pub sha256: String,
    /// The server's ETag for this version, worth keeping in the journal.
    pub etag: Option<String>,
    /// Bytes that were already in the `.tmp` from an earlier attempt (0: a fresh download).
    pub resumed_from: u64,
}

/// A URL for messages: signed links carry their credentials in the query, so that is cut
/// (and marked).
fn shown(url: &Url) -> String {
    let unsigned = unsigned(url);
    if url.query().is_some() {
        format!("{unsigned}?…")
    } else {
        unsigned
    }
}

/// A video link as files keep it (journal, sidecar): a signed link's query (and fragment)
/// is a credential of sorts, so only where it pointed is kept.
pub fn unsigned(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// What runs between a verified `.tmp` and its rename to the final name: the engine
/// writes the video's sidecar there, so a crash never leaves a video without one.
pub type BeforePublish<'a> = &'a (dyn Fn(&Fetched) -> io::Result<()> + Send + Sync);

/// Downloads `source` to `dest` in one attempt, resuming a `.tmp` an earlier attempt for
/// the same owner left (any other is discarded). `on_bytes` is told of every chunk as it
/// arrives (bytes already on disk are not reported; `Fetched::resumed_from` says how many
/// there were). `before_publish` runs once the file is complete and verified, just before
/// it takes its final name; if it fails, the `.tmp` stays for the next attempt.
pub async fn download_once(
    http: &Http,
    source: &Source,
    dest: &Path,
    on_bytes: &(dyn Fn(u64) + Send + Sync),
    before_publish: BeforePublish<'_>,
) -> Result<Fetched, DownloadError> {
    limits::check_link(source)?;
    let mut resume = resume::leftover(dest, &source.owner).await?;
    loop {
        let response = hops::get(http, source, resume.as_ref()).await?;
        let (sink, etag, offset) = match resume::plan(&response, resume.take(), source)? {
            Plan::Fresh(origin) => {
                limits::check_size(source, dest, origin.total, 0)?;
                (start(dest, &origin).await?, origin.etag, 0)
            }
            Plan::Append { resume, total } => {
                limits::check_size(source, dest, total, resume.have)?;
                let sink = Sink::append(dest, resume.have, total).await?;
                (sink, resume.origin.etag, resume.have)
            }
            Plan::Complete(resume) => {
                let fetched = finish(dest, None, resume.origin.etag, resume.have).await?;
                return publish(dest, fetched, before_publish).await;
            }
            Plan::Refused => return Err(status_error(response, source).await),
            Plan::StartOver(why) => {
                let tmp = tmp_path(dest);
                let message = crate::i18n::Message::new("download.discarded")
                    .with("path", tmp.display())
                    .with_text("why", why);
                warn!(shown = %message.shown(), "{message}");
                discard(dest).await;
                continue;
            }
        };
        let hasher = sink.receive(response, source, on_bytes).await?;
        let fetched = finish(dest, hasher, etag, offset).await?;
        return publish(dest, fetched, before_publish).await;
    }
}

/// A fresh `.tmp`, its origin recorded durably before the first byte goes in.
async fn start(dest: &Path, origin: &Origin) -> Result<Sink, DownloadError> {
    discard(dest).await;
    origin
        .save(dest)
        .map_err(|err| io_failure(&origin::path(dest), err, origin.total))?;
    Sink::create(dest, origin.total).await
}

/// Names the status by its reason phrase. Of the body only the first `ERROR_BODY_BYTES`
/// are read, for the provider's error code (a misbehaving server could send gigabytes):
/// a 404 or 410 whose code says the video expired is [`DownloadError::Expired`].
async fn status_error(response: reqwest::Response, source: &Source) -> DownloadError {
    let status = response.status();
    let retry_after = provider::retry_after(response.headers());
    if matches!(status.as_u16(), 404 | 410) {
        let body = error_body(response).await;
        if let Some(code) = expiry_code(&body) {
            return DownloadError::Expired {
                url: shown(&source.url),
                status: status.as_u16(),
                code,
            };
        }
    }
    DownloadError::Status {
        url: shown(&source.url),
        status: status.as_u16(),
        detail: status
            .canonical_reason()
            .unwrap_or("unknown status")
            .to_string(),
        retry_after,
    }
}

/// How much of an error answer's body is read: OpenAI's error objects are a few hundred
/// bytes.
const ERROR_BODY_BYTES: usize = 4 * 1024;

/// The first `ERROR_BODY_BYTES` of a body (fewer if it breaks off).
async fn error_body(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < ERROR_BODY_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(ERROR_BODY_BYTES);
    body
}

/// The error code of an OpenAI-shaped error body (`{"error": {"code": "video_expired"}}`)
/// when it says the video expired.
fn expiry_code(body: &[u8]) -> Option<String> {
    let body: serde_json::Value = serde_json::from_slice(body).ok()?;
    let code = body.get("error")?.get("code")?.as_str()?;
    (code == "video_expired").then(|| code.to_string())
}

/// A reqwest error with its causes ("error sending request: connection refused"), and
/// without the URL, which the message names already (minus any signed query).
pub(super) fn describe(err: reqwest::Error) -> String {
    let timed_out = err.is_timeout();
    let err = err.without_url();
    let mut message = err.to_string();
    let mut cause = std::error::Error::source(&err);
    while let Some(inner) = cause {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        cause = inner.source();
    }
    if timed_out && !message.contains("timed out") {
        message.push_str(" (timed out)");
    }
    message
}

/// Runs `before_publish`, then gives the verified `.tmp` its final name (a rename, which
/// replaces a link at that name rather than writing through it) and drops its record.
async fn publish(
    dest: &Path,
    fetched: Fetched,
    before_publish: BeforePublish<'_>,
) -> Result<Fetched, DownloadError> {
    before_publish(&fetched).map_err(|err| io_failure(dest, err, None))?;
    files::rename_into_place(&tmp_path(dest), dest)
        .await
        .map_err(|err| io_failure(dest, err, None))?;
    remove_quietly(&origin::path(dest)).await;
    files::sync_parent(dest).await;
    Ok(fetched)
}

/// Verifies the complete `.tmp` (deleting it if it is not a whole MP4) and hashes it if
/// the stream could not.
async fn finish(
    dest: &Path,
    hasher: Option<Sha256>,
    etag: Option<String>,
    resumed_from: u64,
) -> Result<Fetched, DownloadError> {
    let tmp = tmp_path(dest);
    let failed = |err| io_failure(&tmp, err, None);
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    let file = files::open_existing(&tmp, options).await.map_err(failed)?;
    let bytes = file.metadata().await.map_err(failed)?.len();
    let mut file = check_mp4(file.into_std().await, bytes, dest).await?;
    let sha256 = match hasher {
        Some(hasher) => hasher.finalize(),
        None => hash_file(&mut file).await.map_err(failed)?,
    };
    Ok(Fetched {
        bytes,
        sha256: hex(&sha256),
        etag,
        resumed_from,
    })
}

/// Walks the MP4's boxes (see `mp4`) on a blocking thread; a file that fails is deleted
/// with its record, so the next attempt starts from scratch. Returns the file to hash.
async fn check_mp4(
    file: std::fs::File,
    len: u64,
    dest: &Path,
) -> Result<tokio::fs::File, DownloadError> {
    let tmp = tmp_path(dest);
    let checked = tokio::task::spawn_blocking(move || {
        let mut file = file;
        let verdict = mp4::check(&mut file, len);
        (file, verdict)
    })
    .await;
    let (file, verdict) = checked.map_err(|join| io_failure(&tmp, io::Error::other(join), None))?;
    let mut file = tokio::fs::File::from_std(file);
    let problem = match verdict.map_err(|err| io_failure(&tmp, err, None))? {
        Ok(()) => return Ok(file),
        Err(problem) => problem,
    };
    let error = match problem {
        mp4::Problem::NotMp4 => DownloadError::NotMp4 {
            dest: dest.to_path_buf(),
            first_bytes: provider::body_excerpt(&head(&mut file).await),
        },
        mp4::Problem::Broken(problem) => DownloadError::BrokenMp4 {
            dest: dest.to_path_buf(),
            problem,
        },
    };
    drop(file);
    discard(dest).await;
    Err(error)
}

/// The first bytes of a file, to show what it is instead of a video.
async fn head(file: &mut tokio::fs::File) -> Vec<u8> {
    let mut head = Vec::with_capacity(256);
    if file.seek(io::SeekFrom::Start(0)).await.is_ok() {
        let _ = file.take(256).read_to_end(&mut head).await;
    }
    head
}

/// The SHA-256 of a file, read in chunks from the start.
async fn hash_file(file: &mut tokio::fs::File) -> io::Result<sha2::digest::Output<Sha256>> {
    file.seek(io::SeekFrom::Start(0)).await?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; BUFFER];
    loop {
        let read = file.read(&mut buffer).await?;
        if read == 0 {
            return Ok(hasher.finalize());
        }
        hasher.update(&buffer[..read]);
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

/// Deletes the partial file of `dest` and then its record (in that order: a record left
/// alone by a crash in between is dropped by the next download).
async fn discard(dest: &Path) {
    remove_quietly(&tmp_path(dest)).await;
    remove_quietly(&origin::path(dest)).await;
}

/// Removes a file or a link (never a link's target); a missing one is fine.
async fn remove_quietly(path: &Path) {
    if let Err(err) = tokio::fs::remove_file(path).await
        && err.kind() != io::ErrorKind::NotFound
    {
        let message = crate::i18n::Message::new("download.cannot_delete")
            .with("path", path.display())
            .with("err", err);
        warn!(shown = %message.shown(), "{message}");
    }
}

#[cfg(test)]
mod tests;
