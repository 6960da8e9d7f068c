//! The main job's settings: every flag of a run, and what they resolve to (the provider's
//! address and segment rules, the state folder, the log file). Their help texts are in the
//! `help` catalogs (`help.arg.<field>`).

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
    pub fn draw_hosts(&self) -> Result<crate::provider::draw::Hosts, crate::i18n::Message> {
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

    #[arg(
        value_name = "INPUT_DIR",
        conflicts_with = "input_dir",
        help_heading = "Input and output"
    )]
    pub input: Option<PathBuf>,

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

    #[arg(
        long,
        env = "SORA_SKIP_INVALID",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        help_heading = "Input and output"
    )]
    pub skip_invalid: bool,

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

    #[arg(
        long,
        env = "SORA_FORCE",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        help_heading = "Generation"
    )]
    pub force: bool,

    #[arg(
        long,
        env = "SORA_DRY_RUN",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        help_heading = "Generation"
    )]
    pub dry_run: bool,

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

    #[arg(
        global = true,
        long,
        env = "SORA_AUTH_HEADER",
        hide_env_values = true,
        value_name = "HEADER",
        help_heading = "Provider"
    )]
    pub auth_header: Option<AuthHeader>,

    #[arg(
        long,
        env = "SORA_REQUEST_FORMAT",
        hide_env_values = true,
        value_name = "FORMAT",
        help_heading = "Provider"
    )]
    pub request_format: Option<RequestFormat>,

    #[arg(
        global = true,
        long,
        env = "DRAW_HOST_MODE",
        hide_env_values = true,
        value_name = "MODE",
        help_heading = "Provider"
    )]
    pub host_mode: Option<HostMode>,

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

    #[arg(
        long,
        env = "DRAW_RESULT_PATH",
        hide_env_values = true,
        value_name = "PATH",
        help_heading = "Provider"
    )]
    pub result_path: Option<ResultPath>,

    #[arg(
        long,
        env = "DRAW_SIZE",
        hide_env_values = true,
        value_name = "SIZE",
        help_heading = "Provider"
    )]
    pub draw_size: Option<DrawSize>,

    #[arg(
        long,
        env = "CHAT_MODEL_TEMPLATE",
        hide_env_values = true,
        value_name = "TEMPLATE",
        help_heading = "Provider"
    )]
    pub chat_model_template: Option<String>,

    #[arg(
        long,
        env = "CHAT_GENERATION_IDS",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        help_heading = "Provider"
    )]
    pub chat_generation_ids: bool,

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

    #[arg(
        global = true,
        long,
        env = "SORA_PRICE_NORMAL",
        hide_env_values = true,
        value_name = "CENTS",
        value_parser = count_in(0, MAX_PRICE_CENTS).with_hint("cli.price_hint"),
        help_heading = "Provider"
    )]
    pub price_normal: Option<u32>,

    #[arg(
        global = true,
        long,
        env = "SORA_PRICE_PRO",
        hide_env_values = true,
        value_name = "CENTS",
        value_parser = count_in(0, MAX_PRICE_CENTS).with_hint("cli.price_hint"),
        help_heading = "Provider"
    )]
    pub price_pro: Option<u32>,

    #[arg(
        global = true,
        long,
        env = "SORA_PRICE_PRO_LARGE",
        hide_env_values = true,
        value_name = "CENTS",
        value_parser = count_in(0, MAX_PRICE_CENTS).with_hint("cli.price_hint"),
        help_heading = "Provider"
    )]
    pub price_pro_large: Option<u32>,

    #[arg(long, env = "MAX_CONCURRENT_TASKS", hide_env_values = true, value_name = "N",
        default_value_t = 20, value_parser = count_in(1, MAX_WORKERS),
        help_heading = "Engine")]
    pub max_workers: u32,

    #[arg(long, env = "SORA_MIN_WORKERS", hide_env_values = true, value_name = "N",
        default_value_t = 5, value_parser = count_in(1, MAX_WORKERS),
        help_heading = "Engine")]
    pub min_workers: u32,

    #[arg(long, env = "SORA_BREAKER_THRESHOLD", hide_env_values = true, value_name = "N",
        default_value_t = 2, value_parser = count_in(1u32, 1000),
        help_heading = "Engine")]
    pub breaker_threshold: u32,

    #[arg(long, env = "SORA_BREAKER_COOLDOWN", hide_env_values = true, value_name = "TIME",
        default_value = "10m", value_parser = BREAKER_COOLDOWN, help_heading = "Engine")]
    pub breaker_cooldown: Duration,

    #[arg(long, env = "SORA_RECOVERY_STEP", hide_env_values = true, value_name = "TIME",
        default_value = "1m", value_parser = RECOVERY_STEP, help_heading = "Engine")]
    pub recovery_step: Duration,

    #[arg(long, env = "SORA_POLL_DELAY", hide_env_values = true, value_name = "TIME",
        default_value = "20s", value_parser = POLL_DELAY, help_heading = "Engine")]
    pub poll_delay: Duration,

    #[arg(long, env = "SORA_POLL_INTERVAL", hide_env_values = true, value_name = "TIME",
        default_value = "10s", value_parser = POLL_INTERVAL, help_heading = "Engine")]
    pub poll_interval: Duration,

    #[arg(long, env = "SORA_POLL_TIMEOUT", hide_env_values = true, value_name = "TIME",
        default_value = "35m", value_parser = POLL_TIMEOUT, help_heading = "Engine")]
    pub poll_timeout: Duration,

    #[arg(long, env = "SORA_DOWNLOAD_WORKERS", hide_env_values = true, value_name = "N",
        default_value_t = 4, value_parser = count_in(1u32, 64),
        help_heading = "Engine")]
    pub download_workers: u32,

    #[arg(long, env = "SORA_MAX_VIDEO_BYTES", hide_env_values = true, value_name = "SIZE",
        default_value = "4GiB", value_parser = MAX_VIDEO_BYTES, help_heading = "Engine")]
    pub max_video_bytes: u64,

    #[arg(global = true, long, env = "SORA_REQUEST_TIMEOUT", hide_env_values = true, value_name = "TIME",
        default_value = "60s", value_parser = REQUEST_TIMEOUT, help_heading = "Engine")]
    pub request_timeout: Duration,

    #[arg(long, env = "SORA_GIVE_UP_AFTER", hide_env_values = true, value_name = "TIME",
        default_value = "15m", value_parser = GIVE_UP_AFTER, help_heading = "Engine")]
    pub give_up_after: Duration,

    #[arg(long, env = "SORA_LOST_CREATE_WAIT", hide_env_values = true, value_name = "TIME",
        default_value = "10s", value_parser = LOST_CREATE_WAIT, help_heading = "Engine")]
    pub lost_create_wait: Duration,

    #[arg(
        global = true,
        long,
        env = "SORA_STATE_DIR",
        hide_env_values = true,
        value_name = "DIR",
        help_heading = "Engine"
    )]
    pub state_dir: Option<PathBuf>,

    #[arg(
        long,
        env = "SORA_RESUBMIT_LOST",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        help_heading = "Engine"
    )]
    pub resubmit_lost: bool,

    #[arg(
        long,
        env = "SORA_RETRY_FAILED",
        hide_env_values = true,
        value_name = "FILE",
        help_heading = "Engine"
    )]
    pub retry_failed: Option<PathBuf>,

    #[arg(
        long,
        env = "SORA_REPORT",
        hide_env_values = true,
        value_name = "FILE",
        help_heading = "Output"
    )]
    pub report: Option<PathBuf>,

    #[arg(
        long,
        env = "SORA_LOG_FILE",
        hide_env_values = true,
        value_name = "FILE",
        help_heading = "Output"
    )]
    pub log_file: Option<PathBuf>,

    #[arg(
        global = true,
        long,
        env = "SORA_JSON",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        help_heading = "Output"
    )]
    pub json: bool,

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

    #[arg(
        short,
        long,
        env = "SORA_QUIET",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        help_heading = "Output"
    )]
    pub quiet: bool,

    #[arg(
        long,
        env = "SORA_COLOR",
        hide_env_values = true,
        value_name = "WHEN",
        default_value = "auto",
        help_heading = "Output"
    )]
    pub color: crate::ui::ColorWhen,

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
