//! The provider simulator, spoken to with a real HTTP client over loopback: protocol
//! shapes, capacity, every fault knob, Range answers and the counters.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

fn start(settings: SimSettings) -> RunningSim {
    sim::start_on_thread(SimSettings {
        seed: Some(7),
        ..settings
    })
    .expect("the simulator starts")
}

fn quick() -> SimSettings {
    SimSettings {
        gen_seconds: GenSeconds(0.3, 0.3),
        ..SimSettings::default()
    }
}

fn client() -> reqwest::Client {
    sora_batch::provider::http_client(Duration::from_secs(10))
}

async fn call(
    sim: &RunningSim,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let url = format!("{}{path}", sim.base_url());
    let request = match method {
        "POST" => client().post(url).json(&body.unwrap_or(Value::Null)),
        _ => client().get(url),
    };
    let response = request
        .bearer_auth("sk-sim")
        .send()
        .await
        .expect("the call is answered");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn create(sim: &RunningSim, prompt: &str) -> String {
    let (status, answer) = call(sim, "POST", "/create", Some(json!({"prompt": prompt}))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["code"], 200, "{answer}");
    answer["data"]["task_id"].as_str().unwrap().to_string()
}

async fn wait_for_end(sim: &RunningSim, id: &str) -> Value {
    for _ in 0..200 {
        let (_, answer) = call(sim, "GET", &format!("/tasks/{id}"), None).await;
        let status = answer["data"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if status == "completed" || status == "failed" {
            return answer["data"].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("task {id} never finished");
}

#[tokio::test]
async fn a_task_goes_from_pending_to_a_downloadable_video() {
    // Long enough that a busy machine's delays (tens of ms) stay far inside each phase:
    // pending for the first 0.5 s, then processing, with 50% at 2.5 s.
    let sim = start(SimSettings {
        gen_seconds: GenSeconds(5.0, 5.0),
        ..SimSettings::default()
    });
    let (_, created) = call(
        &sim,
        "POST",
        "/create",
        Some(json!({"prompt": "a red fox", "duration": 15})),
    )
    .await;
    assert_eq!(created["data"]["status"], "pending");
    assert_eq!(created["data"]["cost"], 3);
    let id = created["data"]["task_id"].as_str().unwrap().to_string();
    let (_, early) = call(&sim, "GET", &format!("/tasks/{id}"), None).await;
    assert_eq!(early["data"]["status"], "pending", "{early}");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (_, middle) = call(&sim, "GET", &format!("/tasks/{id}"), None).await;
    assert_eq!(middle["data"]["status"], "processing", "{middle}");
    let progress = middle["data"]["progress"].as_u64().unwrap();
    assert!((20..=80).contains(&progress), "{progress}");
    let done = wait_for_end(&sim, &id).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["prompt"], "a red fox");
    assert_eq!(done["duration"], 15);
    let url = done["video_url"].as_str().unwrap();
    // The CDN needs no key.
    let video = client().get(url).send().await.unwrap();
    assert_eq!(video.status(), StatusCode::OK);
    assert!(video.headers().contains_key("etag"));
    let bytes = video.bytes().await.unwrap();
    assert_eq!(&bytes[4..8], b"ftyp");
    assert!(bytes.len() < 50 * 1024);
    let stats = sim.stats();
    assert_eq!(stats.creates_by_prompt["a red fox"], 1);
    assert_eq!(stats.downloads, 1);
}

#[tokio::test]
async fn wrong_keys_get_401_and_bad_parameters_get_1001() {
    let sim = start(quick());
    let response = client()
        .get(format!("{}/balance", sim.base_url()))
        .bearer_auth("sk-wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    for body in [
        json!({"prompt": "  "}),
        json!({"prompt": "x", "duration": 25}),
        json!({"prompt": "x", "is_pro": true, "duration": 20}),
        json!({"prompt": "x", "resolution": "square"}),
        json!({"prompt": "x", "image_url": "ftp://host/a.png"}),
    ] {
        let (status, answer) = call(&sim, "POST", "/create", Some(body.clone())).await;
        assert_eq!(
            (status, answer["code"].clone()),
            (StatusCode::OK, json!(1001)),
            "{body}"
        );
    }
    let (_, answer) = call(
        &sim,
        "POST",
        "/create",
        Some(json!({"prompt": "x", "is_pro": true, "duration": 25})),
    )
    .await;
    assert_eq!(answer["data"]["cost"], 30);
    let stats = sim.stats();
    assert_eq!(
        (stats.unauthorized, stats.bad_requests, stats.creates),
        (1, 5, 1)
    );
}

#[tokio::test]
async fn balance_pricing_and_1012_when_the_money_runs_out() {
    let sim = start(SimSettings {
        balance: Some(7),
        ..quick()
    });
    let (_, pricing) = call(&sim, "GET", "/pricing", None).await;
    assert_eq!(
        pricing["data"],
        json!({"normal_price": 3, "pro_price": 30, "currency": "USD", "unit": "cents"})
    );
    create(&sim, "one").await;
    create(&sim, "two").await;
    let (_, refused) = call(&sim, "POST", "/create", Some(json!({"prompt": "three"}))).await;
    assert_eq!(refused["code"], 1012, "{refused}");
    let (_, balance) = call(&sim, "GET", "/balance", None).await;
    assert_eq!(balance["data"]["balance"], 1);
    assert_eq!(sim.stats().billed_cents, 6);
}

#[tokio::test]
async fn capacity_answers_429_with_retry_after_and_counts_active_tasks() {
    let sim = start(SimSettings {
        capacity: Some(2),
        gen_seconds: GenSeconds(2.0, 2.0),
        ..SimSettings::default()
    });
    create(&sim, "a").await;
    create(&sim, "b").await;
    let response = client()
        .post(format!("{}/create", sim.base_url()))
        .bearer_auth("sk-sim")
        .json(&json!({"prompt": "c"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    let stats = sim.stats();
    assert_eq!(
        (stats.creates, stats.rate_limited, stats.max_active),
        (2, 1, 2)
    );
}

#[tokio::test]
async fn forbidden_prompts_fail_with_a_content_policy_message() {
    let sim = start(quick());
    let id = create(&sim, "a FORBIDDEN scene").await;
    let ended = wait_for_end(&sim, &id).await;
    assert_eq!(ended["status"], "failed");
    assert_eq!(ended["error_msg"], sim::CONTENT_POLICY_MESSAGE);
    assert!(ended.get("video_url").is_none());
}

#[tokio::test]
async fn fail_rate_fails_tasks_at_the_provider() {
    let sim = start(SimSettings {
        fail_rate: 1.0,
        ..quick()
    });
    let id = create(&sim, "fine prompt").await;
    assert_eq!(wait_for_end(&sim, &id).await["status"], "failed");
}

#[tokio::test]
async fn the_list_is_newest_first_and_paged() {
    let sim = start(quick());
    for prompt in ["first", "second", "third"] {
        create(&sim, prompt).await;
    }
    let (_, page) = call(&sim, "GET", "/tasks?page=1&page_size=2", None).await;
    let prompts: Vec<&str> = page["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|task| task["prompt"].as_str().unwrap())
        .collect();
    assert_eq!(prompts, ["third", "second"]);
    assert_eq!(page["data"]["total"], 3);
    assert!(page["data"]["list"][0]["created_at"].as_u64().unwrap() > 1_700_000_000);
    let (_, rest) = call(&sim, "GET", "/tasks?page=2&page_size=2", None).await;
    assert_eq!(rest["data"]["list"][0]["prompt"], "first");
}

#[tokio::test]
async fn ambiguous_creates_are_billed_but_never_answered() {
    let sim = start(SimSettings {
        ambiguous_rate: 1.0,
        ..quick()
    });
    let outcome = client()
        .post(format!("{}/create", sim.base_url()))
        .bearer_auth("sk-sim")
        .json(&json!({"prompt": "lost answer"}))
        .send()
        .await;
    assert!(outcome.is_err(), "the create was answered: {outcome:?}");
    let stats = sim.stats();
    assert_eq!((stats.creates, stats.ambiguous), (1, 1));
    let (_, list) = call(&sim, "GET", "/tasks", None).await;
    assert_eq!(list["data"]["list"][0]["prompt"], "lost answer");
}

#[tokio::test]
async fn fault_rate_answers_with_every_kind_of_server_failure() {
    let sim = start(SimSettings {
        fault_rate: 1.0,
        ..quick()
    });
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let outcome = client()
            .get(format!("{}/balance", sim.base_url()))
            .bearer_auth("sk-sim")
            .send()
            .await;
        let kind = match outcome {
            Err(_) => "reset".to_string(),
            Ok(response) => {
                let status = response.status().as_u16();
                let retry = response.headers().contains_key("retry-after");
                let body = response.text().await.unwrap_or_default();
                match status {
                    502 if body.contains("<title>502 Bad Gateway</title>") => {
                        "html 502".to_string()
                    }
                    503 if retry => "503 with retry-after".to_string(),
                    500 => "500".to_string(),
                    other => panic!("unexpected answer {other}: {body}"),
                }
            }
        };
        seen.insert(kind);
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(sim.stats().faults, 40);
}

#[tokio::test]
async fn downloads_honour_range_and_if_range_and_can_be_cut_halfway() {
    let size = 300_000;
    let sim = start(SimSettings {
        truncate_rate: 1.0,
        video_bytes: Some(size),
        ..quick()
    });
    let id = create(&sim, "long take").await;
    let url = wait_for_end(&sim, &id).await["video_url"]
        .as_str()
        .unwrap()
        .to_string();
    let first = client().get(&url).send().await.unwrap();
    assert_eq!(first.headers()["content-length"], size.to_string().as_str());
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(
        first.bytes().await.is_err(),
        "the first download should be cut"
    );

    let ranged = client()
        .get(&url)
        .header("range", "bytes=1000-")
        .header("if-range", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        ranged.headers()["content-range"],
        format!("bytes 1000-{}/{size}", size - 1).as_str()
    );
    assert_eq!(ranged.bytes().await.unwrap().len() as u64, size - 1000);

    let stale = client()
        .get(&url)
        .header("range", "bytes=1000-")
        .header("if-range", "\"another-version\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::OK);
    assert_eq!(stale.bytes().await.unwrap().len() as u64, size);

    let past_end = client()
        .get(&url)
        .header("range", format!("bytes={size}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(past_end.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        past_end.headers()["content-range"],
        format!("bytes */{size}").as_str()
    );
    let stats = sim.stats();
    assert_eq!(
        (stats.truncations, stats.range_requests, stats.downloads),
        (1, 1, 3)
    );
}

#[tokio::test]
async fn bytes_per_sec_slows_downloads() {
    let sim = start(SimSettings {
        bytes_per_sec: Some(100_000),
        video_bytes: Some(100_000),
        ..quick()
    });
    let id = create(&sim, "slow").await;
    let url = wait_for_end(&sim, &id).await["video_url"]
        .as_str()
        .unwrap()
        .to_string();
    let started = std::time::Instant::now();
    let bytes = client()
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.len(), 100_000);
    // One second of throttling at least; no upper bound (shared machines are slow).
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn stats_are_served_over_http_too() {
    let sim = start(quick());
    create(&sim, "counted").await;
    let stats: Value = client()
        .get(format!("http://{}/__stats", sim.addr))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["creates_by_prompt"]["counted"], 1);
    assert_eq!(stats["billed_cents"], 3);
}
