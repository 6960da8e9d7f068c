//! How draw answers are read: the `{code, msg, data}` envelope (also when it arrives as
//! `data: {...}` lines, the last complete one winning), its codes and the HTTP status
//! mapped to the error class the engine acts on (`code` other than 0 is an error whatever
//! the HTTP status), and a result's `data` in either field spelling (`results[].url`/`pid`
//! or the reseller's `result_url(s)`/`result_pid(s)`) as a `TaskPhase`.

use reqwest::{Response, StatusCode};
use serde_json::Value;

use super::KEY_VARIABLE;
use crate::provider::sora_hk::answer::{malformed, request_id_of, video_link};
use crate::provider::sora_hk::text_field;
use crate::provider::untrusted::{self, Redactor};
use crate::provider::{
    MAX_ANSWER_BYTES, ProviderError, TaskPhase, capped_body, flexible_number, retry_after,
};

/// An answer read whole: its HTTP status and envelope (`None`: the body was no envelope,
/// e.g. a web server's 404 page for a path it does not serve).
pub struct Reply {
    pub status: StatusCode,
    pub envelope: Option<Envelope>,
    body: Vec<u8>,
    request_id: Option<String>,
    wait: Option<std::time::Duration>,
}

/// `{code, msg, data}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub code: i64,
    pub msg: String,
    pub data: Value,
}

/// Reads an answer's body (at most `MAX_ANSWER_BYTES`). A 401, a 429 and a 503 that says
/// when to come back are errors before the body is read.
pub async fn read(response: Response, redact: &Redactor) -> Result<Reply, ProviderError> {
    let status = response.status();
    let request_id = request_id_of(&response, redact);
    let wait = retry_after(response.headers());
    crate::provider::proxy_refusal(status)?;
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            return Err(ProviderError::Unauthorized {
                message: format!("HTTP {status}"),
                variable: KEY_VARIABLE,
            });
        }
        StatusCode::TOO_MANY_REQUESTS => {
            return Err(ProviderError::RateLimited {
                retry_after: wait,
                request_id,
            });
        }
        StatusCode::SERVICE_UNAVAILABLE if wait.is_some() => {
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
    Ok(Reply {
        status,
        envelope: envelope_of(&body),
        body,
        request_id,
        wait,
    })
}

/// The envelope in a body: the body itself, or the last complete `data: {...}` line of a
/// stream (a line that is a bare result, without `code`, stands for a success).
pub fn envelope_of(body: &[u8]) -> Option<Envelope> {
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        return as_envelope(value, false);
    }
    let text = String::from_utf8_lossy(body);
    // The last line may be cut off: only lines that parse count.
    text.lines()
        .rev()
        .filter_map(|line| line.trim().strip_prefix("data:"))
        .filter_map(|line| serde_json::from_str::<Value>(line.trim()).ok())
        .find_map(|value| as_envelope(value, true))
}

fn as_envelope(value: Value, streamed: bool) -> Option<Envelope> {
    let fields = value.as_object()?;
    match fields.get("code") {
        Some(code) => Some(Envelope {
            code: flexible_number(code).map_or(-1, |code| code as i64),
            msg: fields
                .get("msg")
                .or_else(|| fields.get("message"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            data: fields.get("data").cloned().unwrap_or(Value::Null),
        }),
        None if streamed => Some(Envelope {
            code: 0,
            msg: String::new(),
            data: value,
        }),
        None => None,
    }
}

impl Reply {
    /// An answer with this status and body, as `read` would have made it.
    #[cfg(test)]
    pub fn of(status: u16, body: &[u8]) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).expect("a valid status"),
            envelope: envelope_of(body),
            body: body.to_vec(),
            request_id: None,
            wait: None,
        }
    }

    /// The envelope's `data` (redacted), or the error class its code or HTTP status says
    /// (never its message's words). `task`: the task a result call asks about, which a
    /// code 404 says the provider does not know.
    pub fn data(self, redact: &Redactor, task: Option<&str>) -> Result<Value, ProviderError> {
        let Reply {
            status,
            envelope,
            body,
            request_id,
            wait,
        } = self;
        let Some(envelope) = envelope else {
            let message = format!("HTTP {status} with {}", redact.excerpt(&body));
            return Err(match status.is_client_error() {
                true => ProviderError::Rejected {
                    message,
                    request_id,
                },
                false => ProviderError::Transient {
                    message,
                    request_id,
                },
            });
        };
        let code = envelope.code;
        let message = match envelope.msg.trim() {
            "" => format!("code {code}"),
            text => format!("code {code}: {}", redact.message(text)),
        };
        Err(match code {
            0 if status.is_success() => return Ok(redact.json(envelope.data)),
            401 | 403 => ProviderError::Unauthorized {
                message,
                variable: KEY_VARIABLE,
            },
            402 => ProviderError::OutOfMoney { message },
            404 if task.is_some() => ProviderError::UnknownTask {
                task_id: task.unwrap_or_default().to_string(),
                request_id,
            },
            429 => ProviderError::RateLimited {
                retry_after: wait,
                request_id,
            },
            500..=599 => ProviderError::Transient {
                message: format!("server error {message}"),
                request_id,
            },
            _ if !status.is_success() && !status.is_client_error() => ProviderError::Transient {
                message: format!("HTTP {status}, {message}"),
                request_id,
            },
            _ => ProviderError::Rejected {
                message,
                request_id,
            },
        })
    }
}

