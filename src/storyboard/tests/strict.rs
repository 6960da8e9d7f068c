//! Input a careless user or a hostile file brings: each is a problem naming file, segment
//! and field, reported along with every other problem of the file.

use super::{problems, segments, single};

#[test]
fn a_duplicate_prompt_text_is_a_problem_naming_key_and_segment() {
    let got = single(
        r#"{"segments": [{"segment_index": 4, "prompt_text": "a cat", "prompt_text": "a dog"}]}"#,
    );
    assert_eq!(
        got,
        "input/story.json: segment 4: prompt_text: is written 2 times in the same object; \
         only the last value would count; keep one and delete the others"
    );
}

#[test]
fn a_duplicate_segment_index_is_located_by_position() {
    let got = problems(
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a"},
                         {"segment_index": 2, "segment_index": 0, "prompt_text": "b"}]}"#,
    );
    // The last value (0) is unusable, so the segment is known by its place.
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(
        got[0].starts_with(
            "input/story.json: segment at position 2: segment_index: is written 2 times"
        ),
        "{got:#?}"
    );
    assert!(got[1].ends_with("0 is not allowed; segment numbers start at 1"));
}

#[test]
fn a_second_segments_list_is_refused_not_silently_dropping_the_first() {
    let got = single(
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a"}],
            "segments": [{"segment_index": 2, "prompt_text": "b"}]}"#,
    );
    assert_eq!(
        got,
        "input/story.json: segments: is written 2 times in the same object; \
         only the last list would count; put every segment in one \"segments\" list"
    );
}

#[test]
fn duplicates_in_defaults_and_nested_values_are_named_and_listed_with_other_problems() {
    let got = problems(
        r#"{"defaults": {"is_pro": true, "is_pro": false, "is_pro": true},
            "segments": [{"segment_index": 3, "prompt_text": "a", "duration_seconds": 7,
                          "_notes": [{"who": "x", "who": "y"}]}]}"#,
    );
    assert_eq!(got.len(), 3, "{got:#?}");
    assert!(
        got.contains(
            &"input/story.json: defaults: is_pro: is written 3 times in the same object; \
              only the last value would count; keep one and delete the others"
                .to_string()
        ),
        "{got:#?}"
    );
    assert!(
        got.iter().any(|line| line
            .starts_with("input/story.json: segment 3: _notes[0].who: is written 2 times")),
        "{got:#?}"
    );
    assert!(
        got.iter().any(|line| line.starts_with(
            "input/story.json: segment 3: duration_seconds: 7 is not allowed; sora-hk allows"
        )),
        "{got:#?}"
    );
}

#[test]
fn equal_keys_in_different_objects_are_fine() {
    let got = segments(
        r#"{"defaults": {"is_pro": false},
            "segments": [{"segment_index": 1, "prompt_text": "a", "is_pro": false},
                         {"segment_index": 2, "prompt_text": "a", "is_pro": false}]}"#,
    );
    assert_eq!(got.len(), 2);
}

