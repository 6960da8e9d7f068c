//! `GET /images/{W}x{H}.png`: a reference image as a public image host serves one, for
//! clients that fetch links themselves (a chat client sends images inline). The body is
//! a PNG header of that pixel size, all a header reader looks at; each fetch is counted
//! in `/__stats` (`image_fetches`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::world::World;

/// The first bytes of a PNG of `width` x `height`: signature, then the IHDR chunk.
pub fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend(width.to_be_bytes());
    bytes.extend(height.to_be_bytes());
    bytes.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

pub async fn serve(State(world): State<Arc<World>>, Path(file): Path<String>) -> Response {
    let size = file
        .strip_suffix(".png")
        .and_then(|size| size.split_once('x'))
        .and_then(|(width, height)| Some((width.parse().ok()?, height.parse().ok()?)));
    let Some((width, height)) = size.filter(|&(w, h): &(u32, u32)| w > 0 && h > 0) else {
        return (
            StatusCode::NOT_FOUND,
            "no such image; ask for /images/WxH.png",
        )
            .into_response();
    };
    world.count(|stats| stats.image_fetches += 1);
    (
        [(header::CONTENT_TYPE, "image/png")],
        png_header(width, height),
    )
        .into_response()
}
