//! One test per validation rule, plus resolution order, fingerprints and the schema.
//! `strict` holds the rules against hostile or careless input (duplicate keys, invisible
//! and control characters, oversized prompts, malformed links).

mod chat;
mod continuity;
mod durations;
mod images;
mod language;
mod schema;
mod sizes;
mod strict;

use std::path::Path;

use super::spec::Field;
use super::suggest::suggest;
use super::{Location, Resolution, Segment, SegmentSettings, decode, fields};

pub(super) const SETTINGS: SegmentSettings =
    crate::provider::sora_hk::CAPABILITIES.segment_settings(2);

/// The text-level checks as `load` sees them: the segments, or every problem.
pub(super) fn checked(
    parsed: &decode::Parsed,
    file: &Path,
    settings: SegmentSettings,
) -> Result<Vec<Segment>, Vec<super::Problem>> {
    match fields::check_file(parsed, file, settings) {
        (segments, problems) if problems.is_empty() => Ok(segments),
        (_, problems) => Err(problems),
    }
}

pub(super) fn check_bytes(bytes: &[u8]) -> Result<Vec<Segment>, Vec<String>> {
    check_bytes_with(bytes, SETTINGS)
}

/// A storyboard of `segments` (JSON objects' inner text) checked for a provider's settings.
pub(super) fn check_segments(
    settings: SegmentSettings,
    segments: &[&str],
) -> Result<Vec<Segment>, Vec<String>> {
    let list: Vec<String> = segments
        .iter()
        .map(|inner| format!("{{{inner}}}"))
        .collect();
    let json = format!(r#"{{"segments": [{}]}}"#, list.join(","));
    check_bytes_with(json.as_bytes(), settings)
}

/// [`check_bytes`] for a provider's settings.
pub(super) fn check_bytes_with(
    bytes: &[u8],
    settings: SegmentSettings,
) -> Result<Vec<Segment>, Vec<String>> {
    let file = Path::new("input/story.json");
    let parsed = decode::decode(bytes).map_err(|(location, message)| {
        vec![
            super::Problem {
                file: file.to_path_buf(),
                location,
                field: None,
                message,
            }
            .to_string(),
        ]
    })?;
    let mut segments = checked(&parsed, file, settings)
        .map_err(|problems| problems.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    super::continuity::set_sources(&mut segments);
    Ok(segments)
}

pub(super) fn check(json: &str) -> Result<Vec<Segment>, Vec<String>> {
    check_bytes(json.as_bytes())
}

pub(super) fn problems(json: &str) -> Vec<String> {
    check(json).expect_err("the storyboard should be invalid")
}

pub(super) fn single(json: &str) -> String {
    let mut all = problems(json);
    assert_eq!(all.len(), 1, "expected one problem, got {all:#?}");
    all.remove(0)
}

pub(super) fn segments(json: &str) -> Vec<Segment> {
    check(json).unwrap_or_else(|problems| panic!("unexpected problems: {problems:#?}"))
}

#[test]
fn minimal_segment_gets_built_in_defaults() {
    let got = segments(r#"{"segments": [{"segment_index": 1, "prompt_text": "a cat"}]}"#);
    assert_eq!(
        got,
        vec![Segment {
            index: 1,
            prompt: "a cat".into(),
            image_url: None,
            is_pro: false,
            duration_seconds: 10,
            resolution: Resolution::Horizontal,
            gen_count: 2,
            director_intent: None,
            model: None,
            size: None,
            image_file: None,
            remix_of: None,
            characters: Vec::new(),
            style_id: None,
        }]
    );
}

#[test]
fn segment_overrides_defaults_which_override_settings() {
    let got = segments(
        r#"{"defaults": {"is_pro": true, "duration_seconds": 25, "resolution": "vertical",
                         "gen_count": 3, "image_url": "https://x.test/a.png", "director_intent": "d"},
            "segments": [
              {"segment_index": 1, "prompt_text": "a"},
              {"segment_index": 2, "prompt_text": "b", "is_pro": false, "duration_seconds": 15,
               "resolution": "horizontal", "gen_count": 1, "image_url": "http://y.test/b.jpg",
               "director_intent": "own"}
            ]}"#,
    );
    assert!(got[0].is_pro);
    assert_eq!(got[0].duration_seconds, 25);
    assert_eq!(got[0].resolution, Resolution::Vertical);
    assert_eq!(got[0].gen_count, 3);
    assert_eq!(got[0].image_url.as_deref(), Some("https://x.test/a.png"));
    assert_eq!(got[0].director_intent.as_deref(), Some("d"));
    assert!(!got[1].is_pro);
    assert_eq!(got[1].duration_seconds, 15);
    assert_eq!(got[1].resolution, Resolution::Horizontal);
    assert_eq!(got[1].gen_count, 1);
    assert_eq!(got[1].image_url.as_deref(), Some("http://y.test/b.jpg"));
    assert_eq!(got[1].director_intent.as_deref(), Some("own"));
}

#[test]
fn settings_gen_count_applies_when_file_is_silent() {
    let parsed =
        decode::decode(br#"{"segments": [{"segment_index": 1, "prompt_text": "a"}]}"#).unwrap();
    let got = checked(
        &parsed,
        Path::new("f"),
        crate::provider::sora_hk::CAPABILITIES.segment_settings(5),
    )
    .unwrap();
    assert_eq!(got[0].gen_count, 5);
}

#[test]
fn comment_keys_are_ignored_everywhere() {
    let got = segments(
        r#"{"_comment": "top", "defaults": {"_note": 1},
            "segments": [{"_why": [1, 2], "segment_index": 1, "prompt_text": "a"}]}"#,
    );
    assert_eq!(got.len(), 1);
}

#[test]
fn null_means_not_set() {
    let got = segments(
        r#"{"defaults": {"duration_seconds": 15},
            "segments": [{"segment_index": 1, "prompt_text": "a", "duration_seconds": null,
                          "image_url": null, "is_pro": null, "resolution": null}]}"#,
    );
    assert_eq!(got[0].duration_seconds, 15);
}

