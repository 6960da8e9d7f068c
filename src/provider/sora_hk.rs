//! The Sora.hk task API (PROTOCOLS.md section 1): the calls sora-batch makes and what it
//! reads from them. How an answer maps to a result or an error class (the `{code, message,
//! data}` envelope, in-body codes, ids and links) is `answer`.

use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

use futures_util::future::BoxFuture;
use serde_json::json;

use super::clock::ProviderClock;
use super::untrusted::{self, Cost, Redactor};
use super::{
    Accepted, Capabilities, ImageInput, PerMode, PriceModel, Prices, Pricing, Provider,
    ProviderError, RecentPage, RecentTask, TaskPhase, TaskStatus, flexible_number, retry_after,
};
use crate::config::ApiKey;
use crate::storyboard::{Durations, Segment};

pub(super) mod answer;

use answer::{
    ambiguous, malformed, request_id_of, transport_error, unusable_id, unwrap_envelope, video_link,
};

/// A client for one account at one Sora.hk-compatible address.
#[derive(Clone)]
pub struct SoraHk {
    http: reqwest::Client,
    base: String,
    key: ApiKey,
    clock: std::sync::Arc<ProviderClock>,
    /// Everything the provider says passes through it (see `untrusted`).
    redact: Redactor,
    /// The longest an API call may take from connecting to its answer's last byte: the
    /// client's own timeout is only an idle one (for downloads), and an answer trickled a
    /// byte at a time must not hold a run for ever.
    deadline: std::time::Duration,
    /// The API is on this machine or a private network (see `Provider::api_is_local`).
    local: bool,
    /// [`NAME`], or [`SIMULATOR_NAME`] for the built-in simulator (which speaks this
    /// dialect): what sidecars and the journal record.
    name: &'static str,
}

impl SoraHk {
    /// `deadline`: the longest one API call may take in all (`--request-timeout`).
    pub fn new(
        http: reqwest::Client,
        base_url: &Url,
        key: ApiKey,
        redact: Redactor,
        deadline: std::time::Duration,
    ) -> Self {
        SoraHk {
            http,
            base: base_url.as_str().trim_end_matches('/').to_string(),
            key,
            clock: std::sync::Arc::default(),
            redact,
            deadline,
            local: crate::download::is_local(base_url),
            name: NAME,
        }
    }

    /// The same client, naming itself as the built-in simulator: its videos and money are
    /// simulated, and nothing it records may pass for a real provider's.
    pub fn simulated(self) -> Self {
        SoraHk {
            name: SIMULATOR_NAME,
            ..self
        }
    }

    /// The create endpoint answered 404: say where we looked and the likely fix.
    fn no_api(&self) -> ProviderError {
        let base = self.redact.redact(&self.base);
        let hint = if base.ends_with("/v1") {
            String::new()
        } else {
            format!("; Sora.hk's address ends in /v1: try --base-url {base}/v1")
        };
        ProviderError::NoApi {
            message: format!(
                "there is no Sora.hk API at {base} (POST {base}/create answered HTTP 404); \
                 check --base-url (SORA_BASE_URL){hint}"
            ),
        }
    }

    /// `GET /pricing`.
    async fn get_pricing(&self) -> Result<Pricing, ProviderError> {
        let data = self.get("/pricing", None).await?;
        let cents = |field: &str| {
            Cost::from_provider(&data[field])
                .cents()
                .map(|cents| cents as u32)
                .ok_or_else(|| malformed("/pricing", field, &data, &self.redact))
        };
        Ok(Pricing {
            normal_cents: cents("normal_price")?,
            pro_cents: cents("pro_price")?,
            currency: crate::ui::escaped(data["currency"].as_str().unwrap_or("USD"), 12),
        })
    }

    /// `GET /balance`, in cents.
    async fn get_balance(&self) -> Result<i64, ProviderError> {
        let data = self.get("/balance", None).await?;
        flexible_number(&data["balance"])
            .map(|cents| cents.round() as i64)
            .ok_or_else(|| malformed("/balance", "balance", &data, &self.redact))
    }

