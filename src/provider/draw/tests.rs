//! The draw dialect's answers read without a server: envelopes (plain and as `data:`
//! lines), their codes as error classes, and results in both field spellings.

use serde_json::{Value, json};

use super::answer::{Envelope, Reply, envelope_of, phase};
use crate::provider::{ProviderError, Redactor, TaskPhase};

fn redact() -> Redactor {
    Redactor::new(["sk-secret-key".to_string()])
}

#[test]
fn an_envelope_is_read_plain_or_from_the_last_complete_data_line() {
    let plain = envelope_of(br#"{"code": 0, "msg": "success", "data": {"id": "t1"}}"#).unwrap();
    assert_eq!(
        plain,
        Envelope {
            code: 0,
            msg: "success".to_string(),
            data: json!({"id": "t1"}),
        }
    );
    let stream = b"data: {\"id\": \"t2\", \"status\": \"running\", \"progress\": 10}\n\n\
        data: {\"id\": \"t2\", \"status\": \"running\", \"progress\": 50}\n\ndata: {\"id\": \"t2\", \"sta";
    let last = envelope_of(stream).unwrap();
    assert_eq!((last.code, &last.data["progress"]), (0, &json!(50)));
    let enveloped =
        envelope_of(b"data: {\"code\": 402, \"msg\": \"no credits\", \"data\": null}\n").unwrap();
    assert_eq!(enveloped.code, 402);
    assert_eq!(envelope_of(b"404 page not found"), None);
    assert_eq!(envelope_of(br#"{"id": "no code"}"#), None);
    assert_eq!(
        envelope_of(br#"{"code": "500", "msg": "x"}"#).unwrap().code,
        500
    );
}

#[test]
fn the_standard_spelling_gives_the_link_and_the_pid() {
    let data = json!({"id": "t1", "status": "succeeded", "progress": 100,
        "results": [{"url": "https://cdn.example/v.mp4", "pid": "s_abc", "removeWatermark": true}],
        "failure_reason": "", "error": ""});
    match phase(&data, &redact()).unwrap() {
        TaskPhase::Completed {
            video_url,
            remix_id,
        } => {
            assert_eq!(video_url.as_str(), "https://cdn.example/v.mp4");
            assert_eq!(remix_id.as_deref(), Some("s_abc"));
        }
        other => panic!("{other:?}"),
    }
    let running = json!({"id": "t1", "status": "running", "progress": "40"});
    assert_eq!(
        phase(&running, &redact()).unwrap(),
        TaskPhase::Running { progress: Some(40) }
    );
}

#[test]
fn the_reseller_spelling_gives_the_link_the_pid_and_pending() {
    let data = json!({"id": "t1", "status": "succeeded", "result_url": null,
        "result_urls": ["https://cdn.example/r.mp4"], "result_pid": "s_def"});
    match phase(&data, &redact()).unwrap() {
        TaskPhase::Completed {
            video_url,
            remix_id,
        } => {
            assert_eq!(video_url.as_str(), "https://cdn.example/r.mp4");
            assert_eq!(remix_id.as_deref(), Some("s_def"));
        }
        other => panic!("{other:?}"),
    }
    let pending = json!({"id": "t1", "status": "pending", "progress": 0});
    assert_eq!(phase(&pending, &redact()).unwrap(), TaskPhase::Queued);
}

#[test]
fn a_failure_says_its_reason_and_its_refund() {
    let standard = json!({"status": "failed", "failure_reason": "input_moderation",
        "error": "the prompt was blocked"});
    let reseller = json!({"status": "failed", "error_message": "server busy",
        "credits_refunded": 40});
    let message = |data: &Value| match phase(data, &redact()).unwrap() {
        TaskPhase::Failed { message } => message,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        message(&standard),
        "the prompt was blocked (input_moderation)"
    );
    assert_eq!(message(&reseller), "server busy; 40 credits refunded");
    assert_eq!(
        message(&json!({"status": "failed"})),
        "the provider gave no reason"
    );
}

#[test]
fn a_success_without_a_link_or_with_an_unknown_status_is_no_answer_to_act_on() {
    let no_link = json!({"status": "succeeded", "results": []});
    assert!(phase(&no_link, &redact()).is_err());
    let odd = json!({"status": "exploded"});
    assert!(phase(&odd, &redact()).is_err());
}

#[test]
fn a_nonzero_code_is_an_error_whatever_the_http_status_and_names_draw_api_key() {
    let class =
        |status: u16, body: &str, task: Option<&str>| match Reply::of(status, body.as_bytes())
            .data(&redact(), task)
        {
            Ok(data) => format!("ok {data}"),
            Err(ProviderError::Unauthorized { variable, .. }) => format!("unauthorized {variable}"),
            Err(ProviderError::OutOfMoney { .. }) => "out of money".to_string(),
            Err(ProviderError::UnknownTask { .. }) => "unknown task".to_string(),
            Err(ProviderError::RateLimited { .. }) => "rate limited".to_string(),
            Err(ProviderError::Transient { .. }) => "transient".to_string(),
            Err(ProviderError::Rejected { message, .. }) => format!("rejected {message}"),
            Err(other) => format!("{other:?}"),
        };
    assert_eq!(
        class(200, r#"{"code": 0, "data": {"id": "t"}}"#, None),
        r#"ok {"id":"t"}"#
    );
    assert_eq!(
        class(200, r#"{"code": 401, "msg": "invalid api key"}"#, None),
        "unauthorized DRAW_API_KEY"
    );
    assert_eq!(
        class(200, r#"{"code": 402, "msg": "no credits"}"#, None),
        "out of money"
    );
    assert_eq!(
        class(404, r#"{"code": 404, "msg": "gone"}"#, Some("t")),
        "unknown task"
    );
    assert_eq!(
        class(200, r#"{"code": 429, "msg": "busy"}"#, None),
        "rate limited"
    );
    assert_eq!(
        class(200, r#"{"code": 500, "msg": "oops"}"#, None),
        "transient"
    );
    assert_eq!(
        class(502, r#"{"code": -1, "msg": "bad gateway"}"#, None),
        "transient"
    );
    assert_eq!(
        class(
            200,
            r#"{"code": -1, "msg": "prompt sk-secret-key refused"}"#,
            None
        ),
        "rejected code -1: prompt [redacted] refused"
    );
    assert_eq!(
        class(200, r#"{"code": 0, "data": {"id": "t"}}"#, Some("t")),
        r#"ok {"id":"t"}"#
    );
    assert!(class(400, "<html>bad</html>", None).starts_with("rejected HTTP 400"));
    assert_eq!(class(502, "<html>bad</html>", None), "transient");
}
