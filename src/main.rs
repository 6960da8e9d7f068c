//! The sora-batch binary: load `.env`, parse flags, set up logging, run, and turn the
//! outcome into an exit code. Everything else lives in the library.

use std::process::ExitCode;

use clap::ValueEnum;

use sora_batch::app::{self, Exit};
use sora_batch::cli::Cli;
use sora_batch::config;
use sora_batch::i18n;
use sora_batch::ui::{self, Verbosity};

fn main() -> ExitCode {
    // Before parsing, so `.env` values reach clap as environment variables (flag > env >
    // .env > default), and before any thread starts.
    let env = |name: &str| std::env::var(name).ok();
    if let Err(err) = config::load_dotenv() {
        // Before the flags are parsed: the language from the environment alone.
        let flag = env("SORA_LANG").and_then(|name| i18n::Lang::from_str(&name, true).ok());
        i18n::set(i18n::choose(flag, env, sys_locale::get_locale));
        // Before logging is set up: escaped by hand, as the log lines are.
        // A stderr that cannot be written to leaves only the exit code to tell.
        let line = format!(
            "{}{}\n",
            i18n::text("terminal.error", &[]),
            ui::printable(err.message().shown())
        );
        let _ = ui::emit(ui::Stream::Stderr, &line);
        return Exit::Invalid.into();
    }
    let cli = Cli::parse_args();
    i18n::set(i18n::choose(cli.run.lang, env, sys_locale::get_locale));
    let verbosity = match (cli.run.quiet, cli.run.verbose) {
        (true, _) => Verbosity::Quiet,
        (_, true) => Verbosity::Verbose,
        _ => Verbosity::Normal,
    };
    ui::init_logging(verbosity, cli.log_file().as_deref(), cli.run.color);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts");
    match runtime.block_on(app::run(cli)) {
        Ok(exit) => exit.into(),
        Err(err) => {
            tracing::error!(shown = %err.shown(), "{err}");
            err.exit().into()
        }
    }
}
