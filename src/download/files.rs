//! The file-system steps around a download, also used for small files written whole
//! (sidecars, reports) and for lock files: the `.tmp` name, the rename (retried on
//! Windows), the folder fsync, opening without following links, and setting a replaced
//! video aside instead of overwriting it.
//!
//! No link is ever followed for a file this module writes or resumes: a temporary name is
//! looked at with `symlink_metadata` first, whatever sits there that is not a regular file
//! (a link planted to make us write elsewhere, say) is removed (the link, not its target),
//! fresh files are made with `create_new` (`O_EXCL`, which refuses a link), existing ones
//! are opened with `O_NOFOLLOW` on Unix, and the final rename replaces a link at the final
//! name rather than writing through it.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::durable::parent_dir;

/// Windows refuses to replace a file that a player or a virus scanner holds open, and
/// usually lets go within a second: this many tries, this far apart.
const RENAME_TRIES: u32 = 10;
const RENAME_PAUSE: Duration = Duration::from_millis(100);

/// How many `-N` counters `set_aside` tries before giving up.
const MAX_SET_ASIDE: u32 = 1000;

/// Where a file is written before it is complete: `video.mp4` → `video.mp4.tmp`.
pub fn tmp_path(dest: &Path) -> PathBuf {
    with_suffix(dest, ".tmp")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// `dir/1_v1.mp4` tagged `t` is `dir/1_v1.t.mp4`: the tag goes before the extension.
fn tagged(path: &Path, tag: &str) -> PathBuf {
    let mut name = path.file_stem().unwrap_or_default().to_os_string();
    name.push(format!(".{tag}"));
    if let Some(extension) = path.extension() {
        name.push(".");
        name.push(extension);
    }
    path.with_file_name(name)
}

/// Replaces `path` with `bytes` so that a crash leaves either the old or the new content,
/// never half of it: write `<path>.tmp`, fsync it, rename it over `path`, fsync the folder.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = tmp_path(path);
    let written = write_synced(&tmp, bytes).and_then(|()| rename_blocking(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    sync_parent_blocking(path);
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = create_fresh(path).map_err(|err| naming(path, err))?;
    file.write_all(bytes).map_err(|err| naming(path, err))?;
    file.sync_all().map_err(|err| naming(path, err))
}

/// What is at a path, seen without following a link.
#[derive(Debug, PartialEq)]
pub(super) enum Found {
    Nothing,
    /// A regular file of this many bytes.
    File(u64),
    /// A link, a folder, a device: never written through, never resumed.
    Other,
}

pub(super) async fn look(path: &Path) -> io::Result<Found> {
    match tokio::fs::symlink_metadata(path).await {
        Ok(meta) if meta.file_type().is_file() => Ok(Found::File(meta.len())),
        Ok(_) => Ok(Found::Other),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(Found::Nothing),
        Err(err) => Err(err),
    }
}

/// Removes whatever is at `path` (a link itself, never its target); nothing there is fine.
pub(crate) fn remove_entry(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

/// A new, empty file at `path` for writing: whatever was there (a leftover, a planted
/// link) is removed first, and `create_new` refuses anything that appears meanwhile.
pub(super) fn create_fresh(path: &Path) -> io::Result<std::fs::File> {
    remove_entry(path)?;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Opens a regular file without following a link: `O_NOFOLLOW` on Unix (a link swapped in
/// after `look` fails to open), and the opened file is checked to be a regular file.
/// Windows has no such flag; looking first is all there is there.
pub(crate) fn open_regular(
    path: &Path,
    options: &mut std::fs::OpenOptions,
) -> io::Result<std::fs::File> {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, libc::O_NOFOLLOW);
    let file = options.open(path)?;
    if !file.metadata()?.file_type().is_file() {
        let message = format!("{} is not a regular file", path.display());
        return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
    }
    Ok(file)
}

/// [`open_regular`] for async callers, on a blocking thread as `tokio::fs` does it.
pub(super) async fn open_existing(
    path: &Path,
    mut options: std::fs::OpenOptions,
) -> io::Result<tokio::fs::File> {
    let path = path.to_path_buf();
    let opened = tokio::task::spawn_blocking(move || open_regular(&path, &mut options))
        .await
        .map_err(io::Error::other)?;
    Ok(tokio::fs::File::from_std(opened?))
}

/// Moves an existing `video` (and its `.json` sidecar, if any) out of the way before a new
/// version takes its name: `1_v1.mp4` → `1_v1.superseded-<stamp>.mp4`, and `1_v1.json` →
/// `1_v1.superseded-<stamp>.json` (the extension stays last, so players still open it).
/// If either name is taken, `-2`, `-3`, … is added to the tag of both, so nothing set
/// aside earlier is ever overwritten. Returns where the video went, or None when there was
/// no video.
pub fn set_aside(video: &Path, stamp: &str) -> io::Result<Option<PathBuf>> {
    if stamp.is_empty() || stamp.contains(['/', '\\']) {
        let message =
            format!("\"{stamp}\" cannot be part of a file name; use e.g. 20261126T064835Z");
        return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
    }
    if !video.try_exists().map_err(|err| naming(video, err))? {
        return Ok(None);
    }
    let sidecar = crate::sidecar::path_for(video);
    let has_sidecar = sidecar.try_exists().map_err(|err| naming(&sidecar, err))?;
    let (video_aside, sidecar_aside) = free_names(video, &sidecar, stamp)?;
    rename_blocking(video, &video_aside)?;
    if has_sidecar {
        rename_blocking(&sidecar, &sidecar_aside)?;
    }
    sync_parent_blocking(video);
    Ok(Some(video_aside))
}

/// The first `superseded-<stamp>[-N]` tag under which neither file exists yet.
fn free_names(video: &Path, sidecar: &Path, stamp: &str) -> io::Result<(PathBuf, PathBuf)> {
    for counter in 1..=MAX_SET_ASIDE {
        let tag = match counter {
            1 => format!("superseded-{stamp}"),
            n => format!("superseded-{stamp}-{n}"),
        };
        let names = (tagged(video, &tag), tagged(sidecar, &tag));
        if !names.0.try_exists()? && !names.1.try_exists()? {
            return Ok(names);
        }
    }
    let message = format!(
        "{} has been set aside {MAX_SET_ASIDE} times with the stamp {stamp}; move old versions elsewhere",
        video.display()
    );
    Err(io::Error::new(io::ErrorKind::AlreadyExists, message))
}

/// Whether a failed rename is Windows saying another program has the target open
/// (ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION).
fn held_open(err: &io::Error) -> bool {
    cfg!(windows)
        && (err.kind() == io::ErrorKind::PermissionDenied
            || matches!(err.raw_os_error(), Some(5 | 32 | 33)))
}

pub(super) async fn rename_into_place(from: &Path, to: &Path) -> io::Result<()> {
    let mut tries = 1;
    loop {
        match tokio::fs::rename(from, to).await {
            Err(err) if held_open(&err) && tries < RENAME_TRIES => {
                tokio::time::sleep(RENAME_PAUSE).await;
                tries += 1;
            }
            done => return done,
        }
    }
}

fn rename_blocking(from: &Path, to: &Path) -> io::Result<()> {
    let mut tries = 1;
    loop {
        match std::fs::rename(from, to) {
            Err(err) if held_open(&err) && tries < RENAME_TRIES => {
                std::thread::sleep(RENAME_PAUSE);
                tries += 1;
            }
            done => return done.map_err(|err| naming(to, err)),
        }
    }
}

/// Makes a rename durable (POSIX: the new name lives in the folder, which needs its own
/// fsync). Only warns on failure: the rename is done, and some network file systems
/// cannot sync folders at all. Windows has no folder fsync; NTFS journals renames.
pub(super) async fn sync_parent(path: &Path) {
    let dir = parent_dir(path).to_path_buf();
    let task_dir = dir.clone();
    let synced = tokio::task::spawn_blocking(move || crate::durable::sync_dir(&task_dir))
        .await
        .unwrap_or_else(|err| Err(io::Error::other(err)));
    warn_unsynced(&dir, synced);
}

fn sync_parent_blocking(path: &Path) {
    let dir = parent_dir(path);
    warn_unsynced(dir, crate::durable::sync_dir(dir));
}

fn warn_unsynced(dir: &Path, synced: io::Result<()>) {
    if let Err(err) = synced {
        let message = crate::i18n::Message::new("download.cannot_sync_folder")
            .with("path", dir.display())
            .with("err", err);
        tracing::warn!(shown = %message.shown(), "{message}");
    }
}

/// An io::Error whose message names the file, keeping its kind for callers that match it.
fn naming(path: &Path, err: io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}
