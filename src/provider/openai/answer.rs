//! How OpenAI Videos answers are read: the HTTP status and the `{"error": {message, type,
//! code}}` body mapped to the error class the engine acts on (see `ProviderError`), the
//! video object's statuses (official and gateway spellings) normalised to a `TaskPhase`,
//! the `openai-poll-after-ms` hint, and list entries as `RecentTask`s.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode};
use serde_json::Value;
use url::Url;

use crate::provider::sora_hk::answer::{malformed, request_id_of};
use crate::provider::sora_hk::{orientation, text_field, unix_ms};
use crate::provider::untrusted::{self, Cost, Redactor};
use crate::provider::{
    LONGEST_RETRY_AFTER, MAX_ANSWER_BYTES, ProviderError, RecentPage, RecentTask, TaskPhase,
    capped_body, flexible_number, retry_after,
};
use crate::storyboard::model_is_pro;

/// Maps an answer to its JSON body (redacted as `Redactor::json` does), or to the error
/// class its HTTP status says. `task`: the video a status call asks about, which a 404
/// says the provider does not know. Error messages are the provider's, redacted and made
/// printable.
pub async fn read(
    response: Response,
    redact: &Redactor,
    task: Option<&str>,
) -> Result<Value, ProviderError> {
    let status = response.status();
    let request_id = request_id_of(&response, redact);
    let wait = retry_after(response.headers());
    crate::provider::proxy_refusal(status)?;
    if status == StatusCode::NOT_FOUND
        && let Some(task_id) = task
    {
        return Err(ProviderError::UnknownTask {
            task_id: task_id.to_string(),
            request_id,
        });
    }
    let body = capped_body(response, MAX_ANSWER_BYTES)
        .await
        .map_err(|err| ProviderError::Transient {
            message: err.describe(redact),
            request_id: request_id.clone(),
        })?;
    let parsed = serde_json::from_slice::<Value>(&body).ok();
    if status.is_success() {
        return parsed
            .map(|value| redact.json(value))
            .ok_or_else(|| ProviderError::Transient {
                message: format!("HTTP {status} with {}", redact.excerpt(&body)),
                request_id,
            });
    }
    let error = parsed.as_ref().map(|value| &value["error"]);
    let said = |field: &str| {
        error
            .and_then(|error| error[field].as_str())
            .filter(|text| !text.is_empty())
    };
    let message = match said("message") {
        Some(text) => format!("HTTP {}: {}", status.as_u16(), redact.message(text)),
        None => format!("HTTP {status} with {}", redact.excerpt(&body)),
    };
    let quota = [said("code"), said("type")].contains(&Some("insufficient_quota"));
    Err(match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ProviderError::Unauthorized {
            message,
            variable: super::CAPABILITIES.key_variable,
        },
        // OpenAI says 429 `insufficient_quota`; gateways that sell credits say 402.
        StatusCode::PAYMENT_REQUIRED => ProviderError::OutOfMoney { message },
        StatusCode::TOO_MANY_REQUESTS if quota => ProviderError::OutOfMoney { message },
        StatusCode::TOO_MANY_REQUESTS => ProviderError::RateLimited {
            retry_after: wait,
            request_id,
        },
        // A 503 that says when to come back is a rate limit in all but name.
        StatusCode::SERVICE_UNAVAILABLE if wait.is_some() => ProviderError::RateLimited {
            retry_after: wait,
            request_id,
        },
        StatusCode::REQUEST_TIMEOUT | StatusCode::CONFLICT => ProviderError::Transient {
            message,
            request_id,
        },
        _ if status.is_client_error() => ProviderError::Rejected {
            message,
            request_id,
        },
        _ => ProviderError::Transient {
            message,
            request_id,
        },
    })
}

