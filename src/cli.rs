//! The command line: every flag with its environment variable, default and help text.
//! Values resolve flag > environment > `.env` (loaded into the environment before parsing,
//! see config.rs) > default.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

mod base_url;
mod generate;
mod images;
mod origin;
mod range;

pub use generate::Generate;
pub use range::{InRange, count_in, duration_in, probability};

use crate::plan::OutputMode;
use crate::provider::openai::{AuthHeader, RequestFormat};
use crate::storyboard::MAX_GEN_COUNT;
use range::{hours, ms, secs};

// The ranges of the engine's timings: wide enough for the tests' and benchmarks' scaled
// timings (milliseconds) and for any real provider, narrow enough that no deadline or
// backoff computed from them can overflow.
const BREAKER_COOLDOWN: InRange<Duration> = duration_in(ms(10), hours(24));
const RECOVERY_STEP: InRange<Duration> = duration_in(ms(10), hours(1));
const POLL_DELAY: InRange<Duration> = duration_in(Duration::ZERO, hours(1));
const POLL_INTERVAL: InRange<Duration> = duration_in(ms(10), hours(1));
const POLL_TIMEOUT: InRange<Duration> = duration_in(secs(1), hours(7 * 24));
const REQUEST_TIMEOUT: InRange<Duration> = duration_in(ms(100), hours(1));
const LOST_CREATE_WAIT: InRange<Duration> = duration_in(Duration::ZERO, hours(1));
const GIVE_UP_AFTER: InRange<Duration> = duration_in(ms(100), hours(7 * 24));
/// No real video is under 1 MiB; the top only keeps the arithmetic sane.
const MAX_VIDEO_BYTES: InRange<u64> = InRange::new(1 << 20, 1 << 50, parse_size, show_size);
/// Where `--provider simulator` puts its videos unless told otherwise.
pub const SIMULATOR_OUTPUT_DIR: &str = "./output-simulator";
/// The most jobs in flight a run may allow.
const MAX_WORKERS: u32 = 1000;
/// A price above the most any task may plausibly cost is a typo.
const MAX_PRICE_CENTS: u32 = crate::provider::untrusted::MAX_TASK_CENTS as u32;
const PRICE_HINT: &str = "prices are whole cents: 3 means $0.03";

const AFTER_HELP: &str = "\
Environment:
  SORA_API_KEY             The API key of --provider sora-hk, read from the environment or
                           .env only (never a flag, so it stays out of shell history and ps)
  OPENAI_API_KEY           The API key of --provider openai, read the same way
  HTTP_PROXY, HTTPS_PROXY  Proxy for API calls and downloads
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
    args_conflicts_with_subcommands = true,
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
    /// Run the local provider simulator (Sora.hk and OpenAI Videos APIs) until Ctrl+C
    Simulate(Box<crate::sim::SimSettings>),
}

/// Which API the batch talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProviderKind {
    /// The Sora.hk task API (SORA_API_KEY)
    #[value(name = "sora-hk")]
    SoraHk,
    /// The OpenAI Videos API, or a gateway or Azure OpenAI serving its shape (OPENAI_API_KEY)
    #[value(name = "openai")]
    OpenAi,
    /// A simulator started inside this process: the whole pipeline, offline and free
    Simulator,
}

impl ProviderKind {
    /// What the journal and sidecars call this provider.
    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::SoraHk => crate::provider::sora_hk::NAME,
            ProviderKind::OpenAi => crate::provider::openai::NAME,
            ProviderKind::Simulator => crate::provider::sora_hk::SIMULATOR_NAME,
        }
    }

    /// What this provider can do, known without a connection (a dry run without a key
    /// still validates and prices with it). The simulator stands in for Sora.hk.
    pub fn capabilities(self) -> &'static crate::provider::Capabilities {
        match self {
            ProviderKind::SoraHk | ProviderKind::Simulator => {
                &crate::provider::sora_hk::CAPABILITIES
            }
            ProviderKind::OpenAi => &crate::provider::openai::CAPABILITIES,
        }
    }

    /// The name `--provider` takes.
    pub fn name_as_typed(self) -> String {
        use clap::ValueEnum;
        self.to_possible_value()
            .map(|value| value.get_name().to_string())
            .unwrap_or_default()
    }

    /// The API's address unless `--base-url` says another.
    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::SoraHk | ProviderKind::Simulator => {
                crate::provider::sora_hk::DEFAULT_BASE_URL
            }
            ProviderKind::OpenAi => crate::provider::openai::DEFAULT_BASE_URL,
        }
    }
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

