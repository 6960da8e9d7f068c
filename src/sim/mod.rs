//! The local provider simulator (`sora-batch simulate`, and `--provider simulator`): the
//! Sora.hk task API, the OpenAI Videos API, the Sora2 "draw" API, chat-completions
//! gateways and a CDN for the videos, over loopback, with knobs that inject the faults
//! real providers show. Tests and the offline demo use it.
//!
//! Layout: `world` holds the tasks and counters, `sora_hk`, `openai`, `draw` and `chat`
//! speak the four dialects (`hosts` serves them on the draw API's two hosts, either of which can be
//! down), `video` serves the bytes (Range, ETag, truncation, throttling), `images` serves
//! reference images as a public host would, and `faults`
//! drops connections and answers with server errors on demand; `stall` keeps clients
//! waiting (no answer at all, or one trickled a byte at a time); `hostile` sends answers
//! that never end, lie about their size or point videos elsewhere.

mod chat;
mod draw;
mod faults;
mod hostile;
mod hosts;
mod images;
mod openai;
mod running;
mod sora_hk;
mod stall;
mod video;
mod world;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use clap::Args;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

pub use chat::{
    AVAILABILITY_MESSAGE, AskSeen, CHAT_CENTS_PER_SECOND, CHAT_PRO_CENTS_PER_SECOND,
    CHAT_PRO_HD_CENTS_PER_SECOND, ChatSettings, ChatStats, CutHow, FAILURE_PREFIX, ResultShape,
    ShapeChoice,
};
pub use draw::{
    DownHow, DrawSettings, DrawStats, Host, LARGE_PRICE, RemixSeen, ResultPath, SMALL_PRICE,
    Spelling,
};
pub use images::png_header;
pub use running::RunningSim;
pub use sora_hk::{NORMAL_PRICE, PRO_PRICE};
pub use video::Video;
pub use world::{
    CONTENT_POLICY_MESSAGE, FORBIDDEN_MARK, KeyStats, LOST_ANSWER_MARK, ReferenceSeen, Stats,
};

use world::World;

use crate::cli::{count_in, duration_in, probability};

/// The most `--clock-skew` and `--gen-seconds` take: ten years, a day.
const MOST_CLOCK_SKEW: f64 = 10.0 * 365.25 * 86_400.0;
const MOST_GEN_SECONDS: f64 = 86_400.0;
const ONE_HOUR: Duration = Duration::from_secs(3600);
const ONE_WEEK: Duration = Duration::from_secs(7 * 86_400);

/// The simulator's knobs. Every fault is off by default.
#[derive(Debug, Clone, Args)]
pub struct SimSettings {
    /// Port on 127.0.0.1 to listen on; 0 picks a free one
    #[arg(long, default_value_t = 8790)]
    pub port: u16,

    /// Write the port it listens on to this file (for scripts that use --port 0)
    #[arg(long, value_name = "FILE")]
    pub port_file: Option<PathBuf>,

