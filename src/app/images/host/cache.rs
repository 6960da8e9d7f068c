//! `hosted-images.json` in the state folder: the public link `--image-host-cmd` gave
//! each image (by its SHA-256) and when, so a rerun uploads nothing again and sends the
//! same link as before (which is what finds a lost create again). Written whole, to a
//! temporary file that is synced and renamed over the old one. A file that cannot be read
//! or understood is not a reason to stop: it is rebuilt, at the cost of uploading again.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::i18n::Message;

/// Its name, in the state folder.
pub const CACHE_FILE: &str = "hosted-images.json";

/// The largest file read: a link per image is far below it.
const MAX_CACHE_BYTES: u64 = 16 * 1024 * 1024;

const VERSION: u32 = 1;

/// One image's link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hosted {
    pub link: String,
    /// When the command printed it (RFC 3339, UTC).
    pub hosted_at: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    /// By the image's SHA-256 (lower-case hex).
    images: BTreeMap<String, Hosted>,
}

/// The links known, and where they are kept.
#[derive(Debug)]
pub struct Cache {
    path: PathBuf,
    images: BTreeMap<String, Hosted>,
}

impl Cache {
    /// Reads the state folder's file: none is an empty cache; one that cannot be read or
    /// understood is empty too, and the second value says so (a warning to show).
    /// Entries that are not a SHA-256 and an http(s) link are left out alike.
    pub fn load(state_dir: &Path) -> (Cache, Option<Message>) {
        let path = state_dir.join(CACHE_FILE);
        let (images, warning) = match read(&path) {
            Ok(None) => (BTreeMap::new(), None),
            Ok(Some(images)) => keep_valid(images),
            Err(why) => (BTreeMap::new(), Some(why)),
        };
        let warning = warning.map(|why| {
            Message::new("image.host.cache_rebuilt")
                .with("path", path.display())
                .with_text("why", why)
        });
        (Cache { path, images }, warning)
    }

    /// The link of the image with this SHA-256, if one is known.
    pub fn link(&self, sha256: &str) -> Option<&str> {
        self.images.get(sha256).map(|hosted| hosted.link.as_str())
    }

    /// Keeps `link` for the image, as of now.
    pub fn insert(&mut self, sha256: &str, link: &str) {
        let hosted_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        self.images.insert(
            sha256.to_string(),
            Hosted {
                link: link.to_string(),
                hosted_at,
            },
        );
    }

    /// Writes it whole, atomically.
    pub fn save(&self) -> io::Result<()> {
        let file = CacheFile {
            version: VERSION,
            images: self.images.clone(),
        };
        let mut bytes = serde_json::to_vec_pretty(&file).map_err(io::Error::other)?;
        bytes.push(b'\n');
        crate::download::write_atomically(&self.path, &bytes)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The file's entries; `None`: there is no file; `Err`: why it is not usable.
fn read(path: &Path) -> Result<Option<BTreeMap<String, Hosted>>, Message> {
    let unreadable = |err: io::Error| Message::new("image.cache.unreadable").with("err", err);
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(unreadable(err)),
    };
    if !meta.is_file() || meta.len() > MAX_CACHE_BYTES {
        return Err(Message::new("image.cache.not_a_list_file"));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let file: CacheFile = serde_json::from_slice(&bytes)
        .map_err(|err| Message::new("image.cache.not_a_list").with("err", err))?;
    if file.version != VERSION {
        return Err(Message::new("image.cache.version").with("version", file.version));
    }
    Ok(Some(file.images))
}

/// The entries that are a SHA-256 and an http(s) link; a warning if some are not.
fn keep_valid(images: BTreeMap<String, Hosted>) -> (BTreeMap<String, Hosted>, Option<Message>) {
    let total = images.len();
    let kept: BTreeMap<String, Hosted> = images
        .into_iter()
        .filter(|(sha256, hosted)| {
            is_sha256(sha256) && crate::storyboard::check_web_link(&hosted.link).is_ok()
        })
        .collect();
    let dropped = total - kept.len();
    let warning =
        (dropped > 0).then(|| Message::counted("image.host.cache_dropped", dropped as u64));
    (kept, warning)
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
