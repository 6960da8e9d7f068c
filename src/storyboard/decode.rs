//! Bytes to JSON: encoding checks (UTF-8, with or without a BOM) and syntax errors that
//! carry line and column.

use serde_json::Value;

use super::Location;
use super::duplicates::{self, Duplicate};
use crate::i18n::Message;

/// A storyboard's JSON, and the keys it writes more than once (the value keeps the last).
#[derive(Debug)]
pub(super) struct Parsed {
    pub value: Value,
    pub duplicates: Vec<Duplicate>,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

pub(super) fn decode(bytes: &[u8]) -> Result<Parsed, (Location, Message)> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err((Location::File, Message::new("storyboard.json.utf16")));
    }
    let had_bom = bytes.starts_with(UTF8_BOM);
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|err| {
        let offset = err.valid_up_to();
        let (line, column) = line_and_column(&bytes[..offset]);
        (
            Location::Text { line, column },
            Message::new("storyboard.json.not_utf8").with("byte", format!("{:02X}", bytes[offset])),
        )
    })?;
    if text.trim().is_empty() {
        return Err((Location::File, Message::new("storyboard.json.empty")));
    }
    let (value, duplicates) = duplicates::parse(text).map_err(|err| {
        let location = Location::Text {
            line: err.line(),
            column: char_column(text, err.line(), err.column()),
        };
        let message = if bom_at(text, err.line(), err.column()) {
            match had_bom && err.line() == 1 && err.column() == 1 {
                true => Message::new("storyboard.json.second_bom"),
                false => Message::new("storyboard.json.bom"),
            }
        } else {
            let message =
                Message::new("storyboard.json.invalid").with("error", without_position(&err));
            match slip_at(text, err.line(), err.column()) {
                Some(slip) => message.with_text("hint", slip),
                None => message.with("hint", ""),
            }
        };
        (location, message)
    })?;
    Ok(Parsed { value, duplicates })
}

/// Is there a BOM at serde_json's error position (1-based line, 1-based byte column)?
fn bom_at(text: &str, line: usize, column: usize) -> bool {
    rest_of_line(text, line, column).is_some_and(|rest| rest.starts_with('\u{FEFF}'))
}

/// The text of a line from serde_json's (1-based line, 1-based byte column) on.
fn rest_of_line(text: &str, line: usize, column: usize) -> Option<&str> {
    let line = text.split('\n').nth(line.saturating_sub(1))?;
    line.get(column.saturating_sub(1)..)
}

/// serde_json counts columns in bytes; people (and editors) count characters.
fn char_column(text: &str, line: usize, byte_column: usize) -> usize {
    let Some(line) = text.split('\n').nth(line.saturating_sub(1)) else {
        return byte_column;
    };
    let mut end = byte_column.saturating_sub(1).min(line.len());
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    line[..end].chars().count() + 1
}

/// The usual reason for a syntax error at this spot, for storyboards written in an editor
/// set up for Chinese (full-width punctuation, curly quotes) or by someone used to
/// JavaScript (comments).
fn slip_at(text: &str, line: usize, column: usize) -> Option<Message> {
    let rest = rest_of_line(text, line, column)?;
    let slip = match rest.chars().next()? {
        '，' | '、' => Message::new("storyboard.json.slip.comma"),
        '：' => Message::new("storyboard.json.slip.colon"),
        '“' | '”' | '‘' | '’' | '＂' => Message::new("storyboard.json.slip.quote"),
        '/' if rest.starts_with("//") || rest.starts_with("/*") => {
            Message::new("storyboard.json.slip.comment")
        }
        _ => return None,
    };
    Some(slip)
}

/// serde_json appends " at line L column C" to its messages; we print the position ourselves.
fn without_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// 1-based line and column of the byte just after `before`.
fn line_and_column(before: &[u8]) -> (usize, usize) {
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}
