//! The catalogs agree with each other, and the language is chosen as documented.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::*;

/// The catalogs' directory.
fn locales() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/i18n/locales")
}

/// One catalog file's texts by key.
fn catalog(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).expect("a catalog is readable");
    let value: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{}: not JSON: {error}", path.display()));
    value
        .as_object()
        .expect("a catalog is an object")
        .iter()
        .filter(|(key, _)| *key != "_version")
        .map(|(key, text)| {
            let text = text.as_str().expect("texts are strings");
            (key.clone(), text.to_string())
        })
        .collect()
}

/// Every catalog by part and language: `run.zh-CN.json` is part `run`, language `zh-CN`.
fn catalogs() -> BTreeMap<(String, String), BTreeMap<String, String>> {
    let mut all = BTreeMap::new();
    for entry in std::fs::read_dir(locales()).expect("the catalogs' directory") {
        let path = entry.expect("a directory entry").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let stem = name
            .strip_suffix(".json")
            .unwrap_or_else(|| panic!("{name}: a catalog is a .json file"));
        let (part, lang) = stem
            .rsplit_once('.')
            .unwrap_or_else(|| panic!("{name}: named <part>.<language>.json"));
        assert!(["en", "zh-CN"].contains(&lang), "{name}: no such language");
        all.insert((part.to_string(), lang.to_string()), catalog(&path));
    }
    all
}

/// Every key of one language, over all its parts; a key in two parts is an error (one
/// would silently win over the other).
fn every_text(lang: &str) -> BTreeMap<String, String> {
    let mut texts = BTreeMap::new();
    for ((part, _), catalog) in catalogs().into_iter().filter(|((_, l), _)| l == lang) {
        for (key, text) in catalog {
            let twice = texts.insert(key.clone(), text).is_some();
            assert!(!twice, "{key} is in two {lang} catalogs (one is {part})");
        }
    }
    texts
}

/// The `%{name}` placeholders of a text.
fn placeholders(text: &str) -> BTreeSet<String> {
    text.split("%{")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
        .collect()
}

#[test]
fn every_message_is_in_both_catalogs_with_the_same_placeholders() {
    let all = catalogs();
    for ((part, lang), english) in all.iter().filter(|((_, lang), _)| lang == "en") {
        let other = (part.clone(), "zh-CN".to_string());
        let chinese = all
            .get(&other)
            .unwrap_or_else(|| panic!("{part}.{lang}.json has no {part}.zh-CN.json"));
        let keys = |c: &BTreeMap<String, String>| c.keys().cloned().collect::<BTreeSet<_>>();
        let only_english: Vec<_> = keys(english).difference(&keys(chinese)).cloned().collect();
        let only_chinese: Vec<_> = keys(chinese).difference(&keys(english)).cloned().collect();
        assert!(
            only_english.is_empty(),
            "missing in {part}.zh-CN.json: {only_english:?}"
        );
        assert!(
            only_chinese.is_empty(),
            "missing in {part}.en.json: {only_chinese:?}"
        );
        for (key, text) in english {
            assert_eq!(
                placeholders(text),
                placeholders(&chinese[key]),
                "{key}: the placeholders differ"
            );
        }
    }
    assert!(
        all.keys()
            .all(|(part, _)| all.contains_key(&(part.clone(), "en".to_string()))),
        "a zh-CN catalog has no en catalog"
    );
    // A counted message has both forms, and `n`.
    let english = every_text("en");
    every_text("zh-CN");
    for key in english.keys().filter(|key| key.ends_with(".one")) {
        let other = key.replace(".one", ".other");
        assert!(english.contains_key(&other), "{key} without {other}");
        assert!(
            placeholders(&english[key]).contains("n"),
            "{key} without %{{n}}"
        );
    }
}

/// The catalog keys the code names as literals: the first argument of `text`, `counted`,
/// `Message::new`, `Message::counted` and `InRange::with_hint`, with `.one`/`.other` for
/// the counted ones.
fn keys_in_code(code: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for (call, counted) in [
        ("text(", false),
        ("counted(", true),
        ("Message::new(", false),
    ] {
        for (at, _) in code.match_indices(call) {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = code[at + call.len()..].trim_start();
            let Some(literal) = rest.strip_prefix('"') else {
                continue;
            };
            let key = literal.split('"').next().unwrap_or_default();
            let is_key = key.contains('.')
                && key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._".contains(c));
            match (is_key, counted) {
                (false, _) => {}
                (true, false) => keys.push(key.to_string()),
                (true, true) => keys.extend([format!("{key}.one"), format!("{key}.other")]),
            }
        }
    }
    keys
}

