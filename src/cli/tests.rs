//! The command line's own checks: clap's definition, the value parsers, each provider's
//! defaults, and the variables `.env.example` documents.

use clap::CommandFactory;

use super::values::{MAX_VIDEO_BYTES, parse_durations};
use super::*;

#[test]
fn clap_definition_is_consistent() {
    Cli::command().debug_assert();
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
    let command = Cli::command();
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
