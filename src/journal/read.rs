//! Reading the journal file back: one line at a time, telling a torn tail (a crash while
//! appending; ignored) from damage in the middle (an error).

use std::path::Path;

use serde::{Deserialize, Serialize};
use tracing::warn;

use super::{Event, FORMAT_VERSION, JobKey, JournalError};
use crate::i18n::Message;

/// A line as written.
#[derive(Serialize)]
struct LineOut<'a> {
    v: u32,
    key: &'a JobKey,
    #[serde(flatten)]
    event: &'a Event,
}

/// A line as read.
#[derive(Deserialize)]
struct LineIn {
    v: u32,
    key: JobKey,
    #[serde(flatten)]
    event: Event,
}

/// Just the format version, to tell a newer line from a damaged one.
#[derive(Deserialize)]
struct VersionOnly {
    v: u32,
}

/// One journal line, with its newline.
pub(super) fn encode(key: &JobKey, event: &Event) -> String {
    let line = LineOut {
        v: FORMAT_VERSION,
        key,
        event,
    };
    // Strings, integers and derived structs only: serializing cannot fail. JSON escapes
    // newlines inside strings, so a prompt never splits a line.
    let mut text = serde_json::to_string(&line).expect("journal lines serialize");
    text.push('\n');
    text
}

/// The events of a journal file, and how many of its bytes hold them: anything past
/// `good_len` is a torn tail for the caller to cut off.
pub(super) struct Parsed {
    pub events: Vec<(JobKey, Event)>,
    pub good_len: usize,
}

pub(super) fn parse(path: &Path, bytes: &[u8]) -> Result<Parsed, JournalError> {
    let mut parsed = Parsed {
        events: Vec::new(),
        good_len: 0,
    };
    let mut start = 0;
    let mut number = 0;
    while start < bytes.len() {
        number += 1;
        let newline = bytes[start..].iter().position(|&b| b == b'\n');
        let end = newline.map_or(bytes.len(), |at| start + at + 1);
        let line = &bytes[start..end];
        let blank = line.iter().all(u8::is_ascii_whitespace);
        if newline.is_none() {
            // Every append writes its newline last, so a line without one was never
            // finished, and nothing acted on it: drop it even if it happens to parse.
            if !blank {
                warn_torn(path, number);
            }
            break;
        }
        if !blank {
            match decode(line) {
                Ok((key, event)) => parsed.events.push((key, event)),
                Err(Bad::Newer(found)) => {
                    return Err(JournalError::NewerFormat {
                        path: path.to_path_buf(),
                        line: number,
                        found,
                    });
                }
                Err(Bad::Unreadable(_)) if is_rest_blank(&bytes[end..]) => {
                    warn_torn(path, number);
                    break;
                }
                Err(Bad::Unreadable(reason)) => {
                    return Err(JournalError::Damaged {
                        path: path.to_path_buf(),
                        line: number,
                        reason,
                    });
                }
            }
        }
        parsed.good_len = end;
        start = end;
    }
    Ok(parsed)
}

fn is_rest_blank(rest: &[u8]) -> bool {
    rest.iter().all(u8::is_ascii_whitespace)
}

fn warn_torn(path: &Path, number: usize) {
    let message = Message::new("journal.torn_line")
        .with("path", path.display())
        .with("line", number);
    warn!(shown = %message.shown(), "{message}");
}

enum Bad {
    Newer(u32),
    Unreadable(String),
}

fn decode(line: &[u8]) -> Result<(JobKey, Event), Bad> {
    match serde_json::from_slice::<LineIn>(line) {
        Ok(parsed) if parsed.v == FORMAT_VERSION => Ok((parsed.key, parsed.event)),
        Ok(parsed) => Err(version_problem(parsed.v)),
        Err(err) => match serde_json::from_slice::<VersionOnly>(line) {
            Ok(found) if found.v != FORMAT_VERSION => Err(version_problem(found.v)),
            _ => Err(Bad::Unreadable(err.to_string())),
        },
    }
}

fn version_problem(found: u32) -> Bad {
    if found > FORMAT_VERSION {
        Bad::Newer(found)
    } else {
        Bad::Unreadable(format!("unknown format version {found}"))
    }
}