/// Why an image_url link is refused under openai's default multipart creates.
const MULTIPART_LINK: &str = "openai's default --request-format multipart carries a \
    reference image only as an uploaded file; use --request-format json \
    (SORA_REQUEST_FORMAT=json), which sends the link as input_reference";

/// A flag of the OpenAI dialect given with another provider is a usage error, not a
/// warning: it says how the key is sent or how creates look, and a run that quietly did
/// otherwise (a key meant for Azure's api-key header sent as Bearer) would fail late or,
/// worse, send what the user did not mean to.
fn check_provider_flags(matches: &clap::ArgMatches, run: &RunArgs) {
    if run.provider == ProviderKind::OpenAi {
        return;
    }
    for (id, flag, variable) in [
        ("auth_header", "--auth-header", "SORA_AUTH_HEADER"),
        ("request_format", "--request-format", "SORA_REQUEST_FORMAT"),
    ] {
        let Some(source) = matches.value_source(id) else {
            continue;
        };
        let given = match source {
            clap::parser::ValueSource::EnvVariable => {
                format!("{variable} (set in the environment or .env)")
            }
            _ => flag.to_string(),
        };
        let message = format!(
            "{given} applies only to --provider openai, not to --provider {}; remove it, or \
             add --provider openai",
            run.provider.name_as_typed()
        );
        exit_with(Cli::command().error(clap::error::ErrorKind::ArgumentConflict, message));
    }
}

/// Prints clap's message and exits as clap would, with the text escaped: a value from the
/// environment or `.env`, or an argument typed, may hold a terminal escape or a line
/// break, and clap quotes it as it is. Help and version go out untouched.
fn exit_with(err: clap::Error) -> ! {
    use crate::ui::{is_unprintable, printable};
    use clap::error::{ContextKind, ContextValue};
    if !err.use_stderr() {
        err.exit();
    }
    let context = |kind| err.get(kind);
    // clap's rendering drops the escape codes but keeps the line breaks: say it again.
    if let (Some(ContextValue::String(value)), Some(ContextValue::String(arg))) = (
        context(ContextKind::InvalidValue),
        context(ContextKind::InvalidArg),
    ) && value.chars().any(is_unprintable)
    {
        eprintln!("error: invalid value \"{}\" for '{arg}'", printable(value));
        if let Some(ContextValue::Strings(valid)) = context(ContextKind::ValidValue) {
            eprintln!("  [possible values: {}]", valid.join(", "));
        }
        std::process::exit(err.exit_code());
    }
    // Any other text the user typed (an unknown argument or subcommand): said on one line.
    let typed = err.context().find_map(|(_, value)| match value {
        ContextValue::String(text) if text.chars().any(is_unprintable) => Some(text),
        _ => None,
    });
    if let Some(typed) = typed {
        let kind = err.kind().as_str().unwrap_or("invalid argument");
        eprintln!("error: {kind}: \"{}\"", printable(typed));
        eprintln!("\nFor more information, try '--help'.");
        std::process::exit(err.exit_code());
    }
    for line in err.render().to_string().lines() {
        eprintln!("{}", printable(line));
    }
    // A value the user never typed is fixed where it lives: name its variable.
    let command = Cli::command();
    if let Some(ContextValue::String(shown)) = context(ContextKind::InvalidArg)
        && let Some(arg) = origin::arg_named(&command, shown)
        && let Some(variable) = origin::variable_of(arg)
    {
        eprintln!("note: the value comes from {variable}");
    }
    std::process::exit(err.exit_code());
}

