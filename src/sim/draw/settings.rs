//! The draw side's knobs (`SimSettings::draw`, flattened into `sora-batch simulate`'s
//! flags): which field spelling and result paths it answers with, the key's credits and
//! prices, how errors carry their HTTP status, and which of its two hosts is down.

use clap::{Args, ValueEnum};

use crate::cli::count_in;

/// Credits a `small` (720p) and a `large` task cost unless told otherwise.
pub const SMALL_PRICE: i64 = 40;
pub const LARGE_PRICE: i64 = 120;

#[derive(Debug, Clone, Args)]
pub struct DrawSettings {
    /// Draw side: port on 127.0.0.1 of the second ("domestic") host, which serves the same
    /// world as the main port (the "overseas" host) [default: any free port]
    #[arg(long, value_name = "N")]
    pub domestic_port: Option<u16>,

    /// Draw side: the host that is down from the start, `overseas` (the main port) or
    /// `domestic`, as `--draw-down-how` says
    #[arg(long, value_name = "HOST")]
    pub draw_down: Option<Host>,

    /// Draw side: how a down host fails: `refuse` connections, or `hang` (accept them and
    /// never answer)
    #[arg(long, value_name = "HOW", default_value = "refuse")]
    pub draw_down_how: DownHow,

    /// Draw side: the result's field spelling: `standard` (`results[].url`/`pid`,
    /// `failure_reason`, `error`) or `reseller` (`result_url(s)`, `result_pid`,
    /// `error_message`, `credits_refunded`, status `pending`)
    #[arg(long, value_name = "SPELLING", default_value = "standard")]
    pub draw_spelling: Spelling,

    /// Draw side: which result path exists: `draw` (`/v1/draw/result`), `video`
    /// (`/v1/video/result`) or `both`; the other answers HTTP 404
    #[arg(long, value_name = "PATH", default_value = "both")]
    pub draw_result_path: ResultPath,

    /// Draw side: the key's credits; creates beyond them get code 402 [default: unlimited]
    #[arg(long, value_name = "N", value_parser = count_in(0i64, i64::MAX / 4))]
    pub draw_credits: Option<i64>,

    /// Draw side: credits a `small` task costs
    #[arg(long, value_name = "N", default_value_t = SMALL_PRICE, value_parser = count_in(0i64, 1_000_000_000))]
    pub draw_price_small: i64,

    /// Draw side: credits a `large` task costs
    #[arg(long, value_name = "N", default_value_t = LARGE_PRICE, value_parser = count_in(0i64, 1_000_000_000))]
    pub draw_price_large: i64,

    /// Draw side: error envelopes come with the HTTP status their code names (400, 401,
    /// 402, 404) instead of HTTP 200
    #[arg(long)]
    pub draw_error_status: bool,
}

impl Default for DrawSettings {
    fn default() -> Self {
        DrawSettings {
            domestic_port: None,
            draw_down: None,
            draw_down_how: DownHow::Refuse,
            draw_spelling: Spelling::Standard,
            draw_result_path: ResultPath::Both,
            draw_credits: None,
            draw_price_small: SMALL_PRICE,
            draw_price_large: LARGE_PRICE,
            draw_error_status: false,
        }
    }
}

/// One of the draw API's two hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Host {
    /// The main port.
    Overseas,
    /// The second port (`--domestic-port`).
    Domestic,
}

impl Host {
    pub fn name(self) -> &'static str {
        match self {
            Host::Overseas => "overseas",
            Host::Domestic => "domestic",
        }
    }
}

/// How a down host fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DownHow {
    /// Nothing listens: connections are refused (a client may safely try elsewhere).
    Refuse,
    /// Connections are accepted and requests read, never answered.
    Hang,
}

/// How the result call names its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Spelling {
    Standard,
    Reseller,
}

/// Which result paths exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResultPath {
    Draw,
    Video,
    Both,
}