/// A create's error as the engine must see it: whatever may stand for a created, billed
/// video (a server error, a timeout or conflict status, an answer that could not be read)
/// is ambiguous, so it is looked for rather than simply submitted again.
pub fn create_error(
    err: ProviderError,
    status: StatusCode,
    wait: Option<Duration>,
) -> ProviderError {
    match err {
        ProviderError::Transient { message, .. } => ProviderError::Ambiguous {
            message,
            retry_after: wait,
        },
        ProviderError::RateLimited { .. } if status.is_server_error() => ProviderError::Ambiguous {
            message: format!("HTTP {status}"),
            retry_after: wait,
        },
        other => other,
    }
}

/// The server's hint for the next poll (`openai-poll-after-ms`), at most an hour.
pub fn poll_hint(headers: &HeaderMap) -> Option<Duration> {
    let ms = headers
        .get("openai-poll-after-ms")?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|ms| *ms >= 0.0)?;
    let most = LONGEST_RETRY_AFTER.as_secs_f64();
    Some(Duration::from_secs_f64((ms / 1000.0).min(most)))
}

/// A video object's status, normalised: OpenAI's `queued | in_progress | completed |
/// failed` and the gateways' `pending | processing | succeeded | cancelled | expired`.
/// A completed video is fetched from `content` (its `/content` URL), with the key, unless
/// its `expires_at` has passed by [`EXPIRY_MARGIN_MS`] on the provider's clock
/// (`provider_now_ms`, when known): its content is gone then, and a download could only
/// fail.
pub fn phase(
    video: &Value,
    content: &str,
    redact: &Redactor,
    provider_now_ms: Option<u64>,
) -> Result<TaskPhase, ProviderError> {
    let status = video["status"].as_str().unwrap_or_default();
    let expires_ms = unix_ms(&video["expires_at"]);
    let gone = expires_ms
        .zip(provider_now_ms)
        .is_some_and(|(expires, now)| expires.saturating_add(EXPIRY_MARGIN_MS) < now);
    Ok(match status.trim().to_ascii_lowercase().as_str() {
        "queued" | "pending" | "submitted" => TaskPhase::Queued,
        "in_progress" | "processing" | "running" => TaskPhase::Running {
            progress: flexible_number(&video["progress"]).map(|p| p.clamp(0.0, 100.0) as u8),
        },
        "completed" | "succeeded" | "success" if gone => expired(expires_ms),
        "completed" | "succeeded" | "success" => TaskPhase::Completed {
            video_url: Url::parse(content)
                .map_err(|_| malformed("/videos/{id}", "id", video, redact))?,
            remix_id: text_field(video, "id"),
        },
        "failed" | "error" => TaskPhase::Failed {
            message: failure(video, "the provider gave no reason"),
        },
        "cancelled" | "canceled" => TaskPhase::Failed {
            message: failure(video, "the provider cancelled the video"),
        },
        // Only a finished video expires: its content is gone, so no download can succeed.
        "expired" => expired(expires_ms),
        _ => return Err(malformed("/videos/{id}", "status", video, redact)),
    })
}

/// How long past its `expires_at` a completed video is taken for gone: a wrong verdict
/// loses a paid video, a late one costs a download that fails.
pub const EXPIRY_MARGIN_MS: u64 = 60_000;

/// The final failure of a video whose content expired (at `expires_ms`, when known).
fn expired(expires_ms: Option<u64>) -> TaskPhase {
    let when = expires_ms
        .and_then(|ms| std::time::UNIX_EPOCH.checked_add(Duration::from_millis(ms)))
        .map(|at| format!(" at {}", humantime::format_rfc3339_seconds(at)))
        .unwrap_or_default();
    TaskPhase::Failed {
        message: format!(
            "the video expired at the provider{when} before it was downloaded: its content \
             is deleted (OpenAI keeps videos for a limited time), and a rerun cannot \
             download it either; generating it again pays again: edit the segment, or rerun \
             with --retry-failed"
        ),
    }
}

/// A failed video's reason: the provider's `error.message` and `error.code` (e.g.
/// `moderation_blocked`), printable; `otherwise` when it gives none.
fn failure(video: &Value, otherwise: &str) -> String {
    let text = |field: &str| {
        video["error"][field]
            .as_str()
            .map(str::trim)
            .filter(|text| !text.is_empty())
    };
    let message = text("message").unwrap_or(otherwise);
    let message = crate::ui::escaped(message, untrusted::MAX_MESSAGE_CHARS);
    match text("code") {
        Some(code) => format!("{message} ({})", crate::ui::escaped(code, 60)),
        None => message,
    }
}

