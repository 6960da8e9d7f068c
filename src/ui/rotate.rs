//! Keeps the log file from growing for ever: when a run starts and the log has passed
//! [`ROTATE_AT`], it becomes `sora-batch.log.1` (older ones move to `.2` and `.3`; the
//! oldest is dropped), and the run starts a new one.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// A log this large is set aside at the next start.
pub const ROTATE_AT: u64 = 10 * 1024 * 1024;
/// Old logs kept beside the current one.
pub const KEEP: u32 = 3;

/// Sets `path` aside if it is a file past [`ROTATE_AT`]. Failures are ignored: a log that
/// cannot be rotated is appended to, as before.
pub fn rotate_if_large(path: &Path) {
    let large =
        std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_file() && meta.len() >= ROTATE_AT);
    if !large {
        return;
    }
    for n in (1..KEEP).rev() {
        let _ = std::fs::rename(numbered(path, n), numbered(path, n + 1));
    }
    let _ = std::fs::rename(path, numbered(path, 1));
}

/// `sora-batch.log` numbered `n`: `sora-batch.log.n`.
fn numbered(path: &Path, n: u32) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_log_is_set_aside_keeping_three_and_a_small_one_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("sora-batch.log");
        std::fs::write(&log, b"small").unwrap();
        rotate_if_large(&log);
        assert_eq!(std::fs::read(&log).unwrap(), b"small");

        for n in 1..=KEEP {
            std::fs::write(numbered(&log, n), format!("old {n}")).unwrap();
        }
        std::fs::write(&log, vec![b'x'; ROTATE_AT as usize]).unwrap();
        rotate_if_large(&log);
        assert!(!log.exists(), "the run starts a new log");
        assert_eq!(
            std::fs::metadata(numbered(&log, 1)).unwrap().len(),
            ROTATE_AT
        );
        assert_eq!(std::fs::read_to_string(numbered(&log, 2)).unwrap(), "old 1");
        assert_eq!(std::fs::read_to_string(numbered(&log, 3)).unwrap(), "old 2");
        assert!(!numbered(&log, 4).exists(), "only {KEEP} are kept");
    }
}
