//! The Sora2 "draw" API behind Sora2 Web Studio (GrsAI and its resellers; PROTOCOLS.md
//! section 4): the calls sora-batch makes, over the API's two hosts (`hosts`). What a
//! create sends is `request`; how an answer maps to a result or an error class is
//! `answer`.
//!
//! The API cannot list tasks, so a create whose answer is lost cannot be looked for: the
//! engine ends such a job as "unknown outcome" and never submits it again by itself
//! (`Capabilities::lists_tasks`). Prices are credits per task, by size; the key's credits
//! are the balance.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use futures_util::future::BoxFuture;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::capabilities::{Capabilities, ImageInput, PerMode, PriceModel, Prices};
use super::clock::ProviderClock;
use super::sora_hk::answer::{malformed, transport_error, unusable_id};
use super::sora_hk::text_field;
use super::untrusted::{Cost, Redactor};
use super::{Accepted, Provider, ProviderError, RecentPage, TaskStatus, flexible_number};
use crate::config::ApiKey;
use crate::storyboard::{Durations, Segment};

mod answer;
mod hosts;
mod options;
mod request;
#[cfg(test)]
mod tests;

pub use hosts::{DOMESTIC_URL, HostMode, Hosts, OVERSEAS_URL};
pub use options::{DrawSize, ResultPath};
pub use request::DEFAULT_SIZE;

/// The dialect's name in logs, the journal and sidecars.
pub const NAME: &str = "draw";

/// Where its key is read from.
pub const KEY_VARIABLE: &str = "DRAW_API_KEY";

/// The create call.
const CREATE_PATH: &str = "/v1/video/sora-video";
/// The key's credits.
const CREDITS_PATH: &str = "/client/openapi/getAPIKeyCredits";

/// A client for one key at the draw API's hosts.
#[derive(Clone)]
pub struct Draw {
    http: reqwest::Client,
    hosts: Hosts,
    key: ApiKey,
    clock: Arc<ProviderClock>,
    /// Everything the provider says passes through it (see `untrusted`).
    redact: Redactor,
    /// The longest one API call may take in all (`--request-timeout`).
    deadline: Duration,
    /// `--result-path`; under `auto`, the path found to work (`ResultPath::code`).
    result_path: ResultPath,
    learned_path: Arc<AtomicU8>,
}

/// Whether a call that got no answer may go to the next host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failover {
    /// A read: whatever kept its answer away.
    AnyFailure,
    /// A create: only when the connection was never made, so nothing was sent.
    NothingSent,
}

impl Draw {
    pub fn new(
        http: reqwest::Client,
        hosts: Hosts,
        key: ApiKey,
        redact: Redactor,
        deadline: Duration,
        result_path: ResultPath,
    ) -> Self {
        Draw {
            http,
            hosts,
            key,
            clock: Arc::default(),
            redact,
            deadline,
            result_path,
            learned_path: Arc::default(),
        }
    }

    /// `POST path` with `body`, to the hosts in turn as `failover` allows; the answer and
    /// the root of the host that gave it.
    async fn send(
        &self,
        path: &str,
        body: &Value,
        failover: Failover,
    ) -> Result<(reqwest::Response, String), ProviderError> {
        let hosts = self.hosts.in_order();
        let mut last = None;
        for (index, root) in hosts {
            let sent = self
                .http
                .post(format!("{root}{path}"))
                .bearer_auth(self.key.expose())
                .timeout(self.deadline)
                .json(body)
                .send()
                .await;
            match sent {
                Ok(response) => {
                    self.hosts.answered(index);
                    self.clock.observe(response.headers());
                    return Ok((response, root.to_string()));
                }
                Err(err) if failover == Failover::AnyFailure || err.is_connect() => {
                    tracing::debug!(
                        "{path} at {root} got no answer ({}); trying the next host",
                        self.redact.error_chain(&err)
                    );
                    last = Some(transport_error(&err, &self.redact));
                }
                // The create may have arrived: it must not go anywhere else.
                Err(err) => {
                    return Err(ProviderError::Ambiguous {
                        message: self.redact.error_chain(&err),
                        retry_after: None,
                    });
                }
            }
        }
        Err(last.unwrap_or(ProviderError::Unreachable {
            message: "no host to call".to_string(),
        }))
    }