    /// An API key it accepts, with that key's own capacity (active tasks) and balance
    /// (cents) [default: --capacity and --balance]; repeat for several keys (accounts:
    /// each sees only its own tasks). Any other key gets HTTP 401
    #[arg(
        long = "api-key",
        value_name = "KEY[:CAPACITY[:BALANCE]]",
        default_value = "sk-sim"
    )]
    pub api_keys: Vec<SimKey>,

    /// From SECONDS after the start on, KEY gets HTTP 401 for every call, as a key the
    /// provider disabled; repeatable
    #[arg(long, value_name = "KEY@SECONDS")]
    pub revoke: Vec<Revocation>,

    /// Generation time of a task in seconds, drawn from A:B (pro tasks take 1.5x longer)
    #[arg(long, value_name = "A:B", default_value = "5:20")]
    pub gen_seconds: GenSeconds,

    /// Tasks each key may have active at once (unless its --api-key says); more get HTTP 429
    /// with Retry-After
    #[arg(long, value_name = "N", value_parser = count_in(1usize, 1_000_000))]
    pub capacity: Option<usize>,

    /// Probability that an API call fails: 502 HTML page, 500, 503 or a reset connection
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability())]
    pub fault_rate: f64,

    /// Probability that a create is billed, then its connection dropped before the answer
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability())]
    pub ambiguous_rate: f64,

    /// Probability that the first download of a video stops halfway
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability())]
    pub truncate_rate: f64,

    /// Probability that a task fails at the provider
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability())]
    pub fail_rate: f64,

    /// Each key's balance in cents (unless its --api-key says); creates beyond it get code
    /// 1012 [default: unlimited]
    #[arg(long, value_name = "CENTS")]
    pub balance: Option<i64>,

    /// `GET /balance` answers HTTP 404, as a provider without a balance endpoint does
    #[arg(long)]
    pub no_balance_endpoint: bool,

    /// Download speed limit per connection [default: unlimited]
    #[arg(long, value_name = "N", value_parser = count_in(1, 1u64 << 40))]
    pub bytes_per_sec: Option<u64>,

    /// Size of each served video; the bundled clip is padded to it with bytes of the task's
    /// own [default: the clip and 64 such bytes]
    #[arg(long, value_name = "N", value_parser = count_in(0, 1u64 << 50))]
    pub video_bytes: Option<u64>,

    /// How an ambiguous create ends after billing: `drop` the connection, or answer `500`
    /// or `503` (without Retry-After)
    #[arg(long, value_name = "HOW", default_value = "drop")]
    pub ambiguous_answer: AmbiguousAnswer,

    /// Seconds the simulator's clock is ahead of this machine's (negative: behind), as its
    /// `Date` headers and task times show
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 0.0,
        allow_negative_numbers = true,
        value_parser = count_in(-MOST_CLOCK_SKEW, MOST_CLOCK_SKEW)
    )]
    pub clock_skew: f64,

    /// A new task shows in the task list only this long after its creation
    #[arg(long, value_name = "TIME", value_parser = duration_in(Duration::ZERO, ONE_HOUR))]
    pub list_lag: Option<Duration>,

    /// The task list shows only the first N characters of each prompt
    #[arg(long, value_name = "N")]
    pub list_prompt_chars: Option<usize>,

    /// The task list answers every page with its first one, as lists that ignore paging do
    #[arg(long)]
    pub list_ignores_page: bool,

    /// How every task id starts (ids with control characters or `../` test clients)
    #[arg(long, value_name = "TEXT", default_value = "task_")]
    pub task_id_prefix: String,

    /// Seed for the random choices, for runs that repeat exactly
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Error messages (and failed tasks' error_msg) quote the request's Authorization
    /// header and carry terminal escape codes, as careless APIs do
    #[arg(long)]
    pub echo_key: bool,

    /// The cost create, status and list report for every task: any JSON value, e.g. 7,
    /// -1000, 1e300 or "abc" (text that is not JSON is sent as a string) [default: its
    /// price]. Billing and the balance still use the price
    #[arg(long, value_name = "VALUE", allow_hyphen_values = true)]
    pub task_cost: Option<String>,

    /// Accept every API connection and never answer, as a provider that has hung does
    #[arg(long)]
    pub hang: bool,

    /// Send each status answer's body one byte per TIME (e.g. 2s), as a stalled proxy does
    #[arg(long, value_name = "TIME", value_parser = duration_in(Duration::from_millis(1), ONE_HOUR))]
    pub trickle_status: Option<std::time::Duration>,

    /// Answer every status call with 429 and `Retry-After: TIME` (e.g. 1h), as a provider
    /// that keeps asking for patience does
    #[arg(long, value_name = "TIME", value_parser = duration_in(Duration::from_millis(1), ONE_HOUR))]
    pub status_retry_after: Option<std::time::Duration>,

    /// Answer every task-list call with 429 and `Retry-After: TIME` (e.g. 1h): a lost
    /// create's search that honours it without limit holds the run for hours
    #[arg(long, value_name = "TIME", value_parser = duration_in(Duration::from_millis(1), ONE_HOUR))]
    pub list_retry_after: Option<std::time::Duration>,

    /// Which answer never ends: a `create` or `status` answer that streams JSON filler
    /// forever (the create is billed first), or a `video` streamed without end and without
    /// `Content-Length`
    #[arg(long, value_name = "WHAT")]
    pub endless_body: Option<EndlessBody>,

    /// Every status answer carries a filler field of N bytes
    #[arg(long, value_name = "N", value_parser = count_in(0usize, 1 << 30))]
    pub status_padding: Option<usize>,

    /// Every video is served with `Content-Length: N`, whatever its size
    #[arg(long, value_name = "N", value_parser = count_in(0u64, u64::MAX))]
    pub video_length_lie: Option<u64>,

    /// The `video_url` a completed task reports, `{host}` and `{id}` filled in, e.g.
    /// `file:///etc/passwd`, `/cdn/{id}.mp4` or `http://169.254.169.254/{id}.mp4` [default:
    /// its link on the simulator's CDN]
    #[arg(long, value_name = "TEMPLATE")]
    pub video_url: Option<String>,

    /// OpenAI side: the `seconds` values a create may ask for, for gateways that accept
    /// other lengths, e.g. 10,15 [default: 4,8,12]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = count_in(1u32, 3600))]
    pub openai_durations: Option<Vec<u32>>,

    /// OpenAI side: statuses named as gateways name them: `pending`, `processing`,
    /// `succeeded`, `cancelled` (a `--fail-rate` failure), `expired` (past
    /// `--expire-after`); moderation failures stay `failed`
    #[arg(long)]
    pub gateway_statuses: bool,

    /// OpenAI side: every status answer carries `openai-poll-after-ms: MS`, the server's
    /// hint for the next poll
    #[arg(long, value_name = "MS", value_parser = count_in(1u64, 3_600_000))]
    pub openai_poll_after_ms: Option<u64>,

    /// OpenAI side: a video's content expires this long after it completed: `expires_at`
    /// says when, and `/content` answers 404 `video_expired` from then on [default: never
    /// expires, though `expires_at` says an hour]
    #[arg(long, value_name = "TIME", value_parser = duration_in(Duration::from_millis(1), ONE_WEEK))]
    pub expire_after: Option<Duration>,

    /// OpenAI side: `/videos/{id}/content` answers 302 to the video on a second origin
    /// (another port of 127.0.0.1), which counts the requests that arrive there with a key
    #[arg(long)]
    pub content_redirect: bool,

    #[command(flatten)]
    pub draw: DrawSettings,

    #[command(flatten)]
    pub chat: ChatSettings,
}

