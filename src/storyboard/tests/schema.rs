//! The emitted JSON Schema, run by a real validator (the `jsonschema` crate), against
//! sora-batch's own checks on a corpus of good and bad storyboards: they must agree, and
//! where a schema cannot express a rule the case says so and why.

use serde_json::Value;

use std::path::Path;

use super::super::spec::Field;
use super::super::{SegmentSettings, decode};

/// What the schema and the checks make of a storyboard.
enum Verdict {
    /// Both accept it (`true`) or both refuse it (`false`).
    Both(bool),
    /// Only sora-batch refuses it: the reason is a rule JSON Schema cannot state.
    OnlyChecksRefuse(&'static str),
}

use Verdict::{Both, OnlyChecksRefuse};

const GOOD: Verdict = Both(true);
const BAD: Verdict = Both(false);

/// A storyboard of one segment with `extra` fields after its index and prompt.
fn segment(extra: &str) -> String {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(", {extra}")
    };
    format!(r#"{{"segments": [{{"segment_index": 1, "prompt_text": "a"{extra}}}]}}"#)
}

/// A storyboard with `defaults` and one segment with `extra` fields.
fn with_defaults(defaults: &str, extra: &str) -> String {
    let whole = segment(extra);
    format!(r#"{{"defaults": {{{defaults}}}, {}"#, &whole[1..])
}

/// A segment with `prompt_text` set to `prompt` (escaped for JSON).
fn prompt(prompt: &str) -> String {
    let quoted = serde_json::to_string(prompt).unwrap();
    format!(r#"{{"segments": [{{"segment_index": 1, "prompt_text": {quoted}}}]}}"#)
}

fn link(url: &str) -> String {
    segment(&format!(
        r#""image_url": {}"#,
        serde_json::to_string(url).unwrap()
    ))
}

/// The durations only pro mode offers, in a segment and through `defaults`.
fn pro_duration_cases() -> Vec<(&'static str, String, Verdict)> {
    vec![
        (
            "25 s, pro on the segment",
            segment(r#""duration_seconds": 25, "is_pro": true"#),
            GOOD,
        ),
        (
            "25 s, pro from defaults",
            with_defaults(r#""is_pro": true"#, r#""duration_seconds": 25"#),
            GOOD,
        ),
        (
            "25 s and pro from defaults",
            with_defaults(r#""is_pro": true, "duration_seconds": 25"#, ""),
            GOOD,
        ),
        (
            "25 s from defaults, pro on the segment",
            with_defaults(r#""duration_seconds": 25"#, r#""is_pro": true"#),
            GOOD,
        ),
        (
            "25 s from defaults, the segment's own 10 s",
            with_defaults(r#""duration_seconds": 25"#, r#""duration_seconds": 10"#),
            GOOD,
        ),
        (
            "25 s, is_pro null, pro from defaults",
            with_defaults(
                r#""is_pro": true"#,
                r#""duration_seconds": 25, "is_pro": null"#,
            ),
            GOOD,
        ),
        (
            "25 s without pro",
            segment(r#""duration_seconds": 25"#),
            BAD,
        ),
        (
            "25 s with is_pro false",
            segment(r#""duration_seconds": 25, "is_pro": false"#),
            BAD,
        ),
        (
            "25 s with is_pro null",
            segment(r#""duration_seconds": 25, "is_pro": null"#),
            BAD,
        ),
        (
            "25 s from defaults without pro",
            with_defaults(r#""duration_seconds": 25"#, ""),
            BAD,
        ),
        (
            "25 s from defaults, defaults is_pro false",
            with_defaults(r#""duration_seconds": 25, "is_pro": false"#, ""),
            BAD,
        ),
        (
            "25 s, the segment's is_pro false beats defaults",
            with_defaults(
                r#""is_pro": true"#,
                r#""duration_seconds": 25, "is_pro": false"#,
            ),
            BAD,
        ),
        (
            "25 s and pro from defaults, the segment's is_pro false",
            with_defaults(
                r#""is_pro": true, "duration_seconds": 25"#,
                r#""is_pro": false"#,
            ),
            BAD,
        ),
    ]
}

fn corpus() -> Vec<(&'static str, String, Verdict)> {
    let long = "x".repeat(crate::storyboard::DEFAULT_MAX_PROMPT_CHARS);
    let mut cases = vec![
        ("minimal", segment(""), GOOD),
        ("every field", segment(r#""image_url": "https://x.test/a.png", "is_pro": false, "duration_seconds": 15, "resolution": "vertical", "gen_count": 100, "director_intent": "calm""#), GOOD),
        ("$schema for editors", format!(r#"{{"$schema": "./storyboard.schema.json", {}"#, &segment("")[1..]), GOOD),
        ("comments everywhere", with_defaults(r#""_note": [1]"#, r#""_why": {"a": 1}"#).replacen('{', r#"{"_comment": null, "#, 1), GOOD),
        ("null means not set", with_defaults(r#""gen_count": null, "resolution": null"#, r#""image_url": null, "director_intent": null, "duration_seconds": null"#), GOOD),
        ("blank image link", link("  "), GOOD),
        ("capital scheme", link("HTTPS://X.TEST/A.PNG"), GOOD),
        ("the largest segment number", segment("").replace("\"segment_index\": 1", "\"segment_index\": 4294967295"), GOOD),
        ("prompt with line breaks and tabs", prompt("a\n\tb"), GOOD),
        ("prompt with a zero-width space among letters", prompt("a\u{200B}b"), GOOD),
        ("prompt of one emoji", prompt("🐱"), GOOD),
        ("prompt at the limit", prompt(&long), GOOD),
        // Wrong shapes.
        ("top level is a list", "[]".to_string(), BAD),
        ("segments missing", "{}".to_string(), BAD),
        ("segments empty", r#"{"segments": []}"#.to_string(), BAD),
        ("segments an object", r#"{"segments": {}}"#.to_string(), BAD),
        ("a segment is a number", r#"{"segments": [3]}"#.to_string(), BAD),
        ("defaults a list", format!(r#"{{"defaults": [], {}"#, &segment("")[1..]), BAD),
        ("$schema a number", format!(r#"{{"$schema": 5, {}"#, &segment("")[1..]), BAD),
        // Unknown keys.
        ("unknown top-level key", format!(r#"{{"segment": [], {}"#, &segment("")[1..]), BAD),
        ("unknown segment key", segment(r#""promt_text": "b""#), BAD),
        ("unknown defaults key", with_defaults(r#""zzz": 1"#, ""), BAD),
        ("prompt in defaults", with_defaults(r#""prompt_text": "x""#, ""), BAD),
        ("segment number in defaults", with_defaults(r#""segment_index": 2"#, ""), BAD),
        // Wrong types and values.
        ("segment number missing", r#"{"segments": [{"prompt_text": "a"}]}"#.to_string(), BAD),
        ("segment number 0", segment("").replace("\"segment_index\": 1", "\"segment_index\": 0"), BAD),
        ("segment number negative", segment("").replace("\"segment_index\": 1", "\"segment_index\": -4"), BAD),
        ("segment number as text", segment("").replace("\"segment_index\": 1", "\"segment_index\": \"1\""), BAD),
        ("segment number too large", segment("").replace("\"segment_index\": 1", "\"segment_index\": 4294967296"), BAD),
        ("prompt missing", r#"{"segments": [{"segment_index": 1}]}"#.to_string(), BAD),
        ("prompt a number", segment("").replace("\"a\"", "42"), BAD),
        ("prompt empty", prompt(""), BAD),
        ("prompt blank", prompt("  \n "), BAD),
        ("prompt of zero-width spaces", prompt("\u{200B}\u{FEFF}"), BAD),
        ("prompt of a tag character", prompt("\u{E0041}"), BAD),
        ("prompt with a bell", prompt("a\u{7}b"), BAD),
        ("prompt with a C1 control", prompt("a\u{85}b"), BAD),
        ("prompt over the limit", prompt(&format!("{long}x")), BAD),
        ("duration not offered", segment(r#""duration_seconds": 20"#), BAD),
        ("duration as text", segment(r#""duration_seconds": "10""#), BAD),
        ("is_pro as text", segment(r#""is_pro": "true""#), BAD),
        ("gen_count 0", segment(r#""gen_count": 0"#), BAD),
        ("gen_count 101", segment(r#""gen_count": 101"#), BAD),
        ("gen_count negative", segment(r#""gen_count": -1"#), BAD),
        ("resolution word", segment(r#""resolution": "portrait""#), BAD),
        ("resolution number", segment(r#""resolution": 1"#), BAD),
        ("director_intent a list", segment(r#""director_intent": ["x"]"#), BAD),
        ("image link a number", segment(r#""image_url": 7"#), BAD),
        ("image on disk", link("cat.png"), GOOD),
        ("image on disk, a path with spaces", link("my frames/first frame.png"), GOOD),
        ("image on disk, a Windows path", link(r"C:\frames\a.png"), GOOD),
        ("image path padded with spaces", link("cat.png "), BAD),
        ("image path with a tab", link("cat\t.png"), BAD),
        ("image link with a zero-width space", link("https://x.test/a\u{200B}.png"), BAD),
        ("image link padded with spaces", link(" https://x.test/a.png"), BAD),
        // What a schema cannot say.
        ("a segment number used twice", r#"{"segments": [{"segment_index": 1, "prompt_text": "a"}, {"segment_index": 1, "prompt_text": "b"}]}"#.to_string(),
            OnlyChecksRefuse("uniqueness of one field across items; `uniqueItems` compares whole items")),
        ("a key written twice", r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "prompt_text": "b"}]}"#.to_string(),
            OnlyChecksRefuse("a schema sees the parsed value, where JSON kept only the last of the two")),
        ("a whole number written as 2.0", segment(r#""gen_count": 2.0"#),
            OnlyChecksRefuse("JSON Schema counts 2.0 an integer; sora-batch asks for 2")),
        ("25.0 s with pro", segment(r#""duration_seconds": 25.0, "is_pro": true"#),
            OnlyChecksRefuse("JSON Schema's enum finds 25.0 equal to 25; sora-batch asks for 25")),
        ("a file: link", link("file:///tmp/cat.png"),
            OnlyChecksRefuse("to a pattern without lookahead, a link of another scheme reads as a path")),
        ("an http link with a space", link("https://x.test/a b.png"),
            OnlyChecksRefuse("to a pattern without lookahead, a link with a space reads as a path")),
        ("an http link without a host", link("https://"),
            OnlyChecksRefuse("the pattern checks the scheme and the characters; whether a host follows is for the URL parser")),
        ("an http link with a broken address", link("https://[::1"),
            OnlyChecksRefuse("the pattern checks the scheme and the characters; whether the address parses is for the URL parser")),
    ];
    cases.extend(pro_duration_cases());
    cases.extend([
        (
            "model on sora-hk (free text)",
            segment(r#""model": "anything""#),
            GOOD,
        ),
        ("size null on sora-hk", segment(r#""size": null"#), GOOD),
        (
            "size on sora-hk, which has none",
            segment(r#""size": "1280x720""#),
            BAD,
        ),
        (
            "size in defaults on sora-hk",
            with_defaults(r#""size": "1280x720""#, ""),
            BAD,
        ),
    ]);
    cases
}

/// The `model` and `size` fields against OpenAI's sizes.
fn openai_size_cases() -> Vec<(&'static str, String, Verdict)> {
    const PRO_FROM_MODEL: &str =
        "the mode comes from is_pro or a model name's prefix, either possibly from defaults";
    vec![
        ("720p size", segment(r#""size": "720x1280""#), GOOD),
        (
            "large size with pro",
            segment(r#""size": "1792x1024", "is_pro": true"#),
            GOOD,
        ),
        (
            "large size, pro model",
            segment(r#""size": "1024x1792", "model": "sora-2-pro""#),
            GOOD,
        ),
        (
            "large size in defaults, pro",
            with_defaults(r#""size": "1792x1024""#, r#""is_pro": true"#),
            GOOD,
        ),
        ("a gateway's model", segment(r#""model": "my-sora""#), GOOD),
        (
            "size not offered",
            segment(r#""size": "1920x1080", "is_pro": true"#),
            BAD,
        ),
        (
            "size with a capital X",
            segment(r#""size": "1280X720""#),
            BAD,
        ),
        ("size a number", segment(r#""size": 1280"#), BAD),
        ("model a number", segment(r#""model": 2"#), BAD),
        (
            "large size without pro",
            segment(r#""size": "1792x1024""#),
            OnlyChecksRefuse(PRO_FROM_MODEL),
        ),
        (
            "sora-2 with is_pro",
            segment(r#""model": "sora-2", "is_pro": true"#),
            OnlyChecksRefuse(PRO_FROM_MODEL),
        ),
    ]
}

/// Every case whose outcome differs from its verdict, described.
/// A storyboard of two segments, the second with `extra` fields.
fn second(extra: &str) -> String {
    format!(
        r#"{{"segments": [{{"segment_index": 1, "prompt_text": "a", "gen_count": 2}}, {{"segment_index": 2, "prompt_text": "b", {extra}}}]}}"#
    )
}

/// `remix_of` and `characters` for a provider that takes both.
fn continuity_cases() -> Vec<(&'static str, String, Verdict)> {
    const WHOLE_FILE: &str =
        "which segments a file has, and where chains lead, is the whole file's business";
    vec![
        (
            "remix of a video id",
            second(r#""remix_of": "video_68d7512d07848190""#),
            GOOD,
        ),
        (
            "remix of a Sora share id",
            second(r#""remix_of": "s_68e8:a.b-c""#),
            GOOD,
        ),
        (
            "remix of a take",
            second(r#""remix_of": {"segment": 1, "version": 2}"#),
            GOOD,
        ),
        (
            "remix of a take, version unset",
            second(r#""remix_of": {"segment": 1}"#),
            GOOD,
        ),
        (
            "remix of a take, version null",
            second(r#""remix_of": {"segment": 1, "version": null}"#),
            GOOD,
        ),
        ("remix_of null", second(r#""remix_of": null"#), GOOD),
        (
            "remix id with a slash",
            second(r#""remix_of": "../etc/passwd""#),
            BAD,
        ),
        (
            "remix id with a query",
            second(r#""remix_of": "video_1?x=1""#),
            BAD,
        ),
        ("remix id empty", second(r#""remix_of": """#), BAD),
        ("remix id a number", second(r#""remix_of": 12"#), BAD),
        (
            "remix take without segment",
            second(r#""remix_of": {"version": 1}"#),
            BAD,
        ),
        (
            "remix take version 0",
            second(r#""remix_of": {"segment": 1, "version": 0}"#),
            BAD,
        ),
        (
            "remix take with another key",
            second(r#""remix_of": {"segment": 1, "take": 1}"#),
            BAD,
        ),
        (
            "remix id of dots",
            second(r#""remix_of": "..""#),
            OnlyChecksRefuse("a pattern without lookahead cannot refuse a name of only dots"),
        ),
        (
            "remix of a missing segment",
            second(r#""remix_of": {"segment": 9}"#),
            OnlyChecksRefuse(WHOLE_FILE),
        ),
        (
            "remix of a version past gen_count",
            second(r#""remix_of": {"segment": 1, "version": 3}"#),
            OnlyChecksRefuse(WHOLE_FILE),
        ),
        (
            "remix of itself",
            second(r#""remix_of": {"segment": 2}"#),
            OnlyChecksRefuse(WHOLE_FILE),
        ),
        (
            "characters",
            second(r#""characters": [{"url": "https://x.test/c.mp4", "timestamps": "0,3"}]"#),
            GOOD,
        ),
        (
            "characters with fractions",
            second(r#""characters": [{"url": "https://x.test/c.mp4", "timestamps": "1.5, 4"}]"#),
            GOOD,
        ),
        ("characters empty", second(r#""characters": []"#), GOOD),
        (
            "character a path",
            second(r#""characters": [{"url": "c.mp4", "timestamps": "0,3"}]"#),
            BAD,
        ),
        (
            "character without timestamps",
            second(r#""characters": [{"url": "https://x.test/c.mp4"}]"#),
            BAD,
        ),
        (
            "character timestamps a word",
            second(r#""characters": [{"url": "https://x.test/c.mp4", "timestamps": "start"}]"#),
            BAD,
        ),
        (
            "character with another key",
            second(
                r#""characters": [{"url": "https://x.test/c.mp4", "timestamps": "0,3", "name": "x"}]"#,
            ),
            BAD,
        ),
        (
            "characters not a list",
            second(r#""characters": {"url": "https://x.test/c.mp4"}"#),
            BAD,
        ),
        (
            "eleven characters",
            second(&format!(
                r#""characters": [{}]"#,
                [r#"{"url": "https://x.test/c.mp4", "timestamps": "0,3"}"#; 11].join(",")
            )),
            BAD,
        ),
        (
            "character timestamps backwards",
            second(r#""characters": [{"url": "https://x.test/c.mp4", "timestamps": "3,1"}]"#),
            OnlyChecksRefuse("a pattern cannot compare two numbers"),
        ),
    ]
}

fn disagreements(cases: Vec<(&'static str, String, Verdict)>) -> Vec<String> {
    disagreements_with(super::SETTINGS, cases)
}

/// [`disagreements`] with a provider's settings.
fn disagreements_with(
    settings: SegmentSettings,
    cases: Vec<(&'static str, String, Verdict)>,
) -> Vec<String> {
    let check = |json: &str| {
        let parsed = decode::decode(json.as_bytes()).expect("valid JSON");
        super::checked(&parsed, Path::new("f.json"), settings)
    };
    let schema: Value = serde_json::from_str(&crate::storyboard::schema_json(&settings)).unwrap();
    if let Err(error) = jsonschema::meta::validate(&schema) {
        return vec![format!("the schema is not a valid JSON Schema: {error}")];
    }
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let mut wrong = Vec::new();
    for (name, json, verdict) in cases {
        let instance: Value = serde_json::from_str(&json).unwrap();
        let checks = check(&json).is_ok();
        let schema_says = validator.is_valid(&instance);
        let (want_checks, want_schema, why) = match verdict {
            Both(valid) => (valid, valid, String::new()),
            OnlyChecksRefuse(why) => (false, true, format!(", as a schema cannot check it: {why}")),
        };
        if (checks, schema_says) != (want_checks, want_schema) {
            let errors: Vec<String> = validator
                .iter_errors(&instance)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            wrong.push(format!(
                "{name}: checks accept: {checks} (want {want_checks}), schema accepts: \
                 {schema_says} (want {want_schema}{why}); {json}; schema errors: {errors:?}"
            ));
        }
    }
    wrong
}

#[test]
fn the_schema_and_the_checks_agree_on_good_and_bad_storyboards() {
    let wrong = disagreements(corpus());
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_schema_and_the_checks_agree_on_remixes_and_characters() {
    let takes_both = SegmentSettings {
        remix_refused: None,
        characters_refused: None,
        ..super::SETTINGS
    };
    let wrong = disagreements_with(takes_both, continuity_cases());
    assert!(wrong.is_empty(), "{wrong:#?}");
    // Refused by the provider: the schema allows only null.
    let refused = vec![
        ("remix on sora-hk", second(r#""remix_of": "video_1""#), BAD),
        ("characters on sora-hk", second(r#""characters": []"#), BAD),
        ("remix null on sora-hk", second(r#""remix_of": null"#), GOOD),
    ];
    let wrong = disagreements(refused);
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_schema_and_the_checks_agree_on_chat_remixes_and_styles() {
    let share_id = "s_68e3a06dcd888191b150971da152c1f5";
    let chat = crate::provider::chat::CAPABILITIES.segment_settings(2);
    let cases = vec![
        (
            "share id",
            second(&format!(r#""remix_of": "{share_id}""#)),
            GOOD,
        ),
        (
            "share link",
            second(&format!(
                r#""remix_of": "https://sora.chatgpt.com/p/{share_id}?x=1""#
            )),
            GOOD,
        ),
        ("a take", second(r#""remix_of": {"segment": 1}"#), BAD),
        ("another id", second(r#""remix_of": "video_68d7""#), BAD),
        (
            "another link",
            second(r#""remix_of": "https://example.com/p/s_1""#),
            BAD,
        ),
        ("a style", second(r#""style_id": "retro""#), GOOD),
        ("no style", second(r#""style_id": null"#), GOOD),
        ("an unknown style", second(r#""style_id": "noir""#), BAD),
    ];
    let wrong = disagreements_with(chat, cases);
    assert!(wrong.is_empty(), "{wrong:#?}");
    let wrong = disagreements(vec![(
        "a style on sora-hk",
        second(r#""style_id": "retro""#),
        BAD,
    )]);
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_schema_and_the_checks_agree_on_openai_sizes_and_models() {
    let openai = crate::provider::openai::CAPABILITIES.segment_settings(1);
    let wrong = disagreements_with(openai, openai_size_cases());
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_schema_refuses_25_seconds_without_pro_in_the_segment_or_through_defaults() {
    let wrong = disagreements(pro_duration_cases());
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn schema_documents_exactly_the_checked_fields() {
    let schema: serde_json::Value =
        serde_json::from_str(&crate::storyboard::schema_json(&super::SETTINGS)).unwrap();
    let names = |def: &str| -> Vec<String> {
        let mut keys: Vec<String> = schema["$defs"][def]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("no {def} in the schema"))
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    };
    let mut segment: Vec<String> = Field::ALL.iter().map(|f| f.name().to_string()).collect();
    segment.sort();
    let mut defaults: Vec<String> = Field::ALL
        .iter()
        .filter(|f| f.has_default())
        .map(|f| f.name().to_string())
        .collect();
    defaults.sort();
    assert_eq!(names("segment"), segment);
    assert_eq!(names("defaults"), defaults);
}

#[test]
fn every_field_is_described_once_under_its_own_name() {
    let names = Field::ALL.map(Field::name);
    assert_eq!(
        names,
        [
            "segment_index",
            "prompt_text",
            "image_url",
            "is_pro",
            "duration_seconds",
            "resolution",
            "gen_count",
            "director_intent",
            "model",
            "size",
            "remix_of",
            "characters",
            "style_id"
        ]
    );
    for field in Field::ALL {
        assert_eq!(Field::from_name(field.name()), Some(field));
    }
}

#[test]
fn the_schema_defaults_are_what_a_minimal_segment_resolves_to() {
    let schema: Value =
        serde_json::from_str(&crate::storyboard::schema_json(&super::SETTINGS)).unwrap();
    let properties = schema["$defs"]["segment"]["properties"]
        .as_object()
        .unwrap();
    let minimal = &super::segments(&segment(""))[0];
    let resolved = |name: &str| match name {
        "is_pro" => serde_json::json!(minimal.is_pro),
        "duration_seconds" => serde_json::json!(minimal.duration_seconds),
        "resolution" => serde_json::json!(minimal.resolution.as_str()),
        other => panic!("{other} has a default in the schema; add it here"),
    };
    let mut with_default = Vec::new();
    for (name, property) in properties {
        if let Some(default) = property.get("default") {
            assert_eq!(*default, resolved(name), "{name}");
            with_default.push(name.as_str());
        }
    }
    assert_eq!(with_default, ["duration_seconds", "is_pro", "resolution"]);
    assert_eq!(minimal.image_url, None);
    assert_eq!(minimal.director_intent, None);
    assert_eq!(minimal.gen_count, super::SETTINGS.gen_count);
}

#[test]
fn a_schema_key_that_is_not_text_is_a_problem_and_a_bare_schema_key_is_suggested() {
    let number = super::single(&format!(r#"{{"$schema": 5, {}"#, &segment("")[1..]));
    assert_eq!(
        number,
        "input/story.json: $schema: expected the schema's path or link, as text, found 5"
    );
    let bare = super::single(&format!(r#"{{"schema": "./s.json", {}"#, &segment("")[1..]));
    assert_eq!(
        bare,
        r#"input/story.json: schema: unknown field; did you mean "$schema"?"#
    );
}

#[test]
fn every_description_reads_as_one_line_of_prose() {
    fn descriptions(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match (key.as_str(), inner) {
                        ("description", Value::String(text)) => out.push(text.clone()),
                        _ => descriptions(inner, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| descriptions(item, out)),
            _ => {}
        }
    }
    let schema: Value = serde_json::from_str(&crate::storyboard::schema_json(
        &crate::provider::openai::CAPABILITIES.segment_settings(1),
    ))
    .unwrap();
    let mut found = Vec::new();
    descriptions(&schema, &mut found);
    assert!(found.len() > 10, "{found:?}");
    for text in found {
        assert!(
            !text.contains("  ") && !text.contains('\n'),
            "a line break or run of spaces left in: {text:?}"
        );
    }
}
