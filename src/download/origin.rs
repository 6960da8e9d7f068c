//! The record that ties a partial file to where its bytes came from: beside `1_v1.mp4.tmp`,
//! `1_v1.mp4.origin.tmp` names the owner (the provider's task id), the server's ETag and
//! the file's total size, as they were when the first byte was written. It is written
//! durably before any byte goes into a fresh `.tmp`, so a `.tmp` without one was not made
//! by this version of the tool for anything it can prove, and is never resumed. Both go
//! when the video is published or the partial file is discarded; the record's name ends
//! in `.tmp` like every other unfinished file, so a leftover is as easy to spot.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::{self, Found};

/// Bumped whenever the meaning of a field changes: a record of another format is treated
/// as no record (the partial file is discarded, never guessed at).
const FORMAT: u32 = 1;

const MAX_LEN: u64 = 64 * 1024;

/// Where the bytes of a partial file came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    format: u32,
    /// Who the download is for (the engine's task id); another owner's bytes are never
    /// resumed.
    pub owner: String,
    /// The ETag of the first answer, if the server sent one.
    pub etag: Option<String>,
    /// The size of the whole file, if the server said.
    pub total: Option<u64>,
}

impl Origin {
    pub fn new(owner: &str, etag: Option<String>, total: Option<u64>) -> Origin {
        Origin {
            format: FORMAT,
            owner: owner.to_string(),
            etag,
            total,
        }
    }

    /// Writes the record for the video `dest` durably (fsynced, renamed into place, folder
    /// fsynced), without following a link at its name or its temporary name.
    pub fn save(&self, dest: &Path) -> io::Result<()> {
        let text = serde_json::to_vec(self).expect("a record serializes");
        files::write_atomically(&path(dest), &text)
    }

    /// The record for `dest`, if there is a readable one of this format. A link in its
    /// place, a folder, unreadable or foreign text: no record.
    pub async fn read(dest: &Path) -> Option<Origin> {
        let path = path(dest);
        // A record is a line of JSON; anything big was not written by us.
        match files::look(&path).await.ok()? {
            Found::File(len) if len <= MAX_LEN => {}
            _ => return None,
        }
        let mut options = std::fs::OpenOptions::new();
        options.read(true);
        let mut file = files::open_existing(&path, options).await.ok()?;
        let mut text = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut file, &mut text)
            .await
            .ok()?;
        serde_json::from_slice::<Origin>(&text)
            .ok()
            .filter(|origin| origin.format == FORMAT)
    }
}

/// Where the record of the video `dest` is kept: `1_v1.mp4` → `1_v1.mp4.origin.tmp`.
pub fn path(dest: &Path) -> PathBuf {
    let mut name = dest.as_os_str().to_os_string();
    name.push(".origin.tmp");
    PathBuf::from(name)
}
