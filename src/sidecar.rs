//! The JSON file beside each video (`<index>_v<version>.json`): which request made the
//! video. The plan reads its fingerprint to tell a finished job from an edited one, and its
//! provider to tell a simulated video from a paid one; a remix chain reads the id a remix
//! of it names.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Where the sidecar of a video lives.
pub fn path_for(video: &Path) -> PathBuf {
    video.with_extension("json")
}

/// The part of a sidecar the plan and remix chains need.
#[derive(Deserialize)]
pub struct Recorded {
    pub fingerprint: String,
    /// Which provider made the video (older sidecars may lack it).
    #[serde(default)]
    provider: Option<String>,
    /// What a remix of the video names, when the provider said (older sidecars and
    /// providers without remixes have none).
    #[serde(default)]
    remix_id: Option<String>,
}

impl Recorded {
    /// What a remix of the video names, if `provider` made it from the request
    /// `fingerprint`: another provider's id, or an older request's, means nothing here.
    pub fn remix_id_for(&self, provider: &str, fingerprint: &str) -> Option<&str> {
        let same = self.fingerprint == fingerprint && self.provider.as_deref() == Some(provider);
        self.remix_id.as_deref().filter(|_| same)
    }

    /// Made by the built-in simulator: not a paid video.
    pub fn simulated(&self) -> bool {
        self.provider.as_deref() == Some(crate::provider::sora_hk::SIMULATOR_NAME)
    }
}

/// What the sidecar beside `video` records, if it exists and is readable.
pub fn recorded(video: &Path) -> Option<Recorded> {
    let bytes = std::fs::read(path_for(video)).ok()?;
    serde_json::from_slice(&bytes).ok()
}
