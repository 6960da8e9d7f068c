//! How Sora.hk answers are read: the `{code, message, data}` envelope and its in-body error
//! codes, transport failures, task ids and video links, each mapped to the error class the
//! engine acts on (see `ProviderError`).

use reqwest::{Response, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::provider::untrusted::{self, Redactor};
use crate::provider::{MAX_ANSWER_BYTES, ProviderError, capped_body, flexible_number, retry_after};

#[derive(Deserialize)]
struct Envelope {
    code: Value,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Value,
}

pub(in crate::provider) fn ambiguous(err: &reqwest::Error, redact: &Redactor) -> ProviderError {
    ProviderError::Ambiguous {
        message: redact.error_chain(err),
        retry_after: None,
    }
}

/// Why a task id from the provider cannot be used (see `Redactor::task_id`).
pub(in crate::provider) fn unusable_id(raw: &str, why: &str) -> String {
    format!(
        "the provider's task id \"{}\" cannot be used: {why}",
        crate::ui::escaped(raw, 60)
    )
}

/// An answer without a field the call needs. The excerpt is redacted whole (field names
/// too): the answer's fields the dialect uses as they are may hold what must not print.
pub(in crate::provider) fn malformed(
    call: &str,
    field: &str,
    data: &Value,
    redact: &Redactor,
) -> ProviderError {
    ProviderError::Transient {
        message: format!(
            "the provider's {call} answer has no usable \"{field}\": {}",
            redact.excerpt(data.to_string().as_bytes())
        ),
        request_id: None,
    }
}

/// A completed task's video link, if it is an absolute URL free of secrets and of a
/// plausible length.
pub(in crate::provider) fn video_link(
    data: &Value,
    redact: &Redactor,
) -> Result<Url, ProviderError> {
    let Some(text) = data["video_url"]
        .as_str()
        .filter(|text| !text.is_empty() && !redact.holds_key(text))
    else {
        return Err(malformed("/tasks", "video_url", data, redact));
    };
    let length = text.chars().count();
    if length > untrusted::MAX_LINK_CHARS {
        return Err(ProviderError::Transient {
            message: format!(
                "the provider reports the task completed with a video_url of {length} \
                 characters, far longer than any real link (at most {} are accepted): \
                 \"{}\"",
                untrusted::MAX_LINK_CHARS,
                crate::ui::escaped(unsigned_part(text), 100)
            ),
            request_id: None,
        });
    }
    Url::parse(text).map_err(|err| ProviderError::Transient {
        message: format!(
            "the provider reports the task completed with the video_url \"{}\", which is no \
             absolute link ({err})",
            crate::ui::escaped(unsigned_part(text), 200)
        ),
        request_id: None,
    })
}

/// A link as messages show it: a signed link's query is a credential of sorts, so it (and
/// any fragment) is left out.
fn unsigned_part(link: &str) -> &str {
    link.split(['?', '#']).next().unwrap_or_default()
}

/// A failure before any answer arrived.
pub(in crate::provider) fn transport_error(
    err: &reqwest::Error,
    redact: &Redactor,
) -> ProviderError {
    // A connect timeout is a connect error too: nothing was sent.
    if err.is_connect() {
        let message = redact.error_chain(err);
        // hyper-util's words for an HTTPS tunnel the proxy refused with 407.
        if message.contains("proxy authorization required") {
            return ProviderError::ProxyRefused { message };
        }
        return ProviderError::Unreachable { message };
    }
    let what = if err.is_timeout() {
        "timed out"
    } else {
        "the connection failed"
    };
    ProviderError::Transient {
        message: format!("{what}: {}", redact.error_chain(err)),
        request_id: None,
    }
}

/// The provider's id for one request, which its support asks for.
pub(in crate::provider) fn request_id_of(response: &Response, redact: &Redactor) -> Option<String> {
    response
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .map(|id| crate::ui::escaped(&redact.redact(id), 100))
}

/// Maps an answer to its `data`, or to the error class its HTTP status or in-body code
/// says (never the text of its message: "segment 404 is not ready" is no 404). `task`: the
/// task a status call asks about, which a 404 (as HTTP status or in-body code) says the
/// provider does not know. The answer's message and data come out redacted.
pub(super) async fn unwrap_envelope(
    response: Response,
    redact: &Redactor,
    task: Option<&str>,
) -> Result<Value, ProviderError> {
    let status = response.status();
    let request_id = request_id_of(&response, redact);
    let wait = retry_after(response.headers());
    let unknown = |request_id| {
        task.map(|task_id| ProviderError::UnknownTask {
            task_id: task_id.to_string(),
            request_id,
        })
    };
    if status == StatusCode::NOT_FOUND
        && let Some(unknown) = unknown(request_id.clone())
    {
        return Err(unknown);
    }
    crate::provider::proxy_refusal(status)?;
    match status {
        StatusCode::UNAUTHORIZED => {
            return Err(ProviderError::Unauthorized {
                message: "HTTP 401".to_string(),
                variable: crate::config::API_KEY_VAR,
            });
        }
        // A 503 that says when to come back is a rate limit in all but name.
        StatusCode::SERVICE_UNAVAILABLE if wait.is_some() => {
            return Err(ProviderError::RateLimited {
                retry_after: wait,
                request_id,
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
    let body = capped_body(response, MAX_ANSWER_BYTES)
        .await
        .map_err(|err| ProviderError::Transient {
            message: err.describe(redact),
            request_id: request_id.clone(),
        })?;
    let envelope = serde_json::from_slice::<Envelope>(&body).map_err(|_| {
        let message = format!("HTTP {status} with {}", redact.excerpt(&body));
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
        redact.message(&envelope.message)
    };
    if code == 404
        && let Some(unknown) = unknown(request_id.clone())
    {
        return Err(unknown);
    }
    match code {
        200 | 0 if status.is_success() => Ok(redact.json(envelope.data)),
        401 => Err(ProviderError::Unauthorized {
            message,
            variable: crate::config::API_KEY_VAR,
        }),
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
