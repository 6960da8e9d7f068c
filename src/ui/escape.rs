//! The one escaping of text for a terminal or a log line. Everything printed that did not
//! come from this program's own string literals (provider messages, file names, values
//! from flags and the environment) passes through [`escaped`]: the log lines' fields
//! (see [`super::fields`]), the summary and plan, and the errors of `main`. An ESC must not
//! drive the user's terminal, and a line break must not start a fake `error:` line.

use std::fmt::Display;

/// `text` safe for a terminal and a log line: line breaks and tabs become spaces, other
/// control characters (ESC, the C0 and C1 sets) and bidirectional overrides are written
/// as `\u{..}` escapes; at most `max_chars` characters, ending in `…` when cut.
pub fn escaped(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(2)));
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if is_unprintable(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    bounded(&out, max_chars)
}

/// Any value's text, [`escaped`] whole: for names and messages in printed lines.
pub fn printable(value: impl Display) -> String {
    escaped(&value.to_string(), usize::MAX)
}

/// Whether `c` would change what a terminal shows rather than show itself.
pub fn is_unprintable(c: char) -> bool {
    c.is_control()
        // Bidirectional marks and overrides reorder what a terminal shows; the line and
        // paragraph separators break lines.
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// At most `max_chars` characters, ending in `…` when cut.
pub fn bounded(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_has_no_control_character_and_no_line_break() {
        let hostile = "a\x1b[2J\nerror: fake\r\u{9b}1m\u{202e}";
        let shown = printable(hostile);
        assert!(!shown.chars().any(is_unprintable), "{shown:?}");
        assert_eq!(shown, "a\\u{1b}[2J error: fake \\u{9b}1m\\u{202e}");
        assert_eq!(printable("storyboard é.json"), "storyboard é.json");
    }
}
