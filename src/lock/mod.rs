//! Exclusion between runs, so no two runs ever submit the same job: one run at a time per
//! state folder ([`StateLock`]: they would interleave their journal lines), and one run at a
//! time writing to each output folder ([`OutputLocks`]: runs with different state folders
//! would each pay for the same videos, e.g. `--input-dir in` and `--input-dir in/ep1` in
//! `in_place` mode). The OS lock on a file (flock on Unix, LockFileEx on Windows) is what
//! excludes; the file's text (pid, start time, host, state folder) only tells a refused
//! user who holds it.

mod file;
mod output;

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use file::{LockFile, Refused, describe_holder};
pub use output::{OUTPUT_LOCK_FILE, OutputLocks, raise_open_file_limit};

use crate::i18n::Message;
use crate::plan::tidy;

/// The lock file's name inside the state folder.
pub const LOCK_FILE: &str = "lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the state folder; `main` exits with code 75 (EX_TEMPFAIL: try
    /// later).
    Busy {
        state_dir: PathBuf,
        pid: Option<u32>,
        started_at: Option<SystemTime>,
    },
    /// Another process is writing to an output folder this run would write to; exit 75 too.
    OutputBusy {
        folder: PathBuf,
        pid: Option<u32>,
        started_at: Option<SystemTime>,
        /// The other run's state folder.
        state_dir: Option<PathBuf>,
    },
    TooManyFolders {
        folders: usize,
        limit: String,
    },
    Io {
        path: PathBuf,
        source: io::Error,
    },
    StateDirIsFile {
        state_dir: PathBuf,
        file: PathBuf,
    },
    OutputIo {
        folder: PathBuf,
        source: io::Error,
    },
}

crate::display_from_message!(LockError);

impl LockError {
    /// Whether another run holds something this one needs (exit 75: try again later).
    pub fn is_busy(&self) -> bool {
        matches!(self, LockError::Busy { .. } | LockError::OutputBusy { .. })
    }

    /// What went wrong and the fix, in any language (`Display` is its English).
    pub fn message(&self) -> Message {
        match self {
            LockError::Busy {
                state_dir,
                pid,
                started_at,
            } => Message::new("lock.busy")
                .with_text("holder", describe_holder(*pid, started_at.as_ref()))
                .with("state_dir", state_dir.display()),
            LockError::OutputBusy {
                folder,
                pid,
                started_at,
                state_dir,
            } => output::describe_busy(folder, *pid, started_at.as_ref(), state_dir.as_deref()),
            LockError::TooManyFolders { folders, limit } => Message::new("lock.too_many_folders")
                .with("folders", folders)
                .with("limit", limit),
            LockError::Io { path, source } => Message::new("lock.io")
                .with("path", path.display())
                .with("source", source),
            LockError::StateDirIsFile { state_dir, file } => Message::new("lock.state_dir_is_file")
                .with("state_dir", state_dir.display())
                .with("file", file.display()),
            LockError::OutputIo { folder, source } => Message::new("lock.output_io")
                .with("folder", folder.display())
                .with("source", source),
        }
    }
}

/// Held for the whole run; dropping it releases the state folder.
#[derive(Debug)]
pub struct StateLock {
    file: LockFile,
}

impl StateLock {
    /// Locks `state_dir` (creating it durably if needed) or fails at once with
    /// [`LockError::Busy`]: a run that waited would find its jobs already done or in flight.
    /// A lock file left by a process that died holds no OS lock and is simply taken over.
    pub fn acquire(state_dir: &Path) -> Result<StateLock, LockError> {
        let path = state_dir.join(LOCK_FILE);
        let io_error = |source| LockError::Io {
            path: tidy(&path),
            source,
        };
        check_state_dir(state_dir)?;
        crate::durable::create_dir_all(state_dir).map_err(io_error)?;
        match LockFile::try_acquire(&path, state_dir, state_dir) {
            Ok(file) => Ok(StateLock { file }),
            Err(Refused::Busy(holder)) => Err(LockError::Busy {
                state_dir: tidy(state_dir),
                pid: holder.as_ref().map(|holder| holder.pid),
                started_at: holder.as_ref().and_then(file::Holder::started),
            }),
            Err(Refused::Io(source)) => Err(io_error(source)),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

/// [`LockError::StateDirIsFile`] when a file stands where `state_dir` is or would be made;
/// the dry run, which takes no lock, asks too, to say what the real run would.
pub fn check_state_dir(state_dir: &Path) -> Result<(), LockError> {
    match file_in_the_way(state_dir) {
        Some(file) => Err(LockError::StateDirIsFile {
            state_dir: tidy(state_dir),
            file: tidy(&file),
        }),
        None => Ok(()),
    }
}

/// The state folder itself, or the nearest of its parents that exists, when it is not a
/// folder: a folder cannot be made there, and "File exists" would not say why.
fn file_in_the_way(state_dir: &Path) -> Option<PathBuf> {
    let existing = state_dir
        .ancestors()
        .filter(|path| !path.as_os_str().is_empty())
        .find(|path| path.exists())?;
    (!existing.is_dir()).then(|| existing.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock_text(dir: &Path) -> String {
        std::fs::read_to_string(dir.join(LOCK_FILE)).unwrap()
    }

    #[test]
    fn a_state_folder_that_is_a_file_or_under_one_is_named_as_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("afile");
        std::fs::write(&file, "x").unwrap();
        for state in [file.clone(), file.join("sub/deeper")] {
            let err = StateLock::acquire(&state).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "the state folder {} cannot be made: {} is a file, not a folder; point \
                     --state-dir (SORA_STATE_DIR) at a folder, or move that file away",
                    tidy(&state).display(),
                    tidy(&file).display()
                )
            );
        }
        assert_eq!(
            std::fs::read(&file).unwrap(),
            b"x",
            "the file is left alone"
        );
    }

    #[test]
    fn second_acquire_is_busy_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("output/.sora-batch");
        let _first = StateLock::acquire(&state).unwrap();
        let err = StateLock::acquire(&state).unwrap_err();
        let LockError::Busy {
            pid, started_at, ..
        } = &err
        else {
            panic!("expected Busy, got {err:?}");
        };
        assert_eq!(*pid, Some(std::process::id()));
        assert!(started_at.is_some());
        let message = err.to_string();
        assert!(
            message.starts_with(&format!(
                "another sora-batch run (pid {}, started ",
                std::process::id()
            )),
            "{message}"
        );
        assert!(
            message.ends_with(&format!(
                " UTC) is using the state folder {}; wait for it to finish, or pass a different --state-dir",
                state.display()
            )),
            "{message}"
        );
    }