/// A one-segment storyboard whose prompt is `prompt` (any text, JSON-escaped here).
fn with_prompt(prompt: &str) -> String {
    let prompt = serde_json::to_string(prompt).unwrap();
    format!(r#"{{"segments": [{{"segment_index": 1, "prompt_text": {prompt}}}]}}"#)
}

#[test]
fn a_prompt_of_only_invisible_characters_is_blank() {
    for invisible in [
        "\u{200B}",
        "\u{200B}\u{200D} \u{FEFF}",
        "\u{2060}\u{00AD}",
        "\u{3164}",
    ] {
        let got = single(&with_prompt(invisible));
        assert!(
            got.starts_with("input/story.json: segment 1: prompt_text: has only invisible characters (such as U+"),
            "{invisible:?}: {got}"
        );
        assert!(got.ends_with("write what the video should show"), "{got}");
    }
    // Invisible characters beside visible ones are left alone (emoji use joiners).
    assert_eq!(segments(&with_prompt("a\u{200D}b")).len(), 1);
}

#[test]
fn a_prompt_of_only_invisible_format_controls_is_blank() {
    // Interlinear annotation marks, shorthand and hieroglyph format controls: they show
    // nothing either, and a prompt of them is as blank as one of zero-width spaces.
    for invisible in [
        "\u{FFF9}\u{FFFA}\u{FFFB}",
        "\u{1BCA0}\u{1BCA3}",
        "\u{13430} \u{1343F}",
    ] {
        let got = single(&with_prompt(invisible));
        assert!(
            got.contains("prompt_text: has only invisible characters (such as U+"),
            "{invisible:?}: {got}"
        );
    }
}

#[test]
fn control_characters_in_a_prompt_are_refused_by_code_and_position() {
    let got = single(&with_prompt("a cat\u{0}\u{1b}[2J"));
    assert_eq!(
        got,
        "input/story.json: segment 1: prompt_text: contains the control character U+0000 at \
         character 6 (and 1 more); remove it (line breaks and tabs are the only control \
         characters allowed)"
    );
    let got = single(&with_prompt("shot one\r\nshot two"));
    assert!(
        got.contains("a carriage return (U+000D) at character 9"),
        "{got}"
    );
    let got = single(&with_prompt("a\u{85}b"));
    assert!(
        got.contains("the control character U+0085 at character 2"),
        "{got}"
    );
    assert_eq!(segments(&with_prompt("shot one\n\tshot two")).len(), 1);
}

#[test]
fn a_prompt_over_the_providers_limit_is_refused() {
    let limit = crate::storyboard::DEFAULT_MAX_PROMPT_CHARS;
    // Characters, not bytes: a limit-long prompt of 3-byte characters passes.
    assert_eq!(segments(&with_prompt(&"語".repeat(limit))).len(), 1);
    let got = single(&with_prompt(&"a".repeat(1_000_000)));
    assert_eq!(
        got,
        format!(
            "input/story.json: segment 1: prompt_text: is 1000000 characters long; the provider \
             takes at most {limit}; shorten it"
        )
    );
}

/// A one-segment storyboard whose image link is `url`.
fn with_image(url: &str) -> String {
    let url = serde_json::to_string(url).unwrap();
    format!(r#"{{"segments": [{{"segment_index": 1, "prompt_text": "a", "image_url": {url}}}]}}"#)
}

#[test]
fn an_image_url_with_line_breaks_spaces_or_controls_is_refused() {
    for (url, found) in [
        (
            "https://x.test/a.png\r\nX-Injected: 1",
            "a carriage return (U+000D) at character 21 (and 2 more)",
        ),
        (
            "https://x.test/my cat.png",
            "a space (U+0020) at character 18",
        ),
        (" https://x.test/a.png", "a space (U+0020) at character 1"),
        (
            "https://x.test/a.png\n",
            "a line break (U+000A) at character 21",
        ),
        (
            "https://x.test/\u{7}a.png",
            "the control character U+0007 at character 16",
        ),
        (
            "https://x.test/\u{A0}a.png",
            "the space character U+00A0 at character 16",
        ),
    ] {
        let got = single(&with_image(url));
        assert!(
            got.starts_with("input/story.json: segment 1: image_url: \"https://x.test/")
                || got.starts_with("input/story.json: segment 1: image_url: \" https://"),
            "{got}"
        );
        assert!(
            got.ends_with(&format!(
                "contains {found}; a link cannot hold spaces, line breaks, control or \
                 invisible characters (write a space as %20)"
            )),
            "{url:?}: {got}"
        );
    }
    let fine = segments(&with_image("https://x.test/my%20cat.png?size=2"));
    assert_eq!(
        fine[0].image_url.as_deref(),
        Some("https://x.test/my%20cat.png?size=2")
    );
}

#[test]
fn an_image_url_with_invisible_characters_is_refused() {
    // A link parser drops a zero-width space or soft hyphen from a host name and encodes a
    // direction override: the provider would fetch another address than the one written.
    for (url, found) in [
        (
            "https://exa\u{200B}mple.test/a.png",
            "the invisible character U+200B at character 12",
        ),
        (
            "https://exa\u{AD}mple.test/a.png",
            "the invisible character U+00AD at character 12",
        ),
        (
            "https://x.test/a\u{202E}gnp.exe",
            "the invisible character U+202E at character 17",
        ),
        (
            "\u{FEFF}https://x.test/a.png",
            "the invisible character U+FEFF at character 1",
        ),
    ] {
        let got = single(&with_image(url));
        assert!(
            got.ends_with(&format!(
                "contains {found}; a link cannot hold spaces, line breaks, control or \
                 invisible characters (write a space as %20)"
            )),
            "{url:?}: {got}"
        );
    }
}

#[test]
fn the_schema_states_the_prompt_limit() {
    let schema: serde_json::Value =
        serde_json::from_str(&crate::storyboard::schema_json(&super::SETTINGS)).unwrap();
    let text = schema.to_string();
    let limit = crate::storyboard::DEFAULT_MAX_PROMPT_CHARS;
    assert!(text.contains(&format!("\"maxLength\":{limit}")), "{text}");
}

#[test]
fn a_double_bom_is_named_not_just_expected_value() {
    let mut bytes = "\u{FEFF}\u{FEFF}".as_bytes().to_vec();
    bytes.extend_from_slice(br#"{"segments": [{"segment_index": 1, "prompt_text": "a"}]}"#);
    let got = super::check_bytes(&bytes).unwrap_err();
    assert_eq!(
        got,
        vec![
            "input/story.json: line 1, column 1: invalid JSON: a second byte-order mark (BOM, \
             U+FEFF) after the first is here; a BOM may only start a file: delete it, or save \
             the file as UTF-8 without a BOM"
        ]
    );
}

#[test]
fn a_bom_inside_the_text_is_named_where_it_is() {
    let text = "{\"segments\": [\n  \u{FEFF}{\"segment_index\": 1, \"prompt_text\": \"a\"}]}";
    let got = single(text);
    assert!(
        got.starts_with(
            "input/story.json: line 2, column 3: invalid JSON: a byte-order mark (BOM, U+FEFF, \
             invisible in most editors) is here"
        ),
        "{got}"
    );
    // Inside a string it is just a character: no JSON problem.
    assert_eq!(segments(&with_prompt("a\u{FEFF}b")).len(), 1);
}

#[test]
fn json_slips_of_chinese_editors_and_javascript_habits_are_named_with_character_columns() {
    // "雨夜" is 2 characters but 6 bytes: the column counts characters, as editors do.
    let comma = single("{\"segments\": [{\"prompt_text\": \"雨夜\"，\"segment_index\": 1}]}");
    assert_eq!(
        comma,
        "input/story.json: line 1, column 35: invalid JSON: expected `,` or `}`; a full-width \
         comma (，) is here: JSON needs the plain comma ','"
    );
    let quotes = single("{\"segments\": [{\"segment_index\": 1, \"prompt_text\": “雨夜”}]}");
    assert!(quotes.contains("a curly quote is here"), "{quotes}");
    let comment = single("{\n  // the rainy night\n  \"segments\": []}");
    assert!(
        comment.starts_with("input/story.json: line 2, column 3:")
            && comment.contains("JSON has no comments"),
        "{comment}"
    );
}

#[test]
fn a_schema_key_for_editors_is_accepted_and_in_the_schema() {
    let got = segments(
        r#"{"$schema": "./storyboard.schema.json",
            "segments": [{"segment_index": 1, "prompt_text": "a lighthouse"}]}"#,
    );
    assert_eq!(got.len(), 1);
    let schema: serde_json::Value =
        serde_json::from_str(&super::super::schema_json(&super::SETTINGS)).unwrap();
    let kinds = schema["properties"]["$schema"]["type"].to_string();
    assert!(kinds.contains("string"), "{schema}");
}
