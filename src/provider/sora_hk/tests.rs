//! The dialect against the simulator at its most hostile: answers that echo the key with
//! escape codes, ids that try to walk paths, costs no task has.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::provider::http_client;
use crate::sim::{self, GenSeconds, RunningSim, SimSettings};

const KEY: &str = "sk-test-3c0ffee-d1s71nct1ve";

async fn start(settings: SimSettings) -> RunningSim {
    sim::start(SimSettings {
        api_keys: vec![crate::sim::SimKey::new(KEY)],
        seed: Some(11),
        ..settings
    })
    .await
    .expect("the simulator starts")
}

fn client(sim: &RunningSim) -> SoraHk {
    client_with_deadline(sim, Duration::from_secs(5))
}

fn client_with_deadline(sim: &RunningSim, deadline: Duration) -> SoraHk {
    let base = Url::parse(&sim.base_url()).unwrap();
    let redact = Redactor::new([KEY.to_string()]);
    SoraHk::new(
        http_client(Duration::from_secs(5)),
        &base,
        ApiKey::new(KEY),
        redact,
        deadline,
    )
}

fn segment(duration_seconds: u32) -> Segment {
    Segment {
        duration_seconds,
        ..Segment::example("a red fox")
    }
}

fn assert_clean(text: &str) {
    assert!(!text.contains(KEY), "the key leaked: {text}");
    assert!(
        !text.chars().any(char::is_control),
        "a control character got through: {text:?}"
    );
}

#[tokio::test]
async fn server_errors_that_echo_the_key_come_out_redacted_and_printable() {
    let sim = start(SimSettings {
        echo_key: true,
        fault_rate: 1.0,
        ..SimSettings::default()
    })
    .await;
    let client = client(&sim);
    let mut messages = Vec::new();
    for _ in 0..12 {
        messages.push(client.get_pricing().await.unwrap_err().to_string());
        messages.push(client.create(&segment(10)).await.unwrap_err().to_string());
        messages.push(client.task("task_1").await.unwrap_err().to_string());
        messages.push(client.list(1).await.unwrap_err().to_string());
    }
    let echoed = messages.iter().filter(|m| m.contains("[redacted]")).count();
    assert!(
        echoed > 5,
        "the faults should have echoed the key: {messages:#?}"
    );
    for message in &messages {
        assert_clean(message);
    }
}

