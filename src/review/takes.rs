//! What the review page shows, gathered from the plan, the journal and the sidecars: for
//! each storyboard in plan order, each segment with every version's take and its status,
//! and the takes an edit set aside (`*.superseded-*.mp4`). Paths are relative to the page,
//! so the output folder can be copied or served anywhere.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::i18n::Message;
use crate::journal::{JobKey, JournalState, Outcome, Stage};
use crate::plan::{JobState, Plan, storyboard_key};
use crate::storyboard::{Resolution, Segment};

/// One storyboard's part of the page.
#[derive(Debug)]
pub struct Board {
    /// Its path as messages show it (`input/ep1/storyboard.json`).
    pub shown: String,
    /// Its key in `picks.json`, the journal's (`ep1/storyboard.json`).
    pub key: String,
    pub segments: Vec<SegmentRow>,
}

#[derive(Debug)]
pub struct SegmentRow {
    pub index: u32,
    pub prompt: String,
    pub director_intent: Option<String>,
    pub duration_seconds: u32,
    pub is_pro: bool,
    pub resolution: Resolution,
    /// The frame's width and height, to size the players.
    pub frame: (u32, u32),
    pub takes: Vec<Take>,
    /// Earlier takes of the segment, set aside when it was edited.
    pub superseded: Vec<String>,
}

#[derive(Debug)]
pub struct Take {
    pub version: u32,
    /// The video, relative to the page, with `/` separators.
    pub video: String,
    pub status: TakeStatus,
}

#[derive(Debug, PartialEq)]
pub enum TakeStatus {
    Done {
        bytes: Option<u64>,
        /// When it was downloaded (unix ms).
        made_ms: Option<u64>,
        cost_cents: Option<i64>,
        task_id: Option<String>,
    },
    Failed {
        reason: Message,
    },
    /// At the provider: the next run collects it.
    InFlight {
        task_id: Option<String>,
    },
    /// Its create got no answer, and the provider cannot be asked about it.
    UnknownOutcome,
    NotMade,
}

impl TakeStatus {
    pub fn word(&self) -> &'static str {
        match self {
            TakeStatus::Done { .. } => "done",
            TakeStatus::Failed { .. } => "failed",
            TakeStatus::InFlight { .. } => "in-flight",
            TakeStatus::UnknownOutcome => "unknown",
            TakeStatus::NotMade => "not-made",
        }
    }
}

/// The page's boards. `journal`: what earlier runs recorded (empty when unreadable);
/// `page_dir`: the folder the page is written to.
pub fn boards(plan: &Plan, journal: &JournalState, page_dir: &Path) -> Vec<Board> {
    let mut boards: Vec<Board> = plan
        .storyboards
        .iter()
        .map(|storyboard| Board {
            shown: storyboard.shown.display().to_string(),
            key: storyboard_key(&storyboard.relative),
            segments: Vec::new(),
        })
        .collect();
    for job in &plan.jobs {
        let board = &mut boards[job.storyboard];
        let key = JobKey {
            storyboard: board.key.clone(),
            segment: job.segment.index,
            version: job.version,
            fingerprint: job.fingerprint.to_string(),
        };
        let take = Take {
            version: job.version,
            video: relative_to(page_dir, &job.video),
            status: status_of(job.state, &job.video, journal.get(&key).map(|r| r.stage())),
        };
        match board.segments.last_mut() {
            Some(row) if row.index == job.segment.index => row.takes.push(take),
            _ => {
                let mut row = segment_row(&job.segment, page_dir, &job.video);
                row.takes.push(take);
                board.segments.push(row);
            }
        }
    }
    boards
}

fn segment_row(segment: &Segment, page_dir: &Path, any_video: &Path) -> SegmentRow {
    SegmentRow {
        index: segment.index,
        prompt: segment.prompt.clone(),
        director_intent: segment.director_intent.clone(),
        duration_seconds: segment.duration_seconds,
        is_pro: segment.is_pro,
        resolution: segment.resolution,
        frame: frame_of(segment),
        takes: Vec::new(),
        superseded: superseded_beside(any_video)
            .iter()
            .map(|path| relative_to(page_dir, path))
            .collect(),
    }
}

/// The frame of a segment's video: its `size` when set, else 720p (1792x1024 for pro) in
/// the segment's orientation.
fn frame_of(segment: &Segment) -> (u32, u32) {
    let parsed = segment.size.as_deref().and_then(|size| {
        let (w, h) = size.split_once('x')?;
        Some((w.parse().ok()?, h.parse().ok()?))
    });
    parsed.unwrap_or_else(|| {
        let (long, short) = match segment.is_pro {
            true => (1792, 1024),
            false => (1280, 720),
        };
        match segment.resolution {
            Resolution::Horizontal => (long, short),
            Resolution::Vertical => (short, long),
        }
    })
}

fn status_of(state: JobState, video: &Path, stage: Option<&Stage>) -> TakeStatus {
    match state {
        JobState::Done => done(video),
        JobState::InFlight => TakeStatus::InFlight {
            task_id: match stage {
                Some(Stage::Submitted { task_id, .. } | Stage::Finished { task_id, .. }) => {
                    Some(task_id.clone())
                }
                _ => None,
            },
        },
        JobState::FailedBefore => TakeStatus::Failed {
            reason: match stage {
                Some(Stage::Finished {
                    outcome: Outcome::Failed { message },
                    ..
                }) => Message::plain(message),
                _ => Message::new("failure.at_provider"),
            },
        },
        JobState::UnknownOutcome => TakeStatus::UnknownOutcome,
        JobState::New | JobState::Changed => TakeStatus::NotMade,
    }
}

/// A finished take, with what its sidecar recorded.
fn done(video: &Path) -> TakeStatus {
    let sidecar: Value = std::fs::read(crate::sidecar::path_for(video))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    TakeStatus::Done {
        bytes: sidecar["bytes"].as_u64(),
        made_ms: sidecar["downloaded_at_ms"].as_u64(),
        cost_cents: sidecar["cost_cents"].as_i64(),
        task_id: sidecar["task_id"].as_str().map(str::to_string),
    }
}

/// The takes set aside beside `video` (`3_v1.superseded-<stamp>.mp4`), of any version,
/// oldest name first.
fn superseded_beside(video: &Path) -> Vec<PathBuf> {
    let Some(folder) = video.parent() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            name.contains(".superseded-") && name.ends_with(".mp4")
        })
        .collect();
    found.sort();
    found
}

/// `path` as a link from `page_dir`, with `/` separators.
pub fn relative_to(page_dir: &Path, path: &Path) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let relative = pathdiff::diff_paths(absolute(path), absolute(page_dir))
        .unwrap_or_else(|| path.to_path_buf());
    relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
