//! The output folders' locks: a run holds `.sora-batch.lock` in every folder it will write
//! videos to, for the whole run, so that two runs with different state folders (whose
//! journals know nothing of each other) never both pay for the same video.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use tracing::debug;

use super::LockError;
use super::file::{Holder, LockFile, Refused, describe_holder};
use crate::i18n::Message;
use crate::plan::tidy;

/// The lock file's name inside each output folder (hidden, and no storyboard name).
pub const OUTPUT_LOCK_FILE: &str = ".sora-batch.lock";

/// EMFILE ("too many open files" for this process) on Linux, macOS and the BSDs.
const EMFILE: i32 = 24;

/// Held for the whole run; dropping it releases every folder.
#[derive(Debug)]
pub struct OutputLocks {
    held: Vec<LockFile>,
}

impl OutputLocks {
    /// Locks every folder in `folders` (creating it), or fails at once without keeping any:
    /// [`LockError::OutputBusy`] names the first folder another run holds, that run and its
    /// state folder. `state_dir` is this run's, written in each lock for the same purpose.
    ///
    /// Each lock keeps a file open: [`raise_open_file_limit`] first, or a large batch runs
    /// into the soft limit (256 on macOS) and gets [`LockError::TooManyFolders`].
    pub fn acquire(
        folders: impl IntoIterator<Item = PathBuf>,
        state_dir: &Path,
    ) -> Result<OutputLocks, LockError> {
        // Sorted, so two runs that want the same folders try them in the same order.
        let folders: BTreeSet<PathBuf> = folders.into_iter().collect();
        let mut held = Vec::with_capacity(folders.len());
        for folder in &folders {
            let path = folder.join(OUTPUT_LOCK_FILE);
            let io_error = |source: io::Error| {
                if cfg!(unix) && source.raw_os_error() == Some(EMFILE) {
                    LockError::TooManyFolders {
                        folders: folders.len(),
                        limit: open_file_limit(),
                    }
                } else {
                    LockError::OutputIo {
                        folder: tidy(folder),
                        source,
                    }
                }
            };
            std::fs::create_dir_all(folder).map_err(io_error)?;
            match LockFile::try_acquire(&path, folder, state_dir) {
                Ok(file) => held.push(file),
                Err(Refused::Busy(holder)) => return Err(busy(folder, holder)),
                Err(Refused::Io(source)) => return Err(io_error(source)),
            }
        }
        Ok(OutputLocks { held })
    }

    /// How many folders are held.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

fn busy(folder: &Path, holder: Option<Holder>) -> LockError {
    let (pid, started_at, state_dir) = match holder {
        Some(holder) => (Some(holder.pid), holder.started(), holder.state_dir),
        None => (None, None, None),
    };
    LockError::OutputBusy {
        folder: tidy(folder),
        pid,
        started_at,
        state_dir,
    }
}

pub(super) fn describe_busy(
    folder: &Path,
    pid: Option<u32>,
    started_at: Option<&SystemTime>,
    state_dir: Option<&Path>,
) -> Message {
    let holder = describe_holder(pid, started_at);
    match state_dir {
        Some(dir) => Message::new("lock.output_busy_with_state").with("state_dir", dir.display()),
        None => Message::new("lock.output_busy"),
    }
    .with_text("holder", holder)
    .with("folder", folder.display())
}

/// Raises this process's soft limit on open files to its hard limit (macOS: to what the
/// kernel allows), since each output folder's lock keeps a file open for the whole run.
pub fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => debug!("open-file limit: {limit}"),
        Err(err) => debug!("cannot raise the open-file limit: {err}"),
    }
}

fn open_file_limit() -> String {
    #[cfg(unix)]
    if let Ok((soft, _)) = rlimit::Resource::NOFILE.get() {
        return soft.to_string();
    }
    "a limited number of".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::StateLock;

    #[test]
    fn a_folder_held_by_another_run_is_busy_and_names_that_run_and_its_state_folder() {
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("in/ep1/storyboard_a_assets");
        let first_state = dir.path().join("in/.sora-batch");
        let _first = OutputLocks::acquire([shared.clone()], &first_state).unwrap();
        let other = dir.path().join("in/ep2/storyboard_b_assets");
        let err = OutputLocks::acquire(
            [other.clone(), shared.clone()],
            dir.path().join("in/ep1/.sora-batch").as_path(),
        )
        .unwrap_err();
        assert!(err.is_busy(), "{err:?}");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!(
                "another sora-batch run (pid {}, started ",
                std::process::id()
            )),
            "{message}"
        );
        assert!(
            message.contains(&format!(
                "with the state folder {} is writing to {}; wait for it to finish",
                first_state.display(),
                shared.display()
            )),
            "{message}"
        );
        // Nothing is kept by a run that was refused.
        drop(_first);
        assert!(OutputLocks::acquire([other, shared], dir.path()).is_ok());
    }

    #[test]
    fn folders_are_created_and_released_locks_are_emptied() {
        let dir = tempfile::tempdir().unwrap();
        let folders = [dir.path().join("out/a"), dir.path().join("out/b")];
        let locks = OutputLocks::acquire(folders.clone(), dir.path()).unwrap();
        assert_eq!(locks.len(), 2);
        let text = std::fs::read_to_string(folders[0].join(OUTPUT_LOCK_FILE)).unwrap();
        assert!(
            text.contains(&format!("\"pid\":{}", std::process::id())),
            "{text}"
        );
        drop(locks);
        for folder in &folders {
            assert_eq!(
                std::fs::read_to_string(folder.join(OUTPUT_LOCK_FILE)).unwrap(),
                ""
            );
        }
    }

    #[test]
    fn the_state_lock_and_an_output_lock_do_not_exclude_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let _state = StateLock::acquire(dir.path()).unwrap();
        assert!(OutputLocks::acquire([dir.path().to_path_buf()], dir.path()).is_ok());
    }

    #[test]
    fn busy_message_without_details_still_names_the_folder() {
        let message = describe_busy(Path::new("output/storyboard_a"), None, None, None).to_string();
        assert_eq!(
            message,
            "another sora-batch run (just starting) is writing to output/storyboard_a; wait for it to finish \
             (two runs writing the same videos would both pay for them)"
        );
    }
}