#[test]
fn empty_image_url_means_no_image() {
    let got =
        segments(r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "image_url": ""}]}"#);
    assert_eq!(got[0].image_url, None);
}

#[test]
fn pro_duration_in_normal_mode_names_file_segment_and_field() {
    let got = single(
        r#"{"segments": [{"segment_index": 3, "prompt_text": "a", "duration_seconds": 25}]}"#,
    );
    assert_eq!(
        got,
        r#"input/story.json: segment 3: duration_seconds: 25 needs "is_pro": true (normal mode allows 10 or 15)"#
    );
}

#[test]
fn pro_duration_inherited_from_defaults_says_so() {
    let got = single(
        r#"{"defaults": {"duration_seconds": 25},
            "segments": [{"segment_index": 1, "prompt_text": "a"}]}"#,
    );
    assert!(
        got.contains(r#"segment 1: duration_seconds: 25 (from "defaults") needs "is_pro": true"#),
        "{got}"
    );
}

#[test]
fn pro_mode_allows_25_seconds() {
    let got = segments(
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "is_pro": true, "duration_seconds": 25}]}"#,
    );
    assert_eq!(got[0].duration_seconds, 25);
}

#[test]
fn unoffered_duration_lists_both_modes() {
    let got = single(
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "duration_seconds": 20}]}"#,
    );
    assert!(
        got.ends_with(
            "duration_seconds: 20 is not allowed; sora-hk allows 10 or 15 (25 with is_pro)"
        ),
        "{got}"
    );
}

#[test]
fn number_written_as_text_gets_a_hint() {
    let got = single(
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "duration_seconds": "10"}]}"#,
    );
    assert!(
        got.contains(r#"found the text "10" (write 10 without quotes)"#),
        "{got}"
    );
}

