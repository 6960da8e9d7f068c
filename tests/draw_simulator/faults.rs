//! The shared fault knobs on the draw side, answering in its envelope: lost create answers
//! (billed first), injected server errors, capacity and the status-call knobs.

use serde_json::json;

use super::*;
use sora_batch::sim::{AmbiguousAnswer, LOST_ANSWER_MARK};

#[tokio::test]
async fn a_lost_create_answer_is_billed_then_dropped_and_the_next_one_is_answered() {
    let sim = start(quick());
    let body = ask(&format!("{LOST_ANSWER_MARK} shot"));
    let url = format!("{}/v1/video/sora-video", sim.draw_url(Host::Overseas));
    let lost = client()
        .post(&url)
        .bearer_auth("sk-sim")
        .json(&body)
        .send()
        .await;
    assert!(lost.is_err(), "the first answer is lost: {lost:?}");
    created(&sim, &body).await;
    let stats = stats(&sim).await;
    assert_eq!(
        (&stats["ambiguous"], &stats["creates"]),
        (&json!(1), &json!(2))
    );
    assert_eq!(stats["draw"]["credits_billed"], 80);
}

#[tokio::test]
async fn a_lost_answer_as_a_500_is_in_the_draw_envelope() {
    let sim = start(SimSettings {
        ambiguous_answer: AmbiguousAnswer::ServerError,
        ..quick()
    });
    let (status, answer) = create(&sim, &ask(&format!("{LOST_ANSWER_MARK} shot"))).await;
    assert_eq!(
        (status, &answer["code"]),
        (StatusCode::INTERNAL_SERVER_ERROR, &json!(500))
    );
    assert!(answer["msg"].is_string(), "{answer}");
    assert_eq!(stats(&sim).await["draw"]["creates"], 1);
}

#[tokio::test]
async fn injected_server_errors_use_the_draw_envelope() {
    let sim = start(SimSettings {
        fault_rate: 1.0,
        ..quick()
    });
    let mut json_errors = 0;
    for _ in 0..16 {
        let url = format!("{}/v1/draw/result", sim.draw_url(Host::Overseas));
        let Ok(response) = client()
            .post(url)
            .bearer_auth("sk-sim")
            .json(&json!({"id": "x"}))
            .send()
            .await
        else {
            continue;
        };
        assert!(response.status().is_server_error(), "{}", response.status());
        if let Ok(body) = response.json::<Value>().await {
            assert_eq!(
                (&body["code"], body["msg"].is_string()),
                (&json!(500), true),
                "{body}"
            );
            json_errors += 1;
        }
    }
    assert!(json_errors > 0, "no 500 in 16 faults");
    assert_eq!(stats(&sim).await["creates"], 0);
}

#[tokio::test]
async fn at_capacity_a_create_gets_http_429_with_retry_after_and_no_bill() {
    let sim = start(SimSettings {
        capacity: Some(1),
        gen_seconds: GenSeconds(5.0, 5.0),
        ..SimSettings::default()
    });
    created(&sim, &ask("first")).await;
    let url = format!("{}/v1/video/sora-video", sim.draw_url(Host::Overseas));
    let busy = client()
        .post(url)
        .bearer_auth("sk-sim")
        .json(&ask("second"))
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(busy.headers().contains_key("retry-after"));
    let body: Value = busy.json().await.unwrap();
    assert_eq!(body["code"], 429, "{body}");
    let stats = stats(&sim).await;
    assert_eq!(
        (&stats["rate_limited"], &stats["draw"]["credits_billed"]),
        (&json!(1), &json!(40))
    );
}

#[tokio::test]
async fn status_retry_after_covers_both_result_paths_in_the_draw_envelope() {
    let sim = start(SimSettings {
        status_retry_after: Some(Duration::from_secs(3600)),
        ..quick()
    });
    let id = created(&sim, &ask("patience")).await;
    for path in ["/v1/draw/result", "/v1/video/result"] {
        let (status, answer) = post(&sim, path, &json!({"id": id})).await;
        assert_eq!(
            (status, &answer["code"]),
            (StatusCode::TOO_MANY_REQUESTS, &json!(429)),
            "{path}"
        );
        assert!(answer["msg"].is_string(), "{answer}");
    }
}
