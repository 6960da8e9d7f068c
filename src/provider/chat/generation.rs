//! `GET {base}/generation/{id}` (seed 004's gateways, `--chat-generation-ids`): where a
//! generation stands when its stream is gone, as a `chat.completion` whose message reads
//! like the stream's chunks (`reading`): progress, the link, or the failure.

use reqwest::StatusCode;
use serde_json::Value;

use super::reading::{self, Said};
use super::{Chat, KEY_VARIABLE};
use crate::provider::sora_hk::answer::transport_error;
use crate::provider::untrusted::path_segment;
use crate::provider::{MAX_ANSWER_BYTES, ProviderError, TaskPhase, TaskStatus, capped_body};

pub async fn status(chat: &Chat, task_id: &str) -> Result<TaskStatus, ProviderError> {
    let url = format!("{}{}", chat.generations, path_segment(task_id));
    let response = chat
        .http
        .get(&url)
        .bearer_auth(chat.key.expose())
        .timeout(chat.deadline)
        .send()
        .await
        .map_err(|err| transport_error(&err, &chat.redact))?;
    let status = response.status();
    let retry_after = crate::provider::retry_after(response.headers());
    let body = capped_body(response, MAX_ANSWER_BYTES)
        .await
        .map_err(|err| ProviderError::Transient {
            message: err.describe(&chat.redact),
            request_id: None,
        })?;
    crate::provider::proxy_refusal(status)?;
    match status {
        StatusCode::OK => {}
        StatusCode::NOT_FOUND => {
            return Err(ProviderError::UnknownTask {
                task_id: task_id.to_string(),
                request_id: None,
            });
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            return Err(ProviderError::Unauthorized {
                message: chat.redact.excerpt(&body),
                variable: KEY_VARIABLE,
            });
        }
        StatusCode::TOO_MANY_REQUESTS => {
            return Err(ProviderError::RateLimited {
                retry_after,
                request_id: None,
            });
        }
        status => {
            return Err(ProviderError::Transient {
                message: format!(
                    "GET /generation: HTTP {status}: {}",
                    chat.redact.excerpt(&body)
                ),
                request_id: None,
            });
        }
    }
    let text = String::from_utf8_lossy(&body);
    let phase = match reading::read(&text) {
        Said::Result(url) => match url::Url::parse(&url) {
            Ok(video_url) => TaskPhase::Completed {
                video_url,
                remix_id: None,
            },
            Err(err) => TaskPhase::Failed {
                message: format!("the gateway's video link is not a URL ({err})"),
            },
        },
        Said::Failed(message) => TaskPhase::Failed {
            message: chat.redact.message(&message),
        },
        Said::Progress(percent) => TaskPhase::Running {
            progress: Some(percent),
        },
        Said::Done | Said::Nothing => TaskPhase::Running { progress: None },
    };
    let raw: Value = serde_json::from_slice(&body).unwrap_or_default();
    Ok(TaskStatus {
        phase,
        poll_after: None,
        raw: chat.redact.json_to_keep(raw),
    })
}