#[test]
fn missing_prompt_is_reported() {
    let got = single(r#"{"segments": [{"segment_index": 2}]}"#);
    assert_eq!(
        got,
        "input/story.json: segment 2: prompt_text: missing; write what the video should show"
    );
}

#[test]
fn blank_prompt_is_reported() {
    let got = single(r#"{"segments": [{"segment_index": 1, "prompt_text": "  \n "}]}"#);
    assert!(
        got.ends_with("prompt_text: is empty; write what the video should show"),
        "{got}"
    );
}

#[test]
fn prompt_must_be_text() {
    let got = single(r#"{"segments": [{"segment_index": 1, "prompt_text": 42}]}"#);
    assert!(
        got.ends_with("prompt_text: expected text, found 42"),
        "{got}"
    );
}

#[test]
fn missing_index_is_located_by_position() {
    let got =
        single(r#"{"segments": [{"segment_index": 1, "prompt_text": "a"}, {"prompt_text": "b"}]}"#);
    assert!(
        got.starts_with("input/story.json: segment at position 2: segment_index: missing"),
        "{got}"
    );
}

#[test]
fn index_zero_negative_fractional_and_text_are_rejected() {
    for (value, expected) in [
        ("0", "0 is not allowed; segment numbers start at 1"),
        ("-4", "-4 is not allowed; expected a whole number from 1 up"),
        ("1.5", "expected a whole number from 1 up, found 1.5"),
        (r#""3""#, r#"found the text "3" (write 3 without quotes)"#),
        ("99999999999", "99999999999 is too large"),
    ] {
        let got = single(&format!(
            r#"{{"segments": [{{"segment_index": {value}, "prompt_text": "a"}}]}}"#
        ));
        assert!(
            got.contains("segment at position 1: segment_index: "),
            "{got}"
        );
        assert!(got.contains(expected), "{value}: {got}");
    }
}

#[test]
fn a_duplicate_index_names_the_offending_segment_by_position_and_the_first() {
    let got = single(
        r#"{"segments": [{"segment_index": 4, "prompt_text": "a"}, {"segment_index": 5, "prompt_text": "b"},
                         {"segment_index": 4, "prompt_text": "c"}]}"#,
    );
    assert_eq!(
        got,
        "input/story.json: segment at position 3: segment_index: 4 is already used by the segment at position 1; give each segment its own number"
    );
}

#[test]
fn image_url_is_a_web_link_or_a_path_but_no_other_kind_of_link() {
    let image = |value: &str| {
        let value = serde_json::to_string(value).unwrap();
        check_bytes(
            format!(r#"{{"segments": [{{"segment_index": 1, "prompt_text": "a", "image_url": {value}}}]}}"#)
                .as_bytes(),
        )
    };
    for path in [
        "cat.png",
        "frames/my first frame.png",
        "/tmp/cat.png",
        r"C:\frames\a.png",
    ] {
        let got = image(path).unwrap_or_else(|problems| panic!("{path}: {problems:?}"));
        assert_eq!(
            got[0].image_url.as_deref(),
            Some(path),
            "checked on disk later"
        );
    }
    let file_url = image("file:///tmp/cat.png").unwrap_err();
    assert!(
        file_url[0].ends_with(r#""file:///tmp/cat.png" is a file: link; use an http:// or https:// link, or the image file's path (relative to the storyboard's folder, or absolute)"#),
        "{file_url:?}"
    );
    let data_url = image("data:image/png;base64,iVBORw0KGgo=").unwrap_err();
    assert!(data_url[0].contains("is a data: link"), "{data_url:?}");
    let no_host = image("https://").unwrap_err();
    assert!(
        no_host[0].ends_with(
            r#""https://" is not a web address; use an http:// or https:// link to the image"#
        ),
        "{no_host:?}"
    );
    let padded = image(" cat.png").unwrap_err();
    assert!(
        padded[0]
            .ends_with(r#"" cat.png" starts or ends with spaces; write the path without them"#),
        "{padded:?}"
    );
    let number =
        single(r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "image_url": 7}]}"#);
    assert!(
        number.ends_with("image_url: expected an http(s) link or an image file's path, found 7"),
        "{number}"
    );
}

#[test]
fn is_pro_must_be_a_flag() {
    let got =
        single(r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "is_pro": "true"}]}"#);
    assert!(
        got.ends_with(
            r#"is_pro: expected true or false, found the text "true" (write true without quotes)"#
        ),
        "{got}"
    );
}

#[test]
fn resolution_suggests_the_right_word() {
    let got = single(
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "resolution": "portrait"}]}"#,
    );
    assert!(
        got.contains(r#"resolution: "portrait" is not a resolution; did you mean "vertical"?"#),
        "{got}"
    );
    let got = single(
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "resolution": "square"}]}"#,
    );
    assert!(
        got.ends_with(
            r#""square" is not a resolution (allowed: "horizontal" for 16:9, "vertical" for 9:16)"#
        ),
        "{got}"
    );
}

