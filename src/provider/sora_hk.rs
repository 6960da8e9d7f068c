//! The Sora.hk task API (PROTOCOLS.md section 1): the `{code, message, data}` envelope, its
//! in-body error codes, and the calls sora-batch makes.

use reqwest::{Response, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::{ProviderError, body_excerpt, flexible_number, retry_after};
use crate::config::ApiKey;

/// A client for one account at one Sora.hk-compatible address.
#[derive(Clone)]
pub struct SoraHk {
    http: reqwest::Client,
    base: String,
    key: ApiKey,
}

/// `GET /pricing`: what a task costs, in cents of `currency`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pricing {
    pub normal_cents: u32,
    pub pro_cents: u32,
    pub currency: String,
}

#[derive(Deserialize)]
struct Envelope {
    code: Value,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Value,
}

impl SoraHk {
    pub fn new(http: reqwest::Client, base_url: &Url, key: ApiKey) -> Self {
        SoraHk {
            http,
            base: base_url.as_str().trim_end_matches('/').to_string(),
            key,
        }
    }

    pub async fn pricing(&self) -> Result<Pricing, ProviderError> {
        let data = self.get("/pricing").await?;
        let cents = |field: &str| {
            flexible_number(&data[field])
                .filter(|cents| *cents >= 0.0)
                .map(|cents| cents.round() as u32)
                .ok_or_else(|| malformed("/pricing", field, &data))
        };
        Ok(Pricing {
            normal_cents: cents("normal_price")?,
            pro_cents: cents("pro_price")?,
            currency: data["currency"].as_str().unwrap_or("USD").to_string(),
        })
    }

    /// `GET /balance`, in cents.
    pub async fn balance(&self) -> Result<i64, ProviderError> {
        let data = self.get("/balance").await?;
        flexible_number(&data["balance"])
            .map(|cents| cents.round() as i64)
            .ok_or_else(|| malformed("/balance", "balance", &data))
    }

    async fn get(&self, path: &str) -> Result<Value, ProviderError> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(self.key.expose())
            .send()
            .await
            .map_err(|err| transport_error(&err))?;
        unwrap_envelope(response).await
    }
}

fn malformed(call: &str, field: &str, data: &Value) -> ProviderError {
    ProviderError::Transient {
        message: format!(
            "the provider's {call} answer has no usable \"{field}\": {}",
            body_excerpt(data.to_string().as_bytes())
        ),
        request_id: None,
    }
}

/// A failure before any answer arrived.
fn transport_error(err: &reqwest::Error) -> ProviderError {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "the connection failed"
    };
    ProviderError::Transient {
        message: format!("{what}: {}", error_chain(err)),
        request_id: None,
    }
}

/// An error and its causes on one line (reqwest's Display omits the cause).
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Maps an answer to its `data`, or to the error class its HTTP status or in-body code
/// says.
async fn unwrap_envelope(response: Response) -> Result<Value, ProviderError> {
    let status = response.status();
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let wait = retry_after(response.headers());
    match status {
        StatusCode::UNAUTHORIZED => {
            return Err(ProviderError::Unauthorized {
                message: "HTTP 401".to_string(),
            });
        }
        StatusCode::TOO_MANY_REQUESTS => {
            return Err(ProviderError::RateLimited {
                retry_after: wait,
                request_id,
            });
        }
        _ => {}
    }
    let body = response
        .bytes()
        .await
        .map_err(|err| transport_error(&err))?;
    let envelope = serde_json::from_slice::<Envelope>(&body).map_err(|_| {
        let message = format!("HTTP {status} with {}", body_excerpt(&body));
        if status.is_client_error() {
            ProviderError::Rejected {
                message,
                request_id: request_id.clone(),
            }
        } else {
            ProviderError::Transient {
                message,
                request_id: request_id.clone(),
            }
        }
    })?;
    let code = flexible_number(&envelope.code).map_or(-1, |code| code as i64);
    let message = if envelope.message.is_empty() {
        format!("code {code}")
    } else {
        envelope.message
    };
    match code {
        200 | 0 if status.is_success() => Ok(envelope.data),
        401 => Err(ProviderError::Unauthorized { message }),
        429 => Err(ProviderError::RateLimited {
            retry_after: wait,
            request_id,
        }),
        1012 => Err(ProviderError::OutOfMoney { message }),
        500..=599 => Err(ProviderError::Transient {
            message: format!("server error {code}: {message}"),
            request_id,
        }),
        _ if status.is_server_error() => Err(ProviderError::Transient {
            message: format!("HTTP {status}: {message}"),
            request_id,
        }),
        _ => Err(ProviderError::Rejected {
            message: format!("code {code}: {message}"),
            request_id,
        }),
    }
}
