//! The videos the simulator serves: the bundled clip (a playable MP4), padded with an MP4
//! `free` box to `--video-bytes` when a test asks for a size, streamed with
//! `Content-Length`, `ETag` and `Range` support, optionally throttled or cut halfway.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::world::{Phase, World};

/// A 3-second 320x180 H.264 clip, made once with ffmpeg's test source.
const CLIP: &[u8] = include_bytes!("demo_clip.mp4");

/// Chunk size of the streamed body; also the unit of throttling.
const CHUNK: usize = 64 * 1024;
static ZEROS: [u8; CHUNK] = [0; CHUNK];

/// The byte layout of one served video.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoLayout {
    pub total: u64,
}

impl VideoLayout {
    /// The clip alone, or the clip plus a `free` box when `requested` leaves room for one.
    pub fn new(requested: Option<u64>) -> Self {
        let clip = CLIP.len() as u64;
        let total = match requested {
            Some(size) if size >= clip + 16 => size,
            _ => clip,
        };
        VideoLayout { total }
    }

    pub fn etag(self, task_id: &str) -> String {
        format!("\"{task_id}-{}\"", self.total)
    }

    /// The header of the padding box: a 32-bit size, or a 64-bit one for huge files.
    fn padding_header(self) -> Vec<u8> {
        let padding = self.total - CLIP.len() as u64;
        if padding == 0 {
            return Vec::new();
        }
        let mut header = Vec::with_capacity(16);
        if let Ok(size) = u32::try_from(padding) {
            header.extend_from_slice(&size.to_be_bytes());
            header.extend_from_slice(b"free");
        } else {
            header.extend_from_slice(&1u32.to_be_bytes());
            header.extend_from_slice(b"free");
            header.extend_from_slice(&padding.to_be_bytes());
        }
        header
    }

    /// Up to `CHUNK` bytes starting at `offset`.
    pub fn chunk(self, offset: u64, header: &[u8]) -> Bytes {
        let clip = CLIP.len() as u64;
        let end = (offset + CHUNK as u64).min(self.total);
        if offset < clip {
            return Bytes::from_static(&CLIP[offset as usize..end.min(clip) as usize]);
        }
        let in_padding = offset - clip;
        if in_padding < header.len() as u64 {
            let stop = (end - clip).min(header.len() as u64);
            return Bytes::copy_from_slice(&header[in_padding as usize..stop as usize]);
        }
        Bytes::from_static(&ZEROS[..(end - offset) as usize])
    }
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
    let layout = VideoLayout::new(world.settings.video_bytes);
    let etag = layout.etag(task_id);
    let range = requested_range(headers, &etag);
    let start = range.map(|(start, _)| start);
    if let Some(start) = start
        && start >= layout.total
    {
        let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
        set(
            &mut response,
            header::CONTENT_RANGE,
            format!("bytes */{}", layout.total),
        );
        return response;
    }
    let truncate = world.start_download(task_id, start.is_some());
    let (from, last) = match range {
        Some((start, end)) => (start, end.unwrap_or(u64::MAX).min(layout.total - 1)),
        None => (0, layout.total - 1),
    };
    let length = last + 1 - from;
    let end = last + 1;
    let stop_at = if truncate { from + length / 2 } else { end };
    let body = stream(layout, from, stop_at, end, world.settings.bytes_per_sec);
    let mut response = Response::new(body);
    if start.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let range = format!("bytes {from}-{last}/{}", layout.total);
        set(&mut response, header::CONTENT_RANGE, range);
    }
    set(&mut response, header::CONTENT_LENGTH, length.to_string());
    set(&mut response, header::ETAG, etag);
    set(&mut response, header::ACCEPT_RANGES, "bytes".to_string());
    set(&mut response, header::CONTENT_TYPE, "video/mp4".to_string());
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
fn stream(layout: VideoLayout, from: u64, stop_at: u64, end: u64, rate: Option<u64>) -> Body {
    let header = layout.padding_header();
    let chunks = futures_util::stream::unfold(Some(from), move |offset| {
        let header = header.clone();
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
            let mut chunk = layout.chunk(offset, &header);
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

    fn assemble(layout: VideoLayout) -> Vec<u8> {
        let header = layout.padding_header();
        let mut bytes = Vec::new();
        while (bytes.len() as u64) < layout.total {
            bytes.extend_from_slice(&layout.chunk(bytes.len() as u64, &header));
        }
        bytes
    }

    #[test]
    fn the_clip_is_a_small_mp4() {
        assert!(CLIP.len() < 50 * 1024);
        assert_eq!(&CLIP[4..8], b"ftyp");
        assert_eq!(VideoLayout::new(None).total, CLIP.len() as u64);
        assert_eq!(VideoLayout::new(Some(10)).total, CLIP.len() as u64);
    }

    #[test]
    fn padding_is_one_free_box_that_ends_exactly_at_the_requested_size() {
        let layout = VideoLayout::new(Some(CLIP.len() as u64 + 200_000));
        let bytes = assemble(layout);
        assert_eq!(bytes.len() as u64, layout.total);
        assert_eq!(&bytes[..CLIP.len()], CLIP);
        let size = u32::from_be_bytes(bytes[CLIP.len()..CLIP.len() + 4].try_into().unwrap());
        assert_eq!(size, 200_000);
        assert_eq!(&bytes[CLIP.len() + 4..CLIP.len() + 8], b"free");
    }

    #[test]
    fn huge_padding_uses_a_64_bit_box_size() {
        let layout = VideoLayout::new(Some(5 << 30));
        let header = layout.padding_header();
        assert_eq!(&header[..8], &[0, 0, 0, 1, b'f', b'r', b'e', b'e']);
        let padding = u64::from_be_bytes(header[8..].try_into().unwrap());
        assert_eq!(padding, (5 << 30) - CLIP.len() as u64);
    }
}
