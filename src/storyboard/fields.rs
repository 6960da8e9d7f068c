//! The storyboard's keys: which exist where, how each value is checked, how a segment's
//! fields resolve against the file's `defaults`, and the suggestions offered for a mistyped
//! key or value. Every check records its problem and goes on, so one pass finds them all.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::decode::Parsed;
use super::suggest::{suggest, unknown_key};
use super::{
    DEFAULT_DURATION, Location, MAX_GEN_COUNT, NORMAL_DURATIONS, PRO_DURATIONS, Problem,
    Resolution, Segment, SegmentSettings,
};
use super::{duplicates, text};

/// Every key a segment may have. The schema (schema.rs) documents the same set; a unit test
/// keeps the two in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    SegmentIndex,
    PromptText,
    ImageUrl,
    IsPro,
    DurationSeconds,
    Resolution,
    GenCount,
    DirectorIntent,
}

impl Field {
    pub(super) const ALL: [Field; 8] = [
        Field::SegmentIndex,
        Field::PromptText,
        Field::ImageUrl,
        Field::IsPro,
        Field::DurationSeconds,
        Field::Resolution,
        Field::GenCount,
        Field::DirectorIntent,
    ];

    pub(super) fn name(self) -> &'static str {
        match self {
            Field::SegmentIndex => "segment_index",
            Field::PromptText => "prompt_text",
            Field::ImageUrl => "image_url",
            Field::IsPro => "is_pro",
            Field::DurationSeconds => "duration_seconds",
            Field::Resolution => "resolution",
            Field::GenCount => "gen_count",
            Field::DirectorIntent => "director_intent",
        }
    }

    /// `defaults` may set everything but a segment's identity and its prompt.
    pub(super) fn has_default(self) -> bool {
        !matches!(self, Field::SegmentIndex | Field::PromptText)
    }

    fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.name() == name)
    }
}

/// The optional fields as one level of a file (a segment, or its `defaults`) sets them.
#[derive(Debug, Default)]
struct Layer {
    image_url: Option<String>,
    is_pro: Option<bool>,
    duration_seconds: Option<u32>,
    resolution: Option<Resolution>,
    gen_count: Option<u32>,
    director_intent: Option<String>,
}

/// Gathers the problems of one file.
struct Problems<'a> {
    file: &'a Path,
    list: Vec<Problem>,
}

impl Problems<'_> {
    fn add(&mut self, location: &Location, field: Option<&str>, message: impl Into<String>) {
        self.list.push(Problem {
            file: self.file.to_path_buf(),
            location: location.clone(),
            field: field.map(str::to_string),
            message: message.into(),
        });
    }
}

/// Checks a parsed storyboard and resolves its segments.
pub(super) fn check_file(
    parsed: &Parsed,
    file: &Path,
    settings: SegmentSettings,
) -> Result<Vec<Segment>, Vec<Problem>> {
    let mut problems = Problems {
        file,
        list: Vec::new(),
    };
    let value = &parsed.value;
    let listed = match value.get("segments") {
        Some(Value::Array(items)) => items.as_slice(),
        _ => &[],
    };
    for duplicate in &parsed.duplicates {
        let (location, field) = duplicates::locate(duplicate, listed);
        problems.add(&location, Some(&field), duplicates::message(duplicate));
    }
    let Some(top) = value.as_object() else {
        let message = format!(
            "expected an object like {{\"segments\": [...]}}, found {}",
            describe(value)
        );
        problems.add(&Location::File, None, message);
        return Err(problems.list);
    };
    for key in top.keys() {
        // `$schema` points an editor at the JSON Schema (see README, "Editors").
        if !is_comment(key) && !["defaults", "segments", "$schema"].contains(&key.as_str()) {
            let message = unknown_key(key, &["defaults", "segments"]);
            problems.add(&Location::File, Some(key), message);
        }
    }
    let defaults = match top.get("defaults") {
        None | Some(Value::Null) => Layer::default(),
        Some(Value::Object(map)) => read_layer(map, &Location::Defaults, &mut problems),
        Some(other) => {
            let message = format!(
                "expected an object of segment fields, found {}",
                describe(other)
            );
            problems.add(&Location::File, Some("defaults"), message);
            Layer::default()
        }
    };
    let segments = check_segment_list(top.get("segments"), &mut problems);
    let mut first_use: HashMap<u32, usize> = HashMap::with_capacity(segments.len());
    let mut resolved = Vec::with_capacity(segments.len());
    for (offset, item) in segments.iter().enumerate() {
        let position = offset + 1;
        let Some(map) = item.as_object() else {
            let message = format!("expected a segment object, found {}", describe(item));
            problems.add(&Location::Position { position }, None, message);
            continue;
        };
        let before = problems.list.len();
        let segment = check_segment(
            map,
            position,
            &defaults,
            settings,
            &mut first_use,
            &mut problems,
        );
        if problems.list.len() == before {
            resolved.extend(segment);
        }
    }
    if problems.list.is_empty() {
        Ok(resolved)
    } else {
        Err(problems.list)
    }
}