/// A list answer (`{"data": [...], "last_id", "has_more"}`, or a bare array): its tasks,
/// and the id the next page starts after (`None`: the list gives no way on).
pub fn page(
    listed: &Value,
    redact: &Redactor,
) -> Result<(RecentPage, Option<String>), ProviderError> {
    // An answer in a shape we do not know must not read as "no videos": that would let a
    // lost create be paid for again.
    let items = listed["data"]
        .as_array()
        .or(listed.as_array())
        .ok_or_else(|| malformed("/videos", "data", listed, redact))?;
    let tasks: Vec<RecentTask> = items
        .iter()
        .filter_map(|item| recent_task(item, redact))
        .collect();
    // The last entry's own id first: ids come through `Redactor::json` as they are, while
    // `last_id` is redacted like any text (a short proxy password inside an id would
    // break it).
    let next = items
        .last()
        .and_then(|item| text_field(item, "id"))
        .or_else(|| text_field(listed, "last_id"));
    let page = RecentPage {
        unreadable: items.len() - tasks.len(),
        tasks,
    };
    Ok((page, next))
}

/// A listed video, or `None` when it cannot be read (it then counts as unreadable: it
/// could be the video looked for). A field in a form this does not know reads as not
/// shown, never as "different". The video object does not show the reference image, nor
/// a cost.
pub fn recent_task(item: &Value, redact: &Redactor) -> Option<RecentTask> {
    Some(RecentTask {
        task_id: text_field(item, "id").and_then(|id| redact.task_id(&id).ok())?,
        prompt: item["prompt"].as_str()?.to_string(),
        created_at_ms: unix_ms(&item["created_at"]),
        is_pro: item["model"].as_str().and_then(model_is_pro),
        duration_seconds: flexible_number(&item["seconds"]).map(|s| s as u32),
        resolution: item["size"].as_str().and_then(listed_shape),
        image_url: None,
        cost_cents: Cost::Unstated,
        remixed_from: match item.get("remixed_from_video_id") {
            Some(Value::Null) => Some(None),
            _ => text_field(item, "remixed_from_video_id").map(Some),
        },
    })
}

