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
        got.iter().any(|line| line
            .starts_with("input/story.json: segment 3: duration_seconds: 7 is not offered")),
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
