//! Creates: the id at once with `webHook: "-1"`, a stream without it, the checks as
//! envelope errors (HTTP 200, or the code's status with `--draw-error-status`), credits
//! billed per size (`--draw-price-*`) and refused beyond `--draw-credits`.

use serde_json::json;

use super::*;

#[tokio::test]
async fn a_create_with_webhook_answers_its_id_at_once_and_bills_credits_by_size() {
    let sim = start(quick());
    created(&sim, &ask("small one")).await;
    let mut large = ask("large one");
    large["size"] = json!("large");
    created(&sim, &large).await;
    assert_eq!(credits_left(&sim).await, 1_000_000 - 40 - 120);
    let stats = stats(&sim).await;
    assert_eq!(stats["creates"], 2);
    assert_eq!(stats["draw"]["creates"], 2);
    assert_eq!(stats["draw"]["credits_billed"], 160);
    assert_eq!(stats["draw"]["stream_creates"], 0);
    assert_eq!(stats["billed_cents"], 0, "draw tasks are billed in credits");
}

#[tokio::test]
async fn wrong_parameters_and_keys_are_envelope_errors_with_http_200() {
    let sim = start(quick());
    let mut wrong = ask("cat");
    wrong["duration"] = json!(12);
    let (status, answer) = create(&sim, &wrong).await;
    assert_eq!((status, &answer["code"]), (StatusCode::OK, &json!(400)));
    assert!(
        answer["msg"].as_str().unwrap().contains("duration"),
        "{answer}"
    );
    let url = format!("{}/v1/video/sora-video", sim.draw_url(Host::Overseas));
    let response = client().post(url).bearer_auth("sk-wrong").json(&ask("cat"));
    let response = response.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["code"], 401, "{answer}");
    let stats = stats(&sim).await;
    assert_eq!(
        (&stats["bad_requests"], &stats["unauthorized"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(stats["creates"], 0);
}

#[tokio::test]
async fn draw_error_status_gives_envelope_errors_their_http_status() {
    let sim = start(drawing(DrawSettings {
        draw_error_status: true,
        draw_credits: Some(10),
        ..DrawSettings::default()
    }));
    let mut wrong = ask("cat");
    wrong["size"] = json!("720p");
    let (status, answer) = create(&sim, &wrong).await;
    assert_eq!(
        (status, &answer["code"]),
        (StatusCode::BAD_REQUEST, &json!(400))
    );
    let (status, answer) = create(&sim, &ask("cat")).await;
    assert_eq!(
        (status, &answer["code"]),
        (StatusCode::PAYMENT_REQUIRED, &json!(402))
    );
    let (status, answer) = post(&sim, "/v1/draw/result", &json!({"id": "nope"})).await;
    assert_eq!(
        (status, &answer["code"]),
        (StatusCode::NOT_FOUND, &json!(404))
    );
}

#[tokio::test]
async fn without_webhook_the_answer_is_a_stream_of_data_lines_ending_in_the_final_state() {
    let sim = start(SimSettings {
        gen_seconds: GenSeconds(4.0, 4.0),
        ..SimSettings::default()
    });
    let streamed = |shut_progress: bool| {
        let mut body = ask("forgot the webhook");
        body.as_object_mut().unwrap().remove("webHook");
        body["shutProgress"] = json!(shut_progress);
        let url = format!("{}/v1/video/sora-video", sim.draw_url(Host::Overseas));
        client().post(url).bearer_auth("sk-sim").json(&body).send()
    };
    let lines = |text: String| -> Vec<Value> {
        let lines = text.lines().filter(|line| !line.is_empty());
        let data = lines.map(|line| line.strip_prefix("data: ").expect("a data: line"));
        data.map(|json| serde_json::from_str(json).expect("JSON"))
            .collect()
    };
    let with_progress = lines(streamed(false).await.unwrap().text().await.unwrap());
    assert!(with_progress.len() >= 3, "{with_progress:?}");
    assert_eq!(with_progress[0]["status"], "running");
    let last = with_progress.last().unwrap();
    assert_eq!(
        (&last["status"], &last["progress"]),
        (&json!("succeeded"), &json!(100))
    );
    assert!(
        last["results"][0]["url"]
            .as_str()
            .unwrap()
            .ends_with(".mp4"),
        "{last}"
    );
    let only_last = lines(streamed(true).await.unwrap().text().await.unwrap());
    assert_eq!(only_last.len(), 1, "{only_last:?}");
    assert_eq!(only_last[0]["status"], "succeeded");
    assert_eq!(stats(&sim).await["draw"]["stream_creates"], 2);
}

#[tokio::test]
async fn creates_beyond_the_credits_get_code_402_and_bill_nothing() {
    let sim = start(drawing(DrawSettings {
        draw_credits: Some(100),
        draw_price_small: 30,
        draw_price_large: 90,
        ..DrawSettings::default()
    }));
    assert_eq!(credits_left(&sim).await, 100);
    created(&sim, &ask("one")).await;
    created(&sim, &ask("two")).await;
    let mut large = ask("three");
    large["size"] = json!("large");
    let (status, answer) = create(&sim, &large).await;
    assert_eq!(
        (status, &answer["code"]),
        (StatusCode::OK, &json!(402)),
        "{answer}"
    );
    assert!(
        answer["msg"]
            .as_str()
            .unwrap()
            .contains("insufficient credits: 40 left"),
        "{answer}"
    );
    created(&sim, &ask("four")).await;
    let (_, answer) = create(&sim, &ask("five")).await;
    assert_eq!(answer["code"], 402, "{answer}");
    assert_eq!(credits_left(&sim).await, 10);
    let stats = stats(&sim).await;
    assert_eq!(
        (&stats["creates"], &stats["draw"]["out_of_credits"]),
        (&json!(3), &json!(2))
    );
    assert_eq!(stats["draw"]["credits_billed"], 90);
}

#[tokio::test]
async fn credits_and_model_status_answer_in_the_envelope() {
    let sim = start(quick());
    let path = "/client/openapi/getAPIKeyCredits";
    let (status, answer) = post(&sim, path, &json!({"apiKey": "sk-other"})).await;
    assert_eq!(
        (status, &answer["code"]),
        (StatusCode::OK, &json!(401)),
        "{answer}"
    );
    assert_eq!(credits_left(&sim).await, 1_000_000);
    let url = format!(
        "{}/client/common/getModelStatus",
        sim.draw_url(Host::Domestic)
    );
    let up: Value = client()
        .get(format!("{url}?model=sora-2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&up["code"], &up["data"]["status"]),
        (&json!(0), &json!(true)),
        "{up}"
    );
    let other: Value = client()
        .get(format!("{url}?model=sora-9"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other["code"], 404, "{other}");
    let stats = stats(&sim).await;
    assert_eq!(stats["draw"]["credit_queries"], 2);
    assert_eq!(stats["draw"]["model_status_queries"], 2);
}