#[test]
fn gen_count_has_bounds() {
    for bad in ["0", "101"] {
        let got = single(&format!(
            r#"{{"segments": [{{"segment_index": 1, "prompt_text": "a", "gen_count": {bad}}}]}}"#
        ));
        assert!(
            got.ends_with(&format!(
                "gen_count: {bad} is not allowed (versions per segment: 1 to 100)"
            )),
            "{got}"
        );
    }
}

#[test]
fn director_intent_must_be_text() {
    let got = single(
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "director_intent": ["x"]}]}"#,
    );
    assert!(
        got.ends_with("director_intent: expected text, found a list"),
        "{got}"
    );
}

#[test]
fn unknown_key_suggests_the_intended_one() {
    let got =
        single(r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "promt_text": "b"}]}"#);
    assert_eq!(
        got,
        r#"input/story.json: segment 1: promt_text: unknown field; did you mean "prompt_text"?"#
    );
}

#[test]
fn misspelled_required_field_is_reported_once() {
    let got = single(r#"{"segments": [{"segment_index": 1, "promt_text": "b"}]}"#);
    assert_eq!(
        got,
        r#"input/story.json: segment 1: promt_text: unknown field; did you mean "prompt_text"?"#
    );
    let got = single(r#"{"segments": [{"segmentIndex": 1, "prompt_text": "b"}]}"#);
    assert_eq!(
        got,
        r#"input/story.json: segment at position 1: segmentIndex: unknown field; did you mean "segment_index"?"#
    );
}

#[test]
fn unknown_key_without_a_close_match_lists_allowed_keys() {
    let got = single(r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "zzz": 1}]}"#);
    assert!(
        got.contains("zzz: unknown field (allowed here: segment_index, prompt_text,"),
        "{got}"
    );
}

#[test]
fn suggestions_cover_case_synonyms_and_typos() {
    let all: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(suggest("promptText", &all), Some("prompt_text"));
    assert_eq!(suggest("Duration", &all), Some("duration_seconds"));
    assert_eq!(suggest("image", &all), Some("image_url"));
    assert_eq!(suggest("segmnet_index", &all), Some("segment_index"));
    assert_eq!(suggest("gen-count", &all), Some("gen_count"));
    assert_eq!(suggest("banana", &all), None);
}

#[test]
fn unknown_top_level_key_is_reported() {
    let got = single(r#"{"segment": [], "segments": [{"segment_index": 1, "prompt_text": "a"}]}"#);
    assert_eq!(
        got,
        r#"input/story.json: segment: unknown field; did you mean "segments"?"#
    );
}

#[test]
fn defaults_cannot_hold_identity_or_prompt() {
    let got = problems(
        r#"{"defaults": {"prompt_text": "x", "segment_index": 1},
            "segments": [{"segment_index": 1, "prompt_text": "a"}]}"#,
    );
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(
        got.iter()
            .all(|p| p.contains("input/story.json: defaults: ")
                && p.ends_with("cannot have a default; set it on each segment"))
    );
}

