//! Reading keys: seed 004's JSON list, the single variable, the keys file, and every
//! mistake named without quoting a key.

use std::collections::HashMap;
use std::ffi::OsString;

use super::*;

const VARS: KeyVariables = KeyVariables {
    single: "SORA_API_KEY",
    list: "SORA_API_KEYS",
};

const SECRET_A: &str = "sk-live-aaaaaaaaaaaaaaaa";
const SECRET_B: &str = "sk-live-bbbbbbbbbbbbbbbb";

fn load(vars: &[(&str, &str)], file: Option<&Path>) -> Result<Option<KeySet>, KeyError> {
    let env: HashMap<String, OsString> = vars
        .iter()
        .map(|(name, value)| (name.to_string(), OsString::from(value)))
        .collect();
    KeySet::load_from(VARS, file, |name| env.get(name).cloned())
}

fn list(text: &str) -> Result<KeySet, KeyError> {
    load(&[("SORA_API_KEYS", text)], None).map(|set| set.expect("keys are set"))
}

/// The error's message, checked to hold no secret of these tests.
fn refused(text: &str) -> String {
    let message = list(text).unwrap_err().to_string();
    for secret in [SECRET_A, SECRET_B, "live-aaaa", "live-bbbb"] {
        assert!(!message.contains(secret), "{message}");
    }
    message
}

#[test]
fn seed_004s_list_reads_with_or_without_bearer_and_defaults() {
    let set = list(&format!(
        r#"[{{"key": "Bearer {SECRET_A}", "weight": 1, "max_rpm": 60}},
            {{"key": "{SECRET_B}", "weight": 2}},
            {{"key": "bearer sk-third", "label": "studio-c"}}]"#
    ))
    .unwrap();
    let keys: Vec<(&str, &str, u32, Option<u32>)> = set
        .iter()
        .map(|k| (k.label.as_str(), k.secret.expose(), k.weight, k.max_rpm))
        .collect();
    assert_eq!(
        keys,
        [
            ("key1", SECRET_A, 1, Some(60)),
            ("key2", SECRET_B, 2, None),
            ("studio-c", "sk-third", 1, None),
        ]
    );
    assert_eq!(set.source(), &KeySource::List("SORA_API_KEYS"));
    assert_eq!(set.len(), 3);
}

#[test]
fn a_keys_hash_is_twelve_hex_digits_of_its_sha256_and_ignores_bearer() {
    let set = list(&format!(
        r#"[{{"key": "Bearer {SECRET_A}"}}, {{"key": "{SECRET_B}"}}]"#
    ))
    .unwrap();
    let (a, b) = (set.keys()[0].hash(), set.keys()[1].hash());
    assert_eq!(a.len(), 12);
    assert!(a.chars().all(|c| c.is_ascii_hexdigit()), "{a}");
    assert_ne!(a, b);
    let digest = crate::storyboard::hex(&Sha256::digest(SECRET_A.as_bytes()));
    assert_eq!(a, digest[..12]);
    assert!(!SECRET_A.contains(&a));
}

#[test]
fn one_key_in_the_plain_variable_keeps_working() {
    let set = load(&[("SORA_API_KEY", &format!(" {SECRET_A}\n"))], None)
        .unwrap()
        .unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(set.first().label, "key1");
    assert_eq!(set.first().secret.expose(), SECRET_A);
    assert_eq!(set.source(), &KeySource::Single("SORA_API_KEY"));
    assert!(load(&[("SORA_API_KEY", "  ")], None).unwrap().is_none());
    assert!(load(&[], None).unwrap().is_none());
}