#[tokio::test]
async fn refusals_and_failed_tasks_that_echo_the_key_come_out_redacted_and_printable() {
    let sim = start(SimSettings {
        echo_key: true,
        fail_rate: 1.0,
        gen_seconds: GenSeconds(0.05, 0.05),
        balance: Some(sim::NORMAL_PRICE),
        ..SimSettings::default()
    })
    .await;
    let client = client(&sim);
    let bad_parameter = client.create(&segment(25)).await.unwrap_err();
    assert!(
        matches!(bad_parameter, ProviderError::Rejected { .. }),
        "{bad_parameter:?}"
    );
    assert_clean(&bad_parameter.to_string());
    let accepted = client.create(&segment(10)).await.unwrap();
    let no_money = client.create(&segment(10)).await.unwrap_err();
    assert!(
        matches!(no_money, ProviderError::OutOfMoney { .. }),
        "{no_money:?}"
    );
    assert_clean(&no_money.to_string());
    let failed = loop {
        let status = client.task(&accepted.task_id).await.unwrap();
        if let TaskPhase::Failed { message } = status.phase {
            assert!(!status.raw.to_string().contains(KEY), "{}", status.raw);
            break message;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(failed.contains("[redacted]"), "{failed}");
    assert_clean(&failed);
}

#[tokio::test]
async fn a_task_id_is_sent_as_one_path_segment() {
    let sim = start(SimSettings::default()).await;
    let client = client(&sim);
    // Unencoded, `../balance` would reach GET /v1/balance and read as a malformed status.
    let walked = client.task("../balance").await.unwrap_err();
    assert!(
        matches!(&walked, ProviderError::UnknownTask { task_id, .. } if task_id == "../balance"),
        "{walked:?}"
    );
    // `..` cannot be one segment at all: URL parsers drop or resolve it.
    let folder = client.task("..").await.unwrap_err();
    assert!(
        matches!(folder, ProviderError::Rejected { .. }),
        "{folder:?}"
    );
}

#[test]
fn listed_tasks_with_unusable_ids_are_skipped() {
    let item = |id: Value| json!({"task_id": id, "prompt": "p", "created_at": 1});
    let redact = Redactor::new(["sk-live-secret".to_string()]);
    assert!(recent_task(&item(json!("task_1")), &redact).is_some());
    assert!(recent_task(&item(json!(42)), &redact).is_some());
    for bad in ["..", "a\u{1b}[2Jb", "", "t-sk-live-secret"] {
        assert!(recent_task(&item(json!(bad)), &redact).is_none(), "{bad:?}");
    }
}

#[tokio::test]
async fn reported_costs_count_only_within_the_sane_range() {
    for (reported, expected) in [
        ("7", Cost::Cents(7)),
        ("-1000", Cost::Implausible("-1000".to_string())),
        ("1e300", Cost::Implausible("1e+300".to_string())),
        ("abc", Cost::Implausible("\"abc\"".to_string())),
    ] {
        let sim = start(SimSettings {
            task_cost: Some(reported.to_string()),
            ..SimSettings::default()
        })
        .await;
        let client = client(&sim);
        let accepted = client.create(&segment(10)).await.unwrap();
        assert_eq!(accepted.cost_cents, expected, "create, {reported}");
        let listed = client.list(1).await.unwrap();
        assert_eq!(listed.tasks[0].cost_cents, expected, "list, {reported}");
        assert_eq!(
            sim.stats().billed_cents,
            sim::NORMAL_PRICE,
            "billing is unchanged"
        );
    }
}

#[test]
fn listed_shapes_in_any_spelling_read_as_orientations() {
    for (listed, read) in [
        ("horizontal", Some("horizontal")),
        ("Landscape", Some("horizontal")),
        ("16:9", Some("horizontal")),
        ("1280x720", Some("horizontal")),
        ("vertical", Some("vertical")),
        ("portrait", Some("vertical")),
        ("720x1280", Some("vertical")),
        ("9:16", Some("vertical")),
        ("square", None),
        ("1024x1024", None),
    ] {
        assert_eq!(orientation(listed).as_deref(), read, "{listed}");
    }
}

#[test]
fn listed_times_without_a_zone_are_of_unknown_age() {
    let at = |text: &str| unix_ms(&json!(text));
    assert_eq!(at("2026-11-26T07:00:00Z"), Some(1_795_676_400_000));
    assert_eq!(at("2026-11-26T15:00:00+08:00"), Some(1_795_676_400_000));
    assert_eq!(at("2026-11-26 02:00:00-05:00"), Some(1_795_676_400_000));
    assert_eq!(at("2026-11-26T07:00:00"), None, "which zone?");
    assert_eq!(at("2026-11-26 07:00:00"), None);
    assert_eq!(unix_ms(&json!(1_795_676_400)), Some(1_795_676_400_000));
    assert_eq!(unix_ms(&json!("1795676400000")), Some(1_795_676_400_000));
}

#[tokio::test]
async fn a_trickled_status_answer_ends_at_the_calls_deadline() {
    // Each byte comes well within the client's 5 s idle timeout, so only a deadline on
    // the whole call ends it; without one the status arrives, seconds later, as an answer.
    let sim = start(SimSettings {
        trickle_status: Some(Duration::from_millis(50)),
        ..SimSettings::default()
    })
    .await;
    let task_id = sim.create_task("a red fox");
    let client = client_with_deadline(&sim, Duration::from_millis(300));
    let error = client.task(&task_id).await.unwrap_err();
    assert!(
        matches!(&error, ProviderError::Transient { message, .. } if message.contains("did not arrive whole within --request-timeout")),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_endless_status_answer_is_a_transient_error_not_a_memory_hog() {
    let sim = start(SimSettings {
        endless_body: Some(sim::EndlessBody::Status),
        ..SimSettings::default()
    })
    .await;
    let client = client(&sim);
    let accepted = client.create(&segment(10)).await.unwrap();
    let err = client.task(&accepted.task_id).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::Transient { message, .. } if message.contains("larger than 1.00 MiB")),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_endless_create_answer_is_ambiguous_since_the_task_is_billed() {
    let sim = start(SimSettings {
        endless_body: Some(sim::EndlessBody::Create),
        ..SimSettings::default()
    })
    .await;
    let err = client(&sim).create(&segment(10)).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::Ambiguous { message, .. } if message.contains("larger than 1.00 MiB")),
        "{err:?}"
    );
    assert_eq!(sim.stats().creates, 1, "the create was billed");
}

#[tokio::test]
async fn a_huge_status_answer_is_kept_only_as_a_bounded_excerpt() {
    let sim = start(SimSettings {
        status_padding: Some(900_000),
        ..SimSettings::default()
    })
    .await;
    let client = client(&sim);
    let accepted = client.create(&segment(10)).await.unwrap();
    let status = client.task(&accepted.task_id).await.unwrap();
    let kept = status.raw.to_string();
    assert!(kept.len() < 20_000, "{} bytes kept", kept.len());
    assert_eq!(
        status.raw["task_id"],
        accepted.task_id.as_str(),
        "small fields stay"
    );
    assert!(status.raw["padding"].as_str().unwrap().ends_with('…'));
}

/// A server that answers every request with `answer`, for envelopes the simulator never
/// sends.
async fn canned(answer: String) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0; 4096];
            let _ = socket.read(&mut request).await;
            let _ = socket.write_all(answer.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    Url::parse(&format!("http://{addr}/v1")).unwrap()
}

fn canned_client(base: &Url) -> SoraHk {
    let http = http_client(Duration::from_secs(5));
    SoraHk::new(
        http,
        base,
        ApiKey::new(KEY),
        Redactor::default(),
        Duration::from_secs(5),
    )
}

#[tokio::test]
async fn a_404_in_the_text_of_a_refusal_is_no_unknown_task() {
    let body = r#"{"code": 1001, "message": "segment 404 is not ready", "data": null}"#;
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let base = canned(answer).await;
    let err = canned_client(&base).task("t1").await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::Rejected { message, .. } if message.contains("segment 404")),
        "{err:?}"
    );
    // The envelope's own code 404 does mean an unknown task.
    let body = r#"{"code": 404, "message": "no such thing", "data": null}"#;
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let base = canned(answer).await;
    let err = canned_client(&base).task("t1").await.unwrap_err();
    assert!(matches!(err, ProviderError::UnknownTask { .. }), "{err:?}");
}

#[tokio::test]
async fn its_capabilities_say_what_its_calls_do() {
    let sim = start(SimSettings::default()).await;
    let client = client(&sim);
    let said = client.capabilities();
    assert_eq!(said, &CAPABILITIES);
    assert_eq!(said.live_prices.is_some(), client.pricing().is_some());
    assert_eq!(said.has_balance, client.balance().is_some());
    assert_eq!(said.download_needs_key, client.download_auth().is_some());
    assert!(said.lists_tasks, "GET /tasks finds a lost create again");
    // The documented `GET /pricing` answer is the price model's.
    let pricing = client.pricing().unwrap().await.unwrap();
    assert_eq!(
        said.price_model,
        PriceModel::PerTask(Prices {
            normal_cents: pricing.normal_cents,
            pro_cents: pricing.pro_cents,
            pro_large_cents: None,
        })
    );
}