impl RunArgs {
    /// What validation checks segments against: the chosen provider's lengths and prompt
    /// limit, and `--gen-count`.
    pub fn segment_settings(&self) -> crate::storyboard::SegmentSettings {
        let mut settings = self
            .provider
            .capabilities()
            .segment_settings(self.gen_count);
        if let Some(lengths) = self.durations {
            settings.durations = settings.durations.only(lengths);
        }
        if self.provider == ProviderKind::OpenAi
            && self.openai_options().format == RequestFormat::Multipart
        {
            settings.images.link_refused = Some(MULTIPART_LINK);
        }
        settings.images = self.images.applied_to(settings.images);
        settings
    }

    /// The API's address: `--base-url`, else the provider's own.
    pub fn api_url(&self) -> url::Url {
        self.base_url.clone().unwrap_or_else(|| {
            url::Url::parse(self.provider.default_base_url()).expect("a default URL parses")
        })
    }

    /// The OpenAI dialect's settings: `--auth-header` and `--request-format`.
    pub fn openai_options(&self) -> crate::provider::openai::Options {
        crate::provider::openai::Options {
            auth: self.auth_header.unwrap_or_default(),
            format: self.request_format.unwrap_or_default(),
        }
    }

    /// Which videos on disk make a job done for this run.
    pub fn finished(&self) -> crate::plan::Finished {
        crate::plan::Finished {
            force: self.force,
            simulator: self.provider == ProviderKind::Simulator,
        }
    }

    /// `--state-dir`, or `.sora-batch` in the output folder (in_place: the input folder);
    /// the simulator's is `.sora-batch-simulator` beside it, so a demo never reads (or
    /// searches for) a real run's paid tasks, nor a real run the demo's.
    pub fn state_dir(&self) -> PathBuf {
        let name = match self.provider {
            ProviderKind::Simulator => ".sora-batch-simulator",
            ProviderKind::SoraHk | ProviderKind::OpenAi => ".sora-batch",
        };
        self.state_dir
            .clone()
            .unwrap_or_else(|| match self.output_mode {
                OutputMode::Centralized => self.output_dir.join(name),
                OutputMode::InPlace => self.input_dir.join(name),
            })
    }

    /// `sora-batch.log` next to the state folder: `output/sora-batch.log` by default, and
    /// beside the run's own state in in_place mode (which may never touch `--output-dir`).
    fn default_log_file(&self) -> PathBuf {
        let state_dir = self.state_dir();
        let beside = state_dir.parent().unwrap_or(std::path::Path::new(""));
        beside.join("sora-batch.log")
    }
}

