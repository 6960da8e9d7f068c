//! Getting a finished video onto disk safely: streamed into `<name>.tmp` (memory stays
//! flat whatever the size), resumed with `Range`/`If-Range` after a cut, verified (size,
//! MP4 signature, SHA-256), fsynced, and only then renamed to its final name, so a partial
//! file never sits under the final name. Also the atomic write the sidecars and reports
//! use, and `set_aside`, which keeps a replaced video beside its successor.

mod error;
mod files;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, ETAG, HeaderMap, IF_RANGE, RANGE};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use url::Url;

pub use error::DownloadError;
pub use files::{set_aside, tmp_path, write_atomically};

use error::io_failure;

use crate::provider;

/// Write buffer and re-read chunk size: big enough for few syscalls, small enough that a
/// 10 GB video costs no more memory than a 10 MB one.
const BUFFER: usize = 256 * 1024;

/// Chunks waiting for the hashing thread. HTTP/1 chunks are at most ~400 KB, so the queue
/// holds a few MB at worst; when it is full, the download waits for the hash.
const HASH_QUEUE: usize = 8;

/// Written bytes after which the `.tmp` is fdatasynced in the background. Left alone, the
/// kernel keeps most of a big video in dirty pages and the final fsync, which the download
/// waits for, writes them all at once; flushing as the bytes arrive overlaps that disk work
/// with the network. (See `cargo bench --bench download`.)
const WRITEBACK_EVERY: u64 = 16 * 1024 * 1024;