/// The answer `--endless-body` makes endless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EndlessBody {
    Create,
    Status,
    Video,
}

/// How the simulator ends a create that it billed but does not answer properly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AmbiguousAnswer {
    /// The connection is dropped before the answer.
    Drop,
    /// An HTTP 500 with the envelope's server-error code.
    #[value(name = "500")]
    ServerError,
    /// An HTTP 503 without Retry-After.
    #[value(name = "503")]
    Unavailable,
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            port: 0,
            port_file: None,
            api_keys: vec![SimKey::new(DEFAULT_KEY)],
            revoke: Vec::new(),
            gen_seconds: GenSeconds(5.0, 20.0),
            capacity: None,
            fault_rate: 0.0,
            ambiguous_rate: 0.0,
            truncate_rate: 0.0,
            fail_rate: 0.0,
            balance: None,
            no_balance_endpoint: false,
            bytes_per_sec: None,
            video_bytes: None,
            ambiguous_answer: AmbiguousAnswer::Drop,
            clock_skew: 0.0,
            list_lag: None,
            list_prompt_chars: None,
            list_ignores_page: false,
            task_id_prefix: "task_".to_string(),
            seed: None,
            echo_key: false,
            task_cost: None,
            hang: false,
            trickle_status: None,
            status_retry_after: None,
            list_retry_after: None,
            endless_body: None,
            status_padding: None,
            video_length_lie: None,
            video_url: None,
            openai_durations: None,
            gateway_statuses: false,
            openai_poll_after_ms: None,
            expire_after: None,
            content_redirect: false,
            draw: DrawSettings::default(),
            chat: ChatSettings::default(),
        }
    }
}

