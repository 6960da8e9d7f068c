//! One value checked against its field's [`Kind`] from spec.rs: the JSON type, the allowed
//! values or range, and the text rules; `Err` is the problem's message, naming what was
//! expected, what was found and, where it can guess, the fix.

use serde_json::Value;

use super::continuity::{self, Character, RemixOf};
use super::spec::{Field, Kind, Presence, STYLES, or_list};
use super::{Resolution, SegmentSettings};
use super::{images, text};
use crate::i18n::Message;

/// A value that passed its field's checks.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Checked {
    Number(u32),
    Flag(bool),
    Text(String),
    Resolution(Resolution),
    Remix(RemixOf),
    Characters(Vec<Character>),
}

/// Checks the value of a field a segment must have; `None` (absent) and `null` are missing.
pub(super) fn required(
    field: Field,
    value: Option<&Value>,
    settings: &SegmentSettings,
) -> Result<Checked, Message> {
    let missing = missing(field);
    match value {
        None | Some(Value::Null) => Err(missing),
        Some(value) => check(&field.spec().kind, value, settings)?.ok_or(missing),
    }
}

/// Checks the value of a whole-number field a segment must have (its number), which
/// needs none of the run's settings.
pub(super) fn required_number(field: Field, value: Option<&Value>) -> Result<u32, Message> {
    let missing = missing(field);
    match (&field.spec().kind, value) {
        (_, None | Some(Value::Null)) => Err(missing),
        (
            Kind::Whole {
                what,
                allowed,
                refused,
            },
            Some(value),
        ) => {
            let number = whole_number(value, what())?;
            match allowed.contains(number) {
                true => Ok(number),
                false => Err(refused(number)),
            }
        }
        (_, Some(_)) => Err(Message::new("storyboard.expected_whole")),
    }
}

fn missing(field: Field) -> Message {
    match field.spec().presence {
        Presence::Required { missing } => missing(),
        Presence::Optional { .. } => Message::new("storyboard.missing_value"),
    }
}

/// Checks a present value; `Ok(None)` means "not set" (`null`, or a blank link).
pub(super) fn check(
    kind: &Kind,
    value: &Value,
    settings: &SegmentSettings,
) -> Result<Option<Checked>, Message> {
    if value.is_null() {
        return Ok(None);
    }
    let checked = match kind {
        Kind::Whole {
            what,
            allowed,
            refused,
        } => {
            let number = whole_number(value, what())?;
            if !allowed.contains(number) {
                return Err(refused(number));
            }
            Checked::Number(number)
        }
        Kind::Duration => {
            let durations = &settings.durations;
            let what = Message::new("storyboard.what.seconds")
                .with_text("list", or_list(&durations.all()));
            let seconds = whole_number(value, what)?;
            if !durations.offers(seconds) {
                return Err(durations.refused(seconds));
            }
            Checked::Number(seconds)
        }
        Kind::Flag => Checked::Flag(
            value
                .as_bool()
                .ok_or_else(|| expected(Message::new("storyboard.what.flag"), value))?,
        ),
        Kind::Text => Checked::Text(text_of(value)?.to_string()),
        Kind::Prompt => {
            let prompt = text_of(value)?;
            text::check_prompt(prompt, settings.max_prompt_chars)?;
            Checked::Text(prompt.to_string())
        }
        Kind::Link => return link(value),
        Kind::Resolution => Checked::Resolution(resolution(value)?),
        Kind::Size => Checked::Text(size(value)?),
        Kind::Remix => Checked::Remix(continuity::remix_of(value)?),
        Kind::Characters => Checked::Characters(continuity::characters(value)?),
        Kind::Style => Checked::Text(style(value)?),
    };
    Ok(Some(checked))
}

fn text_of(value: &Value) -> Result<&str, Message> {
    value.as_str().ok_or_else(|| expected(what_text(), value))
}

/// An http(s) link, a path to an image file (checked against the disk later, by
/// images.rs), or nothing: `""` is accepted as "no image" (the reference tool's template
/// used it).
fn link(value: &Value) -> Result<Option<Checked>, Message> {
    let text = value
        .as_str()
        .ok_or_else(|| expected(Message::new("storyboard.what.link_or_path"), value))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    if !images::is_link(text) {
        return image_path(text).map(|()| Some(Checked::Text(text.to_string())));
    }
    check_web_link(text).map(|()| Some(Checked::Text(text.to_string())))
}

/// Whether `text` is a link a provider can fetch as written: `http://` or `https://`
/// with a host, without the characters [`text::link_problem`] names. `Err` says why
/// not, quoting it.
pub fn check_web_link(text: &str) -> Result<(), Message> {
    if !images::is_link(text) {
        return Err(Message::new("storyboard.link.not_http").with("value", quote(text)));
    }
    if let Some(problem) = text::link_problem(text) {
        return Err(quoted_problem(text, problem));
    }
    match url::Url::parse(text) {
        Ok(url) if url.host().is_some() => Ok(()),
        _ => Err(Message::new("storyboard.link.no_host").with("value", quote(text))),
    }
}

/// A path to an image on disk: no control or invisible characters, and not a link of
/// another kind (`file:`, `data:`, …), which no provider fetches. A one-letter scheme is a
/// Windows drive (`C:\frames\a.png`).
fn image_path(text: &str) -> Result<(), Message> {
    if let Some(problem) = text::path_problem(text) {
        return Err(quoted_problem(text, problem));
    }
    match url::Url::parse(text) {
        Ok(url) if url.scheme().len() > 1 => Err(Message::new("storyboard.link.other_scheme")
            .with("value", quote(text))
            .with("scheme", url.scheme())),
        _ => Ok(()),
    }
}