/// The main job's settings.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Folder scanned (recursively) for storyboard*.json files
    #[arg(
        long,
        env = "SORA_INPUT_DIR",
        hide_env_values = true,
        value_name = "DIR",
        default_value = "./input",
        help_heading = "Input and output"
    )]
    pub input_dir: PathBuf,

    /// Shorthand for --input-dir: `sora-batch ./episodes`
    #[arg(
        value_name = "INPUT_DIR",
        conflicts_with = "input_dir",
        help_heading = "Input and output"
    )]
    pub input: Option<PathBuf>,

    /// Folder that receives the videos in centralized mode
    #[arg(
        long,
        env = "SORA_OUTPUT_DIR",
        hide_env_values = true,
        value_name = "DIR",
        default_value = "./output",
        help_heading = "Input and output"
    )]
    pub output_dir: PathBuf,

    /// Where videos go: under --output-dir, or beside each storyboard in <name>_assets/
    #[arg(
        long,
        env = "SORA_OUTPUT_MODE",
        hide_env_values = true,
        value_name = "MODE",
        default_value = "centralized",
        help_heading = "Input and output"
    )]
    pub output_mode: OutputMode,

    /// Run the valid storyboards even when others are invalid (default: refuse to start)
    #[arg(
        long,
        env = "SORA_SKIP_INVALID",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        help_heading = "Input and output"
    )]
    pub skip_invalid: bool,

    /// Versions generated per segment, unless a storyboard sets gen_count
    #[arg(
        long,
        env = "GEN_COUNT_PER_SEGMENT",
        hide_env_values = true,
        value_name = "N",
        default_value_t = 2,
        value_parser = count_in(1, MAX_GEN_COUNT),
        help_heading = "Generation"
    )]
    pub gen_count: u32,

    /// Regenerate every job, even those whose video is already done
    #[arg(
        long,
        env = "SORA_FORCE",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        help_heading = "Generation"
    )]
    pub force: bool,

    /// Show the plan and its estimated cost; submit nothing (works offline, without a key)
    #[arg(
        long,
        env = "SORA_DRY_RUN",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        help_heading = "Generation"
    )]
    pub dry_run: bool,

    /// The API to use: sora-hk, openai (OpenAI, its gateways, Azure OpenAI), or simulator
    /// (offline, against a built-in fake provider)
    #[arg(
        long,
        env = "SORA_PROVIDER",
        hide_env_values = true,
        value_name = "NAME",
        default_value = "sora-hk",
        help_heading = "Provider"
    )]
    pub provider: ProviderKind,

    /// The provider's API address [default: https://api.sora.hk/v1 for sora-hk,
    /// https://api.openai.com/v1 for openai]
    #[arg(
        long,
        env = "SORA_BASE_URL",
        hide_env_values = true,
        value_name = "URL",
        value_parser = base_url::ApiUrl,
        help_heading = "Provider"
    )]
    pub base_url: Option<url::Url>,

    /// openai only: the header that carries the key: authorization (Bearer, as OpenAI and
    /// the gateways take it) or api-key (Azure OpenAI) [default: authorization]
    #[arg(
        long,
        env = "SORA_AUTH_HEADER",
        hide_env_values = true,
        value_name = "HEADER",
        help_heading = "Provider"
    )]
    pub auth_header: Option<AuthHeader>,

    /// openai only: how creates are sent: multipart (as the official SDK sends them) or json
    /// (for gateways that want JSON; the only way to send an image_url link)
    /// [default: multipart]
    #[arg(
        long,
        env = "SORA_REQUEST_FORMAT",
        hide_env_values = true,
        value_name = "FORMAT",
        help_heading = "Provider"
    )]
    pub request_format: Option<RequestFormat>,

    #[command(flatten)]
    pub images: images::ImageArgs,

    /// The video lengths in seconds the provider accepts, in both modes, instead of its
    /// documented ones (e.g. 10,15 for a gateway with other lengths); validation and the
    /// schema check duration_seconds against them
    #[arg(
        long,
        env = "SORA_DURATIONS",
        hide_env_values = true,
        value_name = "LIST",
        value_parser = parse_durations,
        help_heading = "Provider"
    )]
    pub durations: Option<&'static [u32]>,

    /// Price of a normal job in cents, per task (sora-hk) or per second of video (openai)
    /// [default: sora-hk's GET /pricing when its key is set, else the documented price: 3
    /// per task (sora-hk), 10 per second (openai)]
    #[arg(
        long,
        env = "SORA_PRICE_NORMAL",
        hide_env_values = true,
        value_name = "CENTS",
        value_parser = count_in(0, MAX_PRICE_CENTS).with_hint(PRICE_HINT),
        help_heading = "Provider"
    )]
    pub price_normal: Option<u32>,

    /// Price of a pro job in cents, as --price-normal [default: sora-hk's GET /pricing when
    /// its key is set, else the documented price: 30 per task (sora-hk), 30 per second
    /// (openai)]
    #[arg(
        long,
        env = "SORA_PRICE_PRO",
        hide_env_values = true,
        value_name = "CENTS",
        value_parser = count_in(0, MAX_PRICE_CENTS).with_hint(PRICE_HINT),
        help_heading = "Provider"
    )]
    pub price_pro: Option<u32>,

    /// Most jobs in flight at the provider at once (the breaker's normal limit)
    #[arg(long, env = "MAX_CONCURRENT_TASKS", hide_env_values = true, value_name = "N",
        default_value_t = 20, value_parser = count_in(1, MAX_WORKERS),
        help_heading = "Engine")]
    pub max_workers: u32,

    /// The breaker's safe limit after repeated rate limits or server errors
    #[arg(long, env = "SORA_MIN_WORKERS", hide_env_values = true, value_name = "N",
        default_value_t = 5, value_parser = count_in(1, MAX_WORKERS),
        help_heading = "Engine")]
    pub min_workers: u32,

    /// Consecutive submit errors (rate limits, server errors) that trip the breaker
    #[arg(long, env = "SORA_BREAKER_THRESHOLD", hide_env_values = true, value_name = "N",
        default_value_t = 2, value_parser = count_in(1u32, 1000),
        help_heading = "Engine")]
    pub breaker_threshold: u32,

    /// How long the breaker stays at the safe limit before recovering
    #[arg(long, env = "SORA_BREAKER_COOLDOWN", hide_env_values = true, value_name = "TIME",
        default_value = "10m", value_parser = BREAKER_COOLDOWN, help_heading = "Engine")]
    pub breaker_cooldown: Duration,

    /// While recovering, one more job in flight is allowed after each step of this length
    #[arg(long, env = "SORA_RECOVERY_STEP", hide_env_values = true, value_name = "TIME",
        default_value = "1m", value_parser = RECOVERY_STEP, help_heading = "Engine")]
    pub recovery_step: Duration,

    /// Wait before the first status call of a job
    #[arg(long, env = "SORA_POLL_DELAY", hide_env_values = true, value_name = "TIME",
        default_value = "20s", value_parser = POLL_DELAY, help_heading = "Engine")]
    pub poll_delay: Duration,

    /// Shortest wait between status calls (longer while completion is far away)
    #[arg(long, env = "SORA_POLL_INTERVAL", hide_env_values = true, value_name = "TIME",
        default_value = "10s", value_parser = POLL_INTERVAL, help_heading = "Engine")]
    pub poll_interval: Duration,

    /// Give up waiting for a job at the provider after this long (a rerun picks it up again)
    #[arg(long, env = "SORA_POLL_TIMEOUT", hide_env_values = true, value_name = "TIME",
        default_value = "35m", value_parser = POLL_TIMEOUT, help_heading = "Engine")]
    pub poll_timeout: Duration,

    /// Videos downloaded at once
    #[arg(long, env = "SORA_DOWNLOAD_WORKERS", hide_env_values = true, value_name = "N",
        default_value_t = 4, value_parser = count_in(1u32, 64),
        help_heading = "Engine")]
    pub download_workers: u32,

    /// Largest video downloaded; a larger one is refused (e.g. 4GiB, 500MB)
    #[arg(long, env = "SORA_MAX_VIDEO_BYTES", hide_env_values = true, value_name = "SIZE",
        default_value = "4GiB", value_parser = MAX_VIDEO_BYTES, help_heading = "Engine")]
    pub max_video_bytes: u64,

    /// Timeout of one API call
    #[arg(long, env = "SORA_REQUEST_TIMEOUT", hide_env_values = true, value_name = "TIME",
        default_value = "60s", value_parser = REQUEST_TIMEOUT, help_heading = "Engine")]
    pub request_timeout: Duration,

    /// Give up on the provider when no API call has been answered for this long (refused
    /// connections, failed lookups, only server errors or timeouts): nothing more is
    /// submitted, every job is left for the next run, and the run exits 1
    #[arg(long, env = "SORA_GIVE_UP_AFTER", hide_env_values = true, value_name = "TIME",
        default_value = "15m", value_parser = GIVE_UP_AFTER, help_heading = "Engine")]
    pub give_up_after: Duration,

    /// After a create with no usable answer, wait this long for the provider's task list to
    /// show the task before looking a second time (and only then submit it again)
    #[arg(long, env = "SORA_LOST_CREATE_WAIT", hide_env_values = true, value_name = "TIME",
        default_value = "10s", value_parser = LOST_CREATE_WAIT, help_heading = "Engine")]
    pub lost_create_wait: Duration,

    /// Folder of the run's journal and lock [default: <output-dir>/.sora-batch, or
    /// <input-dir>/.sora-batch in in_place mode]
    #[arg(
        long,
        env = "SORA_STATE_DIR",
        hide_env_values = true,
        value_name = "DIR",
        help_heading = "Engine"
    )]
    pub state_dir: Option<PathBuf>,

    /// Submit again a job whose task the provider no longer knows (costs money again)
    #[arg(
        long,
        env = "SORA_RESUBMIT_LOST",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        help_heading = "Engine"
    )]
    pub resubmit_lost: bool,

    /// Rerun only the jobs listed in this failed-jobs file (written at the end of a run)
    #[arg(
        long,
        env = "SORA_RETRY_FAILED",
        hide_env_values = true,
        value_name = "FILE",
        help_heading = "Engine"
    )]
    pub retry_failed: Option<PathBuf>,

    /// Also write the end-of-run summary as JSON to this file
    #[arg(
        long,
        env = "SORA_REPORT",
        hide_env_values = true,
        value_name = "FILE",
        help_heading = "Output"
    )]
    pub report: Option<PathBuf>,

    /// Detailed log of the run, with the provider's request ids [default: sora-batch.log
    /// next to the state folder: <output-dir>/sora-batch.log, or <input-dir>/sora-batch.log
    /// in in_place mode]
    #[arg(
        long,
        env = "SORA_LOG_FILE",
        hide_env_values = true,
        value_name = "FILE",
        help_heading = "Output"
    )]
    pub log_file: Option<PathBuf>,

    /// Print machine-readable JSON on stdout; human text goes to stderr
    #[arg(
        long,
        env = "SORA_JSON",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        help_heading = "Output"
    )]
    pub json: bool,

    /// Print debug detail
    #[arg(
        short,
        long,
        env = "SORA_VERBOSE",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        conflicts_with = "quiet",
        action = ArgAction::SetTrue,
        help_heading = "Output"
    )]
    pub verbose: bool,

    /// Print nothing when every job is done; otherwise the summary (each failure once) and
    /// errors: for cron
    #[arg(
        short,
        long,
        env = "SORA_QUIET",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        help_heading = "Output"
    )]
    pub quiet: bool,

    /// When to colour `warning:` and `error:`: auto (a terminal, unless NO_COLOR; forced by
    /// CLICOLOR_FORCE), always or never
    #[arg(
        long,
        env = "SORA_COLOR",
        hide_env_values = true,
        value_name = "WHEN",
        default_value = "auto",
        help_heading = "Output"
    )]
    pub color: crate::ui::ColorWhen,
}

