//! The command line in the interface's language: [`command`] is clap's definition with
//! every help text, heading and description read from the `help` catalogs
//! (`help.arg.<flag id>`, `help.command.<subcommand>`, `help.heading.<heading>`), so
//! `--help` speaks the user's language. The language must be known before clap parses
//! (it prints `--help` while parsing): [`requested_lang`] reads `--lang` from the
//! arguments ahead of clap.
//!
//! Left in English: clap's own words (`[default: …]`, `[env: …]`, `Possible values`),
//! the possible values' descriptions, and `simulate`'s options, which are for testing.

use std::ffi::OsString;

use clap::builder::Styles;
use clap::{Arg, CommandFactory, ValueEnum};

use super::Cli;
use crate::i18n::Lang;

/// The subcommand whose options keep their doc comments (see the module's doc).
const UNTRANSLATED: &str = "simulate";

/// clap's definition of the command line, its texts in the current language.
pub fn command() -> clap::Command {
    command_in(crate::i18n::current())
}

/// clap's definition of the command line, its texts in `lang`.
pub fn command_in(lang: Lang) -> clap::Command {
    let mut command = Cli::command()
        .about(lang.text("help.about", &[]))
        .after_help(lang.text("help.after_help", &[]))
        .mut_args(|arg| described(arg, None, lang));
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_string())
        .collect();
    for name in names {
        command = command.mut_subcommand(&name, |sub| described_command(sub, &name, lang));
    }
    // Building adds clap's own `--help`, `--version` and `help`: they are worded after.
    command.build();
    worded_builtins(command, lang)
}

/// `--lang`'s value among `args` (the process's, program name first), else
/// `SORA_LANG`'s: the language asked for, read before clap parses. A value that is no
/// language is left for clap to refuse.
pub fn requested_lang(args: &[OsString], env: impl Fn(&str) -> Option<String>) -> Option<Lang> {
    let parse = |value: &str| Lang::from_str(value, true).ok();
    let mut words = args.iter().skip(1).map(|arg| arg.to_string_lossy());
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        if let Some(value) = word.strip_prefix("--lang=") {
            return parse(value);
        }
        if word == "--lang" {
            return words.next().and_then(|value| parse(&value));
        }
    }
    env("SORA_LANG").and_then(|value| parse(&value))
}

/// `sub` with its description and the help of its own options (`help.arg.<sub>.<id>`).
fn described_command(sub: clap::Command, name: &str, lang: Lang) -> clap::Command {
    let sub = sub.about(lang.text(&format!("help.command.{name}"), &[]));
    if name == UNTRANSLATED {
        return sub;
    }
    sub.mut_args(|arg| described(arg, Some(name), lang))
}

/// `arg` with its help and heading from the catalog. The run's own options are
/// `help.arg.<id>`; a subcommand's, `help.arg.<subcommand>.<id>`.
fn described(arg: Arg, subcommand: Option<&str>, lang: Lang) -> Arg {
    let id = arg.get_id().as_str();
    let key = match subcommand {
        Some(name) => format!("help.arg.{name}.{id}"),
        None => format!("help.arg.{id}"),
    };
    let heading = match arg.get_help_heading() {
        Some(heading) => lang.text(&heading_key(heading), &[]),
        None => lang.text("help.options", &[]),
    };
    let help = lang.text(&key, &[]);
    arg.help(help).help_heading(heading)
}

/// The catalog key of a heading as the code names it: "Input and output" is
/// `help.heading.input_and_output`.
fn heading_key(heading: &str) -> String {
    format!("help.heading.{}", heading.to_lowercase().replace(' ', "_"))
}

/// clap's `--help`, `--version` and `help` (in every subcommand) in the catalog's words,
/// and its `Usage:` heading.
fn worded_builtins(command: clap::Command, lang: Lang) -> clap::Command {
    let usage = Styles::default().get_usage().to_owned();
    let heading = format!(
        "{}{}{}",
        usage.render(),
        lang.text("help.usage", &[]),
        usage.render_reset()
    );
    let line = lang.text(
        "help.usage_line",
        &[("heading", &heading), ("usage", &"{usage}")],
    );
    let template =
        format!("{{before-help}}{{about-with-newline}}\n{line}\n\n{{all-args}}{{after-help}}");
    let options = lang.text("help.options", &[]);
    let has_long_help = command
        .get_arguments()
        .any(|arg| arg.get_long_help().is_some());
    let mut command = command
        .help_template(template.clone())
        .subcommand_help_heading(lang.text("help.commands", &[]));
    if command.get_arguments().any(|arg| arg.get_id() == "help") {
        command = command.mut_arg("help", |arg| {
            let arg = arg.help_heading(options.clone());
            match has_long_help {
                true => arg
                    .help(lang.text("help.flag.help", &[]))
                    .long_help(lang.text("help.flag.help_long", &[])),
                false => arg.help(lang.text("help.flag.help_short", &[])),
            }
        });
    }
    if command.get_arguments().any(|arg| arg.get_id() == "version") {
        command = command.mut_arg("version", |arg| {
            arg.help(lang.text("help.flag.version", &[]))
                .help_heading(options.clone())
        });
    }
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_string())
        .collect();
    for name in names {
        command = command.mut_subcommand(&name, |sub| {
            let sub = match name.as_str() {
                "help" => sub.about(lang.text("help.command.help", &[])),
                _ => sub,
            };
            worded_builtins(sub, lang)
        });
    }
    command
}
