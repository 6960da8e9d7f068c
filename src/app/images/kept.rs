//! Images the state folder keeps for a run (letterboxed copies, fetched links): each
//! written atomically, then `<file>.sha256` beside it with its own hash. A later run
//! reuses a file only while its bytes still hash to that record, so one damaged or
//! edited since, or one whose record a crash left unwritten, is made anew rather than
//! sent.

use std::path::{Path, PathBuf};

/// Writes `bytes` at `path`, then their hash (`sha256`) beside it.
pub fn keep(path: &Path, bytes: &[u8], sha256: &str) -> std::io::Result<()> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    crate::download::write_atomically(path, bytes)?;
    crate::download::write_atomically(&record_of(path), format!("{sha256}\n").as_bytes())
}

/// The bytes at `path` and their hash, when they match the hash recorded beside them.
pub fn checked(path: &Path) -> Option<(Vec<u8>, String)> {
    let (record, _) = crate::storyboard::read_image(&record_of(path)).ok()?;
    let recorded = String::from_utf8(record).ok()?;
    let (bytes, sha256) = crate::storyboard::read_image(path).ok()?;
    (sha256 == recorded.trim()).then_some((bytes, sha256))
}

/// Where a kept file's hash is recorded: `<file>.sha256`.
pub fn record_of(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_os_string();
    name.push(".sha256");
    PathBuf::from(name)
}
