//! The main job's settings: every flag of a run, and what they resolve to (the provider's
//! address and segment rules, the state folder, the log file).

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args};

use super::base_url;
use super::provider::ProviderKind;
use super::range::count_in;
use super::values::*;
use crate::plan::OutputMode;
use crate::provider::draw::{DrawSize, HostMode, ResultPath};
use crate::provider::openai::{AuthHeader, RequestFormat};
use crate::storyboard::MAX_GEN_COUNT;

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
            settings.images.link_refused = Some(crate::storyboard::Refusal::MultipartLink);
        }
        if self.provider == ProviderKind::Draw {
            settings.sizes.default = Some(self.draw_size.unwrap_or_default().as_str());
        }
        settings.images = self.images.applied_to(settings.images);
        settings
    }

    /// The draw API's hosts: `--host-mode`, with `--base-url` and `--fallback-url` in
    /// place of the documented ones; why not, when they contradict each other.
    pub fn draw_hosts(&self) -> Result<crate::provider::draw::Hosts, String> {
        crate::provider::draw::Hosts::resolve(
            self.host_mode.unwrap_or_default(),
            self.base_url.as_ref(),
            self.fallback_url.as_ref(),
        )
    }

    /// The API's address: `--base-url`, else the provider's own.
    pub fn api_url(&self) -> url::Url {
        self.base_url.clone().unwrap_or_else(|| {
            url::Url::parse(self.provider.default_base_url()).expect("a default URL parses")
        })
    }

    /// Whether a later run can ask about a task this one accepted: the provider's
    /// capability, or a chat gateway with `--chat-generation-ids`.
    pub fn tasks_outlive_run(&self) -> bool {
        self.provider.capabilities().tasks_outlive_run
            || (self.provider == ProviderKind::Chat && self.chat_generation_ids)
    }

    /// The OpenAI dialect's settings: `--auth-header` and `--request-format`.
    pub fn openai_options(&self) -> crate::provider::openai::Options {
        crate::provider::openai::Options {
            auth: self.auth_header.unwrap_or_default(),
            format: self.request_format.unwrap_or_default(),
        }
    }

    /// The prices the user set: `--price-normal`, `--price-pro`, `--price-pro-large`.
    pub fn price_settings(&self) -> crate::pricing::PriceSettings {
        crate::pricing::PriceSettings {
            normal_cents: self.price_normal,
            pro_cents: self.price_pro,
            pro_large_cents: self.price_pro_large,
        }
    }

    /// Which videos on disk make a job done for this run.
    pub fn finished(&self) -> crate::plan::Finished {
        crate::plan::Finished {
            force: self.force,
            simulator: self.provider == ProviderKind::Simulator,
        }
    }

    /// Where storyboards are read from and their videos go.
    pub fn layout(&self) -> crate::plan::Layout {
        crate::plan::Layout {
            input_dir: self.input_dir.clone(),
            output_dir: self.output_dir.clone(),
            mode: self.output_mode,
        }
    }

    /// `--state-dir`, or `.sora-batch` in the output folder (in_place: the input folder);
    /// the simulator's is `.sora-batch-simulator` beside it, so a demo never reads (or
    /// searches for) a real run's paid tasks, nor a real run the demo's.
    pub fn state_dir(&self) -> PathBuf {
        let name = match self.provider {
            ProviderKind::Simulator => ".sora-batch-simulator",
            ProviderKind::SoraHk
            | ProviderKind::OpenAi
            | ProviderKind::Draw
            | ProviderKind::Chat => ".sora-batch",
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
    pub(super) fn default_log_file(&self) -> PathBuf {
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
        global = true,
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
        global = true,
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
        global = true,
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
        global = true,
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

    /// The API to use: sora-hk, openai (OpenAI, its gateways, Azure OpenAI), draw (GrsAI's
    /// Sora2 API and its resellers), or simulator (offline, against a built-in fake
    /// provider)
    #[arg(
        long,
        global = true,
        env = "SORA_PROVIDER",
        hide_env_values = true,
        value_name = "NAME",
        default_value = "sora-hk",
        help_heading = "Provider"
    )]
    pub provider: ProviderKind,

    /// The provider's API address [default: https://api.sora.hk/v1 for sora-hk,
    /// https://api.openai.com/v1 for openai; for draw, the host's root that --host-mode
    /// picks]
    #[arg(
        global = true,
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
        global = true,
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

    /// draw only: which of the API's two hosts calls go to: auto (the domestic host, and
    /// the overseas one when it cannot be reached), domestic (grsai.dakka.com.cn) or
    /// overseas (grsaiapi.com); --base-url replaces the first [default: auto]
    #[arg(
        global = true,
        long,
        env = "DRAW_HOST_MODE",
        hide_env_values = true,
        value_name = "MODE",
        help_heading = "Provider"
    )]
    pub host_mode: Option<HostMode>,

    /// draw only: the host --host-mode auto falls back to when the first cannot be reached
    /// (the host's root, like --base-url) [default: the overseas host, unless --base-url
    /// is set: then none]
    #[arg(
        global = true,
        long,
        env = "DRAW_FALLBACK_URL",
        hide_env_values = true,
        value_name = "URL",
        value_parser = base_url::ApiUrl,
        help_heading = "Provider"
    )]
    pub fallback_url: Option<url::Url>,

    /// draw only: the call that says where a task stands: draw (POST /v1/draw/result),
    /// video (POST /v1/video/result, as some deployments serve it) or auto (draw, then
    /// video where draw's is not served) [default: auto]
    #[arg(
        long,
        env = "DRAW_RESULT_PATH",
        hide_env_values = true,
        value_name = "PATH",
        help_heading = "Provider"
    )]
    pub result_path: Option<ResultPath>,

    /// draw only: the size of a segment that sets no "size": small (720p) or large
    /// [default: small]
    #[arg(
        long,
        env = "DRAW_SIZE",
        hide_env_values = true,
        value_name = "SIZE",
        help_heading = "Provider"
    )]
    pub draw_size: Option<DrawSize>,

    /// chat only: how a segment's job is spelled as a model name ({pro}: "pro" or nothing,
    /// {orientation}: landscape or portrait, {seconds}); a segment's "model" replaces it
    /// [default: sora2{pro}-{orientation}-{seconds}s]
    #[arg(
        long,
        env = "CHAT_MODEL_TEMPLATE",
        hide_env_values = true,
        value_name = "TEMPLATE",
        help_heading = "Provider"
    )]
    pub chat_model_template: Option<String>,

    /// chat only: the gateway tells each generation's state at GET {base}/generation/{id}
    /// for the id its stream's chunks carry (as seed 004's does): that id becomes the task
    /// id, and a broken stream or a later run asks there instead of ending the job as an
    /// unknown outcome
    #[arg(
        long,
        env = "CHAT_GENERATION_IDS",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        help_heading = "Provider"
    )]
    pub chat_generation_ids: bool,

    /// A JSON file of several API keys, as the provider's key list variable holds them
    /// (SORA_API_KEYS: [{"key": "…", "weight": 1, "max_rpm": 60}, …]), instead of that
    /// variable or the single-key one
    #[arg(
        long,
        global = true,
        env = "SORA_KEYS_FILE",
        hide_env_values = true,
        value_name = "FILE",
        help_heading = "Provider"
    )]
    pub keys_file: Option<PathBuf>,

    #[command(flatten)]
    pub images: super::images::ImageArgs,

    /// The video lengths in seconds the provider accepts, in both modes, instead of its
    /// documented ones (e.g. 10,15 for a gateway with other lengths); validation and the
    /// schema check duration_seconds against them
    #[arg(
        long,
        global = true,
        env = "SORA_DURATIONS",
        hide_env_values = true,
        value_name = "LIST",
        value_parser = parse_durations,
        help_heading = "Provider"
    )]
    pub durations: Option<&'static [u32]>,

    /// Price of a normal job in cents, per task (sora-hk) or per second of video (openai);
    /// for draw, credits per small task [default: sora-hk's GET /pricing when its key is
    /// set, else the documented price: 3 per task (sora-hk), 10 per second (openai), 40
    /// credits (draw)]
    #[arg(
        global = true,
        long,
        env = "SORA_PRICE_NORMAL",
        hide_env_values = true,
        value_name = "CENTS",
        value_parser = count_in(0, MAX_PRICE_CENTS).with_hint(PRICE_HINT),
        help_heading = "Provider"
    )]
    pub price_normal: Option<u32>,

    /// Price of a pro job in cents, as --price-normal; for draw, credits per large task
    /// [default: sora-hk's GET /pricing when its key is set, else the documented price: 30
    /// per task (sora-hk), 30 per second (openai), 120 credits (draw)]
    #[arg(
        global = true,
        long,
        env = "SORA_PRICE_PRO",
        hide_env_values = true,
        value_name = "CENTS",
        value_parser = count_in(0, MAX_PRICE_CENTS).with_hint(PRICE_HINT),
        help_heading = "Provider"
    )]
    pub price_pro: Option<u32>,

    /// Price of a pro job at a size larger than 720p (1792x1024, 1024x1792), in cents per
    /// second; openai only (sora-hk charges pro the same at every size) [default: the
    /// documented 50 per second]
    #[arg(
        global = true,
        long,
        env = "SORA_PRICE_PRO_LARGE",
        hide_env_values = true,
        value_name = "CENTS",
        value_parser = count_in(0, MAX_PRICE_CENTS).with_hint(PRICE_HINT),
        help_heading = "Provider"
    )]
    pub price_pro_large: Option<u32>,

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
    #[arg(global = true, long, env = "SORA_REQUEST_TIMEOUT", hide_env_values = true, value_name = "TIME",
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
        global = true,
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
        global = true,
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

    /// The language of the summary and the dry run's table: zh (简体中文) or en [default:
    /// the system's: LC_ALL, LC_MESSAGES, LANG]; logs and JSON stay English
    #[arg(
        long,
        global = true,
        env = "SORA_LANG",
        hide_env_values = true,
        value_name = "LANG",
        help_heading = "Output"
    )]
    pub lang: Option<crate::i18n::Lang>,
}