    #[test]
    fn released_lock_can_be_acquired_again() {
        let dir = tempfile::tempdir().unwrap();
        let first = StateLock::acquire(dir.path()).unwrap();
        drop(first);
        assert_eq!(
            lock_text(dir.path()),
            "",
            "a clean release empties the file"
        );
        let again = StateLock::acquire(dir.path()).unwrap();
        assert!(lock_text(dir.path()).contains(&format!("\"pid\":{}", std::process::id())));
        drop(again);
    }

    #[test]
    fn stale_lock_of_a_dead_process_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let stale = r#"{"pid":999999999,"started_at":"2026-11-26T06:48:35Z","host":"gone"}"#;
        std::fs::write(dir.path().join(LOCK_FILE), stale).unwrap();
        let _lock = StateLock::acquire(dir.path()).unwrap();
        let holder: file::Holder = serde_json::from_str(&lock_text(dir.path())).unwrap();
        assert_eq!(holder.pid, std::process::id());
        assert!(holder.started().is_some(), "{}", holder.started_at);
    }

    fn busy(state_dir: &Path, pid: Option<u32>, started_at: Option<&SystemTime>) -> LockError {
        LockError::Busy {
            state_dir: state_dir.to_path_buf(),
            pid,
            started_at: started_at.copied(),
        }
    }

    fn describe_busy(state_dir: &Path, pid: Option<u32>, at: Option<&SystemTime>) -> String {
        busy(state_dir, pid, at).to_string()
    }

    #[test]
    fn busy_message_reads_in_chinese_with_the_same_holder_and_folder() {
        let at = humantime::parse_rfc3339("2026-11-26T06:48:35Z").unwrap();
        let state = Path::new("output/.sora-batch");
        let words = busy(state, Some(4242), Some(&at))
            .message()
            .words(crate::i18n::Lang::Zh);
        assert_eq!(
            words,
            "另一个 sora-batch 运行（pid 4242，启动于 2026-11-26 06:48:35 UTC）正在使用状态文件夹 \
             output/.sora-batch；请等它结束，或用 --state-dir 指定另一个状态文件夹"
        );
    }

    #[test]
    fn busy_message_reads_well_in_every_case() {
        let at = humantime::parse_rfc3339("2026-11-26T06:48:35Z").unwrap();
        let state = Path::new("output/.sora-batch");
        assert_eq!(
            describe_busy(state, Some(4242), Some(&at)),
            "another sora-batch run (pid 4242, started 2026-11-26 06:48:35 UTC) is using the state folder output/.sora-batch; wait for it to finish, or pass a different --state-dir"
        );
        assert!(
            describe_busy(state, None, None)
                .starts_with("another sora-batch run (just starting) is using")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_link_planted_at_a_lock_file_is_replaced_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        let state = dir.path().join("state");
        std::fs::create_dir_all(&state).unwrap();
        std::os::unix::fs::symlink(&victim, state.join(LOCK_FILE)).unwrap();
        let lock = StateLock::acquire(&state).unwrap();
        drop(lock);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        let meta = std::fs::symlink_metadata(state.join(LOCK_FILE)).unwrap();
        assert!(
            meta.file_type().is_file(),
            "the link was replaced by a lock file"
        );
    }
}