/// `"text" contains …`: a value quoted, then what is wrong with it.
pub(super) fn quoted_problem(text: &str, problem: Message) -> Message {
    Message::new("storyboard.quoted_problem")
        .with("value", quote(text))
        .with_text("problem", problem)
}

/// One of [`STYLES`]; the message offers the closest when the case or spacing differs.
fn style(value: &Value) -> Result<String, Message> {
    let text = value
        .as_str()
        .ok_or_else(|| with_allowed(expected(what_text(), value), &STYLES))?;
    if STYLES.contains(&text) {
        return Ok(text.to_string());
    }
    let lower = text.trim().trim_matches(['{', '}']).to_ascii_lowercase();
    let message = match STYLES.iter().find(|style| **style == lower) {
        Some(guess) => Message::new("storyboard.style.guess").with("guess", guess),
        None => Message::new("storyboard.style.unknown"),
    };
    Err(message
        .with("value", quote(text))
        .with_list("allowed", STYLES))
}

fn resolution(value: &Value) -> Result<Resolution, Message> {
    let [horizontal, vertical] = Resolution::ALL;
    let allowed = Message::new("storyboard.resolution.allowed")
        .with("horizontal", horizontal.as_str())
        .with("horizontal_ratio", horizontal.ratio())
        .with("vertical", vertical.as_str())
        .with("vertical_ratio", vertical.ratio());
    let text = value.as_str().ok_or_else(|| {
        Message::new("storyboard.with_allowed")
            .with_text("message", expected(what_text(), value))
            .with_text("allowed", allowed.clone())
    })?;
    if let Some(found) = Resolution::ALL.into_iter().find(|r| r.as_str() == text) {
        return Ok(found);
    }
    let lower = text.trim().to_ascii_lowercase();
    let guess = match lower.as_str() {
        "horizontal" | "landscape" | "16:9" | "wide" | "h" => Some("horizontal"),
        "vertical" | "portrait" | "9:16" | "tall" | "v" => Some("vertical"),
        _ => None,
    };
    let message = match guess {
        Some(guess) => Message::new("storyboard.resolution.guess").with("guess", guess),
        None => Message::new("storyboard.resolution.unknown"),
    };
    Err(message
        .with("value", quote(text))
        .with_text("allowed", allowed))
}

/// `WIDTHxHEIGHT` in pixels, or a size's name (the draw API's `small`, `large`); which
/// sizes are offered is checked with the mode and the provider.
fn size(value: &Value) -> Result<String, Message> {
    let what = || Message::new("storyboard.what.size");
    let text = value.as_str().ok_or_else(|| expected(what(), value))?;
    let named = (1..=16).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_lowercase());
    let shaped = named
        || text.split_once('x').is_some_and(|(width, height)| {
            [width, height].iter().all(|n| {
                !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())
            })
        });
    match shaped {
        true => Ok(text.to_string()),
        false => Err(Message::new("storyboard.size.not_a_size")
            .with("value", quote(text))
            .with_text("what", what())),
    }
}

/// A non-negative integer that fits in u32; `what` describes the expectation.
pub(super) fn whole_number(value: &Value, what: Message) -> Result<u32, Message> {
    if let Some(number) = value.as_u64() {
        return u32::try_from(number)
            .map_err(|_| Message::new("storyboard.too_large").with("number", number));
    }
    if let Some(number) = value.as_i64() {
        return Err(Message::new("storyboard.negative")
            .with("number", number)
            .with_text("what", what));
    }
    Err(expected(what, value))
}

/// `expected X, found Y`, with a hint when the value is a number or flag written as text.
pub(super) fn expected(what: Message, found: &Value) -> Message {
    let bare = match found {
        Value::String(text) => serde_json::from_str::<Value>(text.trim())
            .ok()
            .filter(|bare| bare.is_number() || bare.is_boolean())
            .map(|_| text.trim()),
        _ => None,
    };
    let message = match bare {
        Some(bare) => Message::new("storyboard.expected_unquote").with("bare", bare),
        None => Message::new("storyboard.expected"),
    };
    message
        .with_text("what", what)
        .with_text("found", describe(found))
}

/// `MESSAGE (allowed: A, B)`.
fn with_allowed(message: Message, allowed: &[&str]) -> Message {
    Message::new("storyboard.with_allowed")
        .with_text("message", message)
        .with_list("allowed", allowed)
}

/// What `expected` says of a text field.
pub(super) fn what_text() -> Message {
    Message::new("storyboard.what.text")
}

/// A JSON value as a problem names it: `null`, `a list`, `the text "x"`.
pub(super) fn describe(value: &Value) -> Message {
    let plain =
        |value: &dyn std::fmt::Display| Message::new("storyboard.plain").with("value", value);
    match value {
        Value::Null => plain(&"null"),
        Value::Bool(flag) => plain(flag),
        Value::Number(number) => plain(number),
        Value::String(text) => Message::new("storyboard.found.text").with("text", quote(text)),
        Value::Array(_) => Message::new("storyboard.found.list"),
        Value::Object(_) => Message::new("storyboard.found.object"),
    }
}

/// A string for a message: JSON-quoted, and cut short when long.
pub(super) fn quote(text: &str) -> String {
    const LIMIT: usize = 60;
    if text.chars().count() <= LIMIT {
        return serde_json::to_string(text).expect("a string always serializes");
    }
    let cut: String = text.chars().take(LIMIT).collect();
    let quoted = serde_json::to_string(&cut).expect("a string always serializes");
    format!("{}…\"", &quoted[..quoted.len() - 1])
}
