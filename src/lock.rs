//! The state folder's lock: one run at a time per `--state-dir`, so two runs never submit
//! the same job twice or interleave their journal lines. The OS lock on `<state>/lock`
//! (flock on Unix, LockFileEx on Windows) is what excludes; the file's text (pid, start
//! time, host) only tells a waiting user who holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::plan::tidy;

/// The lock file's name inside the state folder.
pub const LOCK_FILE: &str = "lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock; `main` exits with code 75 (EX_TEMPFAIL: try later).
    #[error("{}", describe_busy(.state_dir, *.pid, .started_at.as_ref()))]
    Busy {
        state_dir: PathBuf,
        pid: Option<u32>,
        started_at: Option<SystemTime>,
    },
    #[error(
        "cannot lock {path}: {source}; check that the state folder is writable, or pass a different --state-dir"
    )]
    Io { path: PathBuf, source: io::Error },
}

fn describe_busy(state_dir: &Path, pid: Option<u32>, started_at: Option<&SystemTime>) -> String {
    let who = match (pid, started_at) {
        (Some(pid), Some(at)) => format!(" (pid {pid}, started {})", utc(*at)),
        (Some(pid), None) => format!(" (pid {pid})"),
        // The holder has locked the file but not written its details yet.
        (None, _) => " (just starting)".to_string(),
    };
    format!(
        "another sora-batch run{who} is using the state folder {}; wait for it to finish, or pass a different --state-dir",
        state_dir.display()
    )
}

/// `2026-11-26 06:48:35 UTC`: what a person reads in a message.
fn utc(at: SystemTime) -> String {
    let rfc3339 = humantime::format_rfc3339_seconds(at).to_string();
    format!(
        "{} UTC",
        rfc3339.trim_end_matches('Z').replacen('T', " ", 1)
    )
}

/// What the lock file says about its holder.
#[derive(Debug, Serialize, Deserialize)]
struct Holder {
    pid: u32,
    /// RFC 3339, UTC.
    started_at: String,
    host: Option<String>,
}

impl Holder {
    fn started(&self) -> Option<SystemTime> {
        humantime::parse_rfc3339(&self.started_at).ok()
    }
}

/// Held for the whole run; dropping it releases the state folder.
#[derive(Debug)]
pub struct StateLock {
    file: File,
    path: PathBuf,
}

impl StateLock {
    /// Locks `state_dir` (creating it if needed) or fails at once with
    /// [`LockError::Busy`]: a run that waited would find its jobs already done or in flight.
    /// A lock file left by a process that died holds no OS lock and is simply taken over.
    pub fn acquire(state_dir: &Path) -> Result<StateLock, LockError> {
        let path = state_dir.join(LOCK_FILE);
        let io_error = |source| LockError::Io {
            path: tidy(&path),
            source,
        };
        std::fs::create_dir_all(state_dir).map_err(io_error)?;
        // No truncation on open: until we hold the lock, the text belongs to the holder.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = read_holder(&mut file);
                return Err(LockError::Busy {
                    state_dir: tidy(state_dir),
                    pid: holder.as_ref().map(|holder| holder.pid),
                    started_at: holder.as_ref().and_then(Holder::started),
                });
            }
            Err(TryLockError::Error(source)) => return Err(io_error(source)),
        }
        if let Some(stale) = read_holder(&mut file) {
            let since = stale.started().map_or(stale.started_at.clone(), utc);
            info!(
                "took over the lock of {}: its run (pid {}, started {since}) ended without releasing it",
                tidy(state_dir).display(),
                stale.pid
            );
        }
        write_holder(&mut file).map_err(io_error)?;
        Ok(StateLock { file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StateLock {
    /// Empties the file while still holding the lock, so the next run can tell a clean
    /// release (empty) from a crash (details left behind). The file itself stays: removing
    /// it would let a later run lock a fresh file while a third still waits on the old one.
    fn drop(&mut self) {
        if let Err(err) = self.file.set_len(0) {
            warn!("cannot empty the lock file {}: {err}", self.path.display());
        }
        // Closing the file releases the OS lock.
    }
}

/// The holder's details, if the file has readable ones.
fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_holder(file: &mut File) -> io::Result<()> {
    let holder = Holder {
        pid: std::process::id(),
        started_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        host: host_name(),
    };
    let text = serde_json::to_string(&holder).expect("the holder serializes");
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(text.as_bytes())
}

/// This machine's name, where it is cheap to learn: it helps when a state folder lives
/// on a shared drive.
fn host_name() -> Option<String> {
    let from_file = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok();
    from_file
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock_text(dir: &Path) -> String {
        std::fs::read_to_string(dir.join(LOCK_FILE)).unwrap()
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
        let holder: Holder = serde_json::from_str(&lock_text(dir.path())).unwrap();
        assert_eq!(holder.pid, std::process::id());
        assert!(holder.started().is_some(), "{}", holder.started_at);
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
}