/// Where a video comes from.
#[derive(Clone)]
pub struct Source {
    pub url: Url,
    /// API key for content URLs that need one (OpenAI); never printed.
    pub bearer: Option<String>,
    /// The ETag a previous attempt saw, so a resume asks for the same version of the file.
    pub etag: Option<String>,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source")
            .field("url", &shown(&self.url))
            .field("bearer", &self.bearer.as_ref().map(|_| "****"))
            .field("etag", &self.etag)
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

/// A URL for messages: signed links carry their credentials in the query, so that is cut.
fn shown(url: &Url) -> String {
    let mut shown = url.clone();
    let had_query = shown.query().is_some();
    shown.set_query(None);
    shown.set_fragment(None);
    if had_query {
        format!("{shown}?…")
    } else {
        shown.to_string()
    }
}

/// What runs between a verified `.tmp` and its rename to the final name: the engine
/// writes the video's sidecar there, so a crash never leaves a video without one.
pub type BeforePublish<'a> = &'a (dyn Fn(&Fetched) -> io::Result<()> + Send + Sync);

/// Downloads `source` to `dest` in one attempt, resuming a `.tmp` an earlier attempt left.
/// `on_bytes` is told of every chunk as it arrives (bytes already on disk are not
/// reported; `Fetched::resumed_from` says how many there were). `before_publish` runs
/// once the file is complete and verified, just before it takes its final name; if it
/// fails, the `.tmp` stays for the next attempt.
pub async fn download_once(
    http: &reqwest::Client,
    source: &Source,
    dest: &Path,
    on_bytes: &(dyn Fn(u64) + Send + Sync),
    before_publish: BeforePublish<'_>,
) -> Result<Fetched, DownloadError> {
    let tmp = tmp_path(dest);
    let mut have = local_len(&tmp).await?;
    loop {
        let response = request(http, source, have).await?;
        let etag = text_header(response.headers(), ETAG).or_else(|| source.etag.clone());
        let plan = plan(&response, have, source);
        if let Err(DownloadError::RangeMismatch { .. }) = plan {
            // Bytes from elsewhere cannot be appended, and this `.tmp` misled the server.
            remove_quietly(&tmp).await;
        }
        match plan? {
            Plan::Write { offset, total } => {
                let sink = Sink::open(&tmp, offset, total, etag.clone()).await?;
                let hasher = sink.receive(response, source, on_bytes).await?;
                let fetched = finish(&tmp, dest, hasher, etag, offset).await?;
                return publish(&tmp, dest, fetched, before_publish).await;
            }
            Plan::Complete => {
                let fetched = finish(&tmp, dest, None, etag, have).await?;
                return publish(&tmp, dest, fetched, before_publish).await;
            }
            Plan::StartOver => {
                remove_quietly(&tmp).await;
                have = 0;
            }
        }
    }
}

async fn local_len(tmp: &Path) -> Result<u64, DownloadError> {
    match tokio::fs::metadata(tmp).await {
        Ok(meta) => Ok(meta.len()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(err) => Err(io_failure(tmp, err, None, None)),
    }
}

async fn request(
    http: &reqwest::Client,
    source: &Source,
    have: u64,
) -> Result<reqwest::Response, DownloadError> {
    let mut request = http.get(source.url.clone());
    if let Some(token) = &source.bearer {
        request = request.bearer_auth(token);
    }
    if have > 0 {
        request = request.header(RANGE, format!("bytes={have}-"));
        // RFC 9110 forbids weak validators in If-Range. Without a strong one we resume
        // anyway: a finished task's video does not change, and the size check catches a
        // different file.
        if let Some(etag) = source.etag.as_deref().filter(|tag| !tag.starts_with("W/")) {
            request = request.header(IF_RANGE, etag);
        }
    }
    request
        .send()
        .await
        .map_err(|err| DownloadError::Unreachable {
            url: shown(&source.url),
            message: describe(err),
        })
}

/// What to do with an answer, given the `have` bytes already in the `.tmp`.
enum Plan {
    /// Write the body from byte `offset`; the whole file is `total` bytes if known.
    Write { offset: u64, total: Option<u64> },
    /// 416 and the `.tmp` is exactly as long as the file: it is complete.
    Complete,
    /// 416 and the `.tmp` does not fit the file: discard it and ask for everything.
    StartOver,
}

fn plan(response: &reqwest::Response, have: u64, source: &Source) -> Result<Plan, DownloadError> {
    let range = content_range(response.headers());
    match response.status() {
        // The server ignored the range (or If-Range named an older version): start over.
        StatusCode::OK => Ok(Plan::Write {
            offset: 0,
            total: response.content_length(),
        }),
        StatusCode::PARTIAL_CONTENT => match range {
            Some((Some(first), total)) if first == have => Ok(Plan::Write {
                offset: have,
                total: total.or_else(|| response.content_length().map(|len| have + len)),
            }),
            _ => Err(DownloadError::RangeMismatch {
                url: shown(&source.url),
                asked: have,
                answered: text_header(response.headers(), CONTENT_RANGE).unwrap_or_default(),
            }),
        },
        StatusCode::RANGE_NOT_SATISFIABLE if have > 0 => match range {
            Some((_, Some(total))) if total == have => Ok(Plan::Complete),
            _ => Ok(Plan::StartOver),
        },
        _ => Err(status_error(response, source)),
    }
}

/// `Content-Range: bytes FIRST-LAST/TOTAL` or `bytes */TOTAL`, as (first byte, total);
/// either is None where the server wrote `*`.
fn content_range(headers: &HeaderMap) -> Option<(Option<u64>, Option<u64>)> {
    let value = headers.get(CONTENT_RANGE)?.to_str().ok()?.trim();
    let (range, total) = value.strip_prefix("bytes")?.trim().split_once('/')?;
    let first = range
        .split_once('-')
        .and_then(|(first, _)| first.trim().parse().ok());
    Some((first, total.trim().parse().ok()))
}

fn text_header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?;
    Some(value.to_string())
}

/// Names the status by its reason phrase. The body is not read: a misbehaving server
/// could send gigabytes of it.
fn status_error(response: &reqwest::Response, source: &Source) -> DownloadError {
    let status = response.status();
    DownloadError::Status {
        url: shown(&source.url),
        status: status.as_u16(),
        detail: status
            .canonical_reason()
            .unwrap_or("unknown status")
            .to_string(),
        retry_after: provider::retry_after(response.headers()),
    }
}

/// A reqwest error with its causes ("error sending request: connection refused"), and
/// without the URL, which the message names already (minus any signed query).
fn describe(err: reqwest::Error) -> String {
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

/// The `.tmp` being written: a buffered file, the running hash of a fresh download, and
/// what is needed to name failures.
struct Sink {
    path: PathBuf,
    out: BufWriter<tokio::fs::File>,
    written: u64,
    total: Option<u64>,
    etag: Option<String>,
    /// Hashing as the bytes pass saves reading the file again; only possible from byte 0.
    hasher: Option<Hasher>,
    /// A second handle to the `.tmp` for the background fdatasync, the one in flight, and
    /// the bytes written since the last one started.
    side: Arc<std::fs::File>,
    writeback: Option<JoinHandle<io::Result<()>>>,
    unsynced: u64,
}

/// SHA-256 on a blocking thread of its own, fed the chunks through a short queue (a
/// `Bytes` clone, not a copy). Hashing is the biggest CPU cost of a download (about half
/// a second per GB even with SHA-NI); done inline, every chunk waited for it before the
/// next was read, done beside the receive loop it mostly overlaps with it.
struct Hasher {
    queue: mpsc::Sender<Bytes>,
    done: JoinHandle<Sha256>,
}

impl Hasher {
    fn start() -> Hasher {
        let (queue, mut chunks) = mpsc::channel::<Bytes>(HASH_QUEUE);
        let done = tokio::task::spawn_blocking(move || {
            let mut hasher = Sha256::new();
            while let Some(chunk) = chunks.blocking_recv() {
                hasher.update(&chunk);
            }
            hasher
        });
        Hasher { queue, done }
    }

    /// False if the thread is gone (it panicked); the file is then hashed after all.
    async fn feed(&self, chunk: Bytes) -> bool {
        self.queue.send(chunk).await.is_ok()
    }

    /// The hash of everything fed, once the thread has caught up.
    async fn finish(self) -> Option<Sha256> {
        drop(self.queue);
        self.done.await.ok()
    }
}

impl Sink {
    async fn open(
        tmp: &Path,
        offset: u64,
        total: Option<u64>,
        etag: Option<String>,
    ) -> Result<Sink, DownloadError> {
        let mut options = tokio::fs::OpenOptions::new();
        if offset == 0 {
            options.write(true).create(true).truncate(true);
        } else {
            options.append(true);
        }
        let opened = async {
            let file = options.open(tmp).await?;
            let side = file.try_clone().await?.into_std().await;
            Ok::<_, io::Error>((file, side))
        };
        let (file, side) = opened
            .await
            .map_err(|err| io_failure(tmp, err, total, etag.clone()))?;
        Ok(Sink {
            path: tmp.to_path_buf(),
            out: BufWriter::with_capacity(BUFFER, file),
            written: offset,
            total,
            etag,
            hasher: (offset == 0).then(Hasher::start),
            side: Arc::new(side),
            writeback: None,
            unsynced: 0,
        })
    }

    /// Streams the body into the file, then flushes and fsyncs it. Returns the hasher
    /// when it saw the whole file.
    async fn receive(
        mut self,
        response: reqwest::Response,
        source: &Source,
        on_bytes: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Option<Sha256>, DownloadError> {
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(err) => return Err(self.interrupted(err, source).await),
            };
            let len = chunk.len() as u64;
            self.out
                .write_all(&chunk)
                .await
                .map_err(|err| self.failure(err))?;
            if let Some(hasher) = &self.hasher
                && !hasher.feed(chunk).await
            {
                self.hasher = None;
            }
            self.written += len;
            self.unsynced += len;
            if self.unsynced >= WRITEBACK_EVERY {
                self.start_writeback().await?;
            }
            on_bytes(len);
        }
        self.sync().await?;
        self.check_size(source).await?;
        Ok(match self.hasher.take() {
            Some(hasher) => hasher.finish().await,
            None => None,
        })
    }

    /// Starts an fdatasync of what has reached the file so far, unless the previous one
    /// is still running (then the next chunk tries again). It only starts the disk early:
    /// `sync` still fsyncs everything before the file counts as complete.
    async fn start_writeback(&mut self) -> Result<(), DownloadError> {
        if self
            .writeback
            .as_ref()
            .is_some_and(|running| !running.is_finished())
        {
            return Ok(());
        }
        self.wait_for_writeback().await?;
        let side = self.side.clone();
        self.writeback = Some(tokio::task::spawn_blocking(move || side.sync_data()));
        self.unsynced = 0;
        Ok(())
    }

    /// Waits for the background fdatasync and passes on its error: the kernel reports a
    /// failed writeback once per open file, and `side` shares its open file with `out`, so
    /// the final fsync might not hear of it again.
    async fn wait_for_writeback(&mut self) -> Result<(), DownloadError> {
        let Some(running) = self.writeback.take() else {
            return Ok(());
        };
        match running.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(self.failure(err)),
            Err(join) => Err(self.failure(io::Error::other(join))),
        }
    }