#[test]
fn two_places_set_at_once_are_an_error_naming_both() {
    let both = load(&[("SORA_API_KEY", SECRET_A), ("SORA_API_KEYS", "[]")], None)
        .unwrap_err()
        .to_string();
    assert!(
        both.starts_with("SORA_API_KEYS and SORA_API_KEY are both set; keep one"),
        "{both}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keys.json");
    std::fs::write(&file, format!(r#"[{{"key": "{SECRET_B}"}}]"#)).unwrap();
    let with_file = load(&[("SORA_API_KEY", SECRET_A)], Some(&file))
        .unwrap_err()
        .to_string();
    assert!(
        with_file.starts_with("--keys-file (SORA_KEYS_FILE) and SORA_API_KEY are both set"),
        "{with_file}"
    );
    assert!(!with_file.contains(SECRET_A) && !with_file.contains(SECRET_B));
}

#[test]
fn a_keys_file_holds_the_same_json_and_its_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keys.json");
    std::fs::write(
        &file,
        format!(r#"[{{"key": "{SECRET_A}", "max_rpm": 30}}, {{"key": "{SECRET_B}"}}]"#),
    )
    .unwrap();
    let set = load(&[], Some(&file)).unwrap().unwrap();
    assert_eq!(set.len(), 2);
    assert_eq!(set.keys()[0].max_rpm, Some(30));
    std::fs::write(&file, format!(r#"[{{"key": "{SECRET_A}", "weight": 0}}]"#)).unwrap();
    let message = load(&[], Some(&file)).unwrap_err().to_string();
    assert!(
        message.contains("keys.json: entry 1: \"weight\" must be a whole number from 1 to 1000"),
        "{message}"
    );
    let missing = load(&[], Some(&dir.path().join("none.json")))
        .unwrap_err()
        .to_string();
    assert!(
        missing.starts_with("cannot read the keys file"),
        "{missing}"
    );
}

#[test]
fn every_mistake_names_the_variable_and_entry_and_never_the_key() {
    let cases = [
        (
            SECRET_A.to_string(),
            "SORA_API_KEYS: not a JSON list of keys",
        ),
        (
            format!(r#"[{{"key": "{SECRET_A}"}},]"#),
            "SORA_API_KEYS: invalid JSON at line 1, column",
        ),
        ("[]".to_string(), "SORA_API_KEYS: the list is empty"),
        (
            format!(r#"{{"key": "{SECRET_A}"}}"#),
            "SORA_API_KEYS: not a JSON list",
        ),
        (
            format!(r#"[{{"key": "{SECRET_A}"}}, "{SECRET_B}"]"#),
            "entry 2: not an object",
        ),
        (r#"[{"weight": 2}]"#.to_string(), "entry 1: no \"key\""),
        (
            r#"[{"key": 7}]"#.to_string(),
            "entry 1: \"key\" must be text",
        ),
        (
            r#"[{"key": "Bearer "}]"#.to_string(),
            "entry 1: \"key\" is empty",
        ),
        (
            format!(r#"[{{"key": "{SECRET_A}"}}, {{"key": "sk-two words"}}]"#),
            "entry 2: the key holds a space at character 7",
        ),
        (
            format!(r#"[{{"key": "{SECRET_A}", "weight": 2.5}}]"#),
            "entry 1: \"weight\" must be a whole number",
        ),
        (
            format!(r#"[{{"key": "{SECRET_A}", "max_rpm": "{SECRET_B}"}}]"#),
            "entry 1: \"max_rpm\" must be a whole number from 1 to 60000",
        ),
        (
            format!(r#"[{{"key": "{SECRET_A}", "max_rmp": 60}}]"#),
            "entry 1: unknown field \"max_rmp\"; did you mean \"max_rpm\"?",
        ),
        (
            format!(r#"[{{"key": "{SECRET_A}", "{SECRET_B}": 1}}]"#),
            "entry 1: an unknown field (not shown: it may be a key)",
        ),
        (
            format!(r#"[{{"key": "{SECRET_A}"}}, {{"key": "Bearer {SECRET_A}"}}]"#),
            "entries 1 and 2 hold the same key",
        ),
        (
            format!(r#"[{{"key": "{SECRET_A}", "label": "key2"}}, {{"key": "{SECRET_B}"}}]"#),
            "entries 1 and 2 have the same label \"key2\"",
        ),
        (
            format!(r#"[{{"key": "{SECRET_A}", "label": "{SECRET_A}"}}]"#),
            "entry 1: \"label\" is the key, or a part of it",
        ),
        (
            format!(r#"[{{"key": "{SECRET_A}", "name": "a b"}}]"#),
            "entry 1: \"name\" must be 1 to 32 letters",
        ),
    ];
    for (text, said) in cases {
        let message = refused(&text);
        assert!(message.contains(said), "{text}: {message}");
        assert!(message.starts_with("SORA_API_KEYS: "), "{message}");
    }
}
