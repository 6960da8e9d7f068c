//! JSON parsing that notices duplicate keys. serde_json keeps the last of two equal keys
//! in an object without a word, so a second `prompt_text` or `segments` would silently
//! replace the first; this builds the same [`Value`] while noting every repeated key and
//! where it is, for the checks to report.

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::{Location, fields};
use crate::i18n::Message;

/// One step from the top of the document down to a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    Key(String),
    /// 0-based place in a list.
    Item(usize),
}

/// A key written more than once in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Duplicate {
    /// Where the object is (empty: the top level).
    pub object: Vec<Step>,
    pub key: String,
    /// How many times it is written (2 or more).
    pub times: usize,
}

/// Parses `text` into a value (the last of equal keys wins, as in serde_json) and the
/// list of keys written more than once.
pub(super) fn parse(text: &str) -> Result<(Value, Vec<Duplicate>), serde_json::Error> {
    let tracker = Tracker::default();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = Seed(&tracker).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok((value, tracker.found.into_inner()))
}

#[derive(Default)]
struct Tracker {
    /// The path to the value being read: pushed and popped as the parser goes down and up.
    path: RefCell<Vec<Step>>,
    found: RefCell<Vec<Duplicate>>,
}

#[derive(Clone, Copy)]
struct Seed<'a>(&'a Tracker);

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        // JSON text cannot spell NaN or infinity; null is serde_json's own answer for them.
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_string()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            self.0.path.borrow_mut().push(Step::Item(items.len()));
            let item = seq.next_element_seed(self);
            self.0.path.borrow_mut().pop();
            match item? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        // Keys seen more than once here, with their count.
        let mut repeated: Vec<(String, usize)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            self.0.path.borrow_mut().push(Step::Key(key.clone()));
            let value = map.next_value_seed(self);
            self.0.path.borrow_mut().pop();
            let value = value?;
            if object.contains_key(&key) {
                match repeated.iter_mut().find(|(seen, _)| *seen == key) {
                    Some((_, times)) => *times += 1,
                    None => repeated.push((key.clone(), 2)),
                }
            }
            object.insert(key, value);
        }
        if !repeated.is_empty() {
            let path = self.0.path.borrow().clone();
            let mut found = self.0.found.borrow_mut();
            found.extend(repeated.into_iter().map(|(key, times)| Duplicate {
                object: path.clone(),
                key,
                times,
            }));
        }
        Ok(Value::Object(object))
    }
}

/// Where a duplicate is, as a problem names it: the file's top level, `defaults`, or a
/// segment (by its `segment_index` when it has a usable one), and the key's path from there.
pub(super) fn locate(duplicate: &Duplicate, segments: &[Value]) -> (Location, String) {
    let mut rest = duplicate.object.as_slice();
    let location = match rest {
        [Step::Key(key), tail @ ..] if key == "defaults" => {
            rest = tail;
            Location::Defaults
        }
        [Step::Key(key), Step::Item(offset), tail @ ..] if key == "segments" => {
            rest = tail;
            let index = segments
                .get(*offset)
                .and_then(|segment| fields::read_index(segment.get("segment_index")).ok());
            index.map_or(
                Location::Position {
                    position: offset + 1,
                },
                |index| Location::Segment { index },
            )
        }
        _ => Location::File,
    };
    let mut field = String::new();
    for step in rest {
        match step {
            Step::Key(key) => {
                field.push_str(key);
                field.push('.');
            }
            Step::Item(offset) => {
                field.pop();
                field.push_str(&format!("[{offset}]."));
            }
        }
    }
    field.push_str(&duplicate.key);
    (location, field)
}

/// The problem's text: JSON keeps only the last value, so the others would be lost.
pub(super) fn message(duplicate: &Duplicate) -> Message {
    let message = match duplicate.object.is_empty() && duplicate.key == "segments" {
        true => Message::new("storyboard.duplicate.segments"),
        false => Message::new("storyboard.duplicate.key"),
    };
    message.with("times", duplicate.times)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_is_serde_jsons_and_repeats_are_listed_with_their_place() {
        let text =
            r#"{"a": 1, "b": [true, {"c": null, "c": 2.5, "c": "x"}], "a": -3, "segments": []}"#;
        let (value, found) = parse(text).unwrap();
        assert_eq!(value, serde_json::from_str::<Value>(text).unwrap());
        assert_eq!(
            found,
            vec![
                Duplicate {
                    object: vec![Step::Key("b".into()), Step::Item(1)],
                    key: "c".into(),
                    times: 3
                },
                Duplicate {
                    object: vec![],
                    key: "a".into(),
                    times: 2
                },
            ]
        );
    }

    #[test]
    fn syntax_errors_keep_their_position() {
        let err = parse("{\n  \"a\": 1,\n}").unwrap_err();
        assert_eq!((err.line(), err.column()), (3, 1));
        assert!(parse("{} x").is_err(), "trailing text is refused");
    }
}
