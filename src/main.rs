//! The sora-batch binary: load `.env`, parse flags, set up logging, run, and turn the
//! outcome into an exit code. Everything else lives in the library.

use std::process::ExitCode;

use sora_batch::app::{self, Exit};
use sora_batch::cli::{self, Cli};
use sora_batch::config;
use sora_batch::i18n;
use sora_batch::ui::{self, Verbosity};

fn main() -> ExitCode {
    let env = |name: &str| std::env::var(name).ok();
    let args: Vec<_> = std::env::args_os().collect();
    // `--lang`, else SORA_LANG, else the locale: read ahead of clap, which prints `--help`
    // and refuses bad flags while it parses.
    let choose_lang = || {
        let asked = cli::requested_lang(&args, env);
        i18n::set(i18n::choose(asked, env, sys_locale::get_locale));
    };
    // Before parsing, so `.env` values reach clap as environment variables (flag > env >
    // .env > default), and before any thread starts.
    if let Err(err) = config::load_dotenv() {
        // `.env` unread: the language from the arguments and the environment alone.
        choose_lang();
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
    choose_lang();
    let cli = Cli::parse_args();
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