#[test]
fn defaults_values_are_checked_once() {
    let got = single(
        r#"{"defaults": {"resolution": "wide"},
            "segments": [{"segment_index": 1, "prompt_text": "a"}, {"segment_index": 2, "prompt_text": "b"}]}"#,
    );
    assert!(got.starts_with(r#"input/story.json: defaults: resolution: "wide" is not a resolution; did you mean "horizontal"?"#), "{got}");
}

#[test]
fn defaults_must_be_an_object() {
    let got = single(r#"{"defaults": [], "segments": [{"segment_index": 1, "prompt_text": "a"}]}"#);
    assert_eq!(
        got,
        "input/story.json: defaults: expected an object of segment fields, found a list"
    );
}

#[test]
fn segments_missing_empty_or_wrong_shape() {
    assert!(single(r#"{}"#).starts_with("input/story.json: segments: missing;"));
    assert_eq!(
        single(r#"{"segments": []}"#),
        "input/story.json: segments: is empty; add at least one segment"
    );
    assert_eq!(
        single(r#"{"segments": {}}"#),
        "input/story.json: segments: expected a list of segments, found an object"
    );
    assert_eq!(
        single(r#"{"segments": [3]}"#),
        "input/story.json: segment at position 1: expected a segment object, found 3"
    );
}

#[test]
fn top_level_must_be_an_object() {
    let got = single(r#"[{"segment_index": 1}]"#);
    assert_eq!(
        got,
        r#"input/story.json: expected an object like {"segments": [...]}, found a list"#
    );
}

#[test]
fn every_problem_of_a_file_is_reported_at_once() {
    let got = problems(
        r#"{"segments": [
            {"segment_index": 1, "prompt_text": "", "duration_seconds": 25},
            {"segment_index": 2, "prompt_text": "b", "resolution": "diagonal", "promt": "x"},
            {"prompt_text": "c"}
        ]}"#,
    );
    assert_eq!(got.len(), 5, "{got:#?}");
}

#[test]
fn syntax_error_gives_line_and_column() {
    let got = single("{\"segments\": [\n  {\"segment_index\": 1,, \"prompt_text\": \"a\"}\n]}");
    assert!(
        got.starts_with("input/story.json: line 2, column 23: invalid JSON: "),
        "{got}"
    );
}

#[test]
fn utf8_bom_is_accepted() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(
        r#"{"segments": [{"segment_index": 1, "prompt_text": "猫"}]}"#.as_bytes(),
    );
    assert_eq!(check_bytes(&bytes).unwrap()[0].prompt, "猫");
}

#[test]
fn non_utf8_text_is_a_clear_error() {
    let got = check_bytes(b"{\"segments\": [\n{\"prompt_text\": \"caf\xE9\"}]}").unwrap_err();
    assert_eq!(got, vec!["input/story.json: line 2, column 21: the file is not UTF-8 text (byte 0xE9); save it as UTF-8".to_string()]);
    let utf16 = check_bytes(b"\xFF\xFE{\x00").unwrap_err();
    assert_eq!(
        utf16,
        vec!["input/story.json: the file is UTF-16 text; save it as UTF-8".to_string()]
    );
}

#[test]
fn empty_file_is_a_clear_error() {
    let got = check_bytes(b" \n").unwrap_err();
    assert!(
        got[0].starts_with("input/story.json: the file is empty"),
        "{got:?}"
    );
}

#[test]
fn long_values_are_cut_in_messages() {
    let long = "x".repeat(200);
    let got = single(&format!(
        r#"{{"segments": [{{"segment_index": 1, "prompt_text": "a", "resolution": "{long}"}}]}}"#
    ));
    assert!(got.len() < 250, "{got}");
    assert!(got.contains("…\""), "{got}");
}

#[test]
fn fingerprint_follows_the_request_not_the_notes() {
    let base = &segments(r#"{"segments": [{"segment_index": 1, "prompt_text": "a"}]}"#)[0];
    let mut same = base.clone();
    same.director_intent = Some("notes change nothing".into());
    same.gen_count = 9;
    assert_eq!(base.fingerprint(), same.fingerprint());
    assert_eq!(base.fingerprint().len(), 64);
    let edits: [fn(&mut Segment); 5] = [
        |s| s.prompt.push('!'),
        |s| s.image_url = Some("https://x.test/i.png".into()),
        |s| s.is_pro = true,
        |s| s.duration_seconds = 15,
        |s| s.resolution = Resolution::Vertical,
    ];
    for edit in edits {
        let mut changed = base.clone();
        edit(&mut changed);
        assert_ne!(base.fingerprint(), changed.fingerprint(), "{changed:?}");
    }
}

#[test]
fn location_display_forms() {
    assert_eq!(Location::Segment { index: 3 }.to_string(), "segment 3");
    assert_eq!(
        Location::Position { position: 2 }.to_string(),
        "segment at position 2"
    );
    assert_eq!(
        Location::Text { line: 1, column: 9 }.to_string(),
        "line 1, column 9"
    );
}

#[test]
fn every_problem_of_a_segment_with_a_taken_number_is_named_by_its_position() {
    let got = problems(
        r#"{"segments": [{"segment_index": 2, "prompt_text": "a"},
                         {"segment_index": 2, "prompt_text": "b", "resolution": "portrait"}]}"#,
    );
    assert_eq!(got.len(), 2, "{got:#?}");
    for problem in &got {
        assert!(
            problem.starts_with("input/story.json: segment at position 2: "),
            "{got:#?}"
        );
    }
}
