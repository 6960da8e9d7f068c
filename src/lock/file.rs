//! One lock file: the OS lock that excludes, and the text (pid, start time, host, state
//! folder) that tells a refused run who holds it. Shared by the state lock and the output
//! folders' locks.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::download::{open_regular, remove_entry};
use crate::i18n::Message;
use crate::plan::tidy;

/// What a lock file says about its holder.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Holder {
    pub pid: u32,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub host: Option<String>,
    /// The holder's state folder, absolute: in an output folder's lock it tells which run
    /// (and which journal) is writing there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_dir: Option<PathBuf>,
}

impl Holder {
    pub fn started(&self) -> Option<SystemTime> {
        humantime::parse_rfc3339(&self.started_at).ok()
    }
}

/// Why a lock was not taken.
pub(super) enum Refused {
    /// Another process holds it; its details, if it has written them yet.
    Busy(Option<Holder>),
    Io(io::Error),
}

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub(super) struct LockFile {
    file: File,
    path: PathBuf,
}

impl LockFile {
    /// Locks the file at `path` (creating it) without waiting, and writes this run's
    /// details in it. A file left by a process that died holds no OS lock and is taken over;
    /// `what` names the thing it guards in the message that says so.
    pub fn try_acquire(path: &Path, what: &Path, state_dir: &Path) -> Result<LockFile, Refused> {
        let mut file = open_without_links(path).map_err(Refused::Io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(Refused::Busy(read_holder(&mut file))),
            Err(TryLockError::Error(source)) => return Err(Refused::Io(source)),
        }
        if let Some(stale) = read_holder(&mut file) {
            let since = stale.started().map_or(stale.started_at.clone(), utc);
            let message = Message::new("lock.taken_over")
                .with("what", tidy(what).display())
                .with("pid", stale.pid)
                .with("since", since);
            info!(shown = %message.shown(), "{message}");
        }
        write_holder(&mut file, state_dir).map_err(Refused::Io)?;
        Ok(LockFile {
            file,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for LockFile {
    /// Empties the file while still holding the lock, so the next run can tell a clean
    /// release (empty) from a crash (details left behind). The file itself stays: removing
    /// it would let a later run lock a fresh file while another still holds the old one.
    fn drop(&mut self) {
        if let Err(err) = self.file.set_len(0) {
            let message = Message::new("lock.cannot_empty")
                .with("path", self.path.display())
                .with("err", err);
            warn!(shown = %message.shown(), "{message}");
        }
        // Closing the file releases the OS lock.
    }
}

/// Opens (or creates) the lock file, never through a link: a link planted at its name
/// would have this run empty whatever it points to. A link (or anything but a regular
/// file) there is removed first; we never make one.
fn open_without_links(path: &Path) -> io::Result<File> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_file() => {
            let message = Message::new("lock.not_a_lock_file").with("path", path.display());
            warn!(shown = %message.shown(), "{message}");
            remove_entry(path)?;
        }
        _ => {}
    }
    let mut options = OpenOptions::new();
    // No truncation on open: until we hold the lock, the text belongs to the holder.
    options.read(true).write(true).create(true).truncate(false);
    open_regular(path, &mut options)
}

/// ` (pid 4242, started 2026-11-26 06:48:35 UTC)`, or what is known of it.
pub(super) fn describe_holder(pid: Option<u32>, started_at: Option<&SystemTime>) -> Message {
    match (pid, started_at) {
        (Some(pid), Some(at)) => Message::new("lock.holder.started")
            .with("pid", pid)
            .with("at", utc(*at)),
        (Some(pid), None) => Message::new("lock.holder.pid").with("pid", pid),
        // The holder has locked the file but not written its details yet.
        (None, _) => Message::new("lock.holder.starting"),
    }
}

/// `2026-11-26 06:48:35 UTC`: what a person reads in a message.
fn utc(at: SystemTime) -> String {
    let rfc3339 = humantime::format_rfc3339_seconds(at).to_string();
    format!(
        "{} UTC",
        rfc3339.trim_end_matches('Z').replacen('T', " ", 1)
    )
}

/// The holder's details, if the file has readable ones.
pub(super) fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_holder(file: &mut File, state_dir: &Path) -> io::Result<()> {
    let holder = Holder {
        pid: std::process::id(),
        started_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        host: host_name(),
        state_dir: Some(std::path::absolute(state_dir).unwrap_or_else(|_| state_dir.into())),
    };
    let text = serde_json::to_string(&holder).expect("the holder serializes");
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(text.as_bytes())
}

/// This machine's name (on every system, through the OS's own call): it helps when a
/// folder lives on a shared drive.
fn host_name() -> Option<String> {
    gethostname::gethostname()
        .into_string()
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
}
