//! The JSON file beside each video (`<index>_v<version>.json`): which request made the
//! video. The plan reads its fingerprint to tell a finished job from an edited one.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Where the sidecar of a video lives.
pub fn path_for(video: &Path) -> PathBuf {
    video.with_extension("json")
}

/// The part of a sidecar the plan needs.
#[derive(Deserialize)]
struct Head {
    fingerprint: String,
}

/// The request fingerprint recorded beside `video`, if its sidecar exists and is readable.
pub fn recorded_fingerprint(video: &Path) -> Option<String> {
    let bytes = std::fs::read(path_for(video)).ok()?;
    serde_json::from_slice::<Head>(&bytes)
        .ok()
        .map(|head| head.fingerprint)
}
