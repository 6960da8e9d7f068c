//! The journal: what this tool asked the provider to do, kept so that a crash never makes
//! it pay twice for one video. An append-only JSON Lines file, `<state-dir>/journal.jsonl`,
//! folded into a [`JournalState`] when a run starts (see ARCHITECTURE.md, "The job state
//! machine", for what the engine does with each stage).
//!
//! # Line format (v1)
//! One event per line, the job's key nested under `key`, the event's fields beside it:
//!
//! ```text
//! {"v":1,"key":{"storyboard":"ep1/storyboard_a.json","segment":3,"version":2,"fingerprint":"9f2c…"},"event":"submitted","at_ms":1764139715000,"task_id":"task_8f2","cost_cents":30}
//! ```
//!
//! `v` is on every line rather than in a header, so any line reads alone and neither
//! cutting off a torn tail nor compaction has a header to keep right. The key is nested so
//! a future event field can never collide with a key field. Readers ignore unknown fields:
//! adding an optional field keeps `v` at 1; any other change raises it, and this version
//! refuses lines of a higher one rather than misread them.
//!
//! # Damage
//! A crash can only tear the line being appended, which is the last one: it is ignored
//! with a warning and cut off before the next append. A bad line *before* the last one is
//! an error, not a warning: a crash cannot produce it (earlier lines were complete), so the
//! file was edited or damaged, and the lost line may be the `submitted` of a paid task.
//! Skipping it would submit that job again and pay twice; the user decides instead.
//!
//! # Durability
//! `submitting` is fsynced before the create call and `submitted` right after it: those
//! are the events that stand for money. `downloaded` is fsynced too, once per video, so a
//! crash does not fetch a finished video again. `finished` and `abandoned` are only
//! written: if a crash loses one, the next run polls or reconciles the task again, which
//! costs a request, not a video. (Any fsync also makes every earlier line durable.) A new
//! state folder is synced into its parent, and the journal's name into the folder, before
//! the first line.
//!
//! # A folder removed under a run
//! Before each `submitting`, the journal checks that its path (and the state lock's) still
//! names the file this run opened. If the state folder was deleted or replaced, a later run
//! would not know what this one paid for, so nothing more is submitted.
//!
//! # Never the API key
//! No type here holds the key, and the key's type ([`crate::config::ApiKey`]) neither
//! serializes nor prints itself, so no event can carry it. A create records which key it
//! was made with as a [`KeyRef`]: a label and a hash, not the key.

mod read;
mod record;

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::{fmt, fs};

use same_file::Handle;
use serde::{Deserialize, Serialize};
use tracing::warn;

use crate::durable;
use crate::i18n::Message;
use crate::plan::tidy;

pub use record::{JobRecord, JournalState, Stage, Submission};

/// The journal's name inside the state folder.
pub const JOURNAL_FILE: &str = "journal.jsonl";

/// The `v` of every line this version writes.
const FORMAT_VERSION: u32 = 1;

/// One job: a version of a segment, as requested. An edited segment has a new fingerprint,
/// so it is a new job.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct JobKey {
    /// The storyboard's path relative to the input folder, with `/` separators.
    pub storyboard: String,
    pub segment: u32,
    pub version: u32,
    pub fingerprint: String,
}

impl fmt::Display for JobKey {
    /// `ep1/storyboard_a.json segment 3 v2`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} segment {} v{}",
            self.storyboard, self.segment, self.version
        )
    }
}

impl JobKey {
    /// The job as [`fmt::Display`] names it, in any language.
    pub fn message(&self) -> Message {
        Message::new("job.name")
            .with("storyboard", &self.storyboard)
            .with("segment", self.segment)
            .with("version", self.version)
    }
}

