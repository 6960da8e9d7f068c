//! The `model` and `size` fields: checked against the provider's sizes for the segment's
//! mode (a `sora-2-pro…` model makes it pro), refused by a provider without sizes, and
//! part of the fingerprint only when set.

use std::path::Path;

use super::super::{Segment, SegmentSettings, decode};

fn check_with(settings: SegmentSettings, json: &str) -> Result<Vec<Segment>, Vec<String>> {
    let parsed = decode::decode(json.as_bytes()).expect("valid JSON");
    super::checked(&parsed, Path::new("f.json"), settings)
        .map_err(|problems| problems.iter().map(ToString::to_string).collect())
}

fn openai(json: &str) -> Result<Vec<Segment>, Vec<String>> {
    check_with(
        crate::provider::openai::CAPABILITIES.segment_settings(1),
        json,
    )
}

fn one(fields: &str) -> String {
    format!(r#"{{"segments": [{{"segment_index": 1, "prompt_text": "a", {fields}}}]}}"#)
}

#[test]
fn a_size_is_checked_against_the_providers_sizes_for_the_segments_mode() {
    let large = openai(&one(r#""size": "1792x1024""#)).unwrap_err();
    assert_eq!(
        large,
        [
            r#"f.json: segment 1: size: "1792x1024" needs "is_pro": true (or a sora-2-pro model); openai offers 1280x720, 720x1280 without it"#
        ]
    );
    let unknown = openai(&one(r#""size": "1920x1080", "is_pro": true"#)).unwrap_err();
    assert_eq!(
        unknown,
        [
            r#"f.json: segment 1: size: "1920x1080" is not a size openai offers here (allowed: 1280x720, 720x1280, 1792x1024, 1024x1792)"#
        ]
    );
    let shape = openai(&one(r#""size": "1280X720""#)).unwrap_err();
    assert_eq!(
        shape,
        [
            r#"f.json: segment 1: size: "1280X720" is not a size like "1280x720" (width x height in pixels) or "small""#
        ]
    );
    let pro = openai(&one(r#""size": "1024x1792", "is_pro": true"#)).unwrap();
    assert_eq!(pro[0].size.as_deref(), Some("1024x1792"));
}

#[test]
fn a_size_from_defaults_says_so_and_sora_hk_refuses_any_size_naming_resolution() {
    let from_defaults = openai(
        r#"{"defaults": {"size": "1792x1024"}, "segments": [{"segment_index": 2, "prompt_text": "a"}]}"#,
    )
    .unwrap_err();
    assert!(
        from_defaults[0].starts_with(
            r#"f.json: segment 2: size: "1792x1024" (from "defaults") needs "is_pro": true"#
        ),
        "{from_defaults:?}"
    );
    let sora_hk = check_with(super::SETTINGS, &one(r#""size": "1280x720""#)).unwrap_err();
    assert_eq!(
        sora_hk,
        [
            r#"f.json: segment 1: size: "1280x720": sora-hk has no size parameter; remove "size" and use "resolution" ("horizontal" or "vertical")"#
        ]
    );
}

#[test]
fn a_sora_2_pro_model_makes_the_segment_pro_and_sora_2_with_is_pro_is_refused() {
    let by_model = openai(&one(
        r#""model": "sora-2-pro-2025-10-06", "size": "1792x1024""#,
    ))
    .unwrap();
    assert!(by_model[0].is_pro);
    assert_eq!(by_model[0].model.as_deref(), Some("sora-2-pro-2025-10-06"));
    let gateway = openai(&one(r#""model": "my-sora""#)).unwrap();
    assert!(!gateway[0].is_pro);
    let blank = openai(&one(r#""model": "  ""#)).unwrap();
    assert_eq!(blank[0].model, None);
    let contradiction = openai(&one(r#""model": "sora-2", "is_pro": true"#)).unwrap_err();
    assert_eq!(
        contradiction,
        [
            r#"f.json: segment 1: model: "sora-2" is not a pro model, but "is_pro" is true; use a sora-2-pro model, or set "is_pro": false"#
        ]
    );
}

#[test]
fn a_segment_without_model_or_size_keeps_its_fingerprint_and_setting_them_changes_it() {
    // The fingerprint this segment had before `model` and `size` existed: runs made then
    // must not be generated again.
    let plain = Segment::example("a lake at dawn");
    assert_eq!(
        plain.fingerprint(),
        "e959c83eae195f7722c4ba72613a302a0d78f8acead5d9e3dc7676e586931475"
    );
    let with_model = Segment {
        model: Some("sora-2".to_string()),
        ..plain.clone()
    };
    let with_size = Segment {
        size: Some("1280x720".to_string()),
        ..plain.clone()
    };
    let fingerprints = [&plain, &with_model, &with_size].map(Segment::fingerprint);
    assert_ne!(fingerprints[0], fingerprints[1]);
    assert_ne!(fingerprints[0], fingerprints[2]);
    assert_ne!(fingerprints[1], fingerprints[2]);
}
