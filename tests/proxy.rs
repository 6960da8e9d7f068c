//! The real binary through a proxy: the `PROXY_HOST`/`PROXY_PORT`/`PROXY_USER`/`PROXY_PASS`
//! settings other Sora tools use, and a SOCKS5 proxy in `ALL_PROXY`. The proxy must see
//! every call (creates, polls, downloads), and its password must appear in no output and
//! no file, even when the proxy echoes it.

mod common;

use base64::Engine;
use common::Project;
use common::batch::{FAST, RUN_TIMEOUT, assert_all_videos, storyboard, to_the_end, walk};
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

/// Distinctive, so a match anywhere is this password and nothing else.
const PASSWORD: &str = "pr0xy-p4ss-9d1s7inct";

fn simulator() -> RunningSim {
    sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.5),
        seed: Some(3),
        ..SimSettings::default()
    })
    .expect("the simulator starts")
}

/// The binary aimed at `sim`, with `vars` set.
fn run_with(
    project: &Project,
    sim: &RunningSim,
    vars: &[(&str, String)],
) -> (i32, serde_json::Value, String) {
    let mut command = project.sora();
    command
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .args(FAST)
        .args(["--report", "report.json", "--verbose"])
        .timeout(RUN_TIMEOUT);
    for (name, value) in vars {
        command.env(name, value);
    }
    to_the_end(command)
}

/// No file of the project (videos aside), nor `texts`, holds the password, plain or in
/// the Basic credentials the proxy got (`studio:PASSWORD` in base64).
fn assert_password_nowhere(project: &Project, texts: &[&str]) {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("studio:{PASSWORD}"));
    for text in texts {
        assert!(
            !text.contains(PASSWORD),
            "the password was printed:\n{text}"
        );
        assert!(
            !text.contains(&basic),
            "the credentials were printed:\n{text}"
        );
    }
    for path in walk(project.path()) {
        if path.extension().is_some_and(|ext| ext == "mp4") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(PASSWORD),
            "{} holds the password",
            path.display()
        );
    }
}

fn proxy_vars(port: u16, password: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PROXY_HOST", "127.0.0.1".to_string()),
        ("PROXY_PORT", port.to_string()),
        ("PROXY_USER", "studio".to_string()),
        ("PROXY_PASS", password.to_string()),
    ]
}

#[test]
fn a_batch_goes_through_the_http_proxy_of_proxy_host_with_its_credentials() {
    let sim = simulator();
    let proxy = common::proxy::http("studio", PASSWORD);
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("harbor", 2));

    let (code, summary, err) = run_with(&project, &sim, &proxy_vars(proxy.port, PASSWORD));
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_all_videos(&project, 4, None, &err);
    let forwarded = proxy.forwarded();
    let calls = |what: &str| forwarded.iter().filter(|line| line.contains(what)).count();
    assert_eq!(
        calls("POST "),
        4,
        "every create went through the proxy: {forwarded:?}"
    );
    assert!(
        calls("GET ") >= 8,
        "polls and downloads did too: {forwarded:?}"
    );
    assert_eq!(
        proxy.refused(),
        0,
        "the credentials were sent: {forwarded:?}"
    );
    assert_eq!(sim.stats().creates, 4);
    assert_password_nowhere(&project, &[&err, &summary.to_string()]);
}

#[test]
fn a_proxy_that_refuses_and_echoes_the_credentials_never_gets_the_password_printed() {
    let sim = simulator();
    let proxy = common::proxy::http("studio", "the-right-one");
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("harbor", 1));

    let (code, summary, err) = run_with(&project, &sim, &proxy_vars(proxy.port, PASSWORD));
    assert_ne!(code, 0, "nothing could be made\n{err}\n{summary}");
    assert!(proxy.refused() > 0, "the proxy was asked");
    assert!(
        err.contains(
            "the proxy refused its credentials (HTTP 407); check PROXY_USER and PROXY_PASS"
        ),
        "the refusal is named with its fix: {err}"
    );
    assert_eq!(
        summary["failed"], 0,
        "one stop, not a failure per job: {summary}"
    );
    assert_eq!(sim.stats().creates, 0, "nothing reached the provider");
    assert_password_nowhere(&project, &[&err, &summary.to_string()]);
}

#[test]
fn a_batch_goes_through_a_socks5_proxy_in_all_proxy() {
    let sim = simulator();
    let proxy = common::proxy::socks5("studio", PASSWORD);
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("harbor", 1));

    let url = format!("socks5h://studio:{PASSWORD}@127.0.0.1:{}", proxy.port);
    let (code, summary, err) = run_with(&project, &sim, &[("ALL_PROXY", url)]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_all_videos(&project, 2, None, &err);
    let api = sim.addr.to_string();
    assert!(
        proxy.forwarded().iter().any(|line| line.ends_with(&api)),
        "the calls went through the proxy: {:?}",
        proxy.forwarded()
    );
    assert_eq!(sim.stats().creates, 2);
    assert_password_nowhere(&project, &[&err, &summary.to_string()]);
}

#[test]
fn half_a_proxy_setting_is_refused_before_anything_is_sent() {
    let sim = simulator();
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("harbor", 1));

    let vars = [("PROXY_HOST", "127.0.0.1".to_string())];
    let (code, _, err) = run_with(&project, &sim, &vars);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("PROXY_HOST is set but PROXY_PORT is not"),
        "{err}"
    );
    let vars = [
        ("PROXY_HOST", "127.0.0.1".to_string()),
        ("PROXY_PORT", "http".to_string()),
    ];
    let (code, _, err) = run_with(&project, &sim, &vars);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("PROXY_PORT must be a port number"), "{err}");
    assert_eq!(
        sim.stats().creates + sim.stats().polls,
        0,
        "nothing was sent"
    );
}

#[test]
fn an_https_tunnel_the_proxy_refuses_stops_the_run_naming_the_proxy() {
    // For an https API the proxy's 407 answers the CONNECT, before any HTTP exchange:
    // reqwest reports a connect error, which must not read as an unreachable provider
    // (retried until --give-up-after).
    let proxy = common::proxy::http("studio", "the-right-one");
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("harbor", 1));
    let mut command = project.sora();
    command
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", "https://127.0.0.1:9/v1")
        .envs(proxy_vars(proxy.port, PASSWORD))
        .args(FAST)
        .timeout(RUN_TIMEOUT);
    let (code, summary, err) = to_the_end(command);
    assert_eq!(code, 2, "{err}\n{summary}");
    assert!(
        err.contains("the proxy refused its credentials"),
        "the refusal is named: {err}"
    );
    assert!(proxy.refused() > 0, "the proxy was asked");
    assert_password_nowhere(&project, &[&err, &summary.to_string()]);
}
