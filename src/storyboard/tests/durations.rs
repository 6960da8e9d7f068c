//! Validation with another provider's lengths: the format is the same, the allowed
//! values and their messages are the provider's.

use std::path::Path;

use super::super::{Durations, Segment, SegmentSettings, decode, schema_json};
use super::SETTINGS;

/// The problems of `json` checked against another provider's lengths.
fn problems_with(durations: Durations, json: &str) -> Result<Vec<Segment>, Vec<String>> {
    let settings = SegmentSettings {
        durations,
        ..SETTINGS
    };
    let parsed = decode::decode(json.as_bytes()).expect("valid JSON");
    super::checked(&parsed, Path::new("f.json"), settings)
        .map_err(|problems| problems.iter().map(ToString::to_string).collect())
}

#[test]
fn another_providers_durations_are_the_ones_checked_and_named() {
    let four_eight_twelve = Durations {
        provider: "openai",
        normal: &[4, 8, 12],
        pro: &[4, 8, 12],
        default: 4,
    };
    let check = |json: &str| problems_with(four_eight_twelve, json);
    let refused = check(
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "duration_seconds": 15}]}"#,
    );
    assert_eq!(
        refused.unwrap_err(),
        ["f.json: segment 1: duration_seconds: 15 is not allowed; openai allows 4, 8 or 12"]
    );
    let as_text = check(
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "duration_seconds": "8"}]}"#,
    );
    assert!(
        as_text.unwrap_err()[0].contains("expected a number of seconds (4, 8 or 12)"),
        "names the provider's values"
    );
    let fine = check(r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "is_pro": true, "duration_seconds": 12},
                                        {"segment_index": 2, "prompt_text": "b"}]}"#)
    .expect("12 is offered in both modes");
    assert_eq!(fine[0].duration_seconds, 12);
    assert_eq!(fine[1].duration_seconds, 4, "the provider's default length");
    // A length only normal mode offers is refused with is_pro, naming pro's.
    let split = Durations {
        provider: "split",
        normal: &[4],
        pro: &[8],
        default: 4,
    };
    let got = problems_with(
        split,
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "is_pro": true, "duration_seconds": 4}]}"#,
    );
    assert_eq!(
        got.unwrap_err(),
        [
            r#"f.json: segment 1: duration_seconds: 4 is not offered with "is_pro": true (pro mode allows 8)"#
        ]
    );
    assert_eq!(
        split.refused(5).to_string(),
        r#"5 is not allowed; split allows 4 without is_pro and 8 with "is_pro": true"#
    );
}

#[test]
fn the_schema_offers_the_providers_lengths() {
    let durations = Durations {
        provider: "openai",
        normal: &[4, 8, 12],
        pro: &[4, 8, 12],
        default: 4,
    };
    let settings = SegmentSettings {
        durations,
        ..SETTINGS
    };
    let schema: serde_json::Value = serde_json::from_str(&schema_json(&settings)).unwrap();
    let duration = &schema["$defs"]["segment"]["properties"]["duration_seconds"];
    assert_eq!(duration["enum"], serde_json::json!([4, 8, 12, null]));
    assert_eq!(duration["default"], 4);
    assert!(
        schema.get("allOf").is_none(),
        "no rule between modes offering the same lengths"
    );
    jsonschema::meta::validate(&schema).expect("a valid schema");
}
