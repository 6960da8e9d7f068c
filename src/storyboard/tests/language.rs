//! Problems in the user's language: every message reads in Chinese as a whole (its
//! placeholders filled, no English sentence left), while field names, values and file
//! names stay as they are written; `Display` stays English.

use std::path::Path;

use super::super::{Problem, Refusal, SegmentSettings, decode, load};
use super::{SETTINGS, checked};
use crate::i18n::Lang;

/// Whether `text` holds a CJK ideograph.
fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
}

/// The problems of `json` under `settings`.
fn problems_of(json: &str, settings: SegmentSettings) -> Vec<Problem> {
    match decode::decode(json.as_bytes()) {
        Ok(parsed) => checked(&parsed, Path::new("input/f.json"), settings)
            .expect_err("the storyboard should be invalid"),
        Err((location, message)) => vec![Problem {
            file: "input/f.json".into(),
            location,
            field: None,
            message,
        }],
    }
}

/// Each problem's message in Chinese is Chinese, with every placeholder filled, and not
/// the English one.
fn assert_chinese(problems: &[Problem]) {
    assert!(!problems.is_empty());
    for problem in problems {
        let chinese = problem.message.words(Lang::Zh);
        let english = problem.message.to_string();
        assert!(has_chinese(&chinese), "not Chinese: {chinese} ({english})");
        assert!(!chinese.contains("%{"), "a placeholder left: {chinese}");
        assert!(!chinese.contains("storyboard."), "a key shown: {chinese}");
        assert!(!english.contains("%{"), "a placeholder left: {english}");
        assert!(!has_chinese(&english), "Chinese in English: {english}");
    }
}

const MANY: &str = r#"{
    "extra": 1,
    "$schema": 3,
    "defaults": {"segment_index": 2, "is_pro": "true", "model": "sora-2", "size": "huge size"},
    "segments": [
        {"segment_index": 1, "promt_text": "a"},
        {"segment_index": 1, "prompt_text": " "},
        {"segment_index": 2, "prompt_text": "a\u0000b", "resolution": "wide",
         "gen_count": 0, "style_id": "Anime", "remix_of": {"segment": 9},
         "characters": [{"url": "x"}], "image_url": "file:///a.png",
         "duration_seconds": "10"},
        {"segment_index": 3, "prompt_text": "\u200b", "duration_seconds": 25,
         "resolution": 7, "image_url": "https://a b", "is_pro": 1},
        {"segment_index": -4, "prompt_text": "a", "gen_count": 5000000000},
        {"segment_index": 5, "prompt_text": "a", "remix_of": {"segment": 6, "x": 1},
         "characters": [1, {"url": "https://a.example/v.mp4", "timestamps": "3,1"},
                        {"url": "https://a.example/v.mp4", "who": 1}]},
        {"segment_index": 6, "prompt_text": "a", "remix_of": "bad/id",
         "image_url": "  frame.png", "style_id": "nope", "resolution": "sideways"},
        {"segment_index": 7, "prompt_text": "a", "remix_of": {"segment": 8}},
        {"segment_index": 8, "prompt_text": "a", "remix_of": {"segment": 7}},
        {"segment_index": 9, "prompt_text": "a", "gen_count": 1},
        {"segment_index": 10, "prompt_text": "a", "remix_of": {"segment": 9, "version": 3}},
        {"segment_index": 11, "prompt_text": "a", "prompt_text": "b"},
        7
    ]
}"#;

#[test]
fn every_kind_of_problem_reads_in_chinese_and_its_english_is_unchanged() {
    let openai = crate::provider::openai::CAPABILITIES.segment_settings(1);
    let chat = crate::provider::chat::CAPABILITIES.segment_settings(1);
    let draw = crate::provider::draw::CAPABILITIES.segment_settings(1);
    let mut multipart = openai;
    multipart.images.link_refused = Some(Refusal::MultipartLink);
    for settings in [SETTINGS, openai, chat, draw, multipart] {
        assert_chinese(&problems_of(MANY, settings));
    }
    let remixes = r#"{"segments": [
        {"segment_index": 1, "prompt_text": "a", "remix_of": "video_1", "image_url": "https://a.example/i.png"},
        {"segment_index": 2, "prompt_text": "a", "remix_of": "https://sora.chatgpt.com/p/x"},
        {"segment_index": 3, "prompt_text": "a", "remix_of": {"segment": 1}, "size": "1792x1024"}]}"#;
    for settings in [openai, chat, draw] {
        assert_chinese(&problems_of(remixes, settings));
    }
    for bytes in [
        "",
        "\u{FEFF}\u{FEFF}{}",
        "{\"segments\"： []}",
        "{\"a\": 1，}",
        "{\"a\": “b”}",
        "{// no\n}",
        "{\"a\": 1 \u{FEFF}}",
        "[]",
        "{\"segments\": [], \"segments\": []}",
        "{\"segments\": \"x\", \"defaults\": 1}",
        "{}",
    ] {
        assert_chinese(&problems_of(bytes, SETTINGS));
    }
    let english: Vec<String> = problems_of(MANY, SETTINGS)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        english.contains(
            &r#"input/f.json: segment 1: promt_text: unknown field; did you mean "prompt_text"?"#
                .to_string()
        ),
        "{english:#?}"
    );
}

#[test]
fn names_and_values_stay_as_written_in_chinese() {
    let problems = problems_of(
        r#"{"segments": [{"segment_index": 1, "promt_text": "a", "resolution": "wide"}]}"#,
        SETTINGS,
    );
    let lines: Vec<String> = problems.iter().map(|p| p.words(Lang::Zh)).collect();
    assert_eq!(
        lines,
        [
            r#"input/f.json：分镜 1：promt_text：未知字段；是不是想写 "prompt_text"？"#,
            r#"input/f.json：分镜 1：resolution："wide" 不是可用的画面方向；是不是想写 "horizontal"？（可用值："horizontal" 即 16:9，"vertical" 即 9:16）"#,
        ]
    );
}

#[test]
fn files_and_images_read_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("storyboard.json");
    std::fs::write(
        &path,
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "image_url": "gone.png"},
                         {"segment_index": 2, "prompt_text": "a", "image_url": "not.png"}]}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("not.png"), b"plain text").unwrap();
    let shown = Path::new("input/storyboard.json");
    let problems = load(&path, shown, SETTINGS).unwrap_err();
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert_chinese(&problems);
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(super::super::MAX_FILE_BYTES + 1).unwrap();
    assert_chinese(&load(&path, shown, SETTINGS).unwrap_err());
}

#[test]
fn every_refusal_reads_in_both_languages() {
    for refusal in [
        Refusal::NoRemix,
        Refusal::NoTakeRemix,
        Refusal::NoStyles,
        Refusal::NoRemixImage,
        Refusal::NoCharacters,
        Refusal::FilesNeedAHost,
        Refusal::MultipartLink,
    ] {
        let english = refusal.message().to_string();
        let chinese = refusal.message().words(Lang::Zh);
        assert!(
            !english.starts_with("storyboard."),
            "{refusal:?}: {english}"
        );
        assert!(!has_chinese(&english), "{english}");
        assert!(has_chinese(&chinese), "{refusal:?}: {chinese}");
    }
}