/// The key the simulator accepts unless told otherwise.
pub const DEFAULT_KEY: &str = "sk-sim";

/// A key the simulator accepts: `KEY[:CAPACITY[:BALANCE]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SimKey {
    pub key: String,
    /// Tasks it may have active at once [default: `--capacity`].
    pub capacity: Option<usize>,
    /// Its balance in cents [default: `--balance`].
    pub balance: Option<i64>,
}

impl SimKey {
    pub fn new(key: &str) -> Self {
        SimKey {
            key: key.to_string(),
            capacity: None,
            balance: None,
        }
    }
}

impl FromStr for SimKey {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || {
            format!(
                "\"{text}\" is not KEY[:CAPACITY[:BALANCE]], e.g. sk-a or sk-a:4 or sk-a:4:300 (an empty part takes --capacity or --balance: sk-a::300)"
            )
        };
        let mut parts = text.split(':');
        let key = parts
            .next()
            .filter(|key| !key.is_empty())
            .ok_or_else(usage)?;
        let capacity = match parts.next() {
            None | Some("") => None,
            Some(n) => Some(
                n.parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(usage)?,
            ),
        };
        let balance = match parts.next() {
            None | Some("") => None,
            Some(n) => Some(n.parse::<i64>().map_err(|_| usage())?),
        };
        if parts.next().is_some() {
            return Err(usage());
        }
        Ok(SimKey {
            key: key.to_string(),
            capacity,
            balance,
        })
    }
}

/// `--revoke KEY@SECONDS`: when a key stops working.
#[derive(Debug, Clone, PartialEq)]
pub struct Revocation {
    pub key: String,
    pub after: Duration,
}

impl FromStr for Revocation {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let parsed = text.rsplit_once('@').and_then(|(key, seconds)| {
            let seconds = seconds.trim().parse::<f64>().ok()?;
            let after = Duration::try_from_secs_f64(seconds).ok()?;
            (!key.is_empty()).then(|| Revocation {
                key: key.to_string(),
                after,
            })
        });
        parsed.ok_or_else(|| format!("\"{text}\" is not KEY@SECONDS, e.g. sk-b@30"))
    }
}

/// A range of generation times in seconds, written `A:B`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenSeconds(pub f64, pub f64);

impl GenSeconds {
    pub fn bounds(self) -> (f64, f64) {
        (self.0, self.1)
    }
}

impl FromStr for GenSeconds {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let number = |part: &str| {
            let number = part.trim().parse::<f64>().ok();
            number.filter(|n| (0.0..=MOST_GEN_SECONDS).contains(n))
        };
        let parsed = match text.split_once(':') {
            Some((low, high)) => number(low).zip(number(high)),
            None => number(text).map(|n| (n, n)),
        };
        match parsed {
            Some((low, high)) if low <= high => Ok(GenSeconds(low, high)),
            _ => Err(format!(
                "\"{text}\" is not a range of seconds; write A:B with 0 <= A <= B <= {MOST_GEN_SECONDS}, e.g. 5:20"
            )),
        }
    }
}

