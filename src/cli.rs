//! The command line: every flag with its environment variable, default and help text.
//! Values resolve flag > environment > `.env` (loaded into the environment before parsing,
//! see config.rs) > default.

use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

mod base_url;
mod generate;
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
pub use provider::ProviderKind;
pub use range::{InRange, count_in, duration_in, probability};
pub use run_args::RunArgs;

use usage::{check_provider_flags, check_subcommand_flags, exit_with};

/// Where `--provider simulator` puts its videos unless told otherwise.
pub const SIMULATOR_OUTPUT_DIR: &str = "./output-simulator";

const AFTER_HELP: &str = "\
Environment:
  SORA_API_KEY             The API key of --provider sora-hk, read from the environment or
                           .env only (never a flag, so it stays out of shell history and ps)
  OPENAI_API_KEY           The API key of --provider openai, read the same way
  HTTP_PROXY, HTTPS_PROXY  Proxy for API calls and downloads (ALL_PROXY=socks5h://… for
                           SOCKS5, NO_PROXY for exceptions; or PROXY_HOST, PROXY_PORT,
                           PROXY_USER, PROXY_PASS as other Sora tools write it)
  .env                     In the working directory: NAME=value lines, below the environment

Exit codes: 0 all done, 1 some jobs failed or were left unfinished, 2 invalid input or
settings, 75 another run holds the state folder, 130 interrupted (rerun to resume).

Examples:
  sora-batch --provider simulator      Try the whole pipeline offline, for free
  sora-batch --dry-run                 Price the storyboards in ./input; spends nothing
  sora-batch --provider openai         Generate through OpenAI (OPENAI_API_KEY), or a gateway
                                       with --base-url https://my-gateway.example/v1
  sora-batch --input-dir ./episodes    Generate every new or edited segment
  sora-batch schema > storyboard.schema.json";

#[derive(Debug, Parser)]
#[command(
    name = "sora-batch",
    version = env!("SORA_BATCH_VERSION"),
    about = "Turn folders of storyboard JSON files into finished videos through paid video-generation APIs.",
    long_about = None,
    after_help = AFTER_HELP,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,

    /// Print shell completions or the man page, and exit
    #[arg(long, value_name = "KIND", help_heading = "Output")]
    pub generate: Option<Generate>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the JSON Schema of the storyboard format, for editors that validate JSON
    Schema,
    /// Print each API key's balance (by its label, never the key) and the provider's prices;
    /// exit 2 when a key is refused
    Balance,
    /// Write the review page (review.html beside the state folder: output/review.html):
    /// every take of every segment side by side, to pick the best
    Review {
        /// Open the page in the default browser
        #[arg(long)]
        open: bool,
    },
    /// Put each segment's picked take (v1 where none is picked) into
    /// <storyboard>/selects/ as <NN>_<segment>.mp4, with an ffmpeg concat list selects.txt
    Select {
        /// The picks the review page saved [default: picks.json beside the review page]
        #[arg(long, value_name = "FILE")]
        picks: Option<std::path::PathBuf>,
    },
    /// Run the local provider simulator (Sora.hk and OpenAI Videos APIs) until Ctrl+C
    Simulate(Box<crate::sim::SimSettings>),
}

impl Cli {
    /// Parses the process's arguments. With `--provider simulator`, the engine's timings
    /// that were left at their defaults are scaled to the simulator's seconds-long jobs, so
    /// the offline demo finishes in seconds rather than minutes.
    pub fn parse_args() -> Cli {
        let matches = Cli::command()
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
            let message = format!(
                "--min-workers ({}) must not be above --max-workers ({}): the breaker's safe \
                 limit is lower than its full one",
                cli.run.min_workers, cli.run.max_workers
            );
            exit_with(Cli::command().error(clap::error::ErrorKind::ArgumentConflict, message));
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
