//! `remix_of` and `characters`: their values, the checks across a file's segments, and
//! the fingerprints that chain a remix to its source.

use super::super::{RemixOf, SegmentSettings};
use super::{SETTINGS, check_bytes_with, check_segments};

const TAKES_BOTH: SegmentSettings = SegmentSettings {
    remix_refused: None,
    characters_refused: None,
    ..SETTINGS
};

/// A storyboard of `segments` (JSON objects' inner text) checked for a provider that
/// remixes.
fn check(segments: &[&str]) -> Result<Vec<super::super::Segment>, Vec<String>> {
    check_segments(TAKES_BOTH, segments)
}

#[test]
fn a_remix_names_a_video_id_or_a_take_of_this_storyboard() {
    let got = check(&[
        r#""segment_index": 1, "prompt_text": "a", "gen_count": 2"#,
        r#""segment_index": 2, "prompt_text": "b", "remix_of": {"segment": 1, "version": 2}"#,
        r#""segment_index": 3, "prompt_text": "c", "remix_of": "video_68d7""#,
    ])
    .unwrap();
    assert!(
        matches!(
            &got[1].remix_of,
            Some(RemixOf::Take {
                segment: 1,
                version: 2,
                target: None,
                ..
            })
        ),
        "{:?}",
        got[1].remix_of
    );
    assert_eq!(got[2].remix_of, Some(RemixOf::Video("video_68d7".into())));
    assert_eq!(
        got[2].remix_of.as_ref().unwrap().target(),
        Some("video_68d7")
    );
}

#[test]
fn a_remix_of_a_missing_take_or_a_circle_is_refused_naming_it() {
    let missing = check(&[
        r#""segment_index": 1, "prompt_text": "a", "gen_count": 1"#,
        r#""segment_index": 2, "prompt_text": "b", "remix_of": {"segment": 7}"#,
        r#""segment_index": 3, "prompt_text": "c", "remix_of": {"segment": 1, "version": 2}"#,
    ])
    .unwrap_err();
    assert_eq!(
        missing,
        [
            "input/story.json: segment 2: remix_of: segment 7 is not in this file (or is invalid); a take to remix must be one of this storyboard's",
            "input/story.json: segment 3: remix_of: segment 1 has 1 version (gen_count); there is no version 2 to remix",
        ]
    );
    let circle = check(&[
        r#""segment_index": 1, "prompt_text": "a""#,
        r#""segment_index": 2, "prompt_text": "b", "remix_of": {"segment": 3}"#,
        r#""segment_index": 3, "prompt_text": "c", "remix_of": {"segment": 2}"#,
        r#""segment_index": 4, "prompt_text": "d", "remix_of": {"segment": 4}"#,
    ])
    .unwrap_err();
    assert_eq!(
        circle,
        [
            "input/story.json: segment 2: remix_of: the remixes of segments 2 → 3 → 2 go round in a circle; one shot must come first",
            "input/story.json: segment 3: remix_of: the remixes of segments 3 → 2 → 3 go round in a circle; one shot must come first",
            "input/story.json: segment 4: remix_of: the remixes of segments 4 → 4 go round in a circle; one shot must come first",
        ]
    );
}

#[test]
fn a_remix_id_that_could_leave_its_request_path_is_refused() {
    for id in ["../../balance", "video_1/remix", "video?x=1", "a b", ".."] {
        let json = serde_json::to_string(id).unwrap();
        let got = check(&[&format!(
            r#""segment_index": 1, "prompt_text": "a", "remix_of": {json}"#
        )])
        .unwrap_err();
        assert!(got[0].contains("is not a video id"), "{id}: {got:?}");
    }
}

#[test]
fn a_provider_without_remixes_or_characters_refuses_them_naming_those_with_them() {
    let json = br#"{"segments": [{"segment_index": 1, "prompt_text": "a", "remix_of": "video_1",
        "characters": [{"url": "https://x.test/c.mp4", "timestamps": "0,3"}]}]}"#;
    let got = check_bytes_with(json, SETTINGS).unwrap_err();
    assert_eq!(
        got,
        [
            "input/story.json: segment 1: remix_of: this provider cannot remix videos; the providers that can: --provider openai, draw or chat",
            "input/story.json: segment 1: characters: this provider takes no character references; the provider that does: --provider draw",
        ]
    );
}

#[test]
fn characters_are_links_with_a_range_of_seconds() {
    let got = check(&[
        r#""segment_index": 1, "prompt_text": "a", "characters": [{"url": "https://x.test/c.mp4", "timestamps": "0,3"}]"#,
    ])
    .unwrap();
    assert_eq!(got[0].characters[0].timestamps, "0,3");
    let backwards = check(&[
        r#""segment_index": 1, "prompt_text": "a", "characters": [{"url": "https://x.test/c.mp4", "timestamps": "3,1"}]"#,
    ])
    .unwrap_err();
    assert!(
        backwards[0].ends_with(r#"characters: character 1: "timestamps": "3,1" is not a range of seconds; write "START,END", e.g. "0,3""#),
        "{backwards:?}"
    );
}

#[test]
fn editing_a_source_shot_changes_the_fingerprints_of_the_chain_after_it() {
    let chain = |first: &str| {
        let first = format!(r#""segment_index": 1, "prompt_text": "{first}""#);
        check(&[
            &first,
            r#""segment_index": 2, "prompt_text": "b", "remix_of": {"segment": 1}"#,
            r#""segment_index": 3, "prompt_text": "c", "remix_of": {"segment": 2}"#,
        ])
        .unwrap()
        .iter()
        .map(|segment| segment.fingerprint())
        .collect::<Vec<_>>()
    };
    let before = chain("a lighthouse");
    let after = chain("a lighthouse at night");
    assert!(
        before.iter().zip(&after).all(|(b, a)| b != a),
        "{before:?} {after:?}"
    );
    let alone = check(&[r#""segment_index": 2, "prompt_text": "b""#]).unwrap();
    assert_ne!(
        alone[0].fingerprint(),
        before[1],
        "a remix is another request"
    );
}

#[test]
fn an_image_with_a_remix_is_refused_naming_both_where_remixes_take_no_image() {
    let openai = crate::provider::openai::CAPABILITIES.segment_settings(1);
    let json = br#"{"defaults": {"image_url": "https://x.test/d.png"}, "segments": [
        {"segment_index": 1, "prompt_text": "a", "remix_of": "video_1", "image_url": "https://x.test/a.png"},
        {"segment_index": 2, "prompt_text": "b", "remix_of": {"segment": 1}},
        {"segment_index": 3, "prompt_text": "c"}]}"#;
    let got = check_bytes_with(json, openai).unwrap_err();
    let why = "a remix keeps its source video's frames and takes no reference image here; \
               remove \"image_url\", or \"remix_of\" to make a new video from the image";
    assert_eq!(
        got,
        [
            format!(
                "input/story.json: segment 1: image_url: \"image_url\" cannot go with \"remix_of\" on openai: {why}"
            ),
            format!(
                "input/story.json: segment 2: image_url: \"image_url\" (from \"defaults\") cannot go with \"remix_of\" on openai: {why}"
            ),
        ]
    );
    let draw_like = SegmentSettings {
        remix_image_refused: None,
        ..openai
    };
    assert!(check_bytes_with(json, draw_like).is_ok());
}
