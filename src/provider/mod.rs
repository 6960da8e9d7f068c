//! Talking to video-generation APIs: the [`Provider`] trait the engine drives, the
//! [`Capabilities`] each dialect declares, the error classes every dialect maps its answers
//! to, and the HTTP client they share. One file per dialect.

pub mod capabilities;
pub mod chat;
pub mod clock;
pub mod draw;
pub mod openai;
pub mod proxy;
mod recent;
pub mod sora_hk;
pub mod untrusted;

use std::sync::Once;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::i18n::Message;
use crate::storyboard::Segment;

pub use capabilities::{Capabilities, ImageInput, PerMode, PriceModel, PriceUnit, Prices};
pub use recent::{ListShape, Match, RecentPage, RecentTask};
pub use untrusted::{Cost, Redactor};

/// What the engine needs from a video-generation API. Each call maps the provider's
/// answers to [`ProviderError`], so the engine has one set of rules for all of them.
pub trait Provider: Send + Sync {
    /// A short name for logs, the journal and sidecars, e.g. `sora-hk`.
    fn name(&self) -> &'static str;

    /// What the provider can do: its dialect's constant. Required, so a wrapper cannot
    /// forget to pass it on.
    fn capabilities(&self) -> &'static Capabilities;

    /// Creates (and pays for) one generation.
    fn submit<'a>(&'a self, segment: &'a Segment)
    -> BoxFuture<'a, Result<Accepted, ProviderError>>;

    /// Where a task stands now.
    fn status<'a>(&'a self, task_id: &'a str) -> BoxFuture<'a, Result<TaskStatus, ProviderError>>;

    /// One page (1-based) of the account's tasks, newest first: how an ambiguous create is
    /// found again. An empty page is the end of the list. Called only when
    /// [`Capabilities::lists_tasks`] says the provider can.
    fn recent(&self, page: u32) -> BoxFuture<'_, Result<RecentPage, ProviderError>>;

    /// The provider's clock minus ours, in milliseconds, as its latest answer's `Date`
    /// said (see [`clock`]); `None` until an answer has said.
    fn clock_offset_ms(&self) -> Option<i64>;

    /// The header that downloads need (OpenAI's content URLs want the key), bound to the
    /// API's own origin: the downloader attaches it only to requests there, at every hop
    /// of a redirect (see `download::DownloadAuth`). `None`: the links need no key.
    fn download_auth(&self) -> Option<crate::download::DownloadAuth>;

    /// Whether the API is on this machine or a private network: only then may its video
    /// links point there too (see `download::is_local`).
    fn api_is_local(&self) -> bool;

    /// The engine stops following a task before the provider said how it ended
    /// (`--poll-timeout`, a stopped run): whatever is held for it goes (a chat gateway's
    /// stream and its reader). Returns whether a later run can still ask about the task;
    /// `false`: its outcome is unknown from now on.
    fn let_go(&self, task_id: &str) -> bool;

    /// Whether asking about `task_id` now is answered by this process alone (a chat
    /// stream's book), with no call to the provider: such an answer neither takes a place
    /// in the key's `max_rpm` nor counts as the provider answering (`--give-up-after`).
    fn status_is_local(&self, _task_id: &str) -> bool {
        false
    }

    /// What a task costs now, in the unit of its [`PriceModel`], when the provider can say
    /// (`None`: it has no such call; [`Capabilities::live_prices`] says the same).
    fn pricing(&self) -> Option<BoxFuture<'_, Result<Pricing, ProviderError>>> {
        None
    }

    /// The account's balance in cents, when the provider can say (`None`: it has no such
    /// call; [`Capabilities::has_balance`] says the same). It already reflects what the
    /// tasks accepted so far cost.
    fn balance(&self) -> Option<BoxFuture<'_, Result<i64, ProviderError>>> {
        None
    }
}

/// What [`Provider::recent`] answers for a provider without a task list (`lists_tasks`
/// false), which the engine never asks: an error, since an empty page would read as "the
/// task is not there" and could pay for it again.
pub fn no_task_list(
    provider: &'static str,
) -> BoxFuture<'static, Result<RecentPage, ProviderError>> {
    Box::pin(async move {
        Err(ProviderError::Transient {
            message: format!("{provider} cannot list its tasks"),
            request_id: None,
        })
    })
}

