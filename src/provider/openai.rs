//! The OpenAI Videos API (PROTOCOLS.md section 2), as OpenAI serves it and as the
//! OpenAI-compatible gateways and Azure OpenAI copy it: the calls sora-batch makes and the
//! client's settings (which header carries the key, multipart or JSON creates). What a
//! create sends is `request`, and a remix's `remix`; how an answer maps to a result or an
//! error class is `answer`; how the page-numbered task list the engine asks for is read
//! from OpenAI's cursor-paged list is `cursor`.
//!
//! Costs: OpenAI's answers never say what a video cost, and gateways charge prices of
//! their own, so creates and listed tasks report their cost as unstated: a price is the
//! business of the run's price model (and its flags), which knows what it assumed, not a
//! figure to pass off as the provider's bill in the journal.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{RequestBuilder, StatusCode};
use url::Url;

use super::capabilities::{Capabilities, ImageInput, PerMode, PriceModel, Prices};
use super::clock::ProviderClock;
use super::sora_hk::answer::{ambiguous, malformed, transport_error, unusable_id};
use super::sora_hk::text_field;
use super::untrusted::{self, Cost, Redactor};
use super::{Accepted, Provider, ProviderError, RecentPage, TaskStatus, retry_after};
use crate::config::ApiKey;
use crate::download::DownloadAuth;
use crate::storyboard::{Durations, Segment};

mod answer;
mod cursor;
mod remix;
mod request;

pub use request::{model_of, size_of};

/// The dialect's name in logs, the journal and sidecars.
pub const NAME: &str = "openai";

/// The official API's address.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// Which header carries the API key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthHeader {
    /// `Authorization: Bearer <key>`, as OpenAI and the gateways take it.
    #[default]
    Authorization,
    /// `api-key: <key>`, as Azure OpenAI takes its keys.
    ApiKey,
}

/// Azure OpenAI's key header (`AuthHeader::ApiKey`).
const API_KEY_HEADER: &str = "api-key";

/// How a create's fields are sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum RequestFormat {
    /// multipart/form-data, as the official SDK sends every create (the only way to send
    /// an image file).
    #[default]
    Multipart,
    /// A JSON body, for gateways that want one; a reference image goes as
    /// `{"image_url": URL}`.
    Json,
}

/// The client's settings beyond address and key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    pub auth: AuthHeader,
    pub format: RequestFormat,
}

/// A client for one account at one OpenAI-shaped address.
#[derive(Clone)]
pub struct OpenAi {
    http: reqwest::Client,
    /// The base URL without a trailing slash (what the API calls go to).
    base: String,
    /// The base URL without user name and password: what content links are made from, so
    /// no password lands in the journal or a sidecar with them.
    public_base: String,
    /// The API's origin: the only one downloads send the key to.
    origin: url::Origin,
    key: ApiKey,
    clock: Arc<ProviderClock>,
    /// Everything the provider says passes through it (see `untrusted`).
    redact: Redactor,
    /// The longest one API call may take from connecting to its answer's last byte
    /// (`--request-timeout`; the client's own timeout is an idle one).
    deadline: Duration,
    /// The API is on this machine or a private network (see `Provider::api_is_local`).
    local: bool,
    options: Options,
    /// Where each page of the task list starts (see `cursor`).
    cursors: Arc<tokio::sync::Mutex<cursor::Cursors>>,
}

impl OpenAi {
    /// `deadline`: the longest one API call may take in all (`--request-timeout`).
    /// With [`AuthHeader::ApiKey`], calls go through a client of their own that follows no
    /// redirect to another origin (`same_origin_http_client`, idle timeout `deadline`):
    /// reqwest drops `Authorization` on such redirects, but keeps an `api-key` header.
    pub fn new(
        http: reqwest::Client,
        base_url: &Url,
        key: ApiKey,
        redact: Redactor,
        deadline: Duration,
        options: Options,
    ) -> Self {
        let mut public = base_url.clone();
        let _ = public.set_username("");
        let _ = public.set_password(None);
        let http = match options.auth {
            AuthHeader::Authorization => http,
            AuthHeader::ApiKey => super::same_origin_http_client(deadline),
        };
        OpenAi {
            http,
            base: base_url.as_str().trim_end_matches('/').to_string(),
            public_base: public.as_str().trim_end_matches('/').to_string(),
            origin: base_url.origin(),
            key,
            clock: Arc::default(),
            redact,
            deadline,
            local: crate::download::is_local(base_url),
            options,
            cursors: Arc::default(),
        }
    }

