//! The videos the simulator serves: the bundled clip (a playable MP4) followed by an MP4
//! `free` box that players skip, whose payload is bytes of the task's own (derived from its
//! id), so no two tasks serve the same file and a download spliced from two of them is told
//! apart from either. The box pads the file to `--video-bytes` when a test asks for a
//! size. Streamed with `Content-Length`, a per-task `ETag` and `Range` support, optionally
//! throttled or cut halfway.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::hostile;
use super::world::{Phase, World};

/// A 3-second 320x180 H.264 clip, made once with ffmpeg's test source.
const CLIP: &[u8] = include_bytes!("demo_clip.mp4");

/// Chunk size of the streamed body; also the unit of throttling, and the length of the
/// task's byte pattern that fills the `free` box (repeated; each chunk is a slice of it).
const CHUNK: usize = 64 * 1024;

/// The smallest `free` box: its 8-byte header and 56 bytes of the task's own.
const MIN_PADDING: u64 = 64;

/// The bytes of one task's video.
#[derive(Debug, Clone)]
pub struct Video {
    pub total: u64,
    /// The header of the `free` box that follows the clip.
    header: Vec<u8>,
    /// The task's own bytes, repeated through the box's payload.
    pattern: Bytes,
}

impl Video {
    /// The clip plus a `free` box of the task's bytes, `requested` bytes in all when that
    /// leaves room for the box.
    pub fn new(task_id: &str, requested: Option<u64>) -> Self {
        let clip = CLIP.len() as u64;
        let total = match requested {
            Some(size) if size >= clip + MIN_PADDING => size,
            _ => clip + MIN_PADDING,
        };
        Video {
            total,
            header: padding_header(total - clip),
            pattern: pattern(task_id),
        }
    }

    pub fn etag(&self, task_id: &str) -> String {
        format!("\"{task_id}-{}\"", self.total)
    }

    /// Up to `CHUNK` bytes starting at `offset`.
    pub fn chunk(&self, offset: u64) -> Bytes {
        let clip = CLIP.len() as u64;
        let end = (offset + CHUNK as u64).min(self.total);
        if offset < clip {
            return Bytes::from_static(&CLIP[offset as usize..end.min(clip) as usize]);
        }
        let header = self.header.len() as u64;
        let in_padding = offset - clip;
        if in_padding < header {
            let stop = (end - clip).min(header);
            return Bytes::copy_from_slice(&self.header[in_padding as usize..stop as usize]);
        }
        let from = ((in_padding - header) % CHUNK as u64) as usize;
        let len = (CHUNK - from).min((end - offset) as usize);
        self.pattern.slice(from..from + len)
    }

    /// The whole file, for tests that compare a download with what was served.
    pub fn bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.total as usize);
        while (bytes.len() as u64) < self.total {
            bytes.extend_from_slice(&self.chunk(bytes.len() as u64));
        }
        bytes
    }
}

/// The header of a `free` box of `size` bytes: a 32-bit size, or a 64-bit one for huge
/// files.
fn padding_header(size: u64) -> Vec<u8> {
    let mut header = Vec::with_capacity(16);
    if let Ok(size) = u32::try_from(size) {
        header.extend_from_slice(&size.to_be_bytes());
        header.extend_from_slice(b"free");
    } else {
        header.extend_from_slice(&1u32.to_be_bytes());
        header.extend_from_slice(b"free");
        header.extend_from_slice(&size.to_be_bytes());
    }
    header
}

/// `CHUNK` bytes that only this task id yields (a generator seeded with its hash).
fn pattern(task_id: &str) -> Bytes {
    let digest = Sha256::digest(task_id.as_bytes());
    let seed = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut bytes = vec![0; CHUNK];
    rng.fill(&mut bytes);
    Bytes::from(bytes)
}

/// `GET /cdn/{task_id}.mp4`: no key needed, like a signed CDN link.
pub async fn cdn(
    State(world): State<Arc<World>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let id = file.strip_suffix(".mp4").unwrap_or(&file);
    serve(&world, id, &headers)
}

/// Serves a completed task's video, honouring `Range` (with `If-Range`).
pub fn serve(world: &Arc<World>, task_id: &str, headers: &HeaderMap) -> Response {
    let Some(task) = world.task(task_id) else {
        return (StatusCode::NOT_FOUND, "no such video").into_response();
    };
    if task.phase(tokio::time::Instant::now()) != Phase::Completed {
        return (StatusCode::NOT_FOUND, "the video is not ready").into_response();
    }
    let size = hostile::video_size(world).or(world.settings.video_bytes);
    let video = Video::new(task_id, size);
    let etag = video.etag(task_id);
    let range = requested_range(headers, &etag);
    let start = range.map(|(start, _)| start);
    if let Some(start) = start
        && start >= video.total
    {
        let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
        set(
            &mut response,
            header::CONTENT_RANGE,
            format!("bytes */{}", video.total),
        );
        return response;
    }
    let truncate = world.start_download(task_id, start.is_some());
    let (from, last) = match range {
        Some((start, end)) => (start, end.unwrap_or(u64::MAX).min(video.total - 1)),
        None => (0, video.total - 1),
    };
    let length = last + 1 - from;
    let end = last + 1;
    let stop_at = if truncate { from + length / 2 } else { end };
    let total = video.total;
    let body = stream(video, from, stop_at, end, world.settings.bytes_per_sec);
    let mut response = Response::new(body);
    if start.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let range = format!("bytes {from}-{last}/{total}");
        set(&mut response, header::CONTENT_RANGE, range);
    }
    set(&mut response, header::CONTENT_LENGTH, length.to_string());
    set(&mut response, header::ETAG, etag);
    set(&mut response, header::ACCEPT_RANGES, "bytes".to_string());
    set(&mut response, header::CONTENT_TYPE, "video/mp4".to_string());
    hostile::video_length(world, &mut response);
    response
}

