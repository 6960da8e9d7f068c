//! Results: the standard spelling and the reseller's (`--draw-spelling`), both paths or
//! one (`--draw-result-path`), refunds of failed tasks, and the videos as plain CDN links.

use serde_json::json;

use super::*;

#[tokio::test]
async fn the_standard_spelling_goes_running_then_succeeded_with_a_url_and_pid() {
    let sim = start(SimSettings {
        gen_seconds: GenSeconds(4.0, 4.0),
        ..SimSettings::default()
    });
    let id = created(&sim, &ask("lighthouse")).await;
    let early = result(&sim, &id).await;
    assert_eq!(
        (&early["id"], &early["status"], &early["progress"]),
        (&json!(id), &json!("running"), &json!(0))
    );
    assert_eq!(early["results"], json!([]));
    let done = wait_for_end(&sim, &id).await;
    assert_eq!(
        (&done["status"], &done["progress"]),
        (&json!("succeeded"), &json!(100))
    );
    assert_eq!(
        (&done["failure_reason"], &done["error"]),
        (&json!(""), &json!(""))
    );
    assert!(
        done["results"][0]["pid"]
            .as_str()
            .unwrap()
            .starts_with("s_"),
        "{done}"
    );
    // A plain CDN link: no key.
    let url = done["results"][0]["url"].as_str().unwrap();
    let video = client().get(url).send().await.unwrap();
    assert_eq!(video.status(), StatusCode::OK);
    assert_eq!(&video.bytes().await.unwrap()[4..8], b"ftyp");
}

#[tokio::test]
async fn the_reseller_spelling_names_result_url_pid_and_credits_refunded() {
    let sim = start(SimSettings {
        gen_seconds: GenSeconds(4.0, 4.0),
        draw: DrawSettings {
            draw_spelling: sim::Spelling::Reseller,
            ..DrawSettings::default()
        },
        ..SimSettings::default()
    });
    let id = created(&sim, &ask("harbour")).await;
    let blocked = created(&sim, &ask("FORBIDDEN harbour")).await;
    let early = result(&sim, &id).await;
    assert_eq!(
        (&early["status"], &early["result_url"]),
        (&json!("pending"), &Value::Null)
    );
    let done = wait_for_end(&sim, &id).await;
    let url = done["result_url"].as_str().expect("result_url");
    assert_eq!(done["result_urls"], json!([url]));
    assert!(
        done["result_pid"].as_str().unwrap().starts_with("s_"),
        "{done}"
    );
    assert_eq!(
        (&done["credits_refunded"], &done["error_message"]),
        (&json!(0), &Value::Null)
    );
    assert!(done.get("results").is_none(), "{done}");
    let failed = wait_for_end(&sim, &blocked).await;
    assert_eq!(
        (&failed["status"], &failed["credits_refunded"]),
        (&json!("failed"), &json!(40))
    );
    assert!(
        failed["error_message"]
            .as_str()
            .unwrap()
            .contains("content policy"),
        "{failed}"
    );
}

#[tokio::test]
async fn draw_result_path_leaves_only_one_path_and_the_other_answers_404() {
    for (only, gone) in [("video", "/v1/draw/result"), ("draw", "/v1/video/result")] {
        let path = match only {
            "video" => sim::ResultPath::Video,
            _ => sim::ResultPath::Draw,
        };
        let sim = start(drawing(DrawSettings {
            draw_result_path: path,
            ..DrawSettings::default()
        }));
        let id = created(&sim, &ask("one path")).await;
        let (status, _) = post(&sim, gone, &json!({"id": id})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{gone}");
        let kept = format!("/v1/{only}/result");
        let (status, answer) = post(&sim, &kept, &json!({"id": id})).await;
        assert_eq!(
            (status, &answer["code"]),
            (StatusCode::OK, &json!(0)),
            "{answer}"
        );
        let stats = stats(&sim).await;
        assert_eq!(stats["draw"]["wrong_result_path"], 1);
        assert_eq!(stats["draw"]["result_calls"], json!({kept: 1}));
    }
}

#[tokio::test]
async fn failed_tasks_give_their_credits_back() {
    // Failing after seconds: the credits are read before any refund.
    let sim = start(SimSettings {
        fail_rate: 1.0,
        gen_seconds: GenSeconds(4.0, 4.0),
        ..drawing(DrawSettings {
            draw_credits: Some(100),
            ..DrawSettings::default()
        })
    });
    let plain = created(&sim, &ask("doomed")).await;
    let blocked = created(&sim, &ask("FORBIDDEN doomed")).await;
    assert_eq!(credits_left(&sim).await, 20);
    let plain = wait_for_end(&sim, &plain).await;
    assert_eq!(
        (&plain["status"], &plain["failure_reason"]),
        (&json!("failed"), &json!("error"))
    );
    let blocked = wait_for_end(&sim, &blocked).await;
    assert_eq!(blocked["failure_reason"], "input_moderation");
    assert_eq!(credits_left(&sim).await, 100);
    let stats = stats(&sim).await;
    assert_eq!(
        (
            &stats["draw"]["credits_billed"],
            &stats["draw"]["credits_refunded"]
        ),
        (&json!(80), &json!(80))
    );
}

#[tokio::test]
async fn an_unknown_task_is_code_404_and_another_dialects_task_is_unknown() {
    let sim = start(quick());
    let (status, answer) = post(&sim, "/v1/video/result", &json!({"id": "task_missing"})).await;
    assert_eq!(
        (status, &answer["code"]),
        (StatusCode::OK, &json!(404)),
        "{answer}"
    );
    let sora_hk = sim.create_task("a Sora.hk task");
    let (_, answer) = post(&sim, "/v1/draw/result", &json!({"id": sora_hk})).await;
    assert_eq!(answer["code"], 404, "{answer}");
}
