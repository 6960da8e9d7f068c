//! The free text a segment sends to the provider, checked for what a careless editor or a
//! hostile file can put in it: a prompt of only invisible characters (blank, though not
//! empty), control characters (NUL, escape codes) that no model needs and that garble
//! logs, prompts longer than the provider takes, and links with spaces or line breaks.
//! The same character rules, as JSON Schema patterns, go into the schema.

use crate::i18n::Message;

/// The longest prompt sent, in characters, when the provider states no limit of its own.
/// Sora.hk documents none; this is far above any real shot description and far below a
/// file pasted by mistake.
pub const DEFAULT_MAX_PROMPT_CHARS: usize = 10_000;

/// Checks a prompt; `Err` is the problem's message.
pub(super) fn check_prompt(text: &str, max_chars: usize) -> Result<(), Message> {
    let allowed = |c: char| c == '\n' || c == '\t';
    if let Some(found) = first_unwanted(text, |c| c.is_control() && !allowed(c)) {
        return Err(Message::new("storyboard.prompt.control").with_text("found", found));
    }
    if text.chars().all(char::is_whitespace) {
        return Err(Message::new("storyboard.prompt.empty"));
    }
    if text.chars().all(is_invisible) {
        let example = text.chars().find(|c| !c.is_whitespace()).unwrap_or(' ');
        return Err(Message::new("storyboard.prompt.invisible").with("example", code(example)));
    }
    let length = text.chars().count();
    if length > max_chars {
        return Err(Message::new("storyboard.prompt.too_long")
            .with("length", length)
            .with("max", max_chars));
    }
    Ok(())
}

/// Why a link cannot be sent as written, if it cannot: a space, line break, control or
/// invisible character (a URL parser would drop or encode some of them silently, so the
/// provider would fetch another address than the one written).
pub(super) fn link_problem(text: &str) -> Option<Message> {
    first_unwanted(text, |c| c.is_control() || is_invisible(c))
        .map(|found| Message::new("storyboard.link.unwanted").with_text("found", found))
}

/// Why a path to an image file cannot be used as written: a control or invisible
/// character, or spaces around it (never part of a name anyone means); `None`: it can.
pub(super) fn path_problem(text: &str) -> Option<Message> {
    if text.trim() != text {
        return Some(Message::new("storyboard.path.spaces"));
    }
    first_unwanted(text, |c| c.is_control() || (is_invisible(c) && c != ' '))
        .map(|found| Message::new("storyboard.path.unwanted").with_text("found", found))
}

/// `the control character U+0000 at character 5 (and 2 more)`: the first character
/// `unwanted` matches, named and placed (1-based, in characters).
fn first_unwanted(text: &str, unwanted: impl Fn(char) -> bool) -> Option<Message> {
    let mut matches = text.chars().enumerate().filter(|(_, c)| unwanted(*c));
    let (offset, c) = matches.next()?;
    let more = matches.count();
    let name = match c {
        ' ' => Message::new("storyboard.char.space"),
        '\n' => Message::new("storyboard.char.line_break"),
        '\r' => Message::new("storyboard.char.carriage_return"),
        '\t' => Message::new("storyboard.char.tab"),
        c if c.is_control() => Message::new("storyboard.char.control").with("code", code(c)),
        c if c.is_whitespace() => Message::new("storyboard.char.white").with("code", code(c)),
        c => Message::new("storyboard.char.invisible").with("code", code(c)),
    };
    let found = match more {
        0 => Message::new("storyboard.char.at"),
        more => Message::new("storyboard.char.at_and_more").with("more", more),
    };
    Some(found.with_text("name", name).with("at", offset + 1))
}

/// `U+200B`.
fn code(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// Characters that show nothing: white space, zero-width spaces and joiners, direction
/// marks, invisible operators, fillers, variation selectors, tags and the other format
/// controls (Unicode's default-ignorable code points, interlinear annotation marks and
/// Egyptian hieroglyph format controls).
pub(super) fn is_invisible(c: char) -> bool {
    c.is_whitespace() || within(SHOW_NOTHING, c)
}

/// The invisible characters that are not white space, as ranges.
const SHOW_NOTHING: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180B}', '\u{180F}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{206F}'),
    ('\u{2800}', '\u{2800}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{FFF0}', '\u{FFFB}'),
    ('\u{13430}', '\u{1343F}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0000}', '\u{E0FFF}'),
];