fn set(response: &mut Response, name: header::HeaderName, value: String) {
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(name, value);
    }
}

/// The first (and last) byte a `Range: bytes=N-[M]` request asks for, unless `If-Range`
/// names another version of the file (then the whole file is sent, as RFC 9110 says).
fn requested_range(headers: &HeaderMap, etag: &str) -> Option<(u64, Option<u64>)> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let spec = text(header::RANGE)?.trim().strip_prefix("bytes=")?;
    if let Some(validator) = text(header::IF_RANGE)
        && validator.trim() != etag
    {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let first = first.trim().parse().ok()?;
    let last = last.trim().parse().ok().filter(|last| *last >= first);
    Some((first, last))
}

/// The body from `from` up to `stop_at`; when `stop_at` falls short of `end`, the stream
/// fails there, so hyper drops the connection mid-body.
fn stream(video: Video, from: u64, stop_at: u64, end: u64, rate: Option<u64>) -> Body {
    let video = Arc::new(video);
    let chunks = futures_util::stream::unfold(Some(from), move |offset| {
        let video = video.clone();
        async move {
            let offset = offset?;
            if offset >= stop_at {
                // Ending the stream early would look like a complete (short) body; an
                // error makes hyper drop the connection, as a real cut does. The pause
                // first lets hyper flush what was sent, so the client sees half a file.
                tokio::time::sleep(Duration::from_millis(20)).await;
                let cut = std::io::Error::other("the simulator cut this download halfway");
                return (stop_at < end).then_some((Err(cut), None));
            }
            let mut chunk = video.chunk(offset);
            chunk.truncate((stop_at - offset) as usize);
            if let Some(rate) = rate.filter(|rate| *rate > 0) {
                let pause = Duration::from_secs_f64(chunk.len() as f64 / rate as f64);
                tokio::time::sleep(pause).await;
            }
            let next = offset + chunk.len() as u64;
            Some((Ok::<_, std::io::Error>(chunk), Some(next)))
        }
    });
    Body::from_stream(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clip_is_a_small_mp4() {
        assert!(CLIP.len() < 50 * 1024);
        assert_eq!(&CLIP[4..8], b"ftyp");
        let smallest = CLIP.len() as u64 + MIN_PADDING;
        assert_eq!(Video::new("a", None).total, smallest);
        assert_eq!(Video::new("a", Some(10)).total, smallest);
    }

    #[test]
    fn padding_is_one_free_box_that_ends_exactly_at_the_requested_size() {
        let video = Video::new("task-1", Some(CLIP.len() as u64 + 200_000));
        let bytes = video.bytes();
        assert_eq!(bytes.len() as u64, video.total);
        assert_eq!(&bytes[..CLIP.len()], CLIP);
        let size = u32::from_be_bytes(bytes[CLIP.len()..CLIP.len() + 4].try_into().unwrap());
        assert_eq!(size, 200_000);
        assert_eq!(&bytes[CLIP.len() + 4..CLIP.len() + 8], b"free");
    }

    #[test]
    fn each_task_serves_bytes_of_its_own_and_any_range_matches_the_whole() {
        let size = Some(CLIP.len() as u64 + 3 * CHUNK as u64 + 123);
        let (one, two) = (Video::new("task-1", size), Video::new("task-2", size));
        let whole = one.bytes();
        assert_eq!(whole.len() as u64, one.total);
        assert_ne!(whole, two.bytes(), "two tasks serve the same file");
        assert_ne!(one.etag("task-1"), two.etag("task-2"));
        for offset in [0, 7, CLIP.len() as u64 + 3, one.total - 5] {
            let chunk = one.chunk(offset);
            let at = offset as usize;
            assert_eq!(&chunk[..], &whole[at..at + chunk.len()], "at {offset}");
        }
    }

    #[test]
    fn huge_padding_uses_a_64_bit_box_size() {
        let video = Video::new("a", Some(5 << 30));
        assert_eq!(&video.header[..8], &[0, 0, 0, 1, b'f', b'r', b'e', b'e']);
        let padding = u64::from_be_bytes(video.header[8..].try_into().unwrap());
        assert_eq!(padding, (5 << 30) - CLIP.len() as u64);
    }
}
