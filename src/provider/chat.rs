//! Chat-completions gateways that sell Sora 2 (sora2api and its forks; PROTOCOLS.md
//! section 3): one streamed `POST {base}/chat/completions` per video, the job encoded in
//! the model name (`request`), progress and the result in the stream's events
//! (`reading`).
//!
//! The engine submits, then polls; here the whole generation is one open stream. `submit`
//! returns once the gateway accepted the request (HTTP 200 and a first event), with a task
//! id made here (`chat_…`), and a background task reads the rest of the stream into a
//! shared book (`streams`) that `status` reads. Exactly-once has a hole no client can
//! close: a stream that ends or breaks without a link, and a task id this process does
//! not hold (a rerun after a kill), leave a job that may be billed and cannot be found
//! again; `status` says so ([`ProviderError::OutcomeUnknown`]) and the engine ends the job
//! as an unknown outcome, never submitted again unless `--resubmit-lost`. A job the engine
//! stops following (`--poll-timeout`, a stopped run) is let go: its reader ends and its
//! stream closes (`Provider::let_go`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::capabilities::{Capabilities, ImageInput, PerMode, PriceModel, Prices};
use super::sora_hk::answer::transport_error;
use super::untrusted::{Cost, Redactor};
use super::{
    Accepted, MAX_ANSWER_BYTES, Provider, ProviderError, RecentPage, TaskPhase, TaskStatus,
    capped_body,
};
use crate::config::ApiKey;
use crate::storyboard::{Durations, Segment};

mod generation;
mod reading;
mod request;
mod streams;

pub use request::DEFAULT_MODEL_TEMPLATE;

/// The dialect's name in logs, the journal and sidecars.
pub const NAME: &str = "chat";

/// Where its key is read from.
pub const KEY_VARIABLE: &str = "CHAT_API_KEY";

/// What its task ids start with: made by this process, known to no gateway.
const TASK_PREFIX: &str = "chat_";

/// The longest silence on a generation's stream: progress comes about every 30 s.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// How soon to look at a running stream again: its book is in this process, so looking
/// costs nothing, and a link to the gateway's short-lived cache is seen within this.
const LOOK_AGAIN: Duration = Duration::from_secs(1);

/// The run's chat settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--chat-model-template`.
    pub template: String,
    /// `--chat-generation-ids`: the stream's id is the task id, `GET /generation/{id}`
    /// says where it stands.
    pub generation_ids: bool,
}

/// A client for one key at one gateway.
pub struct Chat {
    http: reqwest::Client,
    /// `{base}/chat/completions`.
    endpoint: String,
    /// `{base}/generation/`.
    generations: String,
    key: ApiKey,
    redact: Redactor,
    options: Options,
    /// How long the gateway may take to accept a request (`--request-timeout`).
    deadline: Duration,
    book: streams::Book,
    next_id: AtomicU64,
    local: bool,
}

impl Chat {
    /// `http` must have a long idle timeout ([`IDLE_TIMEOUT`]) and no total one.
    pub fn new(
        http: reqwest::Client,
        base: &url::Url,
        key: ApiKey,
        redact: Redactor,
        deadline: Duration,
        options: Options,
    ) -> Self {
        Chat {
            http,
            endpoint: format!("{}/chat/completions", base.as_str().trim_end_matches('/')),
            generations: format!("{}/generation/", base.as_str().trim_end_matches('/')),
            key,
            redact,
            options,
            deadline,
            book: streams::Book::new(IDLE_TIMEOUT.max(deadline)),
            next_id: AtomicU64::new(0),
            local: crate::download::is_local(base),
        }
    }