/// A result's `data` as a phase: `running`/`pending`/`queued`, `succeeded` with its video
/// link and `pid` (what a later `remixTargetId` names), or `failed` with its reason and
/// refund.
pub fn phase(data: &Value, redact: &Redactor) -> Result<TaskPhase, ProviderError> {
    let status = data["status"].as_str().unwrap_or_default();
    Ok(match status.trim().to_ascii_lowercase().as_str() {
        "pending" | "queued" | "submitted" => TaskPhase::Queued,
        "running" | "processing" | "in_progress" => TaskPhase::Running {
            progress: flexible_number(&data["progress"]).map(|p| p.clamp(0.0, 100.0) as u8),
        },
        "succeeded" | "success" | "completed" => {
            let link = first_text(
                data,
                &[("results", "url"), ("result_url", ""), ("result_urls", "")],
            )
            .ok_or_else(|| malformed("/v1/draw/result", "results[].url", data, redact))?;
            let video_url = video_link(&serde_json::json!({ "video_url": link }), redact)?;
            let pid = first_text(
                data,
                &[("results", "pid"), ("result_pid", ""), ("result_pids", "")],
            )
            .and_then(|pid| redact.task_id(&pid).ok());
            TaskPhase::Completed {
                video_url,
                remix_id: pid,
            }
        }
        "failed" | "error" | "cancelled" => TaskPhase::Failed {
            message: failure(data),
        },
        _ => return Err(malformed("/v1/draw/result", "status", data, redact)),
    })
}

/// The first non-empty text among `field` (a string), `field[0]` (a list of strings) and
/// `field[0].inner` (a list of objects), over the spellings given as `(field, inner)`.
fn first_text(data: &Value, spellings: &[(&str, &str)]) -> Option<String> {
    spellings.iter().find_map(|(field, inner)| {
        let value = &data[*field];
        let item = match value {
            Value::Array(items) => items.first()?,
            other => other,
        };
        match *inner {
            "" => text_field(&serde_json::json!({ "v": item }), "v"),
            inner => text_field(item, inner),
        }
    })
}

/// A failed task's reason, printable: `failure_reason` and `error` (or the reseller's
/// `error_message`), and the credits given back (`credits_refunded`) when there were any.
fn failure(data: &Value) -> String {
    let text = |field: &str| {
        data[field]
            .as_str()
            .map(str::trim)
            .filter(|text| !text.is_empty())
    };
    let reason = text("failure_reason");
    let detail = text("error").or_else(|| text("error_message"));
    let mut message = match (reason, detail) {
        (Some(reason), Some(detail)) => format!("{detail} ({reason})"),
        (Some(only), None) | (None, Some(only)) => only.to_string(),
        (None, None) => "the provider gave no reason".to_string(),
    };
    message = crate::ui::escaped(&message, untrusted::MAX_MESSAGE_CHARS);
    if let Some(credits) = flexible_number(&data["credits_refunded"]).filter(|c| *c > 0.0) {
        message.push_str(&format!("; {} credits refunded", credits.round() as i64));
    }
    message
}