    /// `POST /v1/video/sora-video`. Once the request may have reached a host, a lost
    /// answer is [`ProviderError::Ambiguous`], and so is any server error: the task may
    /// have been created (and billed) before the answer was lost.
    pub async fn create(&self, segment: &Segment) -> Result<Accepted, ProviderError> {
        let body = request::body(segment)?;
        let (response, root) = self.send(CREATE_PATH, &body, Failover::NothingSent).await?;
        let status = response.status();
        let reply = answer::read(response, &self.redact)
            .await
            .map_err(|err| create_error(err, status))?;
        if status == StatusCode::NOT_FOUND && reply.envelope.is_none() {
            return Err(self.no_api(&root));
        }
        let data = reply
            .data(&self.redact, None)
            .map_err(|err| create_error(err, status))?;
        let Some(raw_id) = text_field(&data, "id") else {
            return Err(ProviderError::Ambiguous {
                message: malformed(CREATE_PATH, "id", &data, &self.redact).to_string(),
                retry_after: None,
            });
        };
        let task_id = self
            .redact
            .task_id(&raw_id)
            .map_err(|why| ProviderError::Ambiguous {
                message: unusable_id(&raw_id, &why),
                retry_after: None,
            })?;
        tracing::debug!("create accepted as task {task_id} at {root}");
        Ok(Accepted {
            task_id,
            cost_cents: Cost::Unstated,
        })
    }

    /// The create endpoint answered HTTP 404 without an envelope: say where, and the fix.
    fn no_api(&self, root: &str) -> ProviderError {
        let root = self.redact.redact(root);
        ProviderError::NoApi {
            message: format!(
                "there is no draw API at {root} (POST {root}{CREATE_PATH} answered HTTP 404); \
                 --base-url is the host's root for --provider draw (e.g. {OVERSEAS_URL}), \
                 without /v1"
            ),
        }
    }

    /// `POST /v1/draw/result {id}` (or `/v1/video/result`, see [`ResultPath`]).
    pub async fn result(&self, task_id: &str) -> Result<TaskStatus, ProviderError> {
        let task_id = self
            .redact
            .task_id(task_id)
            .map_err(|why| ProviderError::Rejected {
                message: unusable_id(task_id, &why),
                request_id: None,
            })?;
        let asked = json!({ "id": task_id });
        let learned = ResultPath::from_code(self.learned_path.load(Ordering::Relaxed));
        let first = match (self.result_path, learned) {
            (ResultPath::Auto, ResultPath::Auto) => ResultPath::Draw,
            (ResultPath::Auto, learned) => learned,
            (chosen, _) => chosen,
        };
        let mut reply = self.ask_result(first, &asked).await?;
        let missing = |reply: &answer::Reply| {
            reply.status == StatusCode::NOT_FOUND && reply.envelope.is_none()
        };
        let mut used = first;
        if missing(&reply) && self.result_path == ResultPath::Auto && first == ResultPath::Draw {
            used = ResultPath::Video;
            reply = self.ask_result(used, &asked).await?;
        }
        if missing(&reply) {
            return Err(self.no_result_call());
        }
        if self.result_path == ResultPath::Auto {
            self.learned_path.store(used.code(), Ordering::Relaxed);
        }
        let data = reply.data(&self.redact, Some(&task_id))?;
        let phase = answer::phase(&data, &self.redact)?;
        Ok(TaskStatus {
            phase,
            poll_after: None,
            raw: self.redact.json_to_keep(data),
        })
    }

    async fn ask_result(
        &self,
        path: ResultPath,
        asked: &Value,
    ) -> Result<answer::Reply, ProviderError> {
        let (response, _) = self.send(path.path(), asked, Failover::AnyFailure).await?;
        answer::read(response, &self.redact).await
    }

