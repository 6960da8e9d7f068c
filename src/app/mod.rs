//! The main job, from parsed flags to an exit status: plan the batch, report invalid
//! storyboards, then price it (dry run) or run it (`generate`).

mod extras;
mod generate;
mod images;
mod preflight;
mod retry;

use std::process::ExitCode;
use std::sync::Arc;

use tracing::{error, warn};

use crate::cli::{Cli, Command, ProviderKind, RunArgs};
use crate::config::{ApiKey, ConfigError};
use crate::plan::{self, Layout, Plan, PlanError};
use crate::pricing;
use crate::provider::{
    self, Provider, Redactor, chat::Chat, draw::Draw, openai::OpenAi, sora_hk::SoraHk,
};
use crate::report::{PlanReport, ProblemLine};
use crate::sim::{self, SimSettings};
use crate::storyboard;
use crate::ui::{Stream, counted, emit, plural};

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
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("{}", describe_invalid(*invalid, *total, *problems, *valid))]
    InvalidStoryboards {
        invalid: usize,
        total: usize,
        problems: usize,
        valid: usize,
    },
    /// Settings that contradict each other (the message names them and the fix).
    #[error("{0}")]
    Settings(String),
    #[error("cannot start the provider simulator: {0}")]
    Simulator(String),
    /// `variable`: the one the chosen provider reads (`Capabilities::key_variable`).
    #[error(
        "{variable} is not set; put your key in .env or the environment (or try the offline demo: --provider simulator)"
    )]
    NoKey { variable: &'static str },
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    #[error(transparent)]
    Output(#[from] crate::ui::OutputError),
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    #[error(transparent)]
    Preflight(#[from] preflight::PreflightError),
    #[error(transparent)]
    Images(#[from] images::ImageError),
    #[error("{path}: cannot read this failed-jobs file: {reason}")]
    RetryFile {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("cannot write the report {path}: {reason}")]
    Report {
        path: std::path::PathBuf,
        reason: String,
    },
}

fn describe_invalid(invalid: usize, total: usize, problems: usize, valid: usize) -> String {
    let invalid_count = invalid as u64;
    let (are, them) = (
        plural(invalid_count, "is", "are"),
        plural(invalid_count, "it", "them"),
    );
    let fix = if valid == 0 {
        format!("Fix {them} and run again")
    } else {
        format!(
            "Fix {them}, or pass --skip-invalid to run the {}",
            counted(valid as u64, "valid storyboard")
        )
    };
    format!(
        "{invalid} of {} {are} invalid ({}, listed above); nothing was submitted. {fix}",
        counted(total as u64, "storyboard"),
        counted(problems as u64, "problem")
    )
}

impl AppError {
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
        Some(Command::Simulate(settings)) => simulate(*settings).await,
        None => run_batch(&cli.run).await,
    }
}

/// `sora-batch simulate`: serves until Ctrl+C, then prints what the clients did.
async fn simulate(settings: SimSettings) -> Result<Exit, AppError> {
    let key = crate::ui::printable(&settings.api_key);
    let port = settings.port;
    let sim = sim::start(settings).await.map_err(|err| match err.kind() {
        std::io::ErrorKind::AddrInUse => AppError::Simulator(format!(
            "port {port} on 127.0.0.1 is taken (another simulator?); choose another with \
             --port, or --port 0 for any free one"
        )),
        _ => AppError::Simulator(err.to_string()),
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
             counters: curl http://{}/__stats; stop with Ctrl+C\n",
            sim.addr
        ),
    )?;
    // If the signal handler cannot be installed, serving until killed is still right.
    let _ = tokio::signal::ctrl_c().await;
    let stats = serde_json::to_string_pretty(&sim.stats()).expect("the counters serialize");
    emit(Stream::Stdout, &format!("{stats}\n"))?;
    Ok(Exit::Success)
}

/// The provider a run talks to, and the in-process simulator behind it when
/// `--provider simulator` asked for one (it lives as long as this value).
struct Connection {
    /// `None` without an API key: a dry run still validates and prices.
    client: Option<Arc<dyn Provider>>,
    /// The API's address, for messages.
    shown_url: String,
    _simulator: Option<sim::RunningSim>,
}

/// Generation times of the offline demo: short enough to finish in seconds.
const DEMO_GEN_SECONDS: sim::GenSeconds = sim::GenSeconds(2.0, 5.0);

async fn connect(args: &RunArgs) -> Result<Connection, AppError> {
    let http = provider::http_client(args.request_timeout);
    if args.provider == ProviderKind::Simulator {
        let settings = sim::SimSettings {
            gen_seconds: DEMO_GEN_SECONDS,
            ..sim::SimSettings::default()
        };
        let simulator = sim::start(settings)
            .await
            .map_err(|err| AppError::Simulator(err.to_string()))?;
        let base = url::Url::parse(&simulator.base_url()).expect("the simulator's URL parses");
        let key = ApiKey::new(sim::DEFAULT_KEY);
        let redact = Redactor::for_run(Some(&key), &base);
        let client = SoraHk::new(http, &base, key, redact, args.request_timeout).simulated();
        return Ok(Connection {
            client: Some(Arc::new(client)),
            shown_url: format!("{} (the built-in simulator)", simulator.base_url()),
            _simulator: Some(simulator),
        });
    }
    let key = ApiKey::from_env(args.provider.capabilities().key_variable)?;
    if args.provider == ProviderKind::Draw {
        return connect_draw(args, http, key);
    }
    if args.provider == ProviderKind::Chat {
        return connect_chat(args, key);
    }
    let base = args.api_url();
    let redact = Redactor::for_run(key.as_ref(), &base);
    let shown_url = redact.redact(base.as_str());
    let client = key.map(|key| {
        let deadline = args.request_timeout;
        match args.provider {
            ProviderKind::OpenAi => {
                let options = args.openai_options();
                let client = OpenAi::new(http, &base, key, redact, deadline, options);
                Arc::new(client) as Arc<dyn Provider>
            }
            ProviderKind::SoraHk
            | ProviderKind::Simulator
            | ProviderKind::Draw
            | ProviderKind::Chat => {
                Arc::new(SoraHk::new(http, &base, key, redact, deadline)) as Arc<dyn Provider>
            }
        }
    });
    Ok(Connection {
        client,
        shown_url,
        _simulator: None,
    })
}

/// The draw API at the hosts `--host-mode`, `--base-url` and `--fallback-url` name.
fn connect_draw(
    args: &RunArgs,
    http: reqwest::Client,
    key: Option<ApiKey>,
) -> Result<Connection, AppError> {
    let hosts = args.draw_hosts().map_err(AppError::Settings)?;
    let first = url::Url::parse(hosts.first()).expect("a checked host parses");
    let redact = Redactor::for_run(key.as_ref(), &first);
    let shown_url = redact.redact(&hosts.shown());
    let client = key.map(|key| {
        let path = args.result_path.unwrap_or_default();
        let draw = Draw::new(http, hosts, key, redact, args.request_timeout, path);
        Arc::new(draw) as Arc<dyn Provider>
    });
    Ok(Connection {
        client,
        shown_url,
        _simulator: None,
    })
}

/// A chat gateway at `--base-url` (there is no public default), its streams read with a
/// long idle timeout and no total one. A dry run needs none: a gateway has no prices or
/// balance to ask for.
fn connect_chat(args: &RunArgs, key: Option<ApiKey>) -> Result<Connection, AppError> {
    let Some(base) = args.base_url.clone() else {
        if args.dry_run {
            return Ok(Connection {
                client: None,
                shown_url: "(no --base-url)".to_string(),
                _simulator: None,
            });
        }
        return Err(AppError::Settings(
            "--provider chat needs --base-url (SORA_BASE_URL): the gateway's OpenAI-style \
             address, ending in /v1 (e.g. http://localhost:8000/v1)"
                .to_string(),
        ));
    };
    let redact = Redactor::for_run(key.as_ref(), &base);
    let shown_url = redact.redact(base.as_str());
    let idle = provider::chat::IDLE_TIMEOUT.max(args.request_timeout);
    let client = key.map(|key| {
        let template = args
            .chat_model_template
            .clone()
            .unwrap_or_else(|| provider::chat::DEFAULT_MODEL_TEMPLATE.to_string());
        let http = provider::http_client(idle);
        let options = provider::chat::Options {
            template,
            generation_ids: args.chat_generation_ids,
        };
        let chat = Chat::new(http, &base, key, redact, args.request_timeout, options);
        Arc::new(chat) as Arc<dyn Provider>
    });
    Ok(Connection {
        client,
        shown_url,
        _simulator: None,
    })
}

async fn run_batch(args: &RunArgs) -> Result<Exit, AppError> {
    let layout = Layout {
        input_dir: args.input_dir.clone(),
        output_dir: args.output_dir.clone(),
        mode: args.output_mode,
    };
    let plan = plan::build(&layout, args.segment_settings(), args.finished())?;
    for warning in &plan.warnings {
        warn!("{warning}");
    }
    check_problems(&plan, args)?;
    if plan.storyboards.is_empty() && plan.invalid.is_empty() {
        warn!(
            "no storyboard files in {} (looking for storyboard*.json in it and its subfolders)",
            plan::tidy(&layout.input_dir).display()
        );
    }
    let connection = connect(args).await?;
    if args.dry_run {
        let mut plan = plan;
        let state_dir = args.state_dir();
        let retry_failed = args.retry_failed.is_some();
        let marked = match crate::lock::check_state_dir(&state_dir) {
            Err(err) => Err(untrusted_estimate(&err)),
            Ok(()) => {
                let provider = args.provider;
                let outlive = args.tasks_outlive_run();
                generate::mark_in_flight(
                    &mut plan,
                    &layout,
                    &state_dir,
                    retry_failed,
                    provider,
                    outlive,
                )
                .map_err(|err| untrusted_estimate(&err))
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
    if args.skip_invalid {
        for problem in problems {
            warn!("{problem}");
        }
        for file in &plan.invalid {
            warn!(
                "skipping {}: it is invalid (--skip-invalid)",
                file.shown.display()
            );
        }
        return Ok(());
    }
    for problem in problems.clone() {
        error!("{problem}");
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
fn untrusted_estimate(err: &dyn std::error::Error) -> String {
    format!(
        "the journal cannot be read, so jobs an earlier run already paid for and left at the \
         provider are counted and priced as new here, and a real run will refuse to start \
         until it is fixed: {err}"
    )
}

/// Prints the plan and its price. A plan priced without the journal exits 2, as the real
/// run would: a script that spends on a dry run's success must not go on from it.
async fn dry_run(
    plan: &Plan,
    extras: Vec<crate::engine::ExtraTake>,
    untrusted: Option<String>,
    args: &RunArgs,
    connection: &Connection,
) -> Result<Exit, AppError> {
    let provider = connection.client.as_deref();
    let capabilities = args.provider.capabilities();
    let quote = pricing::quote(args.price_settings(), capabilities, provider).await;
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
        error!("{refusal}; a real run would stop here");
        return Ok(Exit::Invalid);
    }
    Ok(match report.estimate_untrusted {
        Some(_) => Exit::Invalid,
        None => Exit::Success,
    })
}
