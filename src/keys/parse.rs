//! A list of keys in seed 004's JSON shape, `[{"key": "Bearer sk-…", "weight": 1,
//! "max_rpm": 60}, …]`, checked entry by entry. Every problem names the entry (1-based)
//! and the field; no message quotes a key or anything that may be one (a value, or a field
//! name that is not close to a known one).

use serde_json::{Map, Value};

use super::{Key, KeyError, KeySet, KeySource, MAX_KEYS, MAX_LABEL_CHARS, MAX_RPM, MAX_WEIGHT};
use crate::config::ApiKey;
use crate::i18n::Message;
use crate::provider::untrusted::KEY_LIKE_CHARS;

const FIELDS: &[&str] = &["key", "weight", "max_rpm", "label", "name"];
const SHAPE: &str = "[{\"key\": \"sk-…\", \"weight\": 1, \"max_rpm\": 60}, …]";

pub(super) fn list(text: &str, source: KeySource) -> Result<KeySet, KeyError> {
    let invalid = |problem: Message| KeyError::Invalid {
        place: source.clone(),
        problem,
    };
    // A bare key pasted here is not parsed (a parser's message could quote it).
    if !text.trim_start().starts_with('[') {
        return Err(invalid(
            Message::new("keys.not_a_list_bare").with("shape", SHAPE),
        ));
    }
    let items = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items,
        Ok(_) => {
            return Err(invalid(
                Message::new("keys.not_a_list").with("shape", SHAPE),
            ));
        }
        // Only syntax errors here (any JSON is a `Value`): they quote no text.
        Err(err) => {
            return Err(invalid(
                Message::new("keys.bad_json")
                    .with("line", err.line())
                    .with("column", err.column())
                    .with("shape", SHAPE),
            ));
        }
    };
    if items.is_empty() {
        return Err(invalid(Message::new("keys.empty").with("shape", SHAPE)));
    }
    if items.len() > MAX_KEYS {
        return Err(invalid(
            Message::new("keys.too_many")
                .with("n", items.len())
                .with("most", MAX_KEYS),
        ));
    }
    let mut keys: Vec<Key> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let key = entry(index, item).map_err(|problem| {
            invalid(
                Message::new("keys.entry")
                    .with("entry", index + 1)
                    .with_text("problem", problem),
            )
        })?;
        if let Some(earlier) = keys
            .iter()
            .position(|k| k.secret.expose() == key.secret.expose())
        {
            return Err(invalid(
                Message::new("keys.same_key")
                    .with("first", earlier + 1)
                    .with("second", index + 1),
            ));
        }
        if let Some(earlier) = keys.iter().position(|k| k.label == key.label) {
            return Err(invalid(
                Message::new("keys.same_label")
                    .with("first", earlier + 1)
                    .with("second", index + 1)
                    .with("label", &key.label),
            ));
        }
        keys.push(key);
    }
    Ok(KeySet { keys, source })
}

/// One entry, or what is wrong with it (the caller names the entry).
fn entry(index: usize, item: &Value) -> Result<Key, Message> {
    let Value::Object(fields) = item else {
        return Err(Message::new("keys.not_an_object"));
    };
    if let Some(unknown) = fields.keys().find(|name| !FIELDS.contains(&name.as_str())) {
        return Err(unknown_field(unknown));
    }
    let secret = secret(fields)?;
    let weight = whole(fields, "weight", MAX_WEIGHT)?.unwrap_or(1);
    let max_rpm = whole(fields, "max_rpm", MAX_RPM)?;
    let label = label(fields, &secret)?.unwrap_or_else(|| format!("key{}", index + 1));
    Ok(Key {
        label,
        secret,
        weight,
        max_rpm,
    })
}

/// A field name is printed only when it is a slip of a known one (`max_rmp`): anything
/// else may be a key written where a name goes.
fn unknown_field(name: &str) -> Message {
    let short = name.chars().count() <= 12;
    let close = FIELDS
        .iter()
        .find(|known| short && strsim::jaro_winkler(name, known) > 0.85);
    match close {
        Some(known) => Message::new("keys.unknown_field")
            .with("name", name)
            .with("known", known),
        None => Message::new("keys.unknown_field_hidden"),
    }
}

/// `key`: the key, with or without `Bearer ` in front.
fn secret(fields: &Map<String, Value>) -> Result<ApiKey, Message> {
    let Some(Value::String(text)) = fields.get("key") else {
        return Err(match fields.get("key") {
            None => Message::new("keys.no_key"),
            Some(_) => Message::new("keys.key_not_text"),
        });
    };
    let text = text.trim();
    let bare = match text.get(..6) {
        Some(word) if word.eq_ignore_ascii_case("bearer") && text[6..].starts_with([' ', '\t']) => {
            text[6..].trim_start()
        }
        Some(word) if word.eq_ignore_ascii_case("bearer") && text.len() == 6 => "",
        _ => text,
    };
    if bare.is_empty() {
        return Err(Message::new("keys.key_empty"));
    }
    let secret = ApiKey::new(bare);
    if let Some((what, position)) = secret.header_problem() {
        return Err(Message::new("keys.key_not_header")
            .with_text("what", what)
            .with("position", position));
    }
    Ok(secret)
}

/// A whole number from 1 to `most`, or `None` when absent or null.
fn whole(fields: &Map<String, Value>, name: &str, most: u32) -> Result<Option<u32>, Message> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .filter(|n| (1..=u64::from(most)).contains(n))
            .map(|n| Some(n as u32))
            .ok_or_else(|| {
                Message::new("keys.not_whole")
                    .with("name", name)
                    .with("most", most)
            }),
    }
}

/// `label` (or `name`): a short name for messages, never the key or a part of it.
fn label(fields: &Map<String, Value>, secret: &ApiKey) -> Result<Option<String>, Message> {
    let (field, value) = match (fields.get("label"), fields.get("name")) {
        (Some(_), Some(_)) => return Err(Message::new("keys.label_and_name")),
        (Some(value), None) => ("label", value),
        (None, Some(value)) => ("name", value),
        (None, None) => return Ok(None),
    };
    let rule = Message::new("keys.label_rule")
        .with("field", field)
        .with("most", MAX_LABEL_CHARS);
    let Value::String(text) = value else {
        return Err(rule);
    };
    let fits = (1..=MAX_LABEL_CHARS).contains(&text.chars().count())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !fits {
        return Err(rule);
    }
    let key = secret.expose();
    if text == key || (text.len() >= KEY_LIKE_CHARS && key.contains(text.as_str())) {
        return Err(Message::new("keys.label_is_key").with("field", field));
    }
    Ok(Some(text.clone()))
}