    /// A request to `path` under the API, with the key and the call's deadline.
    fn call(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        let request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .timeout(self.deadline);
        match self.options.auth {
            AuthHeader::Authorization => request.bearer_auth(self.key.expose()),
            AuthHeader::ApiKey => match HeaderValue::from_str(self.key.expose()) {
                Ok(mut value) => {
                    value.set_sensitive(true);
                    request.header(HeaderName::from_static(API_KEY_HEADER), value)
                }
                // `ApiKey::check_header` refuses such keys before any client is made.
                Err(_) => request,
            },
        }
    }

    /// The create endpoint answered 404: say where we looked and the likely fix.
    fn no_api(&self) -> ProviderError {
        let base = self.redact.redact(&self.public_base);
        let hint = if base.ends_with("/v1") {
            String::new()
        } else {
            format!("; OpenAI-shaped addresses usually end in /v1: try --base-url {base}/v1")
        };
        ProviderError::NoApi {
            message: format!(
                "there is no OpenAI Videos API at {base} (POST {base}/videos answered HTTP \
                 404); check --base-url (SORA_BASE_URL){hint}"
            ),
        }
    }

    /// `POST /videos`. Once the request may have reached the server, a lost answer is
    /// [`ProviderError::Ambiguous`], and so is any server error or timeout status: the
    /// service, or one behind a gateway, may have created (and billed) the video before
    /// failing to say so.
    ///
    /// A segment with `remix_of` is sent as `POST /videos/{target}/remix` (see `remix`),
    /// answered and looked for like a create; its 404 is about the source video.
    pub async fn create(&self, segment: &Segment) -> Result<Accepted, ProviderError> {
        let remix = remix::Remix::of(segment, &self.redact)?;
        let request = match &remix {
            Some(remix) => self
                .call(reqwest::Method::POST, &remix.path())
                .json(&remix.body()),
            None => self.create_request(segment).await?,
        };
        let response = match request.send().await {
            Ok(response) => response,
            // Nothing left this machine: nothing can have been created.
            Err(err) if err.is_connect() || err.is_builder() => {
                return Err(transport_error(&err, &self.redact));
            }
            Err(err) => return Err(ambiguous(&err, &self.redact)),
        };
        self.clock.observe(response.headers());
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Err(match &remix {
                Some(remix) => self.no_source(segment, remix),
                None => self.no_api(),
            });
        }
        let wait = retry_after(response.headers());
        let video = answer::read(response, &self.redact, None)
            .await
            .map_err(|err| answer::create_error(err, status, wait))?;
        let Some(raw_id) = text_field(&video, "id") else {
            return Err(ProviderError::Ambiguous {
                message: malformed("/videos", "id", &video, &self.redact).to_string(),
                retry_after: None,
            });
        };
        // The video may well exist and be billed: an id that cannot be followed is a lost
        // answer, looked for (and never found) rather than submitted again.
        let task_id = self
            .redact
            .task_id(&raw_id)
            .map_err(|why| ProviderError::Ambiguous {
                message: unusable_id(&raw_id, &why),
                retry_after: None,
            })?;
        tracing::debug!("create accepted as video {task_id}");
        Ok(Accepted {
            task_id,
            cost_cents: Cost::Unstated,
        })
    }

    /// `POST /videos` with the segment's fields, in the configured format.
    async fn create_request(&self, segment: &Segment) -> Result<RequestBuilder, ProviderError> {
        let create = request::Create::of(segment, self.options.format)?;
        let request = self.call(reqwest::Method::POST, "/videos");
        Ok(match self.options.format {
            RequestFormat::Json => request.json(&create.json().await?),
            RequestFormat::Multipart => request.multipart(create.form().await?),
        })
    }

    /// A remix answered 404: the provider does not know the source video (or there is no
    /// API here at all); either way nothing was made, and sending it again cannot help.
    fn no_source(&self, segment: &Segment, remix: &remix::Remix) -> ProviderError {
        let base = self.redact.redact(&self.public_base);
        ProviderError::Rejected {
            message: format!(
                "segment {}'s remix_of: the provider knows no video \"{}\" (POST \
                 {base}{} answered HTTP 404); check that remix_of names a video of this \
                 account at this address (--base-url)",
                segment.index,
                crate::ui::escaped(&remix.target, 60),
                remix.path()
            ),
            request_id: None,
        }
    }

    /// `GET /videos/{id}`, with the server's `openai-poll-after-ms` hint.
    pub async fn video(&self, task_id: &str) -> Result<TaskStatus, ProviderError> {
        let segment = self
            .redact
            .task_id(task_id)
            .map(|id| untrusted::path_segment(&id))
            .map_err(|why| ProviderError::Rejected {
                message: unusable_id(task_id, &why),
                request_id: None,
            })?;
        let response = self
            .call(reqwest::Method::GET, &format!("/videos/{segment}"))
            .send()
            .await
            .map_err(|err| transport_error(&err, &self.redact))?;
        self.clock.observe(response.headers());
        let poll_after = answer::poll_hint(response.headers());
        let video = answer::read(response, &self.redact, Some(task_id)).await?;
        let content = format!("{}/videos/{segment}/content", self.public_base);
        let phase = answer::phase(&video, &content, &self.redact, self.provider_now_ms())?;
        Ok(TaskStatus {
            phase,
            poll_after,
            raw: self.redact.json_to_keep(video),
        })
    }

    /// Now on the provider's clock, in unix milliseconds, once an answer's `Date` told it.
    fn provider_now_ms(&self) -> Option<u64> {
        let offset = self.clock.offset_ms()?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as u64);
        Some(now.saturating_add_signed(offset))
    }

    /// One page (1-based) of `GET /videos?order=desc`, newest first (see `cursor`).
    pub async fn list(&self, page: u32) -> Result<RecentPage, ProviderError> {
        let mut cursors = self.cursors.lock().await;
        cursors.read(page, |after| self.list_after(after)).await
    }

    /// The page of the list that follows the video `after` (the first page without one),
    /// and the id the page after it starts after.
    async fn list_after(
        &self,
        after: Option<String>,
    ) -> Result<(RecentPage, Option<String>), ProviderError> {
        let mut path = Url::parse("http://list/videos").expect("a constant URL parses");
        {
            let mut query = path.query_pairs_mut();
            query.append_pair("order", "desc");
            query.append_pair("limit", &cursor::PAGE_SIZE.to_string());
            if let Some(after) = &after {
                query.append_pair("after", after);
            }
        }
        let path = format!("/videos?{}", path.query().unwrap_or_default());
        let response = self
            .call(reqwest::Method::GET, &path)
            .send()
            .await
            .map_err(|err| transport_error(&err, &self.redact))?;
        self.clock.observe(response.headers());
        let listed = answer::read(response, &self.redact, None).await?;
        answer::page(&listed, &self.redact)
    }

    /// The key as downloads send it, in the header this client's calls use, for the
    /// API's own origin (scheme, host and port) only.
    pub fn content_auth(&self) -> Option<DownloadAuth> {
        let key = self.key.expose();
        let origin = self.origin.clone();
        match self.options.auth {
            AuthHeader::Authorization => DownloadAuth::bearer(key, origin),
            AuthHeader::ApiKey => {
                DownloadAuth::header(HeaderName::from_static(API_KEY_HEADER), key, origin)
            }
        }
    }
}