#[test]
fn every_key_the_code_names_is_in_the_catalogs() {
    let english = every_text("en");
    let sources = walkdir::WalkDir::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let mut missing = Vec::new();
    let mut named = 0;
    for entry in sources
        .into_iter()
        .map(|entry| entry.expect("src is readable"))
    {
        let path = entry.path();
        if path.extension().is_none_or(|ext| ext != "rs") || path.ends_with("i18n/tests.rs") {
            continue;
        }
        let code = std::fs::read_to_string(path).expect("a source file is readable");
        for key in keys_in_code(&code) {
            named += 1;
            if !english.contains_key(&key) {
                missing.push(format!("{}: {key}", path.display()));
            }
        }
    }
    assert!(
        named > 50,
        "the scan found only {named} keys: is it broken?"
    );
    assert!(missing.is_empty(), "not in the catalogs: {missing:#?}");
}

#[test]
fn the_scan_finds_keys_in_calls_and_not_elsewhere() {
    let code = r#"lang.text("a.b", &[]); counted("c.d", 2, &[]); Message::new("e.f");
        Message::counted("g.h", 1); first_text("x.y"); text(name); text("no key")"#;
    assert_eq!(
        keys_in_code(code),
        ["a.b", "c.d.one", "c.d.other", "g.h.one", "g.h.other", "e.f"]
    );
}

#[test]
fn a_message_reads_in_english_for_scripts_and_in_either_language_on_demand() {
    let inner = Message::counted("summary.not_submitted", 2);
    let message = Message::new("summary.stopped").with_text("reason", inner);
    assert_eq!(message.to_string(), "Stopped early: 2 jobs not submitted..");
    assert_eq!(
        serde_json::to_value(&message).unwrap(),
        serde_json::json!("Stopped early: 2 jobs not submitted..")
    );
    let chinese = message.words(Lang::Zh);
    assert!(chinese.contains("2 个任务未提交"), "{chinese}");
    assert_ne!(chinese, message.to_string());
    let plain = Message::new("summary.stopped").with("reason", "%{n} as it is");
    assert_eq!(plain.to_string(), "Stopped early: %{n} as it is.");
}

#[test]
fn the_flag_wins_then_the_locale_variables_in_posix_order() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    };
    let none = || None;
    assert_eq!(
        choose(Some(Lang::En), env(&[("LANG", "zh_CN.UTF-8")]), none),
        Lang::En
    );
    assert_eq!(
        choose(None, env(&[("LANG", "zh_CN.UTF-8")]), none),
        Lang::Zh
    );
    assert_eq!(choose(None, env(&[("LANG", "C")]), none), Lang::En);
    let both = env(&[("LC_ALL", "en_US.UTF-8"), ("LANG", "zh_TW.UTF-8")]);
    assert_eq!(choose(None, both, none), Lang::En);
    let empty_all = env(&[("LC_ALL", ""), ("LC_MESSAGES", "zh_CN"), ("LANG", "C")]);
    assert_eq!(choose(None, empty_all, none), Lang::Zh);
    assert_eq!(
        choose(None, env(&[]), || Some("zh-Hans-CN".to_string())),
        Lang::Zh
    );
    assert_eq!(
        choose(None, env(&[]), || Some("de-DE".to_string())),
        Lang::En
    );
    assert_eq!(choose(None, env(&[]), none), Lang::En);
}

#[test]
fn texts_fill_their_placeholders_in_one_pass_in_either_language() {
    // The language is set per call here: setting it for the process would change what
    // other tests, running at the same time, read.
    assert_eq!(
        counted_in("zh-CN", "summary.not_submitted", 3, &[]),
        "3 个任务未提交。"
    );
    assert_eq!(
        counted_in("en", "summary.not_submitted", 1, &[]),
        "1 job not submitted."
    );
    assert_eq!(
        counted_in("en", "summary.not_submitted", 0, &[]),
        "0 jobs not submitted."
    );
    let reason: &dyn Display = &"a %{reason} in it";
    assert_eq!(
        text_in("en", "summary.stopped", &[("reason", reason)]),
        "Stopped early: a %{reason} in it."
    );
}

#[test]
fn lists_durations_and_credits_read_as_each_language_writes_them() {
    let list = Message::new("text.as_is").with_list("text", [4, 8, 12]);
    assert_eq!(list.to_string(), "4, 8, 12");
    assert_eq!(list.words(Lang::Zh), "4、8、12");
    let limit =
        Message::new("text.as_is").with_duration("text", std::time::Duration::from_secs(90));
    assert_eq!(limit.to_string(), "1m 30s");
    assert_eq!(limit.words(Lang::Zh), "1 分钟 30 秒");
    let credits = crate::pricing::amount(40, "credits");
    assert_eq!(credits.to_string(), "40 credits");
    assert_eq!(credits.words(Lang::Zh), "40 积分");
    let dollars = crate::pricing::amount(30, "USD");
    assert_eq!(
        (dollars.to_string(), dollars.words(Lang::Zh)),
        ("$0.30".into(), "$0.30".into())
    );
}
