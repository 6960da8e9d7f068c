//! Checks on the simulator's settings themselves.

use clap::Args;

use super::SimSettings;

#[test]
fn every_knob_is_in_the_readme_simulator_table() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## The provider simulator")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README has a simulator section");
    let command = SimSettings::augment_args(clap::Command::new("simulate"));
    for long in command.get_arguments().filter_map(|arg| arg.get_long()) {
        assert!(
            section.contains(&format!("`--{long}")),
            "--{long} is missing from README's simulator table"
        );
    }
}

#[test]
fn a_key_takes_its_own_capacity_and_balance_and_a_revocation_its_moment() {
    use super::{Revocation, SimKey};
    let key = |text: &str| text.parse::<SimKey>();
    assert_eq!(key("sk-a"), Ok(SimKey::new("sk-a")));
    let full = key("sk-b:4:300").unwrap();
    assert_eq!((full.capacity, full.balance), (Some(4), Some(300)));
    let balance_only = key("sk-c::300").unwrap();
    assert_eq!(
        (balance_only.capacity, balance_only.balance),
        (None, Some(300))
    );
    for bad in ["", ":4", "sk-a:0", "sk-a:x", "sk-a:1:2:3", "sk-a:1:x"] {
        let err = key(bad).unwrap_err();
        assert!(err.contains("KEY[:CAPACITY[:BALANCE]]"), "{bad}: {err}");
    }
    let revoked: Revocation = "sk-b@2.5".parse().unwrap();
    assert_eq!(revoked.key, "sk-b");
    assert_eq!(revoked.after, std::time::Duration::from_millis(2500));
    for bad in ["sk-b", "@3", "sk-b@-1", "sk-b@soon"] {
        assert!(bad.parse::<Revocation>().is_err(), "{bad}");
    }
}

#[tokio::test]
async fn each_key_is_an_account_that_sees_only_its_own_tasks_and_a_revoked_key_is_refused() {
    let sim = super::start(super::SimSettings {
        api_keys: vec!["sk-a:1".parse().unwrap(), "sk-b".parse().unwrap()],
        revoke: vec!["sk-b@0.3".parse().unwrap()],
        gen_seconds: super::GenSeconds(30.0, 30.0),
        ..super::SimSettings::default()
    })
    .await
    .unwrap();
    let http = crate::provider::http_client(std::time::Duration::from_secs(5));
    let base = sim.base_url();
    let create = |key: &'static str| {
        http.post(format!("{base}/create"))
            .bearer_auth(key)
            .json(&serde_json::json!({"prompt": "a pier", "resolution": "horizontal"}))
            .send()
    };
    let made: serde_json::Value = create("sk-a").await.unwrap().json().await.unwrap();
    let id = made["data"]["task_id"].as_str().unwrap().to_string();
    let busy = create("sk-a").await.unwrap();
    assert_eq!(busy.status(), 429, "sk-a's capacity is 1");
    assert_eq!(
        create("sk-b").await.unwrap().status(),
        200,
        "sk-b has its own"
    );
    let status = |key: &'static str| {
        http.get(format!("{base}/tasks/{id}"))
            .bearer_auth(key)
            .send()
    };
    assert_eq!(status("sk-a").await.unwrap().status(), 200);
    assert_eq!(
        status("sk-b").await.unwrap().status(),
        404,
        "not sk-b's task"
    );
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(create("sk-b").await.unwrap().status(), 401, "revoked");
    let stats = sim.stats();
    let (a, b) = (&stats.by_key["sk-a"], &stats.by_key["sk-b"]);
    assert_eq!(
        (a.calls, a.creates, a.rate_limited, a.max_active),
        (3, 1, 1, 1)
    );
    assert_eq!((b.calls, b.creates, b.unauthorized), (3, 1, 1));
    assert_eq!(stats.creates, 2);
}
