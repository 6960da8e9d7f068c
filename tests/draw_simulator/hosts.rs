//! The two hosts: the same world on both, one refusing connections (`--draw-down`, and
//! `RunningSim::set_host_down` at run time, back on the same port) or hanging (accepting
//! and never answering), with calls and creates counted per host.

use serde_json::json;

use super::*;
use sora_batch::sim::DownHow;

/// Whether a call to `host` is refused at connect, answered, or times out.
async fn reach(sim: &RunningSim, host: Host) -> &'static str {
    let url = format!(
        "{}/client/common/getModelStatus?model=sora-2",
        sim.draw_url(host)
    );
    let short = sora_batch::provider::http_client(Duration::from_millis(500));
    match short.get(url).send().await {
        Ok(_) => "answered",
        Err(err) if err.is_connect() => "refused",
        Err(err) if err.is_timeout() => "hung",
        Err(err) => panic!("neither refused nor hung: {err}"),
    }
}

/// Waits for a host that was just switched to settle into `expected`.
async fn settles(sim: &RunningSim, host: Host, expected: &str) {
    for _ in 0..100 {
        if reach(sim, host).await == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the {host:?} host never became {expected}");
}

#[tokio::test]
async fn both_hosts_serve_the_same_tasks_and_count_their_calls() {
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sim = start(drawing(DrawSettings {
        domestic_port: Some(free),
        ..DrawSettings::default()
    }));
    assert_eq!(sim.domestic.port(), free);
    let id = created(&sim, &ask("either host")).await;
    let (_, answer) = post_to(&sim, Host::Domestic, "/v1/draw/result", &json!({"id": id})).await;
    assert_eq!(
        (&answer["code"], &answer["data"]["id"]),
        (&json!(0), &json!(id))
    );
    let stats = stats(&sim).await;
    assert_eq!(
        stats["draw"]["calls_by_host"],
        json!({"overseas": 1, "domestic": 1})
    );
    assert_eq!(stats["draw"]["creates_by_host"], json!({"overseas": 1}));
}

#[tokio::test]
async fn a_refusing_host_refuses_connections_until_it_comes_back_on_its_port() {
    let sim = start(drawing(DrawSettings {
        draw_down: Some(Host::Domestic),
        ..DrawSettings::default()
    }));
    assert_eq!(reach(&sim, Host::Domestic).await, "refused");
    assert_eq!(reach(&sim, Host::Overseas).await, "answered");
    sim.set_host_down(Host::Domestic, None);
    settles(&sim, Host::Domestic, "answered").await;
    created(&sim, &ask("on the overseas host")).await;
    sim.set_host_down(Host::Overseas, Some(DownHow::Refuse));
    settles(&sim, Host::Overseas, "refused").await;
    let (_, answer) = post_to(
        &sim,
        Host::Domestic,
        "/v1/video/sora-video",
        &ask("on the domestic host"),
    )
    .await;
    assert_eq!(answer["code"], 0, "{answer}");
    let stats = sim.stats();
    assert_eq!(stats.creates, 2);
    assert_eq!(stats.draw.creates_by_host.get("domestic"), Some(&1));
}

#[tokio::test]
async fn a_hanging_host_swallows_creates_unanswered_and_unbilled() {
    let sim = start(drawing(DrawSettings {
        draw_down: Some(Host::Domestic),
        draw_down_how: DownHow::Hang,
        ..DrawSettings::default()
    }));
    let url = format!("{}/v1/video/sora-video", sim.draw_url(Host::Domestic));
    let short = sora_batch::provider::http_client(Duration::from_millis(300));
    let hung = short
        .post(url)
        .bearer_auth("sk-sim")
        .json(&ask("into the void"))
        .send()
        .await;
    assert!(
        hung.is_err_and(|err| err.is_timeout()),
        "the hung host answered"
    );
    sim.set_host_down(Host::Overseas, Some(DownHow::Hang));
    assert_eq!(reach(&sim, Host::Overseas).await, "hung");
    sim.set_host_down(Host::Overseas, None);
    assert_eq!(reach(&sim, Host::Overseas).await, "answered");
    let stats = sim.stats();
    assert_eq!(stats.draw.creates_by_host.get("domestic"), Some(&1));
    assert_eq!((stats.draw.hung_calls, stats.creates), (2, 0));
}