/// The longest video length `--durations` takes, in seconds: an hour is far beyond any
/// provider's, and keeps per-second prices within range.
const MAX_DURATION_SECONDS: u32 = 3600;

/// `--durations`: seconds separated by commas, e.g. `10,15`. The list is leaked once, at
/// parsing, to be the `'static` slice validation's `Durations` holds like a dialect's own.
fn parse_durations(text: &str) -> Result<&'static [u32], String> {
    const EXAMPLE: &str = "write the lengths in seconds separated by commas, e.g. 10,15";
    let mut lengths = Vec::new();
    for part in text.split(',').map(str::trim) {
        match part.parse::<u32>() {
            Ok(seconds) if (1..=MAX_DURATION_SECONDS).contains(&seconds) => lengths.push(seconds),
            _ => {
                return Err(format!(
                    "\"{}\" is not a length between 1 and {MAX_DURATION_SECONDS} seconds; {EXAMPLE}",
                    crate::ui::escaped(part, 40)
                ));
            }
        }
    }
    lengths.sort_unstable();
    lengths.dedup();
    Ok(Box::leak(lengths.into_boxed_slice()))
}

/// A size as people write it (`4GiB`, `500MB`, `1.5 GiB`, plain bytes).
fn parse_size(text: &str) -> Option<u64> {
    text.parse::<bytesize::ByteSize>()
        .ok()
        .map(|size| size.as_u64())
}

/// A size bound as a user would type it.
fn show_size(bytes: &u64) -> String {
    match *bytes {
        bytes if bytes >= 1 << 50 && bytes % (1 << 50) == 0 => format!("{}PiB", bytes >> 50),
        bytes if bytes >= 1 << 40 && bytes % (1 << 40) == 0 => format!("{}TiB", bytes >> 40),
        bytes if bytes >= 1 << 30 && bytes % (1 << 30) == 0 => format!("{}GiB", bytes >> 30),
        bytes if bytes >= 1 << 20 && bytes % (1 << 20) == 0 => format!("{}MiB", bytes >> 20),
        bytes => format!("{bytes} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

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
        let example = include_str!("../.env.example");
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
}