/// Something that happened to a job. Times are unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Written and fsynced before the create call.
    Submitting {
        at_ms: u64,
        provider: String,
        prompt: String,
        /// The provider's clock minus ours when this was written, if known: a lost
        /// create's task is looked for by its creation time on the provider's clock.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        clock_offset_ms: Option<i64>,
        /// The rest of the request, so a task no storyboard asks for any more can still
        /// be found again and described in its sidecar.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<Request>,
        /// The API key the create is made with (its label and hash, never the key): the
        /// task is followed up with that key. Absent in journals written before runs had
        /// several keys (those jobs are followed up with the run's first key).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key_ref: Option<KeyRef>,
    },
    /// The provider accepted the task; fsynced right after the create call returned.
    Submitted {
        at_ms: u64,
        task_id: String,
        cost_cents: Option<i64>,
    },
    /// The provider finished the task, one way or the other.
    Finished {
        at_ms: u64,
        task_id: String,
        outcome: Outcome,
    },
    /// The video is in place beside its sidecar.
    Downloaded {
        at_ms: u64,
        path: String,
        bytes: u64,
        sha256: String,
    },
    /// Given up (e.g. the provider lost the task): a later run treats the job as new.
    Abandoned { at_ms: u64, reason: String },
}

impl Event {
    /// Whether `append` fsyncs this event (see the module doc, "Durability").
    fn is_durable(&self) -> bool {
        matches!(
            self,
            Event::Submitting { .. } | Event::Submitted { .. } | Event::Downloaded { .. }
        )
    }
}

/// Which API key a create was made with: its label as that run named it, and its hash
/// (`keys::Key::hash`), by which a later run finds it again whatever its label is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRef {
    pub label: String,
    pub hash: String,
}

/// A create's parameters besides its prompt, as the journal keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub is_pro: bool,
    pub duration_seconds: u32,
    /// `horizontal` or `vertical`.
    pub resolution: String,
    pub image_url: Option<String>,
    /// The storyboard's `model` and `size`, when set (a lost create is looked for by
    /// them); absent in journals written before they existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// `video_url` without its query (see [`Outcome::completed`]).
    Completed {
        video_url: String,
    },
    Failed {
        message: String,
    },
}

impl Outcome {
    /// A task completed with its video at `video_url`, kept without the query: a signed
    /// link's signature must not sit in the journal (nothing reads the link back; a rerun
    /// asks the provider for a fresh one).
    pub fn completed(video_url: &url::Url) -> Outcome {
        Outcome::Completed {
            video_url: crate::download::unsigned(video_url),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    CreateDir {
        path: PathBuf,
        source: io::Error,
    },
    /// `action`: what could not be done to the journal, an English verb phrase the catalog
    /// knows as `journal.action.*` ("append to").
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    Damaged {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// The file this run opened is no longer at its path: the state folder was deleted or
    /// replaced. Appending on would write to a file no later run reads, and another run may
    /// already be using a new state folder, so nothing more may be submitted.
    Replaced {
        path: PathBuf,
    },
    NewerFormat {
        path: PathBuf,
        line: usize,
        found: u32,
    },
}

crate::display_from_message!(JournalError);

impl JournalError {
    /// What went wrong and the fix, in any language (`Display` is its English).
    pub fn message(&self) -> Message {
        match self {
            JournalError::CreateDir { path, source } => Message::new("journal.create_dir")
                .with("path", path.display())
                .with("source", source),
            JournalError::Io {
                action,
                path,
                source,
            } => Message::new("journal.io")
                .with_text("action", action_message(action))
                .with("path", path.display())
                .with("source", source),
            JournalError::Damaged { path, line, reason } => Message::new("journal.damaged")
                .with("path", path.display())
                .with("line", line)
                .with("reason", reason),
            JournalError::Replaced { path } => {
                Message::new("journal.replaced").with("path", path.display())
            }
            JournalError::NewerFormat { path, line, found } => Message::new("journal.newer_format")
                .with("path", path.display())
                .with("line", line)
                .with("found", found)
                .with("ours", FORMAT_VERSION),
        }
    }
}

/// The words of an [`JournalError::Io`] action in the catalogs.
fn action_message(action: &str) -> Message {
    match action {
        "open" => Message::new("journal.action.open"),
        "create" => Message::new("journal.action.create"),
        "read" => Message::new("journal.action.read"),
        "cut the torn last line off" => Message::new("journal.action.cut"),
        "append to" => Message::new("journal.action.append"),
        "flush" => Message::new("journal.action.flush"),
        "write the compacted copy of" => Message::new("journal.action.compact"),
        "replace" => Message::new("journal.action.replace"),
        "flush the folder of" => Message::new("journal.action.flush_folder"),
        "watch" => Message::new("journal.action.watch"),
        "check" => Message::new("journal.action.check"),
        other => Message::plain(other),
    }
}

/// The open journal. `&self` methods, so the engine can share it in an `Arc` across tasks;
/// they block on disk writes (an fsync takes milliseconds).
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    path: PathBuf,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Opened for appending: every write lands at the end, even after a cut.
    file: File,
    /// What `path` named when it was opened: checked before every `submitting`.
    identity: Handle,
    /// Other files that must still be this run's for it to submit (the state lock).
    pinned: Vec<(PathBuf, Handle)>,
    /// The file's length after the last complete line.
    len: u64,
    /// The fold of the file's jobs that still matter (see [`Journal::state`]), so
    /// compaction never forgets this run's events.
    state: JournalState,
}

impl Journal {
    /// Opens (or creates) the journal in `state_dir` and folds it; the state is that of the
    /// previous runs. A torn last line is cut off here, so the next append starts clean.
    pub fn open(state_dir: &Path) -> Result<(Journal, JournalState), JournalError> {
        Journal::open_with(state_dir, &mut durable::sync_dir)
    }

    /// [`Journal::open`] with the folder fsync passed in, so a test can see what it syncs.
    fn open_with(
        state_dir: &Path,
        sync: &mut dyn FnMut(&Path) -> io::Result<()>,
    ) -> Result<(Journal, JournalState), JournalError> {
        durable::create_dir_all_with(state_dir, sync).map_err(|source| {
            JournalError::CreateDir {
                path: state_dir.to_path_buf(),
                source,
            }
        })?;
        let path = state_dir.join(JOURNAL_FILE);
        let io_error = |action| {
            let path = path.clone();
            move |source| JournalError::Io {
                action,
                path,
                source,
            }
        };
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io_error("open"))?;
        if !existed {
            // The first `submitting` is only durable once the file's name is.
            sync(state_dir).map_err(io_error("create"))?;
        }
        let identity = identity_of(&file).map_err(io_error("open"))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io_error("read"))?;
        let parsed = read::parse(&path, &bytes)?;
        if parsed.good_len < bytes.len() {
            file.set_len(parsed.good_len as u64)
                .and_then(|()| file.sync_data())
                .map_err(io_error("cut the torn last line off"))?;
        }
        let mut state = JournalState::default();
        for (key, event) in &parsed.events {
            state.apply(key, event);
        }
        let inner = Inner {
            file,
            identity,
            pinned: Vec::new(),
            len: parsed.good_len as u64,
            state: state.unsettled(),
        };
        let journal = Journal {
            dir: state_dir.to_path_buf(),
            path,
            inner: Mutex::new(inner),
        };
        Ok((journal, state))
    }