/// What the OpenAI Videos API offers (PROTOCOLS.md section 2): `sora-2` and `sora-2-pro`
/// at 4, 8 or 12 seconds (4 when unset), priced per second of video, with a task list
/// (`GET /videos`) but no price or balance call, and content downloads that need the key.
pub const CAPABILITIES: Capabilities = Capabilities {
    name: NAME,
    lists_tasks: true,
    tasks_outlive_run: true,
    image_inputs: &[
        ImageInput::UploadedFile,
        ImageInput::DataUrl,
        ImageInput::PublicUrl,
    ],
    image_must_match_frame: true,
    // POST /videos/{id}/remix: the source's model, size and length, no image.
    remix: true,
    remix_takes_image: false,
    remix_takes: true,
    remix_share_ids: false,
    styles: false,
    characters: false,
    durations: Durations {
        provider: NAME,
        normal: &[4, 8, 12],
        pro: &[4, 8, 12],
        default: 4,
    },
    sizes: PerMode {
        normal: &["1280x720", "720x1280"],
        pro: &["1280x720", "720x1280", "1792x1024", "1024x1792"],
    },
    // sora-2 and sora-2-pro at 720p; the larger pro sizes cost 50 cents a second.
    default_size: None,
    price_model: PriceModel::PerSecond(Prices {
        normal_cents: 10,
        pro_cents: 30,
        pro_large_cents: Some(50),
    }),
    prices_documented: true,
    currency: "USD",
    live_prices: None,
    has_balance: false,
    download_needs_key: true,
    short_lived_links: false,
    max_prompt_chars: crate::storyboard::DEFAULT_MAX_PROMPT_CHARS,
    key_variable: "OPENAI_API_KEY",
    keys_variable: "OPENAI_API_KEYS",
};

impl Provider for OpenAi {
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
        Box::pin(self.video(task_id))
    }

    fn recent(&self, page: u32) -> BoxFuture<'_, Result<RecentPage, ProviderError>> {
        Box::pin(self.list(page))
    }

    fn clock_offset_ms(&self) -> Option<i64> {
        self.clock.offset_ms()
    }

    fn download_auth(&self) -> Option<DownloadAuth> {
        self.content_auth()
    }

    fn api_is_local(&self) -> bool {
        self.local
    }

    fn let_go(&self, _task_id: &str) -> bool {
        // A polled task lives at the provider: nothing is held here, and a rerun asks.
        true
    }
}

#[cfg(test)]
mod tests;