    /// Keeps what arrived before the cut (flushed and synced, so a resume after a crash
    /// does not append to a hole) and names the cut.
    async fn interrupted(&mut self, err: reqwest::Error, source: &Source) -> DownloadError {
        if let Err(failed) = self.sync().await {
            return failed;
        }
        DownloadError::Interrupted {
            url: shown(&source.url),
            message: describe(err),
            kept: self.written,
            etag: self.etag.clone(),
        }
    }

    async fn sync(&mut self) -> Result<(), DownloadError> {
        self.out.flush().await.map_err(|err| self.failure(err))?;
        self.wait_for_writeback().await?;
        let synced = self.out.get_ref().sync_all().await;
        synced.map_err(|err| self.failure(err))
    }

    async fn check_size(&self, source: &Source) -> Result<(), DownloadError> {
        let Some(expected) = self.total.filter(|total| *total != self.written) else {
            return Ok(());
        };
        if self.written > expected {
            // Appending cannot repair a file that is too long.
            remove_quietly(&self.path).await;
        }
        Err(DownloadError::WrongSize {
            url: shown(&source.url),
            got: self.written,
            expected,
            etag: self.etag.clone(),
        })
    }

    fn failure(&self, err: io::Error) -> DownloadError {
        let needed = self.total.map(|total| total.saturating_sub(self.written));
        io_failure(&self.path, err, needed, self.etag.clone())
    }
}