    /// Starts the generation: returns once the gateway accepted it (HTTP 200 and a first
    /// event); the stream is read on in the background.
    pub async fn create(&self, segment: &Segment) -> Result<Accepted, ProviderError> {
        let image = request::image(segment)?;
        let body = request::body(segment, &self.options.template, image);
        let sent = self
            .http
            .post(&self.endpoint)
            .bearer_auth(self.key.expose())
            .json(&body)
            .send();
        let response = match tokio::time::timeout(self.deadline, sent).await {
            Ok(Ok(response)) => response,
            Ok(Err(err)) if err.is_connect() => return Err(transport_error(&err, &self.redact)),
            Ok(Err(err)) => return Err(self.ambiguous(self.redact.error_chain(&err))),
            Err(_) => return Err(self.ambiguous("no answer within --request-timeout".into())),
        };
        let status = response.status();
        if !status.is_success() {
            return Err(self.refusal(response).await);
        }
        let redact = self.redact.clone();
        let mut events = streams::events(response, move |err| redact.error_chain(err));
        let first = match tokio::time::timeout(self.deadline, events.next()).await {
            Ok(Some(Ok(event))) => event.data,
            Ok(Some(Err(err))) => return Err(self.ambiguous(format!("the stream broke: {err}"))),
            Ok(None) => return Err(self.ambiguous("the stream ended at once".into())),
            Err(_) => {
                return Err(self.ambiguous("no event within --request-timeout".into()));
            }
        };
        let task_id = match self.options.generation_ids {
            true => self.generation_id(&first)?,
            false => self.new_task_id(),
        };
        tracing::debug!("chat create accepted; following its stream as {task_id}");
        self.book
            .follow(task_id.clone(), reading::read(&first), events);
        Ok(Accepted {
            task_id,
            cost_cents: Cost::Unstated,
        })
    }

    /// The id the first chunk carries, which `GET /generation/{id}` knows.
    fn generation_id(&self, first: &str) -> Result<String, ProviderError> {
        let chunk: Value = serde_json::from_str(first).unwrap_or_default();
        let raw = chunk["id"].as_str().unwrap_or_default();
        self.redact.task_id(raw).map_err(|why| {
            self.ambiguous(format!(
                "--chat-generation-ids: the stream's first chunk carries no usable id ({why})"
            ))
        })
    }

    fn new_task_id(&self) -> String {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        let count = self.next_id.fetch_add(1, Ordering::Relaxed);
        let stamp = since.unwrap_or_default().as_micros();
        format!("{TASK_PREFIX}{stamp}_{}_{count}", std::process::id())
    }

    /// The request may have reached the gateway, which bills at acceptance.
    fn ambiguous(&self, message: String) -> ProviderError {
        ProviderError::Ambiguous {
            message,
            retry_after: None,
        }
    }

    /// A create answered with an error before any stream: nothing was generated, except
    /// that a server error may stand for a billed job.
    async fn refusal(&self, response: reqwest::Response) -> ProviderError {
        let status = response.status();
        if let Err(refused) = super::proxy_refusal(status) {
            return refused;
        }
        let retry_after = super::retry_after(response.headers());
        let body = capped_body(response, MAX_ANSWER_BYTES)
            .await
            .unwrap_or_default();
        let message = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|value| value["error"]["message"].as_str().map(str::to_string))
            .map(|message| self.redact.message(&message))
            .unwrap_or_else(|| self.redact.excerpt(&body));
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ProviderError::Unauthorized {
                message,
                variable: KEY_VARIABLE,
            },
            StatusCode::TOO_MANY_REQUESTS => ProviderError::RateLimited {
                retry_after,
                request_id: None,
            },
            StatusCode::NOT_FOUND => ProviderError::NoApi {
                message: format!(
                    "there is no chat-completions API at {} (HTTP 404); --base-url is the \
                     gateway's OpenAI-style address, ending in /v1",
                    self.redact.redact(&self.endpoint)
                ),
            },
            status if status.is_server_error() => ProviderError::Ambiguous {
                message: format!("HTTP {status}: {message}"),
                retry_after,
            },
            _ => ProviderError::Rejected {
                message: format!("HTTP {status}: {message}"),
                request_id: None,
            },
        }
    }

    /// Where a job stands: its stream's book, else (with `--chat-generation-ids`, for a
    /// stream that broke or an earlier run's) the gateway's generation record.
    pub async fn status_of(&self, task_id: &str) -> Result<TaskStatus, ProviderError> {
        if !self.answers_locally(task_id) {
            return generation::status(self, task_id).await;
        }
        self.standing(task_id)
    }

    /// Whether [`Chat::status_of`] answers from the book, with no call to the gateway.
    fn answers_locally(&self, task_id: &str) -> bool {
        let held = self.book.get(task_id);
        let lost = matches!(held, None | Some(streams::Standing::Lost { .. }));
        !(lost && self.options.generation_ids)
    }

    /// Where a job's stream stands.
    pub fn standing(&self, task_id: &str) -> Result<TaskStatus, ProviderError> {
        let Some(standing) = self.book.get(task_id) else {
            return Err(ProviderError::OutcomeUnknown {
                message: format!(
                    "its stream ({task_id}) belonged to an earlier run; a chat gateway keeps \
                     no job to look up"
                ),
            });
        };
        let phase = match standing {
            streams::Standing::Running { progress } => TaskPhase::Running { progress },
            streams::Standing::Done { url } => match url::Url::parse(&url) {
                Ok(video_url) => TaskPhase::Completed {
                    video_url,
                    remix_id: None,
                },
                Err(err) => TaskPhase::Failed {
                    message: format!(
                        "the gateway's video link is not a URL ({err}): {}",
                        self.redact.message(&url)
                    ),
                },
            },
            streams::Standing::Failed { message } => TaskPhase::Failed {
                message: self.redact.message(&message),
            },
            streams::Standing::Lost { why } => {
                return Err(ProviderError::OutcomeUnknown {
                    message: self.redact.message(&why),
                });
            }
        };
        let poll_after = matches!(phase, TaskPhase::Running { .. }).then_some(LOOK_AGAIN);
        Ok(TaskStatus {
            phase,
            poll_after,
            raw: json!({"stream": task_id}),
        })
    }
}

