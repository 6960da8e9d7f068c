//! `sora-batch balance` against the simulator: each dialect's balance in its own money,
//! the prices runs would use, exit 2 for a refused key (named by its variable, never
//! printed), and run flags that have no use here refused.

mod common;

use common::Project;
use common::batch::to_the_end;
use serde_json::Value;
use sora_batch::sim::{self, GenSeconds, Host, RunningSim, SimKey, SimSettings};

const WRONG_KEY: &str = "sk-wrong-9d1s7inct-k3y";

fn simulator(balance: Option<i64>) -> RunningSim {
    sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.5),
        balance,
        ..SimSettings::default()
    })
    .expect("the simulator starts")
}

/// `sora-batch balance` with `key` in `variable` and `args` (`--provider`, `--base-url`…):
/// exit code, the `--json` answer, stdout and stderr together.
fn balance(variable: &str, key: &str, args: &[&str]) -> (i32, Value, String) {
    let project = Project::new();
    let mut command = project.sora();
    command
        .env(variable, key)
        .args(args)
        .arg("balance")
        .timeout(common::batch::RUN_TIMEOUT);
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (output.status.code().unwrap_or(-1), json, stdout + &stderr)
}

#[test]
fn sora_hk_balance_is_printed_in_dollars_with_the_providers_prices() {
    let sim = simulator(Some(1234));
    let url = sim.base_url();
    let (code, _, out) = balance("SORA_API_KEY", sim::DEFAULT_KEY, &["--base-url", &url]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("  key1  $12.34\n"), "{out}");
    assert!(out.contains("from the provider's GET /pricing"), "{out}");

    let (code, json, out) = balance(
        "SORA_API_KEY",
        sim::DEFAULT_KEY,
        &["--base-url", &url, "--json"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(json["keys"][0]["balance_cents"], 1234, "{json}");
    assert_eq!(json["keys"][0]["refused"], false, "{json}");
    assert_eq!(json["provider"], "sora-hk", "{json}");
    assert_eq!(json["price_unit"], "task", "{json}");
    assert_eq!(json["price_source"], "provider", "{json}");
}

#[test]
fn a_refused_key_exits_2_naming_its_variable_and_never_printing_it() {
    let sim = simulator(None);
    let url = sim.base_url();
    let (code, json, out) = balance("SORA_API_KEY", WRONG_KEY, &["--base-url", &url, "--json"]);
    assert_eq!(code, 2, "{out}");
    assert_eq!(json["keys"][0]["refused"], true, "{json}");
    assert!(out.contains("check SORA_API_KEY"), "{out}");
    assert!(!out.contains(WRONG_KEY), "{out}");
}

#[test]
fn draw_balance_is_in_credits() {
    let sim = simulator(None);
    let url = sim.draw_url(Host::Domestic);
    let args = ["--provider", "draw", "--base-url", &url];
    let (code, _, out) = balance("DRAW_API_KEY", sim::DEFAULT_KEY, &args);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("  key1  1000000 credits\n"), "{out}");
    assert!(out.contains("40 credits per small (720p) video"), "{out}");
    let (code, _, out) = balance("DRAW_API_KEY", WRONG_KEY, &args);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("check DRAW_API_KEY"), "{out}");
}

#[test]
fn openai_has_no_balance_but_a_refused_key_is_still_found() {
    let sim = simulator(None);
    let url = sim.base_url();
    let args = ["--provider", "openai", "--base-url", &url];
    let (code, _, out) = balance("OPENAI_API_KEY", sim::DEFAULT_KEY, &args);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("openai does not tell an account's balance"),
        "{out}"
    );
    assert!(out.contains("per second of normal video"), "{out}");
    let (code, _, out) = balance("OPENAI_API_KEY", WRONG_KEY, &args);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("check OPENAI_API_KEY"), "{out}");
    assert!(!out.contains(WRONG_KEY), "{out}");
}

#[test]
fn a_balance_that_cannot_be_read_exits_1_and_a_missing_key_exits_2() {
    let sim = sim::start_on_thread(SimSettings {
        no_balance_endpoint: true,
        ..SimSettings::default()
    })
    .unwrap();
    let url = sim.base_url();
    let (code, _, out) = balance("SORA_API_KEY", sim::DEFAULT_KEY, &["--base-url", &url]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("could not ask the provider for the balance"),
        "{out}"
    );

    let project = Project::new();
    let mut command = project.sora();
    command.args(["--base-url", &url, "balance"]);
    let (code, _, err) = to_the_end(command);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("SORA_API_KEY is not set"), "{err}");
}

#[test]
fn run_flags_with_no_use_for_balance_are_refused() {
    let project = Project::new();
    let mut command = project.sora();
    command.args(["--dry-run", "balance"]);
    let (code, _, err) = to_the_end(command);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--dry-run does not apply to `sora-batch balance`"),
        "{err}"
    );
}

#[test]
fn every_key_of_a_list_gets_its_line_by_label_and_a_refused_one_exits_2() {
    let sim = sim::start_on_thread(SimSettings {
        api_keys: ["sk-first-account-1:4:500", "sk-second-account-2:4:70"]
            .iter()
            .map(|key| key.parse::<SimKey>().unwrap())
            .collect(),
        ..SimSettings::default()
    })
    .unwrap();
    let url = sim.base_url();
    let list = r#"[{"key": "sk-first-account-1", "label": "studio"},
                   {"key": "Bearer sk-second-account-2"}, {"key": "sk-gone-account-3"}]"#;
    let (code, json, out) = balance("SORA_API_KEYS", list, &["--base-url", &url, "--json"]);
    assert_eq!(code, 2, "the third key is refused\n{out}");
    let keys = json["keys"].as_array().unwrap();
    let labels: Vec<&str> = keys.iter().map(|k| k["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["studio", "key2", "key3"], "{json}");
    assert_eq!(keys[0]["balance_cents"], 500, "{json}");
    assert_eq!(keys[1]["balance_cents"], 70, "{json}");
    assert_eq!(keys[2]["refused"], true, "{json}");
    for secret in [
        "sk-first-account-1",
        "sk-second-account-2",
        "sk-gone-account-3",
    ] {
        assert!(!out.contains(secret), "{out}");
    }
}
