//! The `.tmp` being written: the body streamed into a buffered file, SHA-256 computed on a
//! thread beside it when the download starts at byte 0, fdatasyncs started as the bytes
//! arrive, a body stopped as soon as it runs past its announced size or the largest
//! accepted, and the final fsync and size check.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::error::io_failure;
use super::files;
use super::{BUFFER, DownloadError, Source, describe, discard, shown, tmp_path};

/// Chunks waiting for the hashing thread. HTTP/1 chunks are at most ~400 KB, so the queue
/// holds a few MB at worst; when it is full, the download waits for the hash.
const HASH_QUEUE: usize = 8;

/// Written bytes after which the `.tmp` is fdatasynced in the background. Left alone, the
/// kernel keeps most of a big video in dirty pages and the final fsync, which the download
/// waits for, writes them all at once; flushing as the bytes arrive overlaps that disk work
/// with the network. (See `cargo bench --bench download`.)
pub(super) const WRITEBACK_EVERY: u64 = 16 * 1024 * 1024;

/// The `.tmp` being written: a buffered file, the running hash of a fresh download, and
/// what is needed to name failures.
pub(super) struct Sink {
    dest: PathBuf,
    path: PathBuf,
    out: BufWriter<tokio::fs::File>,
    written: u64,
    total: Option<u64>,
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
    /// A new, empty `.tmp` for the video `dest` (whatever was at its name is removed
    /// first; a link there is removed, not followed).
    pub(super) async fn create(dest: &Path, total: Option<u64>) -> Result<Sink, DownloadError> {
        let tmp = tmp_path(dest);
        let file = files::create_fresh(&tmp).map_err(|err| io_failure(&tmp, err, total))?;
        Sink::over(tokio::fs::File::from_std(file), dest, 0, total).await
    }

    /// The `.tmp` of `dest`, `offset` bytes long, opened to append (never through a link).
    pub(super) async fn append(
        dest: &Path,
        offset: u64,
        total: Option<u64>,
    ) -> Result<Sink, DownloadError> {
        let tmp = tmp_path(dest);
        let mut options = std::fs::OpenOptions::new();
        options.append(true);
        let file = files::open_existing(&tmp, options)
            .await
            .map_err(|err| io_failure(&tmp, err, total))?;
        Sink::over(file, dest, offset, total).await
    }

    /// Writes into `file`, which holds the first `offset` bytes of `dest`'s video.
    pub(super) async fn over(
        file: tokio::fs::File,
        dest: &Path,
        offset: u64,
        total: Option<u64>,
    ) -> Result<Sink, DownloadError> {
        let path = tmp_path(dest);
        let side = match file.try_clone().await {
            Ok(side) => side.into_std().await,
            Err(err) => return Err(io_failure(&path, err, total)),
        };
        Ok(Sink {
            dest: dest.to_path_buf(),
            path,
            out: BufWriter::with_capacity(BUFFER, file),
            written: offset,
            total,
            hasher: (offset == 0).then(Hasher::start),
            side: Arc::new(side),
            writeback: None,
            unsynced: 0,
        })
    }

    /// Streams the body into the file, then flushes and fsyncs it. Returns the hasher
    /// when it saw the whole file.
    pub(super) async fn receive(
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
            if self.written + len > self.total.unwrap_or(u64::MAX).min(source.max_bytes) {
                return Err(self.overrun(source).await);
            }
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
        }
    }

    /// A body that ran past the size announced or the largest accepted: what is written
    /// cannot be the start of the video, so it is deleted.
    async fn overrun(&mut self, source: &Source) -> DownloadError {
        let _ = self.out.flush().await;
        let _ = self.wait_for_writeback().await;
        discard(&self.dest).await;
        let url = shown(&source.url);
        match self.total {
            Some(expected) if expected <= source.max_bytes => {
                DownloadError::Overrun { url, expected }
            }
            _ => DownloadError::PastLimit {
                url,
                limit: source.max_bytes,
            },
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
            discard(&self.dest).await;
        }
        Err(DownloadError::WrongSize {
            url: shown(&source.url),
            got: self.written,
            expected,
        })
    }

    fn failure(&self, err: io::Error) -> DownloadError {
        let needed = self.total.map(|total| total.saturating_sub(self.written));
        io_failure(&self.path, err, needed)
    }
}
