//! Remixes and characters: a `remixTargetId` is checked against the pids the simulator
//! issued (a finished video of this key, else the task fails and is refunded), and each
//! remix is recorded in order in `/__stats` so chain order can be asserted; `characters`
//! are checked and counted.

use serde_json::json;

use super::*;

fn remix(prompt: &str, target: &str) -> Value {
    let mut body = ask(prompt);
    body["remixTargetId"] = json!(target);
    body
}

#[tokio::test]
async fn a_chain_of_remixes_of_finished_videos_succeeds_and_is_recorded_in_order() {
    let sim = start(quick());
    let first = created(&sim, &ask("shot 1")).await;
    let first_pid = wait_for_end(&sim, &first).await["results"][0]["pid"].clone();
    let first_pid = first_pid.as_str().expect("a pid").to_string();
    assert!(first_pid.starts_with("s_"), "{first_pid}");
    let second = created(&sim, &remix("shot 2", &first_pid)).await;
    let second_end = wait_for_end(&sim, &second).await;
    assert_eq!(second_end["status"], "succeeded", "{second_end}");
    let second_pid = second_end["results"][0]["pid"]
        .as_str()
        .unwrap()
        .to_string();
    let third = created(&sim, &remix("shot 3", &second_pid)).await;
    assert_eq!(wait_for_end(&sim, &third).await["status"], "succeeded");
    let remixes = stats(&sim).await["draw"]["remixes"].clone();
    assert_eq!(
        remixes,
        json!([
            {"task_id": second, "prompt": "shot 2", "target": first_pid, "source_task": first, "accepted": true},
            {"task_id": third, "prompt": "shot 3", "target": second_pid, "source_task": second, "accepted": true},
        ])
    );
}

#[tokio::test]
async fn a_remix_of_an_unknown_or_unfinished_video_fails_and_is_refunded() {
    let sim = start(SimSettings {
        gen_seconds: GenSeconds(3.0, 3.0),
        ..SimSettings::default()
    });
    let unknown = created(&sim, &remix("made up", "s_0123456789abcdef")).await;
    let (running, running_pid) = sim.create_draw_video("elsewhere");
    let early = created(&sim, &remix("too early", &running_pid)).await;
    for id in [&unknown, &early] {
        let end = wait_for_end(&sim, id).await;
        assert_eq!(
            (&end["status"], &end["failure_reason"]),
            (&json!("failed"), &json!("error"))
        );
        assert!(
            end["error"].as_str().unwrap().contains("remixTargetId"),
            "{end}"
        );
    }
    let finished = wait_for_end(&sim, &running).await;
    assert_eq!(finished["results"][0]["pid"], running_pid.as_str());
    let late = created(&sim, &remix("in time", &running_pid)).await;
    assert_eq!(wait_for_end(&sim, &late).await["status"], "succeeded");
    let stats = stats(&sim).await;
    let accepted: Vec<&Value> = stats["draw"]["remixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["accepted"])
        .collect();
    assert_eq!(accepted, [&json!(false), &json!(false), &json!(true)]);
    assert_eq!(stats["draw"]["remixes"][0]["source_task"], Value::Null);
    assert_eq!(stats["draw"]["credits_billed"], 4 * 40);
    assert_eq!(stats["draw"]["credits_refunded"], 2 * 40);
    assert_eq!(credits_left(&sim).await, 1_000_000 - 2 * 40);
}

#[tokio::test]
async fn characters_are_checked_and_counted() {
    let sim = start(quick());
    let mut with = ask("two friends");
    with["characters"] = json!([
        {"url": "https://cdn.example/a.mp4", "timestamps": "0,3"},
        {"url": "https://cdn.example/b.mp4", "timestamps": "1.5,4"},
    ]);
    created(&sim, &with).await;
    with["characters"][1]["timestamps"] = json!("start");
    let (_, answer) = create(&sim, &with).await;
    assert_eq!(answer["code"], 400, "{answer}");
    assert!(
        answer["msg"]
            .as_str()
            .unwrap()
            .contains("characters[1].timestamps"),
        "{answer}"
    );
    let stats = stats(&sim).await;
    assert_eq!(
        (
            &stats["draw"]["character_creates"],
            &stats["draw"]["characters"]
        ),
        (&json!(1), &json!(2))
    );
}
