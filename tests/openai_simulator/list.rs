//! `GET /videos`: OpenAI's cursor pages of full video objects, this dialect's videos only.

use reqwest::Method;
use serde_json::json;

use super::*;

async fn list(sim: &RunningSim, query: &str) -> (StatusCode, Value) {
    answer(api(sim, Method::GET, &format!("/videos{query}"))).await
}

fn ids(page: &Value) -> Vec<String> {
    let data = page["data"].as_array().expect("a data array");
    data.iter()
        .map(|video| video["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_list_pages_this_dialects_videos_newest_first_with_cursors() {
    let sim = start(quick());
    let mut made = Vec::new();
    for n in 0..3 {
        let body = json!({"prompt": format!("shot {n}"), "seconds": "8", "size": "1280x720"});
        made.push(created(&sim, body).await);
    }
    sim.create_task("a Sora.hk task");
    let (status, first) = list(&sim, "?limit=2").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["object"], "list");
    assert_eq!(ids(&first), [made[2].clone(), made[1].clone()]);
    assert_eq!(
        (&first["first_id"], &first["last_id"]),
        (&json!(made[2]), &json!(made[1]))
    );
    assert_eq!(first["has_more"], true);
    let entry = &first["data"][0];
    assert_eq!(
        (
            &entry["object"],
            &entry["prompt"],
            &entry["model"],
            &entry["seconds"],
            &entry["size"]
        ),
        (
            &json!("video"),
            &json!("shot 2"),
            &json!("sora-2"),
            &json!("8"),
            &json!("1280x720")
        )
    );
    assert!(
        entry["created_at"].is_u64() && entry["remixed_from_video_id"].is_null(),
        "{entry}"
    );
    let (_, second) = list(&sim, &format!("?limit=2&after={}", made[1])).await;
    assert_eq!(ids(&second), [made[0].clone()]);
    assert_eq!(second["has_more"], false);
    let (_, oldest_first) = list(&sim, "?order=asc").await;
    assert_eq!(ids(&oldest_first), made);
    let (_, after_last) = list(&sim, &format!("?after={}", made[0])).await;
    assert_eq!(
        (ids(&after_last).len(), &after_last["first_id"]),
        (0, &json!(null))
    );
    assert_eq!(sim.stats().lists, 4);
}

#[tokio::test]
async fn a_limit_above_100_is_capped() {
    let sim = start(quick());
    for n in 0..101 {
        created(&sim, json!({"prompt": format!("p{n}")})).await;
    }
    let (_, page) = list(&sim, "?limit=1000").await;
    assert_eq!((ids(&page).len(), &page["has_more"]), (100, &json!(true)));
    let (_, page) = list(&sim, "").await;
    assert_eq!(ids(&page).len(), 20, "the default page");
}

#[tokio::test]
async fn a_bad_order_or_an_unknown_cursor_gets_400() {
    let sim = start(quick());
    for (query, param) in [("?order=sideways", "order"), ("?after=video_nope", "after")] {
        let (status, answer) = list(&sim, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(answer["error"]["param"], param, "{answer}");
    }
    let (status, answer) = list(&sim, "?limit=many").await;
    assert_eq!(
        (status, &answer["error"]["type"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_request_error"))
    );
}

#[tokio::test]
async fn a_lost_create_is_found_again_in_the_list_by_what_it_asked_for() {
    let sim = start(quick());
    let body = json!({"model": "sora-2-pro", "prompt": "LOST-ANSWER harbour", "seconds": "12", "size": "1792x1024"});
    let lost = api(&sim, Method::POST, "/videos").json(&body).send().await;
    assert!(lost.is_err(), "{lost:?}");
    let (_, page) = list(&sim, "?order=desc&limit=10").await;
    let found = &page["data"][0];
    for field in ["prompt", "model", "seconds", "size"] {
        assert_eq!(found[field], body[field], "{field}");
    }
    let stats = sim.stats();
    assert_eq!((stats.creates, stats.billed_cents), (1, 600));
}

#[tokio::test]
async fn list_knobs_apply_lag_prompt_chars_and_ignored_cursors() {
    let sim = start(SimSettings {
        list_lag: Some(Duration::from_millis(300)),
        list_prompt_chars: Some(4),
        list_ignores_page: true,
        ..quick()
    });
    let first = created(&sim, json!({"prompt": "abcdefgh"})).await;
    let (_, young) = list(&sim, "").await;
    assert_eq!(
        ids(&young).len(),
        0,
        "a video younger than the lag is listed"
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    let (_, page) = list(&sim, &format!("?after={first}")).await;
    assert_eq!(ids(&page), [first]);
    assert_eq!(page["data"][0]["prompt"], "abcd");
}

#[tokio::test]
async fn a_video_made_by_another_client_is_billed_and_listed_like_any() {
    let sim = start(quick());
    let id = sim.create_video("their shot", "sora-2-pro", "8", "1792x1024");
    let (_, page) = list(&sim, "").await;
    assert_eq!(ids(&page), [id]);
    assert_eq!(page["data"][0]["size"], "1792x1024");
    assert_eq!(sim.stats().billed_cents, 400);
}