fn check_segment_list<'v>(value: Option<&'v Value>, problems: &mut Problems) -> &'v [Value] {
    let message = match value {
        Some(Value::Array(items)) if !items.is_empty() => return items,
        Some(Value::Array(_)) => "is empty; add at least one segment".to_string(),
        None | Some(Value::Null) => {
            "missing; a storyboard is {\"segments\": [{\"segment_index\": 1, \"prompt_text\": \"...\"}]}"
                .to_string()
        }
        Some(other) => format!("expected a list of segments, found {}", describe(other)),
    };
    problems.add(&Location::File, Some("segments"), message);
    &[]
}

/// Checks one segment object; `None` when its identity or prompt is unusable. Other
/// problems are recorded and the caller discards the segment. `first_use` maps each
/// `segment_index` seen so far to its position, to catch duplicates.
fn check_segment(
    map: &Map<String, Value>,
    position: usize,
    defaults: &Layer,
    settings: SegmentSettings,
    first_use: &mut HashMap<u32, usize>,
    problems: &mut Problems,
) -> Option<Segment> {
    let position_location = Location::Position { position };
    let index = match read_index(map.get("segment_index")) {
        Ok(index) => Some(index),
        Err(message) => {
            if !misspelled(map, Field::SegmentIndex) {
                problems.add(&position_location, Some("segment_index"), message);
            }
            None
        }
    };
    // A segment whose number an earlier one took is named by its position, in this
    // problem and in all its others: "segment 1" would point at the first one.
    let first = index.and_then(|index| first_use.get(&index).copied());
    let location = match (index, first) {
        (Some(index), None) => {
            first_use.insert(index, position);
            Location::Segment { index }
        }
        _ => position_location,
    };
    if let (Some(index), Some(first)) = (index, first) {
        let message = format!(
            "{index} is already used by the segment at position {first}; give each segment its own number"
        );
        problems.add(&location, Some("segment_index"), message);
    }
    let prompt = match read_prompt(map.get("prompt_text"), settings.max_prompt_chars) {
        Ok(prompt) => Some(prompt),
        Err(message) => {
            if !misspelled(map, Field::PromptText) {
                problems.add(&location, Some("prompt_text"), message);
            }
            None
        }
    };
    let own = read_layer(map, &location, problems);
    let is_pro = own.is_pro.or(defaults.is_pro).unwrap_or(false);
    let duration_seconds = own
        .duration_seconds
        .or(defaults.duration_seconds)
        .unwrap_or(DEFAULT_DURATION);
    if !is_pro && !NORMAL_DURATIONS.contains(&duration_seconds) {
        let origin = if own.duration_seconds.is_none() {
            " (from \"defaults\")"
        } else {
            ""
        };
        let message = format!(
            "{duration_seconds}{origin} needs \"is_pro\": true (normal mode allows {})",
            or_list(&NORMAL_DURATIONS)
        );
        problems.add(&location, Some("duration_seconds"), message);
    }
    Some(Segment {
        index: index?,
        prompt: prompt?,
        image_url: own.image_url.or_else(|| defaults.image_url.clone()),
        is_pro,
        duration_seconds,
        resolution: own
            .resolution
            .or(defaults.resolution)
            .unwrap_or(Resolution::Horizontal),
        gen_count: own
            .gen_count
            .or(defaults.gen_count)
            .unwrap_or(settings.gen_count),
        director_intent: own
            .director_intent
            .or_else(|| defaults.director_intent.clone()),
    })
}

