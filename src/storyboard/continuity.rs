//! Continuity between shots: `remix_of` (remix a video made elsewhere, by its provider
//! id, or a take of this same storyboard) and `characters` (character references for
//! providers that take them). This module owns their values, the checks that need the
//! whole file (the source take exists, no cycles), and the source's fingerprint that a
//! remix's own fingerprint holds, so editing a shot generates the shots remixing it again.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::values::{describe, expected, quote, quoted_problem, what_text, whole_number};
use super::{Location, Problem, Segment, text};
use crate::i18n::Message;

/// The longest provider id `remix_of` takes.
const MAX_ID_CHARS: usize = 200;

/// A video id as the schema states it ([`video_id`] also refuses one of only dots).
pub(super) const ID_PATTERN: &str = "^[A-Za-z0-9_.:-]{1,200}$";

/// `"START,END"` as the schema states it ([`seconds_range`] also wants START < END).
pub(super) const SECONDS_RANGE_PATTERN: &str = "^ *[0-9.]+ *, *[0-9.]+ *$";

/// The most character references one segment takes.
pub const MAX_CHARACTERS: usize = 10;

/// What a segment remixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemixOf {
    /// A video made elsewhere, by the provider's id for it (a Sora `s_…`/`pid`, an
    /// OpenAI `video_…`).
    Video(String),
    /// A take of this storyboard. `source` is that take's fingerprint (set when the file
    /// is read); `target` the provider's id for the finished take, which the engine sets
    /// once it is done.
    Take {
        segment: u32,
        version: u32,
        source: String,
        target: Option<String>,
    },
}

impl RemixOf {
    /// The provider id a create remixes: known for a video, and for a take once the
    /// engine has it.
    pub fn target(&self) -> Option<&str> {
        match self {
            RemixOf::Video(id) => Some(id),
            RemixOf::Take { target, .. } => target.as_deref(),
        }
    }

    /// What the fingerprint holds: the id, or the source take's fingerprint and version
    /// (not its provider id, which a rerun learns again).
    pub(super) fn fingerprinted(&self) -> String {
        match self {
            RemixOf::Video(id) => format!("video:{id}"),
            RemixOf::Take {
                version, source, ..
            } => format!("take:{source}:v{version}"),
        }
    }
}

/// A character reference: a video of the character and the seconds it shows in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Character {
    pub url: String,
    /// `"START,END"` in seconds, e.g. `"0,3"`.
    pub timestamps: String,
}

/// Where Sora publishes a video: `https://sora.chatgpt.com/p/<share id>`.
const SHARE_LINK_PREFIX: &str = "https://sora.chatgpt.com/p/";

/// A Sora share id as the schema states it ([`is_share_id`]).
pub(super) const SHARE_ID_PATTERN: &str = "^s_[0-9a-f]{32}$";

/// A Sora share link as the schema states it ([`share_link`]).
pub(super) const SHARE_LINK_PATTERN: &str =
    "^https://sora\\.chatgpt\\.com/p/s_[0-9a-f]{32}/?([?#].*)?$";