/// Starts the simulator on the current tokio runtime.
pub async fn start(settings: SimSettings) -> std::io::Result<RunningSim> {
    if let Some(unknown) = settings
        .revoke
        .iter()
        .find(|revoked| !settings.api_keys.iter().any(|k| k.key == revoked.key))
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "--revoke {}@…: that key is not one of the --api-key keys",
                crate::ui::printable(&unknown.key)
            ),
        ));
    }
    let listener = faults::KillableListener::bind(settings.port).await?;
    let addr = axum::serve::Listener::local_addr(&listener)?.peer;
    let domestic = faults::KillableListener::bind(settings.draw.domestic_port.unwrap_or(0)).await?;
    let domestic_addr = axum::serve::Listener::local_addr(&domestic)?.peer;
    if let Some(path) = &settings.port_file {
        std::fs::write(path, addr.port().to_string())?;
    }
    // `--content-redirect` sends downloads to a second listener: another origin.
    let other_origin = match settings.content_redirect {
        true => Some(tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?),
        false => None,
    };
    let other_addr = other_origin.as_ref().map(|l| l.local_addr()).transpose()?;
    let world = Arc::new(World::new(settings).with_other_origin(other_addr));
    let (stop, stopped) = oneshot::channel::<()>();
    let stopping = CancellationToken::new();
    let app = router(world.clone());
    hosts::keep(
        Host::Overseas,
        listener,
        world.clone(),
        app.clone(),
        stopping.clone(),
    )?;
    hosts::keep(
        Host::Domestic,
        domestic,
        world.clone(),
        app,
        stopping.clone(),
    )?;
    if let Some(other_origin) = other_origin {
        let app = openai::other_origin(world.clone());
        let server = axum::serve(other_origin, app)
            .with_graceful_shutdown(stopping.clone().cancelled_owned());
        tokio::spawn(async move {
            if let Err(err) = server.await {
                tracing::error!("the simulator's other origin stopped: {err}");
            }
        });
    }
    tokio::spawn(async move {
        let _ = stopped.await;
        stopping.cancel();
    });
    Ok(RunningSim {
        addr,
        domestic: domestic_addr,
        world,
        stop: Some(stop),
        thread: None,
    })
}

/// Starts the simulator on a thread of its own with its own runtime, so blocking code
/// (a test that runs the binary and waits for it) cannot starve it.
pub fn start_on_thread(settings: SimSettings) -> std::io::Result<RunningSim> {
    let (ready, started) = std::sync::mpsc::channel();
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build();
        let runtime = match runtime {
            Ok(runtime) => runtime,
            Err(err) => return drop(ready.send(Err(err))),
        };
        runtime.block_on(async move {
            match start(settings).await {
                Ok(sim) => {
                    let _ = ready.send(Ok((sim.addr, sim.domestic, sim.world.clone())));
                    // Runs until the handle is dropped (or its sender with it).
                    let _ = stopped.await;
                    drop(sim);
                }
                Err(err) => drop(ready.send(Err(err))),
            }
        });
    });
    let (addr, domestic, world) = started
        .recv()
        .map_err(|_| std::io::Error::other("the simulator thread died while starting"))??;
    Ok(RunningSim {
        addr,
        domestic,
        world,
        stop: Some(stop),
        thread: Some(thread),
    })
}

fn router(world: Arc<World>) -> Router {
    Router::new()
        .nest(
            "/v1",
            sora_hk::routes()
                .merge(openai::routes())
                .merge(draw::routes())
                .merge(chat::routes()),
        )
        .merge(draw::client_routes())
        .layer(axum::middleware::from_fn_with_state(
            world.clone(),
            faults::inject,
        ))
        .layer(axum::middleware::from_fn_with_state(
            world.clone(),
            stall::stall,
        ))
        .route("/cdn/{file}", get(video::cdn))
        .route("/images/{file}", get(images::serve))
        .route("/__stats", get(stats))
        .with_state(world)
}

async fn stats(axum::extract::State(world): axum::extract::State<Arc<World>>) -> axum::Json<Stats> {
    axum::Json(world.stats())
}

#[cfg(test)]
mod tests;