    /// `GET path`; `task`: the task a status call asks about (see [`unwrap_envelope`]).
    async fn get(&self, path: &str, task: Option<&str>) -> Result<Value, ProviderError> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(self.key.expose())
            .timeout(self.deadline)
            .send()
            .await
            .map_err(|err| transport_error(&err, &self.redact))?;
        self.clock.observe(response.headers());
        unwrap_envelope(response, &self.redact, task).await
    }

    /// `POST /create`. Once the request may have reached the server, a lost answer is
    /// [`ProviderError::Ambiguous`], and so is any server error (HTTP 5xx, or a 5xx code in
    /// the envelope): the service, or one behind a gateway, may have created the task
    /// before failing to say so.
    pub async fn create(&self, segment: &Segment) -> Result<Accepted, ProviderError> {
        let mut body = json!({
            "prompt": segment.prompt,
            "is_pro": segment.is_pro,
            "duration": segment.duration_seconds,
            "resolution": segment.resolution.as_str(),
            "remove_watermark": true,
        });
        if let Some(image_url) = &segment.image_url {
            body["image_url"] = json!(image_url);
        }
        let sent = self
            .http
            .post(format!("{}/create", self.base))
            .bearer_auth(self.key.expose())
            .timeout(self.deadline)
            .json(&body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(err) if err.is_connect() => return Err(transport_error(&err, &self.redact)),
            Err(err) => return Err(ambiguous(&err, &self.redact)),
        };
        self.clock.observe(response.headers());
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Err(self.no_api());
        }
        let request_id = request_id_of(&response, &self.redact);
        let wait = retry_after(response.headers());
        // A success status whose answer cannot be read (a broken body, no JSON, no task
        // id) may well stand for a created, billed task too: it is looked for, never
        // simply submitted again.
        let data = unwrap_envelope(response, &self.redact, None)
            .await
            .map_err(|err| match err {
                ProviderError::Transient { message, .. } => ProviderError::Ambiguous {
                    message,
                    retry_after: wait,
                },
                ProviderError::RateLimited { .. } if status.is_server_error() => {
                    ProviderError::Ambiguous {
                        message: format!("HTTP {status}"),
                        retry_after: wait,
                    }
                }
                other => other,
            })?;
        let Some(task_id) = text_field(&data, "task_id") else {
            return Err(ProviderError::Ambiguous {
                message: malformed("/create", "task_id", &data, &self.redact).to_string(),
                retry_after: None,
            });
        };
        // The task may well exist and be billed: an id that cannot be followed is a lost
        // answer, looked for (and never found) rather than submitted again.
        let task_id = self
            .redact
            .task_id(&task_id)
            .map_err(|why| ProviderError::Ambiguous {
                message: unusable_id(&task_id, &why),
                retry_after: None,
            })?;
        tracing::debug!(
            "create accepted as task {task_id} (request id {})",
            request_id.as_deref().unwrap_or("none")
        );
        Ok(Accepted {
            task_id,
            cost_cents: Cost::from_provider(&data["cost"]),
        })
    }

    /// `GET /tasks/{id}`.
    pub async fn task(&self, task_id: &str) -> Result<TaskStatus, ProviderError> {
        let segment = self
            .redact
            .task_id(task_id)
            .map(|id| untrusted::path_segment(&id))
            .map_err(|why| ProviderError::Rejected {
                message: unusable_id(task_id, &why),
                request_id: None,
            })?;
        let data = self
            .get(&format!("/tasks/{segment}"), Some(task_id))
            .await?;
        let phase = match data["status"].as_str().unwrap_or_default() {
            "pending" | "queued" => TaskPhase::Queued,
            "processing" | "running" | "in_progress" => TaskPhase::Running {
                progress: flexible_number(&data["progress"]).map(|p| p.clamp(0.0, 100.0) as u8),
            },
            "completed" | "succeeded" | "success" => TaskPhase::Completed {
                video_url: video_link(&data, &self.redact)?,
                remix_id: None,
            },
            "failed" | "error" => TaskPhase::Failed {
                message: text_field(&data, "error_msg").map_or_else(
                    || "the provider gave no reason".to_string(),
                    |reason| crate::ui::escaped(&reason, untrusted::MAX_MESSAGE_CHARS),
                ),
            },
            _ => return Err(malformed("/tasks", "status", &data, &self.redact)),
        };
        Ok(TaskStatus {
            phase,
            poll_after: None,
            raw: self.redact.json_to_keep(data),
        })
    }

    /// `GET /tasks?page=N`: the list's field names are not documented, so `list`, `items`
    /// and `tasks` are all read, and a bare array too.
    pub async fn list(&self, page: u32) -> Result<RecentPage, ProviderError> {
        let data = self
            .get(
                &format!("/tasks?page={page}&page_size={LIST_PAGE_SIZE}"),
                None,
            )
            .await?;
        // An answer in a shape we do not know must not read as "no tasks": that would
        // let a lost create be paid for again.
        let items = ["list", "items", "tasks", "data"]
            .iter()
            .find_map(|field| data[*field].as_array())
            .or(data.as_array())
            .ok_or_else(|| malformed("/tasks", "list", &data, &self.redact))?;
        let tasks: Vec<RecentTask> = items
            .iter()
            .filter_map(|item| recent_task(item, &self.redact))
            .collect();
        Ok(RecentPage {
            unreadable: items.len() - tasks.len(),
            tasks,
        })
    }
}

