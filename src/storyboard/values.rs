//! One value checked against its field's [`Kind`] from spec.rs: the JSON type, the allowed
//! values or range, and the text rules; `Err` is the problem's message, naming what was
//! expected, what was found and, where it can guess, the fix.

use serde_json::Value;

use super::continuity::{self, Character, RemixOf};
use super::spec::{Field, Kind, Presence, STYLES, or_list};
use super::{Resolution, SegmentSettings};
use super::{images, text};

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
) -> Result<Checked, String> {
    let missing = missing(field);
    match value {
        None | Some(Value::Null) => Err(missing.to_string()),
        Some(value) => {
            check(&field.spec().kind, value, settings)?.ok_or_else(|| missing.to_string())
        }
    }
}

/// Checks the value of a whole-number field a segment must have (its number), which
/// needs none of the run's settings.
pub(super) fn required_number(field: Field, value: Option<&Value>) -> Result<u32, String> {
    let missing = missing(field);
    match (&field.spec().kind, value) {
        (_, None | Some(Value::Null)) => Err(missing.to_string()),
        (
            Kind::Whole {
                what,
                allowed,
                refused,
            },
            Some(value),
        ) => {
            let number = whole_number(value, what)?;
            match allowed.contains(number) {
                true => Ok(number),
                false => Err(refused(number)),
            }
        }
        (_, Some(_)) => Err("expected a whole number".to_string()),
    }
}

fn missing(field: Field) -> &'static str {
    match field.spec().presence {
        Presence::Required { missing } => missing,
        Presence::Optional { .. } => "missing",
    }
}