/// The provider's current prices, in cents of `currency`, in its price model's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Pricing {
    pub normal_cents: u32,
    pub pro_cents: u32,
    pub currency: String,
}

/// A create call's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub task_id: String,
    /// What the provider says this task costs.
    pub cost_cents: Cost,
}

/// A status call's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskStatus {
    pub phase: TaskPhase,
    /// The server's hint for the next poll (OpenAI's `openai-poll-after-ms`).
    pub poll_after: Option<Duration>,
    /// The provider's answer as it came, kept in the sidecar of the finished video.
    pub raw: Value,
}

/// Every provider's statuses, normalized.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskPhase {
    Queued,
    Running {
        progress: Option<u8>,
    },
    /// Done: the video is at `video_url`. `remix_id` is what a later remix of it names,
    /// when the provider remixes (OpenAI: the video's id; draw: the result's `pid`).
    Completed {
        video_url: url::Url,
        remix_id: Option<String>,
    },
    Failed {
        message: String,
    },
}

impl TaskPhase {
    /// The reported percentage while the task is waiting or running (0 while queued).
    pub fn progress(&self) -> Option<u8> {
        match self {
            TaskPhase::Queued => Some(0),
            TaskPhase::Running { progress } => *progress,
            _ => None,
        }
    }
}

/// Every failure a provider call can end in, by what the engine should do about it.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// No connection could be made (refused, unresolvable name, no route): nothing reached
    /// the provider, so nothing was created. Retried, but never counted against the job:
    /// a provider down for long is `--give-up-after`'s business, not a reason to fail jobs.
    Unreachable { message: String },
    /// The create endpoint is not there (HTTP 404 to a create): the API address is wrong,
    /// and nothing was created. The run stops, as for a refused key.
    NoApi { message: String },
    /// HTTP 429: wait (at least `retry_after`) and try again.
    RateLimited {
        retry_after: Option<Duration>,
        request_id: Option<String>,
    },
    /// 5xx, an HTML error page, a reset or a timeout: try again later.
    Transient {
        message: String,
        request_id: Option<String>,
    },
    /// A bad parameter or a content-policy refusal: final for this job.
    Rejected {
        message: String,
        request_id: Option<String>,
    },
    /// Insufficient balance (Sora.hk code 1012): the job does not fit the balance; the run
    /// goes on with the jobs that do (see `engine::budget`).
    OutOfMoney { message: String },
    /// HTTP 401 or an in-body 401: the key is wrong or disabled. `variable`: where the
    /// key was read from (the dialect's `Capabilities::key_variable`), the place to fix it.
    Unauthorized {
        message: String,
        variable: &'static str,
    },
    /// HTTP 407, or a tunnel the proxy would not open: the proxy refused its credentials.
    /// Nothing reached the provider; the run stops, as for a refused key.
    ProxyRefused { message: String },
    /// A create whose request left but whose answer never arrived or was a server error
    /// (any 5xx): the provider may have created (and billed) the task. Never retried
    /// before the task is looked for.
    Ambiguous {
        message: String,
        retry_after: Option<Duration>,
    },
    /// A task whose outcome no one can tell: a chat gateway's stream ended or broke
    /// without a result, or belonged to an earlier run. It may be billed; the job is
    /// never submitted again by itself (`--resubmit-lost` says to).
    OutcomeUnknown { message: String },
    /// The provider does not know this task (any more).
    UnknownTask {
        task_id: String,
        request_id: Option<String>,
    },
}

crate::display_from_message!(ProviderError);

impl ProviderError {
    /// What went wrong, in any language (`Display` is its English); the provider's own
    /// words in it are as it said them.
    pub fn message(&self) -> Message {
        match self {
            ProviderError::Unreachable { message } => {
                Message::new("provider.unreachable").with("message", message)
            }
            ProviderError::NoApi { message } => Message::plain(message),
            ProviderError::RateLimited { request_id, .. } => {
                Message::new("provider.rate_limited").with_text("id", request_id_note(request_id))
            }
            ProviderError::Transient {
                message,
                request_id,
            } => Message::new("provider.transient")
                .with("message", message)
                .with_text("id", request_id_note(request_id)),
            ProviderError::Rejected {
                message,
                request_id,
            } => Message::new("provider.rejected")
                .with("message", message)
                .with_text("id", request_id_note(request_id)),
            ProviderError::OutOfMoney { message } => {
                Message::new("provider.out_of_money").with("message", message)
            }
            ProviderError::Unauthorized { message, variable } => {
                Message::new("provider.unauthorized")
                    .with("message", message)
                    .with("variable", variable)
            }
            ProviderError::ProxyRefused { message } => {
                Message::new("provider.proxy_refused").with("message", message)
            }
            ProviderError::Ambiguous { message, .. } => {
                Message::new("provider.ambiguous").with("message", message)
            }
            ProviderError::OutcomeUnknown { message } => {
                Message::new("provider.outcome_unknown").with("message", message)
            }
            ProviderError::UnknownTask {
                task_id,
                request_id,
            } => Message::new("provider.unknown_task")
                .with("task", task_id)
                .with_text("id", request_id_note(request_id)),
        }
    }
}

