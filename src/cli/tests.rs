//! The command line's own checks: clap's definition, the value parsers, each provider's
//! defaults, and the variables `.env.example` documents.

use super::values::{MAX_VIDEO_BYTES, parse_durations};
use super::*;

#[test]
fn clap_definition_is_consistent() {
    command().debug_assert();
}

#[test]
fn video_sizes_read_like_people_write_them() {
    let size = |text| MAX_VIDEO_BYTES.check("--max-video-bytes", text);
    assert_eq!(size("4GiB"), Ok(4 << 30));
    assert_eq!(size("500MB"), Ok(500_000_000));
    assert_eq!(size("1.5 GiB"), Ok(3 << 29));
    assert_eq!(size("1048576"), Ok(1 << 20));
    for bad in ["", "-1", "4 lightyears", "1KiB", "0", "2PiB"] {
        let message = size(bad).unwrap_err();
        assert!(
            message.contains("--max-video-bytes must be between 1MiB and 1PiB"),
            "{bad:?}: {message}"
        );
    }
}

#[test]
fn durations_read_as_a_comma_list_and_bad_lengths_are_named() {
    assert_eq!(parse_durations("15, 10,15"), Ok(&[10, 15][..]));
    for bad in ["", "10,", "ten", "0", "3601", "-4"] {
        let message = parse_durations(bad).unwrap_err();
        assert!(message.contains("e.g. 10,15"), "{bad:?}: {message}");
    }
}

#[test]
fn each_provider_has_its_own_address_key_variable_and_lengths() {
    let parsed = |args: &[&str]| {
        let mut all = vec!["sora-batch"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).unwrap().run
    };
    let openai = parsed(&["--provider", "openai"]);
    assert_eq!(openai.api_url().as_str(), "https://api.openai.com/v1");
    assert_eq!(
        openai.provider.capabilities().key_variable,
        "OPENAI_API_KEY"
    );
    assert_eq!(openai.segment_settings().durations.all(), [4, 8, 12]);
    assert!(openai.segment_settings().images.link_refused.is_some());
    let json = parsed(&["--provider", "openai", "--request-format", "json"]);
    assert_eq!(json.segment_settings().images.link_refused, None);
    let sora = parsed(&["--durations", "10,15"]);
    assert_eq!(sora.api_url().as_str(), "https://api.sora.hk/v1");
    assert_eq!(sora.provider.capabilities().key_variable, "SORA_API_KEY");
    let settings = sora.segment_settings();
    assert_eq!(
        (settings.durations.normal, settings.durations.pro),
        (&[10, 15][..], &[10, 15][..])
    );
    assert_eq!(settings.images.link_refused, None);
    let gateway = parsed(&["--provider", "openai", "--durations", "10,15"]);
    assert_eq!(
        gateway.segment_settings().durations.default,
        10,
        "4 is not offered"
    );
    let own = parsed(&["--provider", "openai", "--durations", "8,4"]);
    assert_eq!(own.segment_settings().durations.default, 4);
}

#[test]
fn every_option_has_a_variable_documented_in_env_example() {
    let example = include_str!("../../.env.example");
    let command = command();
    for arg in command.get_arguments() {
        let id = arg.get_id().as_str();
        // Not settings of a run: one-off actions, and the positional shorthand.
        if ["help", "version", "generate", "input"].contains(&id) {
            continue;
        }
        let var = arg
            .get_env()
            .unwrap_or_else(|| panic!("--{id} has no environment variable"));
        let var = var.to_string_lossy();
        assert!(
            example.contains(&format!("{var}=")),
            ".env.example does not document {var}"
        );
    }
    assert!(example.contains("SORA_API_KEY="));
    assert!(example.contains("OPENAI_API_KEY="));
}

/// Every option's help, and every subcommand's description, in `lang`: (what, text).
fn help_texts(lang: crate::i18n::Lang) -> Vec<(String, String)> {
    let command = command_in(lang);
    let mut texts = vec![(
        "about".to_string(),
        command.get_about().unwrap().to_string(),
    )];
    let options = |texts: &mut Vec<(String, String)>, command: &clap::Command, within: &str| {
        for arg in command.get_arguments() {
            let help = arg.get_help().map(|help| help.to_string());
            let what = format!("{within}{}", arg.get_id());
            texts.push((what, help.unwrap_or_default()));
        }
    };
    options(&mut texts, &command, "--");
    for sub in command.get_subcommands() {
        let name = sub.get_name();
        let about = sub.get_about().map(|about| about.to_string());
        texts.push((name.to_string(), about.unwrap_or_default()));
        if name != "simulate" {
            options(&mut texts, sub, &format!("{name} --"));
        }
    }
    texts
}

#[test]
fn every_option_and_subcommand_has_its_help_in_both_languages() {
    use crate::i18n::Lang;
    let english = help_texts(Lang::En);
    let chinese = help_texts(Lang::Zh);
    assert_eq!(english.len(), chinese.len());
    let is_chinese = |text: &str| text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    for ((what, en), (_, zh)) in english.iter().zip(&chinese) {
        // A key the catalogs lack comes back as the key itself.
        assert!(!en.is_empty() && !en.starts_with("help."), "{what}: {en:?}");
        assert!(is_chinese(zh), "{what} has no Chinese help: {zh:?}");
        assert!(
            !is_chinese(en) || what.ends_with("--lang"),
            "{what}: {en:?}"
        );
    }
    let input_dir = english
        .iter()
        .find(|(what, _)| what == "--input_dir")
        .unwrap();
    assert_eq!(
        input_dir.1,
        "Folder scanned (recursively) for storyboard*.json files"
    );
    // Each language's definition passes clap's own checks.
    command_in(Lang::Zh).debug_assert();
}

#[test]
fn every_help_text_in_the_catalogs_belongs_to_an_option() {
    let catalog = include_str!("../i18n/locales/help.en.json");
    let catalog: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(catalog).unwrap();
    let named: Vec<String> = help_texts(crate::i18n::Lang::En)
        .into_iter()
        .map(|(what, _)| what.replacen(" --", ".", 1).replace("--", ""))
        .collect();
    for key in catalog
        .keys()
        .filter_map(|key| key.strip_prefix("help.arg."))
    {
        assert!(
            named.iter().any(|what| what == key),
            "help.arg.{key} is no option"
        );
    }
}

#[test]
fn the_language_asked_for_is_read_before_clap_parses() {
    use crate::i18n::Lang;
    let args = |words: &[&str]| -> Vec<std::ffi::OsString> {
        std::iter::once("sora-batch")
            .chain(words.iter().copied())
            .map(Into::into)
            .collect()
    };
    let no_env = |_: &str| None;
    let zh_env = |name: &str| (name == "SORA_LANG").then(|| "zh".to_string());
    assert_eq!(
        requested_lang(&args(&["--lang", "zh", "-h"]), no_env),
        Some(Lang::Zh)
    );
    assert_eq!(
        requested_lang(&args(&["review", "--lang=EN"]), zh_env),
        Some(Lang::En)
    );
    assert_eq!(requested_lang(&args(&["--help"]), zh_env), Some(Lang::Zh));
    assert_eq!(requested_lang(&args(&["--help"]), no_env), None);
    // Not a language: clap refuses it later; the locale decides the words it does so in.
    assert_eq!(requested_lang(&args(&["--lang", "fr"]), zh_env), None);
    // After `--`, words are values, not flags.
    assert_eq!(requested_lang(&args(&["--", "--lang", "zh"]), no_env), None);
}
