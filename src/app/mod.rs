//! The main job, from parsed flags to an exit status: plan the batch, report invalid
//! storyboards, then price it (dry run) or run it (`generate`).

mod balance;
mod connect;
mod extras;
mod generate;
mod images;
mod preflight;
mod retry;
mod review;

use std::process::ExitCode;

use tracing::{error, warn};

use crate::cli::{Cli, Command, RunArgs};
use crate::config::ConfigError;
use crate::i18n::{self, Lang, Message};
use crate::keys::KeyError;
use crate::plan::{self, Plan, PlanError};
use crate::pricing;
use crate::report::{PlanReport, ProblemLine};
use crate::sim::{self, SimSettings};
use crate::storyboard;
use crate::ui::{Stream, emit};
use connect::{Connection, connect};

/// The process exit status, as documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    /// Some jobs failed, or were left unfinished (the summary says which and why).
    SomeFailed = 1,
    /// Bad input, usage or settings.
    Invalid = 2,
    /// Another run holds the state folder or an output folder (EX_TEMPFAIL: try again later).
    Busy = 75,
    /// Stopped by Ctrl+C or SIGTERM; a rerun picks up where it stopped.
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    Config(#[from] ConfigError),
    Keys(#[from] KeyError),
    Plan(#[from] PlanError),
    InvalidStoryboards {
        invalid: usize,
        total: usize,
        problems: usize,
        valid: usize,
    },
    /// Settings that contradict each other (the message names them and the fix).
    Settings(Message),
    Simulator(Message),
    /// `variable`: the one the chosen provider reads (`Capabilities::key_variable`).
    NoKey {
        variable: &'static str,
    },
    Lock(#[from] crate::lock::LockError),
    Output(#[from] crate::ui::OutputError),
    Journal(#[from] crate::journal::JournalError),
    Preflight(#[from] preflight::PreflightError),
    Images(#[from] images::ImageError),
    Proxy(#[from] crate::provider::proxy::ProxyError),
    RetryFile {
        path: std::path::PathBuf,
        reason: String,
    },
    Review {
        path: std::path::PathBuf,
        reason: String,
    },
    Report {
        path: std::path::PathBuf,
        reason: String,
    },
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.words(Lang::En))
    }
}

fn describe_invalid(
    lang: Lang,
    invalid: usize,
    total: usize,
    problems: usize,
    valid: usize,
) -> String {
    let invalid = invalid as u64;
    // "Fix it" or "Fix them": the pronoun agrees, no count is shown.
    let them = if invalid == 1 { "it" } else { "them" };
    let fix = if valid == 0 {
        lang.text(&format!("invalid.fix.{them}"), &[])
    } else {
        let valid = lang.counted("invalid.valid", valid as u64, &[]);
        lang.text(&format!("invalid.fix_or_skip.{them}"), &[("valid", &valid)])
    };
    let total = lang.counted("invalid.total", total as u64, &[]);
    let problems = lang.counted("invalid.problems", problems as u64, &[]);
    let args: [(&str, &dyn std::fmt::Display); 3] =
        [("total", &total), ("problems", &problems), ("fix", &fix)];
    lang.counted("invalid.summary", invalid, &args)
}

impl AppError {
    /// The message in the interface's language, for the terminal (the log keeps the
    /// English `Display`).
    pub fn shown(&self) -> String {
        self.words(i18n::current())
    }

    /// The message in `lang`: `Display` is [`Lang::En`].
    fn words(&self, lang: Lang) -> String {
        match self {
            AppError::InvalidStoryboards {
                invalid,
                total,
                problems,
                valid,
            } => describe_invalid(lang, *invalid, *total, *problems, *valid),
            other => other.message().words(lang),
        }
    }

    /// Every error but [`AppError::InvalidStoryboards`] (whose words `describe_invalid`
    /// puts together), as a catalog message.
    fn message(&self) -> Message {
        match self {
            AppError::Config(err) => err.message(),
            AppError::Keys(err) => err.message(),
            AppError::Plan(err) => err.message(),
            AppError::InvalidStoryboards { .. } => Message::plain(self.words(Lang::En)),
            AppError::Settings(message) | AppError::Simulator(message) => message.clone(),
            AppError::NoKey { variable } => Message::new("app.no_key").with("variable", variable),
            AppError::Lock(err) => err.message(),
            AppError::Output(err) => err.message(),
            AppError::Journal(err) => err.message(),
            AppError::Preflight(err) => err.message(),
            AppError::Images(err) => err.message(),
            AppError::Proxy(err) => err.message(),
            AppError::RetryFile { path, reason } => Message::new("app.retry_file")
                .with("path", path.display())
                .with("reason", reason),
            AppError::Review { path, reason } => Message::new("app.review")
                .with("path", path.display())
                .with("reason", reason),
            AppError::Report { path, reason } => Message::new("app.report")
                .with("path", path.display())
                .with("reason", reason),
        }
    }

    pub fn exit(&self) -> Exit {
        match self {
            AppError::Lock(err) if err.is_busy() => Exit::Busy,
            _ => Exit::Invalid,
        }
    }
}

pub async fn run(cli: Cli) -> Result<Exit, AppError> {
    if let Some(kind) = cli.generate {
        emit(Stream::Stdout, &String::from_utf8_lossy(&kind.render()))?;
        return Ok(Exit::Success);
    }
    match cli.command {
        Some(Command::Schema) => {
            let settings = cli.run.segment_settings();
            emit(
                Stream::Stdout,
                &format!("{}\n", storyboard::schema_json(&settings)),
            )?;
            Ok(Exit::Success)
        }
        Some(Command::Balance) => balance::balance(&cli.run).await,
        Some(Command::Review { open }) => review::review(&cli.run, open),
        Some(Command::Select { picks }) => {
            let default =
                || crate::review::page_path(&cli.run.state_dir()).with_file_name("picks.json");
            review::select(&cli.run, &picks.unwrap_or_else(default))
        }
        Some(Command::Simulate(settings)) => simulate(*settings).await,
        None => run_batch(&cli.run).await,
    }
}

/// `sora-batch simulate`: serves until Ctrl+C, then prints what the clients did.
async fn simulate(settings: SimSettings) -> Result<Exit, AppError> {
    let keys: Vec<String> = settings
        .api_keys
        .iter()
        .map(|key| crate::ui::printable(&key.key))
        .collect();
    let key = keys[0].clone();
    let port = settings.port;
    let sim = sim::start(settings).await.map_err(|err| match err.kind() {
        std::io::ErrorKind::AddrInUse => {
            AppError::Simulator(Message::new("app.simulator_port_taken").with("port", port))
        }
        _ => AppError::Simulator(Message::new("app.simulator").with("err", err)),
    })?;
    let url = sim.base_url();
    let (domestic, overseas) = (
        sim.draw_url(sim::Host::Domestic),
        sim.draw_url(sim::Host::Overseas),
    );
    emit(
        Stream::Stdout,
        &format!(
            "simulator listening on {url} (API key {key})\n\
             try: SORA_BASE_URL={url} SORA_API_KEY={key} sora-batch\n\
             or:  OPENAI_API_KEY={key} sora-batch --provider openai --base-url {url}\n\
             or:  DRAW_API_KEY={key} sora-batch --provider draw --base-url {domestic} --fallback-url {overseas}\n\
             or:  CHAT_API_KEY={key} sora-batch --provider chat --base-url {url}\n\
             {}\
             counters: curl http://{}/__stats; stop with Ctrl+C\n",
            every_key(&url, &keys),
            sim.addr
        ),
    )?;
    // If the signal handler cannot be installed, serving until killed is still right.
    let _ = tokio::signal::ctrl_c().await;
    let stats = serde_json::to_string_pretty(&sim.stats()).expect("the counters serialize");
    emit(Stream::Stdout, &format!("{stats}\n"))?;
    Ok(Exit::Success)
}

/// With several keys, the command that uses them all.
fn every_key(url: &str, keys: &[String]) -> String {
    if keys.len() < 2 {
        return String::new();
    }
    let list: Vec<String> = keys
        .iter()
        .map(|key| format!("{{\"key\": \"{key}\"}}"))
        .collect();
    format!(
        "every key: SORA_BASE_URL={url} SORA_API_KEYS='[{}]' sora-batch\n",
        list.join(", ")
    )
}

async fn run_batch(args: &RunArgs) -> Result<Exit, AppError> {
    let layout = args.layout();
    let plan = plan::build(&layout, args.segment_settings(), args.finished())?;
    for warning in &plan.warnings {
        warn!(shown = %warning.shown(), "{warning}");
    }
    check_problems(&plan, args)?;
    if plan.storyboards.is_empty() && plan.invalid.is_empty() {
        let message = Message::new("app.no_storyboards")
            .with("folder", plan::tidy(&layout.input_dir).display());
        warn!(shown = %message.shown(), "{message}");
    }
    let connection = connect(args).await?;
    if args.dry_run {
        let mut plan = plan;
        let state_dir = args.state_dir();
        let retry_failed = args.retry_failed.is_some();
        let marked = match crate::lock::check_state_dir(&state_dir) {
            Err(err) => Err(untrusted_estimate(err.message())),
            Ok(()) => {
                let (provider, outlive) = (args.provider, args.tasks_outlive_run());
                crate::journal::Journal::read(&state_dir)
                    .map(|earlier| {
                        generate::mark_in_flight(
                            &mut plan,
                            &layout,
                            &earlier,
                            retry_failed,
                            provider,
                            outlive,
                        )
                    })
                    .map_err(|err| untrusted_estimate(err.message()))
            }
        };
        let (extras, untrusted) = match marked {
            Ok(extras) => (extras, None),
            Err(reason) => (Vec::new(), Some(reason)),
        };
        // After the extra takes were looked for in the whole plan, as the run does: a job
        // the file does not list is left alone, not taken for a task nobody wants.
        if let Some(file) = &args.retry_failed {
            generate::plan_only_failed(&mut plan, file)?;
        }
        return dry_run(&plan, extras, untrusted, args, &connection).await;
    }
    generate::generate(plan, &layout, args, connection).await
}

/// Prints every problem, one line each; refuses to go on unless --skip-invalid.
fn check_problems(plan: &Plan, args: &RunArgs) -> Result<(), AppError> {
    if plan.invalid.is_empty() {
        return Ok(());
    }
    let problems = plan.invalid.iter().flat_map(|file| &file.problems);
    let lang = i18n::current();
    if args.skip_invalid {
        for problem in problems {
            warn!(shown = %problem.words(lang), "{problem}");
        }
        for file in &plan.invalid {
            let file = file.shown.display();
            let shown = lang.text("invalid.skipping", &[("file", &file)]);
            warn!(shown, "skipping {file}: it is invalid (--skip-invalid)");
        }
        return Ok(());
    }
    for problem in problems.clone() {
        error!(shown = %problem.words(lang), "{problem}");
    }
    let failure = AppError::InvalidStoryboards {
        invalid: plan.invalid.len(),
        total: plan.invalid.len() + plan.storyboards.len(),
        problems: plan.problem_count(),
        valid: plan.storyboards.len(),
    };
    if args.json {
        let lines: Vec<ProblemLine> = problems.map(ProblemLine::from).collect();
        let answer = serde_json::json!({
            "error": "invalid_storyboards",
            "message": failure.to_string(),
            "problems": lines,
        });
        emit(Stream::Stdout, &format!("{answer:#}\n"))?;
    }
    Err(failure)
}

/// Why a dry run's estimate is not to be trusted when the journal cannot be read.
fn untrusted_estimate(err: Message) -> Message {
    Message::new("app.untrusted_estimate").with_text("err", err)
}

/// The dry run's prices and balance over every key: the prices of the first key that is
/// not refused, the balances of those keys added up (unknown if one is), and a refused
/// key named in a warning. Only when every key is refused does the quote say so, as a
/// real run stops only then.
async fn quote_every_key(args: &RunArgs, connection: &Connection) -> pricing::Quote {
    let (settings, capabilities) = (args.price_settings(), args.provider.capabilities());
    if connection.clients.len() < 2 {
        return pricing::quote(settings, capabilities, connection.first()).await;
    }
    let mut quotes = Vec::new();
    for client in &connection.clients {
        let quote = pricing::quote(settings, capabilities, Some(&*client.provider)).await;
        quotes.push((client.label.as_str(), quote));
    }
    let usable: Vec<&pricing::Quote> = quotes
        .iter()
        .filter(|(_, quote)| quote.key_refused.is_none())
        .map(|(_, quote)| quote)
        .collect();
    let Some(first) = usable.first() else {
        return quotes.swap_remove(0).1;
    };
    let mut quote = (*first).clone();
    quote.balance_cents = usable
        .iter()
        .map(|quote| quote.balance_cents)
        .sum::<Option<i64>>();
    for (label, refused) in &quotes {
        if let Some(why) = &refused.key_refused {
            let warning = crate::i18n::Message::new("quote.key_refused")
                .with("label", label)
                .with_text("why", why.clone());
            quote.warnings.push(warning);
        }
    }
    quote
}

/// Prints the plan and its price. A plan priced without the journal exits 2, as the real
/// run would: a script that spends on a dry run's success must not go on from it.
async fn dry_run(
    plan: &Plan,
    extras: Vec<crate::engine::ExtraTake>,
    untrusted: Option<Message>,
    args: &RunArgs,
    connection: &Connection,
) -> Result<Exit, AppError> {
    let quote = quote_every_key(args, connection).await;
    let images = crate::report::image_lines(plan, args.segment_settings().images);
    let report = PlanReport::new(plan, &quote)
        .with_reference_images(images)
        .with_extra_takes(extras)
        .untrusted_because(untrusted);
    if args.json {
        let json = serde_json::to_string_pretty(&report).expect("the report serializes");
        emit(Stream::Stdout, &format!("{json}\n"))?;
        if !args.quiet {
            emit(Stream::Stderr, &report.to_text())?;
        }
    } else {
        emit(Stream::Stdout, &report.to_text())?;
    }
    // A refused key stops a real run at once: its dry run says so and fails the same way.
    if let Some(refusal) = &quote.key_refused {
        let message = Message::new("app.key_refused_dry_run").with_text("refusal", refusal.clone());
        error!(shown = %message.shown(), "{message}");
        return Ok(Exit::Invalid);
    }
    Ok(match report.estimate_untrusted {
        Some(_) => Exit::Invalid,
        None => Exit::Success,
    })
}