/// Is `field` absent because an unknown key of `map` is its misspelling? Then a "missing"
/// problem would only repeat the unknown-key one, which already names the fix.
fn misspelled(map: &Map<String, Value>, field: Field) -> bool {
    let absent = map.get(field.name()).is_none_or(Value::is_null);
    let names = Field::ALL.map(Field::name);
    absent
        && map.keys().any(|key| {
            !is_comment(key)
                && Field::from_name(key).is_none()
                && suggest(key, &names) == Some(field.name())
        })
}

/// Reads the optional fields of a segment or of `defaults`, and flags unknown keys.
fn read_layer(map: &Map<String, Value>, location: &Location, problems: &mut Problems) -> Layer {
    let in_defaults = *location == Location::Defaults;
    let mut layer = Layer::default();
    for (key, value) in map {
        if is_comment(key) {
            continue;
        }
        let Some(field) = Field::from_name(key) else {
            let allowed: Vec<&str> = Field::ALL
                .into_iter()
                .filter(|field| !in_defaults || field.has_default())
                .map(Field::name)
                .collect();
            problems.add(location, Some(key), unknown_key(key, &allowed));
            continue;
        };
        if !field.has_default() {
            if in_defaults {
                let message = "cannot have a default; set it on each segment";
                problems.add(location, Some(key), message);
            }
            continue;
        }
        if let Err(message) = read_optional(field, value, &mut layer) {
            problems.add(location, Some(key), message);
        }
    }
    layer
}

/// Stores one optional field's value in `layer`; `null` means "not set here".
fn read_optional(field: Field, value: &Value, layer: &mut Layer) -> Result<(), String> {
    if value.is_null() {
        return Ok(());
    }
    match field {
        Field::ImageUrl => layer.image_url = read_image_url(value)?,
        Field::IsPro => {
            let flag = value
                .as_bool()
                .ok_or_else(|| expected("true or false", value))?;
            layer.is_pro = Some(flag);
        }
        Field::DurationSeconds => {
            let seconds = read_whole_number(value, "a number of seconds (10, 15 or 25)")?;
            if !PRO_DURATIONS.contains(&seconds) {
                return Err(format!(
                    "{seconds} is not offered (normal mode allows {}; pro mode allows {})",
                    or_list(&NORMAL_DURATIONS),
                    or_list(&PRO_DURATIONS)
                ));
            }
            layer.duration_seconds = Some(seconds);
        }
        Field::Resolution => layer.resolution = Some(read_resolution(value)?),
        Field::GenCount => {
            let count = read_whole_number(value, "a number of versions")?;
            if !(1..=MAX_GEN_COUNT).contains(&count) {
                return Err(format!(
                    "{count} is not allowed (versions per segment: 1 to {MAX_GEN_COUNT})"
                ));
            }
            layer.gen_count = Some(count);
        }
        Field::DirectorIntent => {
            let text = value.as_str().ok_or_else(|| expected("text", value))?;
            layer.director_intent = Some(text.to_string());
        }
        Field::SegmentIndex | Field::PromptText => unreachable!("read by check_segment"),
    }
    Ok(())
}

pub(super) fn read_index(value: Option<&Value>) -> Result<u32, String> {
    let value = match value {
        None | Some(Value::Null) => {
            return Err("missing; every segment needs a unique number from 1 up".to_string());
        }
        Some(value) => value,
    };
    let index = read_whole_number(value, "a whole number from 1 up")?;
    if index == 0 {
        return Err("0 is not allowed; segment numbers start at 1".to_string());
    }
    Ok(index)
}