/// What a chat gateway offers (PROTOCOLS.md section 3): Sora 2 at 10 or 15 seconds (pro
/// also 25), landscape or portrait (`resolution`), a reference image inline as a data URL,
/// a style, remixes of a published Sora video only (by its share id: the videos it makes
/// carry none), no character references, links to a short-lived cache, no task list, no
/// balance. sora2api sells no
/// plan of its own (each deployment sets its price); the default prices are OpenAI's per
/// second of video, in USD, which `--price-normal` and `--price-pro` replace.
pub const CAPABILITIES: Capabilities = Capabilities {
    name: NAME,
    lists_tasks: false,
    tasks_outlive_run: false,
    image_inputs: &[ImageInput::DataUrl],
    image_must_match_frame: false,
    remix: true,
    remix_takes_image: false,
    remix_takes: false,
    remix_share_ids: true,
    styles: true,
    characters: false,
    durations: Durations {
        provider: NAME,
        normal: &[10, 15],
        pro: &[10, 15, 25],
        default: 10,
    },
    sizes: PerMode {
        normal: &[],
        pro: &[],
    },
    default_size: None,
    price_model: PriceModel::PerSecond(Prices {
        normal_cents: 10,
        pro_cents: 30,
        pro_large_cents: None,
    }),
    prices_documented: false,
    currency: "USD",
    live_prices: None,
    has_balance: false,
    download_needs_key: false,
    short_lived_links: true,
    max_prompt_chars: crate::storyboard::DEFAULT_MAX_PROMPT_CHARS,
    key_variable: KEY_VARIABLE,
    keys_variable: "CHAT_API_KEYS",
};

impl Provider for Chat {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> &'static Capabilities {
        &CAPABILITIES
    }

    fn submit<'a>(
        &'a self,
        segment: &'a Segment,
    ) -> BoxFuture<'a, Result<Accepted, ProviderError>> {
        Box::pin(self.create(segment))
    }

    fn status<'a>(&'a self, task_id: &'a str) -> BoxFuture<'a, Result<TaskStatus, ProviderError>> {
        Box::pin(self.status_of(task_id))
    }

    fn status_is_local(&self, task_id: &str) -> bool {
        self.answers_locally(task_id)
    }

    fn recent(&self, _page: u32) -> BoxFuture<'_, Result<RecentPage, ProviderError>> {
        super::no_task_list(NAME)
    }

    fn clock_offset_ms(&self) -> Option<i64> {
        None
    }

    fn download_auth(&self) -> Option<crate::download::DownloadAuth> {
        None
    }

    fn api_is_local(&self) -> bool {
        self.local
    }

    fn let_go(&self, task_id: &str) -> bool {
        self.book.let_go(task_id);
        // With generation ids a later run asks `GET /generation/{id}`; else the job was
        // its stream.
        self.options.generation_ids
    }
}

#[cfg(test)]
mod tests;
