//! Suggestions for a mistyped key: the allowed key it most likely meant (same words in
//! another case or spelling, a common synonym, or a close spelling), for the "unknown field"
//! problem.

use crate::i18n::Message;

/// The "unknown field" message, with the likely meant key or else the allowed ones.
pub(super) fn unknown_key(key: &str, allowed: &[&str]) -> Message {
    match suggest(key, allowed) {
        Some(guess) => Message::new("storyboard.unknown_field.guess").with("guess", guess),
        None => Message::new("storyboard.unknown_field.list").with_list("allowed", allowed),
    }
}

/// The allowed key a mistyped one most likely meant: same words in another case or
/// spelling, a common synonym, or a close spelling.
pub(super) fn suggest<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let normalized = snake_case(key);
    if let Some(exact) = allowed.iter().find(|name| **name == normalized) {
        return Some(exact);
    }
    let synonym = match normalized.as_str() {
        "prompt" | "text" | "description" => "prompt_text",
        "index" | "segment" | "id" | "segment_id" => "segment_index",
        "duration" | "seconds" | "length" => "duration_seconds",
        "image" | "img" | "reference_image" | "url" => "image_url",
        "pro" => "is_pro",
        "aspect_ratio" | "orientation" | "size" => "resolution",
        "count" | "versions" | "gen_count_per_segment" => "gen_count",
        "intent" | "notes" => "director_intent",
        "segments_list" | "shots" | "scenes" => "segments",
        "default" => "defaults",
        _ => "",
    };
    if let Some(found) = allowed.iter().find(|name| **name == synonym) {
        return Some(found);
    }
    allowed
        .iter()
        .map(|name| (strsim::jaro_winkler(&normalized, name), *name))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}

/// `promptText`, `Prompt-Text` and `PROMPT TEXT` all become `prompt_text`.
fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let mut previous_lower = false;
    for c in key.trim().chars() {
        if c.is_uppercase() && previous_lower {
            out.push('_');
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        match c {
            '-' | ' ' => out.push('_'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}