/// Checks a present value; `Ok(None)` means "not set" (`null`, or a blank link).
pub(super) fn check(
    kind: &Kind,
    value: &Value,
    settings: &SegmentSettings,
) -> Result<Option<Checked>, String> {
    if value.is_null() {
        return Ok(None);
    }
    let checked = match kind {
        Kind::Whole {
            what,
            allowed,
            refused,
        } => {
            let number = whole_number(value, what)?;
            if !allowed.contains(number) {
                return Err(refused(number));
            }
            Checked::Number(number)
        }
        Kind::Duration => {
            let durations = &settings.durations;
            let what = format!("a number of seconds ({})", or_list(&durations.all()));
            let seconds = whole_number(value, &what)?;
            if !durations.offers(seconds) {
                return Err(durations.refused(seconds));
            }
            Checked::Number(seconds)
        }
        Kind::Flag => Checked::Flag(
            value
                .as_bool()
                .ok_or_else(|| expected("true or false", value))?,
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

fn text_of(value: &Value) -> Result<&str, String> {
    value.as_str().ok_or_else(|| expected("text", value))
}

/// An http(s) link, a path to an image file (checked against the disk later, by
/// images.rs), or nothing: `""` is accepted as "no image" (the reference tool's template
/// used it).
fn link(value: &Value) -> Result<Option<Checked>, String> {
    let text = value
        .as_str()
        .ok_or_else(|| expected("an http(s) link or an image file's path", value))?;
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
pub fn check_web_link(text: &str) -> Result<(), String> {
    if !images::is_link(text) {
        return Err(format!(
            "{} is not an http:// or https:// link",
            quote(text)
        ));
    }
    if let Some(problem) = text::link_problem(text) {
        return Err(format!("{} {problem}", quote(text)));
    }
    match url::Url::parse(text) {
        Ok(url) if url.host().is_some() => Ok(()),
        _ => Err(format!(
            "{} is not a web address; use an http:// or https:// link to the image",
            quote(text)
        )),
    }
}

/// A path to an image on disk: no control or invisible characters, and not a link of
/// another kind (`file:`, `data:`, …), which no provider fetches. A one-letter scheme is a
/// Windows drive (`C:\frames\a.png`).
fn image_path(text: &str) -> Result<(), String> {
    if let Some(problem) = text::path_problem(text) {
        return Err(format!("{} {problem}", quote(text)));
    }
    match url::Url::parse(text) {
        Ok(url) if url.scheme().len() > 1 => Err(format!(
            "{} is a {}: link; use an http:// or https:// link, or the image file's path \
             (relative to the storyboard's folder, or absolute)",
            quote(text),
            url.scheme()
        )),
        _ => Ok(()),
    }
}

/// One of [`STYLES`]; the message offers the closest when the case or spacing differs.
fn style(value: &Value) -> Result<String, String> {
    let allowed = STYLES.join(", ");
    let text = value
        .as_str()
        .ok_or_else(|| format!("{} (allowed: {allowed})", expected("text", value)))?;
    if STYLES.contains(&text) {
        return Ok(text.to_string());
    }
    let lower = text.trim().trim_matches(['{', '}']).to_ascii_lowercase();
    Err(match STYLES.iter().find(|style| **style == lower) {
        Some(guess) => format!(
            "{} is not a style; did you mean \"{guess}\"? (allowed: {allowed})",
            quote(text)
        ),
        None => format!("{} is not a style (allowed: {allowed})", quote(text)),
    })
}

fn resolution(value: &Value) -> Result<Resolution, String> {
    let allowed = Resolution::ALL
        .map(|r| format!("\"{}\" for {}", r.as_str(), r.ratio()))
        .join(", ");
    let text = value
        .as_str()
        .ok_or_else(|| format!("{} (allowed: {allowed})", expected("text", value)))?;
    if let Some(found) = Resolution::ALL.into_iter().find(|r| r.as_str() == text) {
        return Ok(found);
    }
    let lower = text.trim().to_ascii_lowercase();
    let guess = match lower.as_str() {
        "horizontal" | "landscape" | "16:9" | "wide" | "h" => Some("horizontal"),
        "vertical" | "portrait" | "9:16" | "tall" | "v" => Some("vertical"),
        _ => None,
    };
    Err(match guess {
        Some(guess) => format!(
            "{} is not a resolution; did you mean \"{guess}\"? (allowed: {allowed})",
            quote(text)
        ),
        None => format!("{} is not a resolution (allowed: {allowed})", quote(text)),
    })
}

/// `WIDTHxHEIGHT` in pixels, or a size's name (the draw API's `small`, `large`); which
/// sizes are offered is checked with the mode and the provider.
fn size(value: &Value) -> Result<String, String> {
    let what = "a size like \"1280x720\" (width x height in pixels) or \"small\"";
    let text = value.as_str().ok_or_else(|| expected(what, value))?;
    let named = (1..=16).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_lowercase());
    let shaped = named
        || text.split_once('x').is_some_and(|(width, height)| {
            [width, height].iter().all(|n| {
                !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())
            })
        });
    match shaped {
        true => Ok(text.to_string()),
        false => Err(format!("{} is not {what}", quote(text))),
    }
}

/// A non-negative integer that fits in u32; `what` describes the expectation.
pub(super) fn whole_number(value: &Value, what: &str) -> Result<u32, String> {
    if let Some(number) = value.as_u64() {
        return u32::try_from(number).map_err(|_| format!("{number} is too large"));
    }
    if let Some(number) = value.as_i64() {
        return Err(format!("{number} is not allowed; expected {what}"));
    }
    Err(expected(what, value))
}

/// `expected X, found Y`, with a hint when the value is a number or flag written as text.
pub(super) fn expected(what: &str, found: &Value) -> String {
    let mut message = format!("expected {what}, found {}", describe(found));
    if let Value::String(text) = found {
        let bare: Option<Value> = serde_json::from_str(text.trim()).ok();
        if bare.is_some_and(|bare| bare.is_number() || bare.is_boolean()) {
            message.push_str(&format!(" (write {} without quotes)", text.trim()));
        }
    }
    message
}

pub(super) fn describe(value: &Value) -> String {
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
pub(super) fn quote(text: &str) -> String {
    const LIMIT: usize = 60;
    if text.chars().count() <= LIMIT {
        return serde_json::to_string(text).expect("a string always serializes");
    }
    let cut: String = text.chars().take(LIMIT).collect();
    let quoted = serde_json::to_string(&cut).expect("a string always serializes");
    format!("{}…\"", &quoted[..quoted.len() - 1])
}