impl ProviderError {
    /// The `Retry-After` the provider asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::RateLimited { retry_after, .. }
            | ProviderError::Ambiguous { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

fn request_id_note(request_id: &Option<String>) -> Message {
    match request_id {
        Some(id) => Message::new("provider.request_id").with("id", id),
        None => Message::plain(""),
    }
}

/// HTTP 407 is the proxy's answer, not the provider's: its credentials were refused.
pub(crate) fn proxy_refusal(status: reqwest::StatusCode) -> Result<(), ProviderError> {
    match status {
        reqwest::StatusCode::PROXY_AUTHENTICATION_REQUIRED => Err(ProviderError::ProxyRefused {
            message: "HTTP 407".to_string(),
        }),
        _ => Ok(()),
    }
}

/// The HTTP client provider calls go through: rustls with the ring provider, a user
/// agent naming the tool, the proxy of the environment (see [`proxy`]), and `timeout` as the
/// longest silence on a connection. (Downloads use `download::Http`, which follows
/// redirects by hand.)
pub fn http_client(timeout: Duration) -> reqwest::Client {
    client(timeout, false)
}

/// [`http_client`], except that a redirect to another origin (scheme, host, port) than
/// the request's is refused: for calls whose key travels in a header that reqwest keeps
/// across redirects (Azure's `api-key`; it drops only `Authorization` and cookies), so
/// the key never reaches another host.
pub fn same_origin_http_client(timeout: Duration) -> reqwest::Client {
    client(timeout, true)
}

/// What every client of sora-batch shares: the TLS backend, a user agent naming the
/// tool, proxies from the environment, and `timeout` as the longest silence on a
/// connection. Downloads build theirs from it too (`download::Http`).
pub(crate) fn client_builder(timeout: Duration) -> reqwest::ClientBuilder {
    static CRYPTO: Once = Once::new();
    CRYPTO.call_once(|| {
        // Fails only if another provider was installed first, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    let builder = reqwest::Client::builder()
        .user_agent(concat!("sora-batch/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10).min(timeout))
        // An idle timeout, not a total one: a 1 GB download may take long, but a
        // connection that stops sending is dead whatever it carries. API calls add a
        // total deadline of their own (`SoraHk`), so a trickled answer ends too.
        .read_timeout(timeout);
    proxy::apply(builder)
}

fn client(timeout: Duration, same_origin: bool) -> reqwest::Client {
    client_builder(timeout)
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            let first = attempt.previous().first().map(url::Url::origin);
            let elsewhere = same_origin && first.is_some_and(|at| at != attempt.url().origin());
            let refusal = match elsewhere {
                true => Some("a redirect to another origin, which must not get the API key"),
                false => crate::download::redirect_refusal(attempt.previous(), attempt.url()),
            };
            match refusal {
                Some(why) => attempt.error(why),
                None => attempt.follow(),
            }
        }))
        .build()
        .expect("the TLS backend is compiled in")
}

/// The largest API answer read (create, status, task list, balance, pricing): real ones
/// are a few KiB; a gateway that streams without end must not fill the memory.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Why an answer's body could not be read whole.
#[derive(Debug)]
pub enum BodyError {
    /// It announced, or ran past, `MAX_ANSWER_BYTES`; the rest was not read.
    TooLarge,
    /// The connection broke (or timed out) while it arrived.
    Broken(reqwest::Error),
}

impl BodyError {
    /// What went wrong, for a message: `redact` describes a transport error.
    pub fn describe(&self, redact: &Redactor) -> String {
        match self {
            BodyError::TooLarge => format!(
                "the answer is larger than {}, far more than any real answer; it was not \
                 read further",
                indicatif::HumanBytes(MAX_ANSWER_BYTES as u64)
            ),
            BodyError::Broken(err) if err.is_timeout() => format!(
                "the answer did not arrive whole within --request-timeout ({})",
                redact.error_chain(err)
            ),
            BodyError::Broken(err) => format!("the answer broke off: {}", redact.error_chain(err)),
        }
    }
}

/// The body of an API answer, read chunk by chunk and given up on as soon as it passes
/// `limit` bytes (a `Content-Length` above it is refused before reading anything).
pub async fn capped_body(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Broken)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The longest `Retry-After` honoured: a server asking for more (or for nonsense like
/// `1e30`) is waited on for an hour, then asked again.
pub const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// How long a 429 or 503 asks us to wait: `retry-after-ms` (OpenAI) wins, then
/// `Retry-After` as seconds or as an HTTP date (RFC 9110); at most an hour.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let seconds = |value: f64| {
        let clamped = value.clamp(0.0, LONGEST_RETRY_AFTER.as_secs_f64());
        // NaN survives clamp; it means nothing, so it waits nothing.
        Duration::try_from_secs_f64(clamped).unwrap_or(Duration::ZERO)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
        return Some(seconds(ms / 1000.0));
    }
    let value = text("retry-after")?.trim();
    if let Ok(number) = value.parse::<f64>() {
        return Some(seconds(number));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    let wait = when
        .duration_since(std::time::SystemTime::now())
        .unwrap_or(Duration::ZERO);
    Some(wait.min(LONGEST_RETRY_AFTER))
}

/// A short, single-line extract of an unexpected answer body for error messages: the
/// `<title>` of an HTML page, or the first characters of anything else, control characters
/// escaped. Bodies that may echo a secret go through [`Redactor::excerpt`] instead.
pub fn body_excerpt(body: &[u8]) -> String {
    const MOST: usize = 120;
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    if let (Some(start), Some(end)) = (lower.find("<title>"), lower.find("</title>"))
        && start + 7 <= end
    {
        let title = crate::ui::escaped(text[start + 7..end].trim(), MOST);
        return format!("an HTML page titled \"{title}\"");
    }
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.is_empty() {
        return "an empty body".to_string();
    }
    format!("\"{}\"", crate::ui::escaped(&flat, MOST))
}

/// A number the provider sent as an integer, a float or a string.
pub fn flexible_number(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::Number(number) => number.as_f64(),
        serde_json::Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn retry_after_reads_seconds_dates_and_milliseconds() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let soon = std::time::SystemTime::now() + Duration::from_secs(90);
        headers.insert(
            "retry-after",
            HeaderValue::from_str(&httpdate::fmt_http_date(soon)).unwrap(),
        );
        let waited = retry_after(&headers).unwrap();
        assert!(
            waited > Duration::from_secs(80) && waited <= Duration::from_secs(90),
            "{waited:?}"
        );
        headers.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        for absurd in ["1e30", "inf", "1e19"] {
            headers.insert("retry-after-ms", HeaderValue::from_static(absurd));
            assert_eq!(retry_after(&headers), Some(LONGEST_RETRY_AFTER), "{absurd}");
        }
        headers.insert("retry-after-ms", HeaderValue::from_static("NaN"));
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
    }

    #[test]
    fn excerpts_name_html_titles_and_cut_long_text() {
        assert_eq!(
            body_excerpt(b"<html><head><TITLE>502 Bad Gateway</TITLE></head></html>"),
            "an HTML page titled \"502 Bad Gateway\""
        );
        assert_eq!(body_excerpt(b"  "), "an empty body");
        assert_eq!(body_excerpt(b"oops\n  here"), "\"oops here\"");
        assert!(body_excerpt(&[b'x'; 500]).ends_with("…\""));
    }

    #[test]
    fn numbers_arrive_in_any_form() {
        assert_eq!(flexible_number(&serde_json::json!(3)), Some(3.0));
        assert_eq!(flexible_number(&serde_json::json!("30")), Some(30.0));
        assert_eq!(flexible_number(&serde_json::json!(2.5)), Some(2.5));
        assert_eq!(flexible_number(&serde_json::json!(null)), None);
    }
}