/// Tasks asked for per list page when looking for a lost create.
const LIST_PAGE_SIZE: u32 = 50;

/// A listed task, or `None` when it cannot be read (it then counts as unreadable: it
/// could be the task looked for). A field in a form this does not know reads as not
/// shown, never as "different": a lost create must not read as absent because the list
/// spells `horizontal` as `16:9`.
fn recent_task(item: &Value, redact: &Redactor) -> Option<RecentTask> {
    Some(RecentTask {
        task_id: text_field(item, "task_id")
            .or_else(|| text_field(item, "id"))
            .and_then(|id| redact.task_id(&id).ok())?,
        prompt: item["prompt"].as_str()?.to_string(),
        created_at_ms: unix_ms(&item["created_at"]),
        is_pro: item["is_pro"].as_bool(),
        duration_seconds: flexible_number(&item["duration"]).map(|s| s as u32),
        resolution: item["resolution"].as_str().and_then(orientation),
        image_url: item.get("image_url").map(|image| {
            image
                .as_str()
                .filter(|url| !url.is_empty())
                .map(str::to_string)
        }),
        cost_cents: Cost::from_provider(&item["cost"]),
        // Sora.hk does not remix.
        remixed_from: None,
    })
}

/// A listed shape as `horizontal` or `vertical`, whatever the list calls it; `None` for a
/// shape this does not know.
pub(super) fn orientation(shape: &str) -> Option<String> {
    let shape = shape.trim().to_ascii_lowercase();
    let (wide, tall) = match shape.split_once(['x', ':', '*']) {
        Some((a, b)) => (a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?),
        None => match shape.as_str() {
            "horizontal" | "landscape" => (16, 9),
            "vertical" | "portrait" => (9, 16),
            _ => return None,
        },
    };
    match wide.cmp(&tall) {
        std::cmp::Ordering::Greater => Some("horizontal".to_string()),
        std::cmp::Ordering::Less => Some("vertical".to_string()),
        std::cmp::Ordering::Equal => None,
    }
}

/// A timestamp as seconds, milliseconds or RFC 3339 text (`Z` or a `+08:00` offset), in
/// unix milliseconds. Text without a zone is no moment at all (its zone could be any of
/// 26 hours): `None`, so the search treats the task as of unknown age rather than guess.
pub(super) fn unix_ms(value: &Value) -> Option<u64> {
    if let Some(number) = flexible_number(value) {
        // Anything below this is seconds (it is the year 2286 in milliseconds' terms).
        return Some(if number < 1e10 {
            number * 1000.0
        } else {
            number
        } as u64);
    }
    let text = value.as_str()?.trim();
    let (local, offset_ms) = zone_of(text)?;
    let when = humantime::parse_rfc3339_weak(local).ok()?;
    let since = when.duration_since(std::time::UNIX_EPOCH).ok()?;
    (since.as_millis() as i64)
        .checked_sub(offset_ms)
        .and_then(|ms| u64::try_from(ms).ok())
}