/// A listed size as the request's resolution: the two 720p sizes read as
/// `horizontal`/`vertical`; pro's larger sizes, sent only by a segment whose `size` asks
/// for them, are kept as they are (`RecentTask::matches` compares them with that size);
/// anything else as its orientation.
fn listed_shape(size: &str) -> Option<String> {
    match size.trim() {
        large @ ("1792x1024" | "1024x1792") => Some(large.to_string()),
        other => orientation(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CONTENT: &str = "http://api.test/v1/videos/v1/content";

    fn phase_of(video: Value) -> TaskPhase {
        phase(&video, CONTENT, &Redactor::default(), None).unwrap()
    }

    #[test]
    fn official_and_gateway_statuses_mean_the_same_phases() {
        for queued in ["queued", "pending", "Queued"] {
            assert_eq!(phase_of(json!({"status": queued})), TaskPhase::Queued);
        }
        for running in ["in_progress", "processing"] {
            assert_eq!(
                phase_of(json!({"status": running, "progress": "42"})),
                TaskPhase::Running { progress: Some(42) }
            );
        }
        for completed in ["completed", "succeeded"] {
            assert_eq!(
                phase_of(json!({"status": completed})),
                TaskPhase::Completed {
                    video_url: Url::parse(CONTENT).unwrap(),
                    remix_id: None,
                }
            );
        }
        let cancelled = phase_of(json!({"status": "cancelled"}));
        assert!(
            matches!(&cancelled, TaskPhase::Failed { message } if message.contains("cancelled")),
            "{cancelled:?}"
        );
        let expired = phase_of(json!({"status": "expired"}));
        assert!(
            matches!(&expired, TaskPhase::Failed { message } if message.contains("expired")),
            "{expired:?}"
        );
        let unknown = phase(
            &json!({"status": "weird"}),
            CONTENT,
            &Redactor::default(),
            None,
        );
        assert!(matches!(unknown, Err(ProviderError::Transient { .. })));
    }

    #[test]
    fn a_completed_video_past_its_expiry_is_a_failure_naming_it() {
        let video = json!({"status": "completed", "expires_at": 1_795_676_400});
        let at = |now_ms| phase(&video, CONTENT, &Redactor::default(), now_ms).unwrap();
        let expiry_ms = 1_795_676_400_000;
        assert!(
            matches!(at(None), TaskPhase::Completed { .. }),
            "no clock, no verdict"
        );
        let within_margin = at(Some(expiry_ms + EXPIRY_MARGIN_MS));
        assert!(matches!(within_margin, TaskPhase::Completed { .. }));
        let TaskPhase::Failed { message } = at(Some(expiry_ms + EXPIRY_MARGIN_MS + 1)) else {
            panic!("still downloadable")
        };
        assert!(
            message.contains("expired at the provider at 2026-11-26T07:00:00Z"),
            "{message}"
        );
        for said in ["a rerun cannot download it", "--retry-failed"] {
            assert!(message.contains(said), "{said:?} in {message}");
        }
        assert!(!message.contains("  "), "a run of spaces in {message:?}");
    }

    #[test]
    fn a_failure_keeps_the_providers_message_and_code_printable() {
        let failed = phase_of(json!({"status": "failed", "error": {
            "code": "moderation_blocked", "message": "Blocked.\u{1b}[2J"}}));
        let TaskPhase::Failed { message } = failed else {
            panic!("{failed:?}")
        };
        assert!(message.starts_with("Blocked."), "{message}");
        assert!(message.ends_with("(moderation_blocked)"), "{message}");
        assert!(!message.chars().any(char::is_control), "{message:?}");
    }

    /// What `read` makes of an answer with this status, body and headers.
    async fn class_of(status: u16, body: &str, headers: &[(&str, &str)]) -> ProviderError {
        let mut answer = axum::http::Response::builder().status(status);
        for (name, value) in headers {
            answer = answer.header(*name, *value);
        }
        let answer = Response::from(answer.body(body.to_string()).unwrap());
        let redact = Redactor::new(["sk-secret-key-0123456789".to_string()]);
        read(answer, &redact, None).await.unwrap_err()
    }

    fn error(kind: &str, message: &str) -> String {
        json!({"error": {"message": message, "type": kind, "code": kind}}).to_string()
    }

    #[tokio::test]
    async fn each_error_answer_maps_to_the_class_the_engine_acts_on() {
        use ProviderError as E;
        let refused = class_of(400, &error("invalid_request_error", "Bad size."), &[]).await;
        assert!(
            matches!(&refused, E::Rejected { message, .. } if message == "HTTP 400: Bad size."),
            "{refused:?}"
        );
        for status in [401, 403] {
            let echoed = error("invalid_api_key", "Bad key sk-secret-key-0123456789");
            let err = class_of(status, &echoed, &[]).await;
            assert!(
                matches!(&err, E::Unauthorized { message, .. } if message.ends_with("Bad key [redacted]")),
                "{err:?}"
            );
        }
        let broke = class_of(429, &error("insufficient_quota", "Quota."), &[]).await;
        assert!(matches!(broke, E::OutOfMoney { .. }), "{broke:?}");
        let broke = class_of(402, "{}", &[]).await;
        assert!(matches!(broke, E::OutOfMoney { .. }), "{broke:?}");
        let busy = class_of(
            429,
            &error("requests", "Slow."),
            &[("retry-after-ms", "1500")],
        )
        .await;
        assert!(
            matches!(busy, E::RateLimited { retry_after: Some(wait), .. } if wait == Duration::from_millis(1500)),
            "{busy:?}"
        );
        let later = class_of(503, "", &[("retry-after", "3")]).await;
        assert!(matches!(later, E::RateLimited { .. }), "{later:?}");
        let page = "<html><title>502 Bad Gateway</title></html>";
        for (status, body) in [(408, ""), (409, ""), (500, "{}"), (502, page), (503, "")] {
            let err = class_of(status, body, &[]).await;
            assert!(matches!(err, E::Transient { .. }), "{status}: {err:?}");
        }
        let no_list = class_of(404, "", &[]).await;
        assert!(matches!(no_list, E::Rejected { .. }), "{no_list:?}");
    }

    #[test]
    fn a_create_error_that_may_stand_for_a_billed_video_is_ambiguous() {
        let wait = Some(Duration::from_secs(2));
        let transient = ProviderError::Transient {
            message: "HTTP 502".to_string(),
            request_id: None,
        };
        let err = create_error(transient, StatusCode::BAD_GATEWAY, wait);
        assert!(
            matches!(err, ProviderError::Ambiguous { retry_after, .. } if retry_after == wait),
            "{err:?}"
        );
        let limited = || ProviderError::RateLimited {
            retry_after: wait,
            request_id: None,
        };
        let err = create_error(limited(), StatusCode::SERVICE_UNAVAILABLE, wait);
        assert!(matches!(err, ProviderError::Ambiguous { .. }), "{err:?}");
        let err = create_error(limited(), StatusCode::TOO_MANY_REQUESTS, wait);
        assert!(
            matches!(err, ProviderError::RateLimited { .. }),
            "not created: {err:?}"
        );
    }

    #[test]
    fn the_poll_hint_is_read_in_milliseconds_and_bounded() {
        let mut headers = HeaderMap::new();
        assert_eq!(poll_hint(&headers), None);
        headers.insert("openai-poll-after-ms", "2500".parse().unwrap());
        assert_eq!(poll_hint(&headers), Some(Duration::from_millis(2500)));
        headers.insert("openai-poll-after-ms", "1e30".parse().unwrap());
        assert_eq!(poll_hint(&headers), Some(LONGEST_RETRY_AFTER));
        headers.insert("openai-poll-after-ms", "-5".parse().unwrap());
        assert_eq!(poll_hint(&headers), None);
    }

    #[test]
    fn the_next_page_starts_after_the_last_listed_id_as_the_provider_wrote_it() {
        let redact = Redactor::new(["abcd".to_string()]);
        let listed = json!({"data": [{"id": "video_abcd1", "prompt": "p"}],
            "last_id": "video_abcd1", "has_more": true});
        let (page, next) = page(&redact.json(listed), &redact).unwrap();
        assert_eq!(page.tasks.len(), 1);
        assert_eq!(next.as_deref(), Some("video_abcd1"), "not redacted");
        let unknown_shape = json!({"videos": []});
        assert!(
            super::page(&unknown_shape, &redact).is_err(),
            "no \"no videos\""
        );
    }

    #[test]
    fn listed_videos_read_as_requests() {
        let item = json!({"id": "video_1", "prompt": "a fox", "model": "sora-2-pro-2025-12-08",
            "seconds": "8", "size": "720x1280", "created_at": 1_795_676_400});
        let task = recent_task(&item, &Redactor::default()).unwrap();
        assert_eq!(task.is_pro, Some(true));
        assert_eq!(task.duration_seconds, Some(8));
        assert_eq!(task.resolution.as_deref(), Some("vertical"));
        assert_eq!(task.created_at_ms, Some(1_795_676_400_000));
        assert_eq!(task.image_url, None, "the list does not show it");
        assert_eq!(listed_shape("1280x720").as_deref(), Some("horizontal"));
        assert_eq!(
            listed_shape("1792x1024").as_deref(),
            Some("1792x1024"),
            "a size no create of ours sends rules the video out"
        );
        assert_eq!(model_is_pro("sora-2"), Some(false));
        assert_eq!(model_is_pro("veo-3"), None, "an unknown model says nothing");
    }
}