/// `char::is_whitespace` (Unicode's White_Space) as ranges, for the schema's patterns; a
/// unit test checks the two agree on every character.
pub(super) const WHITE_SPACE: &[(char, char)] = &[
    ('\u{0009}', '\u{000D}'),
    ('\u{0020}', '\u{0020}'),
    ('\u{0085}', '\u{0085}'),
    ('\u{00A0}', '\u{00A0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200A}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202F}', '\u{202F}'),
    ('\u{205F}', '\u{205F}'),
    ('\u{3000}', '\u{3000}'),
];

/// [`WHITE_SPACE`] but the plain space, which a path may hold inside; checked alike.
const NOT_SPACE_WHITE: &[(char, char)] = &[
    ('\u{0009}', '\u{000D}'),
    ('\u{0085}', '\u{0085}'),
    ('\u{00A0}', '\u{00A0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200A}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202F}', '\u{202F}'),
    ('\u{205F}', '\u{205F}'),
    ('\u{3000}', '\u{3000}'),
];

/// `char::is_control` (Unicode's Cc) as ranges; checked like [`WHITE_SPACE`].
pub(super) const CONTROL: &[(char, char)] = &[('\u{0000}', '\u{001F}'), ('\u{007F}', '\u{009F}')];

/// The control characters a prompt may not hold: all but line break and tab.
const PROMPT_CONTROL: &[(char, char)] = &[
    ('\u{0000}', '\u{0008}'),
    ('\u{000B}', '\u{001F}'),
    ('\u{007F}', '\u{009F}'),
];

fn within(ranges: &[(char, char)], c: char) -> bool {
    ranges.iter().any(|(low, high)| (*low..=*high).contains(&c))
}

/// The JSON Schema `pattern` of [`check_prompt`]'s character rules: no control character
/// but line breaks and tabs, and at least one visible character. (The length is the
/// schema's `maxLength`.)
pub(super) fn prompt_pattern() -> String {
    let control = class(&[PROMPT_CONTROL]);
    let visible = class(&[PROMPT_CONTROL, WHITE_SPACE, SHOW_NOTHING]);
    format!("^[^{control}]*[^{visible}][^{control}]*$")
}

/// The JSON Schema `pattern` of an `image_url`: blank (no image), an http(s) scheme
/// followed by characters [`link_problem`] allows, or a path as [`path_problem`] allows
/// it. Whether a link has a host, and whether a path is really a link of another scheme,
/// is for the URL parser; a pattern would only approximate it.
pub(super) fn link_pattern() -> String {
    let blank = class(&[WHITE_SPACE]);
    let unwanted = class(&[CONTROL, WHITE_SPACE, SHOW_NOTHING]);
    let inside = class(&[CONTROL, NOT_SPACE_WHITE, SHOW_NOTHING]);
    let path = format!("[^{unwanted}](?:[^{inside}]*[^{unwanted}])?");
    format!("^(?:[{blank}]*|{}|{path})$", web_link())
}

/// The JSON Schema `pattern` of a web link alone (a character's video).
pub(super) fn web_link_pattern() -> String {
    format!("^{}$", web_link())
}

/// An http(s) scheme followed by characters [`link_problem`] allows.
fn web_link() -> String {
    let unwanted = class(&[CONTROL, WHITE_SPACE, SHOW_NOTHING]);
    format!("[Hh][Tt][Tt][Pp][Ss]?:[^{unwanted}]+")
}

/// The inside of a regular expression's character class holding `sets`, in the escapes
/// ECMA-262 (with the `u` flag, as editors use it) and the Rust regex crate share.
fn class(sets: &[&[(char, char)]]) -> String {
    let escape = |c: char| match u32::from(c) {
        code @ 0..=0xFFFF => format!("\\u{code:04X}"),
        code => format!("\\u{{{code:X}}}"),
    };
    let mut out = String::new();
    for (low, high) in sets.iter().flat_map(|set| set.iter()) {
        out.push_str(&escape(*low));
        if high > low {
            out.push('-');
            out.push_str(&escape(*high));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_tables_match_the_standard_library_on_every_character() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(within(WHITE_SPACE, c), c.is_whitespace(), "{c:?}");
            assert_eq!(within(CONTROL, c), c.is_control(), "{c:?}");
            let inside_path = c.is_whitespace() && c != ' ';
            assert_eq!(within(NOT_SPACE_WHITE, c), inside_path, "{c:?}");
            let prompt_control = c.is_control() && c != '\n' && c != '\t';
            assert_eq!(within(PROMPT_CONTROL, c), prompt_control, "{c:?}");
        }
    }
}
