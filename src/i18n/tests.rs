//! The catalogs agree with each other, and the language is chosen as documented.

use std::collections::{BTreeMap, BTreeSet};

use super::*;

fn catalog(text: &str) -> BTreeMap<String, String> {
    let value: serde_json::Value = serde_json::from_str(text).expect("a catalog is JSON");
    value
        .as_object()
        .expect("a catalog is an object")
        .iter()
        .filter(|(key, _)| *key != "_version")
        .map(|(key, text)| {
            (
                key.clone(),
                text.as_str().expect("texts are strings").to_string(),
            )
        })
        .collect()
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
    let english = catalog(include_str!("locales/en.json"));
    let chinese = catalog(include_str!("locales/zh-CN.json"));
    let keys = |c: &BTreeMap<String, String>| c.keys().cloned().collect::<BTreeSet<_>>();
    let only_english: Vec<_> = keys(&english)
        .difference(&keys(&chinese))
        .cloned()
        .collect();
    let only_chinese: Vec<_> = keys(&chinese)
        .difference(&keys(&english))
        .cloned()
        .collect();
    assert!(
        only_english.is_empty(),
        "missing in zh-CN.json: {only_english:?}"
    );
    assert!(
        only_chinese.is_empty(),
        "missing in en.json: {only_chinese:?}"
    );
    for (key, text) in &english {
        assert_eq!(
            placeholders(text),
            placeholders(&chinese[key]),
            "{key}: the placeholders differ"
        );
    }
    // A counted message has both forms, and `n`.
    for key in english.keys().filter(|key| key.ends_with(".one")) {
        let other = key.replace(".one", ".other");
        assert!(english.contains_key(&other), "{key} without {other}");
        assert!(
            placeholders(&english[key]).contains("n"),
            "{key} without %{{n}}"
        );
    }
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