/// Whether `id` is a Sora share id, `s_` and 32 lower-case hex digits: the only remix
/// target a chat gateway reads.
pub fn is_share_id(id: &str) -> bool {
    id.strip_prefix("s_").is_some_and(|hex| {
        hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// `remix_of`'s value: an id, a Sora share link (which names its id), or `{"segment": N,
/// "version": V}` (version 1 when unset).
pub(super) fn remix_of(value: &Value) -> Result<RemixOf, Message> {
    match value {
        Value::String(text) if super::is_link(text) => share_link(text).map(RemixOf::Video),
        Value::String(id) => video_id(id).map(RemixOf::Video),
        Value::Object(map) => {
            if let Some(key) = map
                .keys()
                .find(|key| !matches!(key.as_str(), "segment" | "version"))
            {
                return Err(Message::new("storyboard.take.unknown_key").with("key", quote(key)));
            }
            let number = |key: &str, default: Option<u32>| match (map.get(key), default) {
                (None | Some(Value::Null), Some(default)) => Ok(default),
                (None | Some(Value::Null), None) => {
                    Err(Message::new("storyboard.take.missing").with("key", key))
                }
                (Some(value), _) => {
                    match whole_number(value, Message::new("storyboard.what.from_one"))? {
                        0 => Err(Message::new("storyboard.take.zero").with("key", key)),
                        number => Ok(number),
                    }
                }
            };
            Ok(RemixOf::Take {
                segment: number("segment", None)?,
                version: number("version", Some(1))?,
                source: String::new(),
                target: None,
            })
        }
        other => Err(expected(Message::new("storyboard.what.remix"), other)),
    }
}

/// The share id a Sora share link names: the same video as the id itself, so both give
/// one fingerprint.
fn share_link(link: &str) -> Result<String, Message> {
    let id = link
        .strip_prefix(SHARE_LINK_PREFIX)
        .and_then(|rest| rest.split(['?', '#']).next())
        .map(|id| id.strip_suffix('/').unwrap_or(id))
        .filter(|id| is_share_id(id));
    id.map(str::to_string).ok_or_else(|| {
        Message::new("storyboard.remix.not_share_link")
            .with("link", quote(link))
            .with("prefix", SHARE_LINK_PREFIX)
    })
}

/// A provider id: it goes into request paths (`/videos/{id}/remix`), so only the
/// characters ids are made of, never `/`, `..` or a query.
fn video_id(id: &str) -> Result<String, Message> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
    if id.is_empty() || id.chars().count() > MAX_ID_CHARS {
        return Err(Message::new("storyboard.remix.id_length")
            .with("id", quote(id))
            .with("max", MAX_ID_CHARS));
    }
    if !id.chars().all(allowed) || id.chars().all(|c| c == '.') {
        return Err(Message::new("storyboard.remix.id_characters").with("id", quote(id)));
    }
    Ok(id.to_string())
}

/// `characters`' value: a list of `{"url": LINK, "timestamps": "START,END"}`.
pub(super) fn characters(value: &Value) -> Result<Vec<Character>, Message> {
    let Value::Array(items) = value else {
        return Err(expected(Message::new("storyboard.what.characters"), value));
    };
    if items.len() > MAX_CHARACTERS {
        return Err(Message::new("storyboard.characters.too_many")
            .with("n", items.len())
            .with("max", MAX_CHARACTERS));
    }
    items
        .iter()
        .enumerate()
        .map(|(at, item)| {
            character(item).map_err(|why| {
                Message::new("storyboard.characters.at")
                    .with("n", at + 1)
                    .with_text("why", why)
            })
        })
        .collect()
}

fn character(item: &Value) -> Result<Character, Message> {
    let Value::Object(map) = item else {
        return Err(
            Message::new("storyboard.character.not_object").with_text("found", describe(item))
        );
    };
    if let Some(key) = map
        .keys()
        .find(|key| !matches!(key.as_str(), "url" | "timestamps"))
    {
        return Err(Message::new("storyboard.character.unknown_key").with("key", quote(key)));
    }
    let text_of = |key: &str| match map.get(key) {
        Some(Value::String(text)) => Ok(text.as_str()),
        None | Some(Value::Null) => {
            Err(Message::new("storyboard.character.missing").with("key", key))
        }
        Some(other) => Err(Message::new("storyboard.character.field")
            .with("key", key)
            .with_text("problem", expected(what_text(), other))),
    };
    let url = text_of("url")?;
    let link_ok = url::Url::parse(url)
        .is_ok_and(|link| matches!(link.scheme(), "http" | "https") && link.host().is_some());
    if let Some(problem) = text::link_problem(url) {
        return Err(Message::new("storyboard.character.field")
            .with("key", "url")
            .with_text("problem", quoted_problem(url, problem)));
    }
    if !link_ok {
        return Err(Message::new("storyboard.character.not_a_link").with("url", quote(url)));
    }
    let timestamps = text_of("timestamps")?;
    if !seconds_range(timestamps) {
        return Err(
            Message::new("storyboard.character.not_a_range").with("value", quote(timestamps))
        );
    }
    Ok(Character {
        url: url.to_string(),
        timestamps: timestamps.to_string(),
    })
}

/// `"0,3"` or `"1.5,4"`: two non-negative numbers of seconds, the first smaller.
fn seconds_range(text: &str) -> bool {
    let number = |part: &str| {
        let part = part.trim_matches(' ');
        let plain = !part.is_empty() && part.chars().all(|c| c.is_ascii_digit() || c == '.');
        plain.then(|| part.parse::<f64>().ok()).flatten()
    };
    match text
        .split_once(',')
        .map(|(start, end)| (number(start), number(end)))
    {
        Some((Some(start), Some(end))) => start < end,
        _ => false,
    }
}

/// The checks between segments: a remixed take exists in the file and no chain loops
/// back. Segments with a problem here are left out of the result.
pub(super) fn check_takes(segments: Vec<Segment>, file: &Path) -> (Vec<Segment>, Vec<Problem>) {
    let problem = |index: u32, message: Message| Problem {
        file: file.to_path_buf(),
        location: Location::Segment { index },
        field: Some("remix_of".to_string()),
        message,
    };
    let at: HashMap<u32, usize> = segments
        .iter()
        .enumerate()
        .map(|(at, s)| (s.index, at))
        .collect();
    let mut problems = Vec::new();
    for segment in &segments {
        let Some(RemixOf::Take {
            segment: source,
            version,
            ..
        }) = &segment.remix_of
        else {
            continue;
        };
        let message = match at.get(source).map(|&at| &segments[at]) {
            None => Some(Message::new("storyboard.take.not_in_file").with("source", source)),
            Some(found) if *version > found.gen_count => Some(
                Message::new("storyboard.take.no_version")
                    .with("source", source)
                    .with_text(
                        "versions",
                        Message::counted("storyboard.versions", u64::from(found.gen_count)),
                    )
                    .with("version", version),
            ),
            Some(_) => cycle(segment.index, &segments, &at)
                .map(|chain| Message::new("storyboard.take.cycle").with("chain", chain)),
        };
        if let Some(message) = message {
            problems.push(problem(segment.index, message));
        }
    }
    let refused: Vec<u32> = problems
        .iter()
        .filter_map(|problem| match problem.location {
            Location::Segment { index } => Some(index),
            _ => None,
        })
        .collect();
    let segments = segments
        .into_iter()
        .filter(|segment| !refused.contains(&segment.index))
        .collect();
    (segments, problems)
}

/// The chain from `start` when it comes back to `start`, as `2 → 3 → 2`.
fn cycle(start: u32, segments: &[Segment], at: &HashMap<u32, usize>) -> Option<String> {
    let mut chain = vec![start];
    let mut current = start;
    while let Some(RemixOf::Take {
        segment: source, ..
    }) = at
        .get(&current)
        .and_then(|&at| segments[at].remix_of.as_ref())
    {
        chain.push(*source);
        if *source == start {
            let shown: Vec<String> = chain.iter().map(u32::to_string).collect();
            return Some(shown.join(" → "));
        }
        if chain.len() > segments.len() {
            return None; // a loop that does not pass through `start`: its own members say so
        }
        current = *source;
    }
    None
}

/// Sets each take-remix's `source` to its source's fingerprint, sources first (chains
/// have no loop: [`check_takes`] came first). Called once the segments are complete
/// (their images read), as the fingerprint holds all of them.
pub(super) fn set_sources(segments: &mut [Segment]) {
    let at: HashMap<u32, usize> = segments
        .iter()
        .enumerate()
        .map(|(at, s)| (s.index, at))
        .collect();
    let mut done = vec![false; segments.len()];
    for start in 0..segments.len() {
        let mut stack = vec![start];
        while let Some(&current) = stack.last() {
            if done[current] {
                stack.pop();
                continue;
            }
            let source = match &segments[current].remix_of {
                Some(RemixOf::Take { segment, .. }) => at.get(segment).copied(),
                _ => None,
            };
            match source {
                Some(source) if !done[source] && !stack.contains(&source) => stack.push(source),
                _ => {
                    let fingerprint = source.map(|source| segments[source].fingerprint());
                    if let (Some(fingerprint), Some(RemixOf::Take { source, .. })) =
                        (fingerprint, segments[current].remix_of.as_mut())
                    {
                        *source = fingerprint;
                    }
                    done[current] = true;
                    stack.pop();
                }
            }
        }
    }
}
