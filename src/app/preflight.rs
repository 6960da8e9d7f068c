//! Checks before the first create, so that no money is spent on videos that could not be
//! saved: every folder a job will write to accepts a new file, `--report` names a file in
//! a writable folder, and (a warning only) the output file system has room for the batch.

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use tracing::warn;

use crate::durable::parent_dir;
use crate::engine::JobSpec;
use crate::i18n::Message;
use crate::plan::tidy;
use indicatif::HumanBytes;

/// Bytes of video per second generated, for the free-space warning: 1.1 MB, rounded up
/// from the 10.7 MB of the 10-second videos seen on real runs (PROTOCOLS.md, section 1).
/// An estimate, never a limit.
pub const BYTES_PER_VIDEO_SECOND: u64 = 1_100_000;

#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    Unwritable {
        folder: PathBuf,
        source: io::Error,
    },
    ReportIsFolder(PathBuf),
    ReportFolderMissing {
        path: PathBuf,
        folder: PathBuf,
    },
    ReportUnwritable {
        path: PathBuf,
        folder: PathBuf,
        source: io::Error,
    },
}

crate::display_from_message!(PreflightError);

impl PreflightError {
    /// What is wrong and the fix, in any language (`Display` is its English).
    pub fn message(&self) -> Message {
        match self {
            PreflightError::Unwritable { folder, source } => Message::new("preflight.unwritable")
                .with("folder", folder.display())
                .with("source", source),
            PreflightError::ReportIsFolder(path) => {
                Message::new("preflight.report_is_folder").with("path", path.display())
            }
            PreflightError::ReportFolderMissing { path, folder } => {
                Message::new("preflight.report_folder_missing")
                    .with("path", path.display())
                    .with("folder", folder.display())
            }
            PreflightError::ReportUnwritable {
                path,
                folder,
                source,
            } => Message::new("preflight.report_unwritable")
                .with("path", path.display())
                .with("folder", folder.display())
                .with("source", source),
        }
    }
}

/// Runs every check for `to_run`, the jobs that may write a video; only a shortfall of
/// free space is a warning rather than an error.
pub fn check(to_run: &[&JobSpec], report: Option<&Path>) -> Result<(), PreflightError> {
    if let Some(report) = report {
        check_report(report)?;
    }
    let video_folders: BTreeSet<&Path> = to_run.iter().map(|job| parent_dir(&job.video)).collect();
    let targets = nearest_existing(video_folders);
    // One probe per folder: spread over the cores, in case a rerun touches many.
    let probed: Vec<(&PathBuf, io::Result<Option<u64>>)> = targets
        .par_iter()
        .map(|folder| {
            (
                folder,
                probe(folder).map(|()| fs4::available_space(folder).ok()),
            )
        })
        .collect();
    let mut least_free: Option<(u64, &Path)> = None;
    for (folder, result) in probed {
        match result {
            Err(source) => {
                return Err(PreflightError::Unwritable {
                    folder: tidy(folder),
                    source,
                });
            }
            Ok(Some(free)) if least_free.is_none_or(|(least, _)| free < least) => {
                least_free = Some((free, folder));
            }
            Ok(_) => {}
        }
    }
    let seconds = to_run
        .iter()
        .map(|job| u64::from(job.segment.duration_seconds))
        .sum();
    if let Some((free, folder)) = least_free
        && let Some(warning) = space_warning(seconds, free, folder)
    {
        warn!(shown = %warning.shown(), "{warning}");
    }
    Ok(())
}

fn check_report(path: &Path) -> Result<(), PreflightError> {
    if path.is_dir() {
        return Err(PreflightError::ReportIsFolder(tidy(path)));
    }
    let folder = parent_dir(path);
    if !folder.is_dir() {
        return Err(PreflightError::ReportFolderMissing {
            path: tidy(path),
            folder: tidy(folder),
        });
    }
    probe(folder).map_err(|source| PreflightError::ReportUnwritable {
        path: tidy(path),
        folder: tidy(folder),
        source,
    })
}

/// For each folder, itself if it exists, else its nearest ancestor that does: where a new
/// file or folder would have to be made.
fn nearest_existing(folders: BTreeSet<&Path>) -> BTreeSet<PathBuf> {
    let mut exists: HashMap<&Path, bool> = HashMap::new();
    folders
        .into_iter()
        .map(|folder| {
            let found = folder.ancestors().find(|ancestor| {
                ancestor.as_os_str().is_empty()
                    || *exists.entry(ancestor).or_insert_with(|| ancestor.exists())
            });
            match found {
                Some(ancestor) if !ancestor.as_os_str().is_empty() => ancestor.to_path_buf(),
                _ => PathBuf::from("."),
            }
        })
        .collect()
}

/// Creates and removes a uniquely named file in `folder`.
fn probe(folder: &Path) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        ".sora-batch-probe-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let path = folder.join(name);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    std::fs::remove_file(&path)
}

/// The warning when `seconds` of video (at [`BYTES_PER_VIDEO_SECOND`]) need more than the
/// `free` bytes of the file system that holds `folder`.
fn space_warning(seconds: u64, free: u64, folder: &Path) -> Option<Message> {
    let needed = seconds.saturating_mul(BYTES_PER_VIDEO_SECOND);
    (needed > free).then(|| {
        Message::new("preflight.low_space")
            .with("free", HumanBytes(free))
            .with("folder", tidy(folder).display())
            .with("seconds", seconds)
            .with("needed", HumanBytes(needed))
    })
}

#[cfg(test)]
mod tests;