/// Splits `2026-11-26T15:00:00+08:00` into the local part and its offset from UTC in
/// milliseconds (`Z` is offset 0); `None` when there is no zone.
fn zone_of(text: &str) -> Option<(&str, i64)> {
    if let Some(local) = text.strip_suffix(['Z', 'z']) {
        return Some((local, 0));
    }
    let at = text.len().checked_sub(6)?;
    let (local, zone) = (text.get(..at)?, text.get(at..)?);
    let sign = match zone.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hours, minutes) = zone[1..].split_once(':')?;
    let minutes = hours.parse::<i64>().ok()? * 60 + minutes.parse::<i64>().ok()?;
    // Only a date and a time carry a zone: `2026-11-26` ends in `-11-26` otherwise.
    local
        .contains(['T', 't', ' '])
        .then_some((local, sign * minutes * 60_000))
}

/// A string or number field as text (ids arrive as either).
pub(super) fn text_field(data: &Value, field: &str) -> Option<String> {
    match &data[field] {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Sora.hk's address.
pub const DEFAULT_BASE_URL: &str = "https://api.sora.hk/v1";

/// The dialect's name in logs, the journal and sidecars.
pub const NAME: &str = "sora-hk";

/// The name the built-in simulator records instead (`--provider simulator`).
pub const SIMULATOR_NAME: &str = "simulator";

/// What Sora.hk can do (PROTOCOLS.md section 1). Its documentation states no prompt limit,
/// so the default one applies; a pro task costs the same whatever its length.
pub const CAPABILITIES: Capabilities = Capabilities {
    name: NAME,
    lists_tasks: true,
    tasks_outlive_run: true,
    image_inputs: &[ImageInput::PublicUrl],
    image_must_match_frame: false,
    remix: false,
    remix_takes_image: false,
    remix_takes: false,
    remix_share_ids: false,
    styles: false,
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
    // Its documented `GET /pricing` answer.
    price_model: PriceModel::PerTask(Prices {
        normal_cents: 3,
        pro_cents: 30,
        pro_large_cents: None,
    }),
    prices_documented: true,
    currency: "USD",
    live_prices: Some("GET /pricing"),
    has_balance: true,
    download_needs_key: false,
    short_lived_links: false,
    max_prompt_chars: crate::storyboard::DEFAULT_MAX_PROMPT_CHARS,
    key_variable: crate::config::API_KEY_VAR,
    keys_variable: "SORA_API_KEYS",
};

impl Provider for SoraHk {
    fn name(&self) -> &'static str {
        self.name
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
        Box::pin(self.task(task_id))
    }

    fn recent(&self, page: u32) -> BoxFuture<'_, Result<RecentPage, ProviderError>> {
        Box::pin(self.list(page))
    }

    fn clock_offset_ms(&self) -> Option<i64> {
        self.clock.offset_ms()
    }

    fn download_auth(&self) -> Option<crate::download::DownloadAuth> {
        None
    }

    fn api_is_local(&self) -> bool {
        self.local
    }

    fn let_go(&self, _task_id: &str) -> bool {
        // A polled task lives at the provider: nothing is held here, and a rerun asks.
        true
    }

    fn pricing(&self) -> Option<BoxFuture<'_, Result<Pricing, ProviderError>>> {
        Some(Box::pin(self.get_pricing()))
    }

    fn balance(&self) -> Option<BoxFuture<'_, Result<i64, ProviderError>>> {
        Some(Box::pin(self.get_balance()))
    }
}

#[cfg(test)]
mod tests;
