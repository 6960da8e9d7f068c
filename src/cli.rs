//! The command line: every flag with its environment variable and default (their help
//! texts are in the `help` catalogs, see help.rs).
//! Values resolve flag > environment > `.env` (loaded into the environment before parsing,
//! see config.rs) > default.

use std::path::PathBuf;
use std::time::Duration;

use clap::{FromArgMatches, Parser, Subcommand};

mod base_url;
mod generate;
mod help;
mod images;
mod origin;
mod provider;
mod range;
mod run_args;
#[cfg(test)]
mod tests;
mod usage;
mod values;

pub use generate::Generate;
pub use help::{command, command_in, requested_lang};
pub use provider::ProviderKind;
pub use range::{InRange, count_in, duration_in, probability};
pub use run_args::RunArgs;

use usage::{check_provider_flags, check_subcommand_flags, exit_with};

/// Where `--provider simulator` puts its videos unless told otherwise.
pub const SIMULATOR_OUTPUT_DIR: &str = "./output-simulator";

/// The command line. Every help text lives in the `help` catalogs
/// (`src/i18n/locales/help.*.json`: `help.arg.<field>`), not here: [`command`] applies
/// them in the user's language.
#[derive(Debug, Parser)]
#[command(
    name = "sora-batch",
    version = env!("SORA_BATCH_VERSION"),
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,

    #[arg(long, value_name = "KIND", help_heading = "Output")]
    pub generate: Option<Generate>,
}

/// What `sora-batch <subcommand>` does instead of a run; each is described in the
/// catalogs as `help.command.<name>`.
#[derive(Debug, Subcommand)]
pub enum Command {
    Schema,
    Balance,
    Review {
        #[arg(long)]
        open: bool,
    },
    Select {
        #[arg(long, value_name = "FILE")]
        picks: Option<std::path::PathBuf>,
    },
    Simulate(Box<crate::sim::SimSettings>),
}

impl Cli {
    /// Parses the process's arguments. With `--provider simulator`, the engine's timings
    /// that were left at their defaults are scaled to the simulator's seconds-long jobs, so
    /// the offline demo finishes in seconds rather than minutes.
    pub fn parse_args() -> Cli {
        let matches = command()
            .try_get_matches()
            .unwrap_or_else(|err| exit_with(err));
        let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| exit_with(err));
        if let Some(input) = cli.run.input.take() {
            cli.run.input_dir = input;
        }
        let min_given =
            matches.value_source("min_workers") != Some(clap::parser::ValueSource::DefaultValue);
        // A default safe limit above a small --max-workers is simply lowered to it.
        if min_given && cli.run.min_workers > cli.run.max_workers {
            let message = crate::i18n::text(
                "cli.min_above_max",
                &[("min", &cli.run.min_workers), ("max", &cli.run.max_workers)],
            );
            exit_with(command().error(clap::error::ErrorKind::ArgumentConflict, message));
        }
        check_subcommand_flags(&matches);
        check_provider_flags(&matches, &cli.run);
        if cli.run.provider == ProviderKind::Simulator {
            let defaulted = |id: &str| {
                matches.value_source(id) == Some(clap::parser::ValueSource::DefaultValue)
            };
            let run = &mut cli.run;
            for (id, field, demo) in [
                ("poll_delay", &mut run.poll_delay, Duration::from_secs(1)),
                (
                    "poll_interval",
                    &mut run.poll_interval,
                    Duration::from_millis(500),
                ),
                (
                    "breaker_cooldown",
                    &mut run.breaker_cooldown,
                    Duration::from_secs(5),
                ),
                (
                    "recovery_step",
                    &mut run.recovery_step,
                    Duration::from_secs(1),
                ),
                (
                    "lost_create_wait",
                    &mut run.lost_create_wait,
                    Duration::from_millis(500),
                ),
            ] {
                if defaulted(id) {
                    *field = demo;
                }
            }
            // The demo's videos never land among real ones.
            if defaulted("output_dir") {
                run.output_dir = PathBuf::from(SIMULATOR_OUTPUT_DIR);
            }
        }
        cli
    }

    /// The log file of a run that generates videos; dry runs and subcommands write none.
    pub fn log_file(&self) -> Option<PathBuf> {
        if self.command.is_some() || self.generate.is_some() || self.run.dry_run {
            return None;
        }
        let default = || self.run.default_log_file();
        Some(self.run.log_file.clone().unwrap_or_else(default))
    }
}