    /// The state of a journal without opening it for writing (for the dry run, which
    /// changes nothing): a missing journal is an empty one, a torn last line is ignored.
    pub fn read(state_dir: &Path) -> Result<JournalState, JournalError> {
        let path = state_dir.join(JOURNAL_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(JournalState::default()),
            Err(source) => {
                return Err(JournalError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        };
        let mut state = JournalState::default();
        for (key, event) in &read::parse(&path, &bytes)?.events {
            state.apply(key, event);
        }
        Ok(state)
    }

    /// Appends one event as one line, fsynced for the events that stand for money (see
    /// the module doc). When this returns an error for `submitting`, do not submit.
    ///
    /// Before a `submitting`, it checks that the journal (and every [pinned](Journal::pin)
    /// file) is still the one this run opened: a state folder deleted or replaced during
    /// the run is [`JournalError::Replaced`], since a later run could not know what this
    /// one paid for.
    pub fn append(&self, key: &JobKey, event: &Event) -> Result<(), JournalError> {
        let line = read::encode(key, event);
        let mut inner = self.lock();
        if matches!(event, Event::Submitting { .. }) {
            self.still_ours(&inner)?;
        }
        if let Err(source) = inner.file.write_all(line.as_bytes()) {
            // A partial line would make every line after it unreadable: cut it off.
            if let Err(err) = inner.file.set_len(inner.len) {
                let message = Message::new("journal.cannot_cut")
                    .with("path", self.path.display())
                    .with("err", err);
                warn!(shown = %message.shown(), "{message}");
            }
            return Err(self.io_error("append to", source));
        }
        inner.len += line.len() as u64;
        // The line is in the file whatever the fsync says, so the state follows it. Settled
        // jobs leave it: memory stays flat however many videos a run makes.
        inner.state.apply(key, event);
        inner.state.forget_if_settled(key);
        if event.is_durable() {
            inner
                .file
                .sync_data()
                .map_err(|source| self.io_error("flush", source))?;
        }
        Ok(())
    }

    /// The jobs of the journal that still matter now (neither downloaded nor abandoned),
    /// this run's events included: what compaction writes.
    pub fn state(&self) -> JournalState {
        self.lock().state.clone()
    }

    /// Rewrites the journal with only the jobs that still matter, for the end of a run that
    /// finished cleanly; appends go on in the new file.
    ///
    /// Kept: every job not `downloaded` or `abandoned` (in flight, or failed at the
    /// provider: the journal is then the only record that its task was paid for), each as
    /// the fewest events that fold back to the same record. Dropped: downloaded jobs, whose
    /// video and sidecar now say what they are, and abandoned ones, which are new again.
    /// What earlier, abandoned attempts of a kept job cost is not carried over, so
    /// [`JournalState::billed_cents`] counts since the last compaction.
    ///
    /// Atomic: written to `journal.jsonl.tmp`, fsynced, renamed over the journal, and the
    /// folder fsynced; a crash leaves the old journal or the new one.
    pub fn compact(&self) -> Result<(), JournalError> {
        let mut inner = self.lock();
        // Never rename over a journal that is not ours: it may be another run's.
        self.still_ours(&inner)?;
        let mut text = String::new();
        let mut state = JournalState::default();
        for (key, events) in inner.state.to_compact() {
            for event in &events {
                text.push_str(&read::encode(key, event));
                state.apply(key, event);
            }
        }
        let tmp = self.path.with_extension("jsonl.tmp");
        let file = write_new(&tmp, text.as_bytes())
            .map_err(|source| self.io_error("write the compacted copy of", source))?;
        fs::rename(&tmp, &self.path).map_err(|source| self.io_error("replace", source))?;
        // The new file is the journal now: appends must go to it even if the folder's
        // fsync fails, or they would land in the unlinked old one.
        let identity = identity_of(&file).map_err(|source| self.io_error("open", source))?;
        inner.file = file;
        inner.identity = identity;
        inner.len = text.len() as u64;
        inner.state = state;
        durable::sync_dir(&self.dir).map_err(|source| self.io_error("flush the folder of", source))
    }

    /// Also refuses `submitting` once `path` no longer names the file it names now: for
    /// the state folder's lock file, whose loss lets another run take the folder.
    pub fn pin(&self, path: &Path) -> Result<(), JournalError> {
        let handle = Handle::from_path(path).map_err(|source| JournalError::Io {
            action: "watch",
            path: path.to_path_buf(),
            source,
        })?;
        self.lock().pinned.push((path.to_path_buf(), handle));
        Ok(())
    }

    /// Whether the journal's path, and every pinned path, still names the file it named.
    fn still_ours(&self, inner: &Inner) -> Result<(), JournalError> {
        let pinned = inner.pinned.iter().map(|(path, handle)| (path, handle));
        for (path, handle) in std::iter::once((&self.path, &inner.identity)).chain(pinned) {
            match Handle::from_path(path) {
                Ok(now) if now == *handle => {}
                Ok(_) => return Err(JournalError::Replaced { path: tidy(path) }),
                Err(err) if err.kind() == io::ErrorKind::NotFound => {
                    return Err(JournalError::Replaced { path: tidy(path) });
                }
                Err(source) => {
                    return Err(JournalError::Io {
                        action: "check",
                        path: path.clone(),
                        source,
                    });
                }
            }
        }
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock cannot leave a partial line (the write
        // is one call, and a failed one is cut off), so the journal is still good.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn io_error(&self, action: &'static str, source: io::Error) -> JournalError {
        JournalError::Io {
            action,
            path: self.path.clone(),
            source,
        }
    }
}

/// Writes `bytes` to a fresh file at `path`, fsynced, and returns it open for appending.
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<File> {
    // A leftover from a crash during an earlier compaction.
    match fs::remove_file(path) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
        _ => {}
    }
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_data()?;
    Ok(file)
}

/// The identity (device and inode on Unix, volume and file index on Windows) of an open
/// file, to compare with what its path names later.
fn identity_of(file: &File) -> io::Result<Handle> {
    Handle::from_file(file.try_clone()?)
}

#[cfg(test)]
mod tests;