    /// Neither result call is served: the task is not lost, the address or path is wrong.
    fn no_result_call(&self) -> ProviderError {
        let tried = match self.result_path {
            ResultPath::Auto => "POST /v1/draw/result and /v1/video/result answered",
            ResultPath::Draw => "POST /v1/draw/result answered",
            ResultPath::Video => "POST /v1/video/result answered",
        };
        let fix = match self.result_path {
            ResultPath::Draw => "; try --result-path video",
            ResultPath::Video => "; try --result-path draw",
            ResultPath::Auto => "",
        };
        ProviderError::Transient {
            message: format!(
                "{tried} HTTP 404 at {}: check --base-url (SORA_BASE_URL: the host's root){fix}",
                self.redact.redact(&self.hosts.shown())
            ),
            request_id: None,
        }
    }

    /// `POST /client/openapi/getAPIKeyCredits {apiKey}`: the key's credits left.
    pub async fn credits(&self) -> Result<i64, ProviderError> {
        let asked = json!({ "apiKey": self.key.expose() });
        let (response, _) = self
            .send(CREDITS_PATH, &asked, Failover::AnyFailure)
            .await?;
        let data = answer::read(response, &self.redact)
            .await?
            .data(&self.redact, None)?;
        flexible_number(&data["credits"])
            .or_else(|| flexible_number(&data))
            .map(|credits| credits.round() as i64)
            .ok_or_else(|| malformed(CREDITS_PATH, "credits", &data, &self.redact))
    }
}

/// A create's error as the engine must see it: what may stand for a created, billed task
/// (a server error, an answer that could not be read) is ambiguous.
fn create_error(err: ProviderError, status: StatusCode) -> ProviderError {
    match err {
        ProviderError::Transient { message, .. } => ProviderError::Ambiguous {
            message,
            retry_after: None,
        },
        ProviderError::RateLimited { retry_after, .. } if status.is_server_error() => {
            ProviderError::Ambiguous {
                message: format!("HTTP {status}"),
                retry_after,
            }
        }
        other => other,
    }
}

/// What the draw API offers (PROTOCOLS.md section 4): `sora-2` at 10 or 15 seconds,
/// `small` (720p) or `large`, remixes and character references, priced in credits per
/// task by size (the documented plan's 40 and 120, which `--price-normal` and
/// `--price-pro` replace), the key's credits as the balance, plain CDN links, and no task
/// list.
pub const CAPABILITIES: Capabilities = Capabilities {
    name: NAME,
    lists_tasks: false,
    tasks_outlive_run: true,
    image_inputs: &[ImageInput::PublicUrl],
    image_must_match_frame: false,
    remix: true,
    remix_takes_image: true,
    remix_takes: true,
    remix_share_ids: false,
    styles: false,
    characters: true,
    durations: Durations {
        provider: NAME,
        normal: &[10, 15],
        pro: &[10, 15],
        default: 10,
    },
    sizes: PerMode {
        normal: &["small", "large"],
        pro: &["small", "large"],
    },
    default_size: Some(DEFAULT_SIZE),
    price_model: PriceModel::PerTaskBySize(Prices {
        normal_cents: 40,
        pro_cents: 120,
        pro_large_cents: None,
    }),
    prices_documented: false,
    currency: crate::pricing::CREDITS,
    live_prices: None,
    has_balance: true,
    download_needs_key: false,
    short_lived_links: false,
    max_prompt_chars: crate::storyboard::DEFAULT_MAX_PROMPT_CHARS,
    key_variable: KEY_VARIABLE,
    keys_variable: "DRAW_API_KEYS",
};

impl Provider for Draw {
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
        Box::pin(self.result(task_id))
    }

    fn recent(&self, _page: u32) -> BoxFuture<'_, Result<RecentPage, ProviderError>> {
        super::no_task_list(NAME)
    }

    fn clock_offset_ms(&self) -> Option<i64> {
        self.clock.offset_ms()
    }

    fn download_auth(&self) -> Option<crate::download::DownloadAuth> {
        None
    }

    fn api_is_local(&self) -> bool {
        self.hosts.all_local()
    }

    fn let_go(&self, _task_id: &str) -> bool {
        // A polled task lives at the provider: nothing is held here, and a rerun asks.
        true
    }

    fn balance(&self) -> Option<BoxFuture<'_, Result<i64, ProviderError>>> {
        Some(Box::pin(self.credits()))
    }
}