fn read_prompt(value: Option<&Value>, max_chars: usize) -> Result<String, String> {
    match value {
        None | Some(Value::Null) => Err("missing; write what the video should show".to_string()),
        Some(Value::String(text)) => {
            text::check_prompt(text, max_chars)?;
            Ok(text.clone())
        }
        Some(other) => Err(expected("text", other)),
    }
}

/// An http(s) link, or nothing: `""` is accepted as "no image" (the reference tool's
/// template used it).
fn read_image_url(value: &Value) -> Result<Option<String>, String> {
    let text = value
        .as_str()
        .ok_or_else(|| expected("an http(s) link", value))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    if let Some(problem) = text::link_problem(text) {
        return Err(format!("{} {problem}", quote(text)));
    }
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(Some(text.to_string()))
        }
        Ok(url) => Err(format!(
            "{} is a {}: link; the provider fetches the image itself, so use an http:// or https:// link",
            quote(text),
            url.scheme()
        )),
        Err(_) => Err(format!(
            "{} is not a web address; use an http:// or https:// link to the image",
            quote(text)
        )),
    }
}

fn read_resolution(value: &Value) -> Result<Resolution, String> {
    const ALLOWED: &str = "allowed: \"horizontal\" for 16:9, \"vertical\" for 9:16";
    let text = value
        .as_str()
        .ok_or_else(|| format!("{} ({ALLOWED})", expected("text", value)))?;
    match text {
        "horizontal" => return Ok(Resolution::Horizontal),
        "vertical" => return Ok(Resolution::Vertical),
        _ => {}
    }
    let lower = text.trim().to_ascii_lowercase();
    let guess = match lower.as_str() {
        "horizontal" | "landscape" | "16:9" | "wide" | "h" => Some("horizontal"),
        "vertical" | "portrait" | "9:16" | "tall" | "v" => Some("vertical"),
        _ => None,
    };
    Err(match guess {
        Some(guess) => format!(
            "{} is not a resolution; did you mean \"{guess}\"? ({ALLOWED})",
            quote(text)
        ),
        None => format!("{} is not a resolution ({ALLOWED})", quote(text)),
    })
}

/// A non-negative integer that fits in u32; `what` describes the expectation.
fn read_whole_number(value: &Value, what: &str) -> Result<u32, String> {
    if let Some(number) = value.as_u64() {
        return u32::try_from(number).map_err(|_| format!("{number} is too large"));
    }
    if let Some(number) = value.as_i64() {
        return Err(format!("{number} is not allowed; expected {what}"));
    }
    Err(expected(what, value))
}

/// `expected X, found Y`, with a hint when the value is a number or flag written as text.
fn expected(what: &str, found: &Value) -> String {
    let mut message = format!("expected {what}, found {}", describe(found));
    if let Value::String(text) = found {
        let bare: Option<Value> = serde_json::from_str(text.trim()).ok();
        if bare.is_some_and(|bare| bare.is_number() || bare.is_boolean()) {
            message.push_str(&format!(" (write {} without quotes)", text.trim()));
        }
    }
    message
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => format!("the text {}", quote(text)),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

/// A string for a message: JSON-quoted, and cut short when long.
fn quote(text: &str) -> String {
    const LIMIT: usize = 60;
    if text.chars().count() <= LIMIT {
        return serde_json::to_string(text).expect("a string always serializes");
    }
    let cut: String = text.chars().take(LIMIT).collect();
    let quoted = serde_json::to_string(&cut).expect("a string always serializes");
    format!("{}…\"", &quoted[..quoted.len() - 1])
}

fn or_list(values: &[u32]) -> String {
    match values {
        [] => String::new(),
        [only] => only.to_string(),
        [rest @ .., last] => {
            let rest: Vec<String> = rest.iter().map(u32::to_string).collect();
            format!("{} or {last}", rest.join(", "))
        }
    }
}

/// Keys that start with `_` are comments, anywhere in the file.
fn is_comment(key: &str) -> bool {
    key.starts_with('_')
}
