//! Picks and selects: `picks.json` (what the review page saves: one take per segment, as
//! storyboard, segment and version), and the selects folder `sora-batch select` makes of
//! it: each storyboard's picked takes in segment order as `selects/<NN>_<segment>.mp4`,
//! hard-linked where the disk allows (copied otherwise), with a `selects.txt` in ffmpeg's
//! concat format for a rough cut.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::i18n::Message;
use crate::plan::{JobState, Layout, Plan, storyboard_key};

/// A picks file larger than this is no picks file (a page saves a few bytes per segment).
const MAX_PICKS_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pick {
    pub storyboard: String,
    pub segment: u32,
    pub version: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum PicksError {
    Read {
        path: PathBuf,
        reason: Message,
    },
    Format {
        path: PathBuf,
        reason: String,
    },
    Twice {
        path: PathBuf,
        storyboard: String,
        segment: u32,
        first: u32,
        second: u32,
    },
}

crate::display_from_message!(PicksError);

impl PicksError {
    /// The error in any language (`Display` is its English).
    pub fn message(&self) -> Message {
        match self {
            PicksError::Read { path, reason } => Message::new("picks.unreadable")
                .with("file", path.display())
                .with_text("reason", reason.clone()),
            PicksError::Format { path, reason } => Message::new("picks.not_picks")
                .with("file", path.display())
                .with("reason", reason),
            PicksError::Twice {
                path,
                storyboard,
                segment,
                first,
                second,
            } => Message::new("picks.twice")
                .with("file", path.display())
                .with("segment", segment)
                .with("storyboard", storyboard)
                .with("first", first)
                .with("second", second),
        }
    }
}

/// Reads a picks file: a regular file (never a FIFO or a device), of bounded size, whose
/// every entry names a storyboard, a segment and a version, each segment once.
pub fn read(path: &Path) -> Result<BTreeMap<(String, u32), u32>, PicksError> {
    let read_error = |reason: Message| PicksError::Read {
        path: path.to_path_buf(),
        reason,
    };
    let metadata = std::fs::metadata(path).map_err(|err| match err.kind() {
        io::ErrorKind::NotFound => read_error(Message::new("picks.none")),
        _ => read_error(Message::plain(err)),
    })?;
    if !metadata.is_file() {
        return Err(read_error(Message::new("picks.not_a_file")));
    }
    if metadata.len() > MAX_PICKS_BYTES {
        let limit = bytesize::ByteSize(MAX_PICKS_BYTES).display().iec();
        return Err(read_error(
            Message::new("picks.too_large").with("limit", limit),
        ));
    }
    let bytes = std::fs::read(path).map_err(|err| read_error(Message::plain(err)))?;
    let list: Vec<Pick> = serde_json::from_slice(&bytes).map_err(|err| PicksError::Format {
        path: path.to_path_buf(),
        reason: err.to_string(),
    })?;
    let mut picks = BTreeMap::new();
    for pick in list {
        let place = (pick.storyboard.clone(), pick.segment);
        if let Some(first) = picks.insert(place, pick.version)
            && first != pick.version
        {
            return Err(PicksError::Twice {
                path: path.to_path_buf(),
                storyboard: pick.storyboard,
                segment: pick.segment,
                first,
                second: pick.version,
            });
        }
    }
    Ok(picks)
}

/// What `select` did for one storyboard.
#[derive(Debug, Default, PartialEq)]
pub struct Selected {
    pub storyboard: String,
    pub folder: PathBuf,
    /// Segments whose pick went in.
    pub picked: usize,
    /// Segments without a pick, for which v1 went in.
    pub by_default: Vec<u32>,
    /// Segments left out: the chosen take is not on disk (`(segment, version)`).
    pub missing: Vec<(u32, u32)>,
}

/// Makes every storyboard's selects folder from `picks` (a segment without one gets v1).
/// Returns what went in, and the picks that match no take of the plan.
pub fn select(
    plan: &Plan,
    layout: &Layout,
    picks: &BTreeMap<(String, u32), u32>,
) -> io::Result<(Vec<Selected>, Vec<Message>)> {
    let mut results = Vec::new();
    for (number, storyboard) in plan.storyboards.iter().enumerate() {
        let key = storyboard_key(&storyboard.relative);
        let folder = layout.storyboard_dir(&storyboard.relative).join("selects");
        let mut selected = Selected {
            storyboard: storyboard.shown.display().to_string(),
            folder: folder.clone(),
            ..Selected::default()
        };
        let jobs: Vec<_> = plan
            .jobs
            .iter()
            .filter(|job| job.storyboard == number)
            .collect();
        let mut segments: Vec<u32> = jobs.iter().map(|job| job.segment.index).collect();
        segments.dedup();
        let mut chosen = Vec::new();
        for segment in segments {
            let picked = picks.get(&(key.clone(), segment)).copied();
            let version = picked.unwrap_or(1);
            let take = jobs
                .iter()
                .find(|job| job.segment.index == segment && job.version == version)
                .filter(|job| job.state == JobState::Done);
            let Some(job) = take else {
                selected.missing.push((segment, version));
                continue;
            };
            chosen.push((segment, job.video.clone()));
            match picked {
                Some(_) => selected.picked += 1,
                None => selected.by_default.push(segment),
            }
        }
        if !chosen.is_empty() {
            write_folder(&folder, &chosen)?;
        }
        results.push(selected);
    }
    let planned: std::collections::BTreeSet<(String, u32, u32)> = plan
        .jobs
        .iter()
        .map(|job| {
            let storyboard = storyboard_key(&plan.storyboards[job.storyboard].relative);
            (storyboard, job.segment.index, job.version)
        })
        .collect();
    let unmatched = picks
        .iter()
        .filter(|((storyboard, segment), version)| {
            !planned.contains(&(storyboard.clone(), *segment, **version))
        })
        .map(|((storyboard, segment), version)| {
            Message::new("picks.pick_name")
                .with("storyboard", storyboard)
                .with("segment", segment)
                .with("version", version)
        })
        .collect();
    Ok((results, unmatched))
}

/// Fills `folder` with `chosen` (segment, video) in order, and `selects.txt`; files an
/// earlier `select` left there and this one does not write are removed.
fn write_folder(folder: &Path, chosen: &[(u32, PathBuf)]) -> io::Result<()> {
    crate::durable::create_dir_all(folder)?;
    let width = chosen.len().to_string().len().max(2);
    let mut list = String::from("ffconcat version 1.0\n");
    let mut written = std::collections::BTreeSet::new();
    for (position, (segment, video)) in chosen.iter().enumerate() {
        let name = format!("{:0width$}_{segment}.mp4", position + 1);
        place(video, &folder.join(&name))?;
        let _ = writeln!(list, "file '{name}'");
        written.insert(name);
    }
    for entry in std::fs::read_dir(folder)?.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if is_select_name(&name) && !written.contains(&name) {
            std::fs::remove_file(entry.path())?;
        }
    }
    crate::download::write_atomically(&folder.join("selects.txt"), list.as_bytes())
}

/// `<NN>_<segment>.mp4`, as `select` names its files.
fn is_select_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".mp4") else {
        return false;
    };
    let mut parts = stem.split('_');
    let digits = |part: Option<&str>| {
        part.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    digits(parts.next()) && digits(parts.next()) && parts.next().is_none()
}

/// `video` at `dest`: a hard link where the disk allows, a copy otherwise; either way
/// made under a temporary name and renamed, so `dest` is never half there.
fn place(video: &Path, dest: &Path) -> io::Result<()> {
    let tmp = crate::download::tmp_path(dest);
    let _ = std::fs::remove_file(&tmp);
    if std::fs::hard_link(video, &tmp).is_err() {
        std::fs::copy(video, &tmp)?;
    }
    std::fs::rename(&tmp, dest)
}