/// Runs `before_publish`, then gives the verified `.tmp` its final name.
async fn publish(
    tmp: &Path,
    dest: &Path,
    fetched: Fetched,
    before_publish: BeforePublish<'_>,
) -> Result<Fetched, DownloadError> {
    before_publish(&fetched).map_err(|err| io_failure(dest, err, None, None))?;
    files::rename_into_place(tmp, dest)
        .await
        .map_err(|err| io_failure(dest, err, None, None))?;
    files::sync_parent(dest).await;
    Ok(fetched)
}

/// Verifies the complete `.tmp` and hashes it if the stream could not.
async fn finish(
    tmp: &Path,
    dest: &Path,
    hasher: Option<Sha256>,
    etag: Option<String>,
    resumed_from: u64,
) -> Result<Fetched, DownloadError> {
    check_mp4(tmp, dest).await?;
    let (bytes, sha256) = match hasher {
        Some(hasher) => (local_len(tmp).await?, hex(&hasher.finalize())),
        None => hash_file(tmp)
            .await
            .map_err(|err| io_failure(tmp, err, None, None))?,
    };
    Ok(Fetched {
        bytes,
        sha256,
        etag,
        resumed_from,
    })
}

/// An MP4 starts with its `ftyp` box: a 4-byte size, then `ftyp`. Anything else is an
/// error page or a broken file, and is deleted rather than kept for a resume.
async fn check_mp4(tmp: &Path, dest: &Path) -> Result<(), DownloadError> {
    let file = tokio::fs::File::open(tmp)
        .await
        .map_err(|err| io_failure(tmp, err, None, None))?;
    let mut head = Vec::with_capacity(256);
    file.take(256)
        .read_to_end(&mut head)
        .await
        .map_err(|err| io_failure(tmp, err, None, None))?;
    if head.get(4..8) == Some(b"ftyp".as_slice()) {
        return Ok(());
    }
    remove_quietly(tmp).await;
    Err(DownloadError::NotMp4 {
        dest: dest.to_path_buf(),
        first_bytes: provider::body_excerpt(&head),
    })
}

/// The size and SHA-256 of a file, read in chunks.
async fn hash_file(path: &Path) -> io::Result<(u64, String)> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; BUFFER];
    let mut bytes = 0;
    loop {
        let read = file.read(&mut buffer).await?;
        if read == 0 {
            return Ok((bytes, hex(&hasher.finalize())));
        }
        hasher.update(&buffer[..read]);
        bytes += read as u64;
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

async fn remove_quietly(path: &Path) {
    if let Err(err) = tokio::fs::remove_file(path).await
        && err.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!("could not delete {}: {err}", path.display());
    }
}

#[cfg(test)]
mod tests;
