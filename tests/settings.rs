//! What is refused before a run starts, with exit 2 and the fix: durations and counts
//! outside their ranges (which would overflow deadlines or panic), simulator probabilities
//! outside 0–1, an API key that cannot be sent in a header, and an API address that is not
//! a plain http(s) one. Nothing is billed, nothing panics.

mod common;

use std::time::Duration;

use common::batch::{FAST, storyboard};
use common::{Project, stderr_of};
use sora_batch::sim::{self, RunningSim, SimSettings};

fn simulator() -> RunningSim {
    sim::start_on_thread(SimSettings {
        gen_seconds: sim::GenSeconds(0.2, 0.5),
        seed: Some(5),
        ..SimSettings::default()
    })
    .expect("the simulator starts")
}

/// A project with one storyboard of two segments, run against `sim` with `args` and the
/// key `key`: exit code and stderr.
fn run(key: &str, base_url: &str, args: &[&str]) -> (i32, String) {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("flags", 2));
    let assert = project
        .sora()
        .env("SORA_API_KEY", key)
        .env("SORA_BASE_URL", base_url)
        .args(args)
        .timeout(Duration::from_secs(60))
        .assert();
    let code = assert.get_output().status.code().unwrap_or(-1);
    (code, stderr_of(&assert))
}

#[test]
fn absurd_durations_and_counts_are_refused_at_parse_time_with_their_range() {
    let sim = simulator();
    for (flag, value, range) in [
        ("--poll-interval", "500000000000y", "between 10ms and 1h"),
        ("--request-timeout", "500000000000y", "between 100ms and 1h"),
        ("--request-timeout", "0s", "between 100ms and 1h"),
        (
            "--give-up-after",
            "500000000000y",
            "between 100ms and 7days",
        ),
        (
            "--breaker-cooldown",
            "500000000000y",
            "between 10ms and 1day",
        ),
        ("--poll-timeout", "0s", "between 1s and 7days"),
        ("--poll-delay", "2h", "between 0s and 1h"),
        ("--recovery-step", "1000y", "between 10ms and 1h"),
        ("--lost-create-wait", "soon", "between 0s and 1h"),
        ("--breaker-threshold", "0", "between 1 and 1000"),
        ("--price-normal", "4294967295", "between 0 and 100000"),
    ] {
        let (code, err) = run(sim::DEFAULT_KEY, &sim.base_url(), &[flag, value]);
        assert_eq!(code, 2, "{flag} {value}: {err}");
        assert!(
            err.contains(&format!("{flag} must be {range}")),
            "{flag} {value}: {err}"
        );
    }
    assert_eq!(sim.stats().creates, 0);
}

#[test]
fn the_simulator_refuses_probabilities_outside_0_to_1() {
    let project = Project::new();
    for knob in [
        "--fault-rate",
        "--ambiguous-rate",
        "--truncate-rate",
        "--fail-rate",
    ] {
        for value in ["2", "-0.5", "NaN"] {
            let assert = project
                .sora()
                .args(["simulate", "--port", "0", &format!("{knob}={value}")])
                .timeout(Duration::from_secs(10))
                .assert()
                .code(2);
            let err = stderr_of(&assert);
            assert!(
                err.contains(&format!("{knob} must be between 0 and 1")),
                "{err}"
            );
        }
    }
}

#[test]
fn a_key_that_cannot_go_into_a_header_exits_2_before_anything_is_sent() {
    let sim = simulator();
    for (key, what) in [
        ("sk-sim\nsk-other", "a line break at character 7"),
        ("sk-\u{1b}sim", "a control character at character 4"),
        ("sk-sïm", "a non-ASCII character at character 5"),
    ] {
        let (code, err) = run(key, &sim.base_url(), FAST);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(&format!("SORA_API_KEY holds {what}")), "{err}");
        assert!(!err.contains("still at the provider"), "{err}");
    }
    let stats = sim.stats();
    assert_eq!((stats.creates, stats.unauthorized), (0, 0));
}

#[test]
fn a_base_url_that_is_not_plain_http_exits_2_with_the_fix() {
    let sim = simulator();
    let local = sim.base_url();
    for (url, says) in [
        (
            local.replace("http://", "ftp://"),
            "must be an http:// or https:// address",
        ),
        (format!("{local}?key=1"), "must not have a ?query"),
    ] {
        let (code, err) = run(sim::DEFAULT_KEY, &url, FAST);
        assert_eq!(code, 2, "{url}: {err}");
        assert!(err.contains(says), "{url}: {err}");
        assert!(!err.contains("still at the provider"), "{err}");
    }
    assert_eq!(sim.stats().creates, 0);
}

#[test]
fn boolean_variables_take_yes_no_1_0_on_off() {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("bools", 1));
    for yes in ["1", "yes", "on", "true", "Y"] {
        let assert = project.sora().env("SORA_DRY_RUN", yes).assert().success();
        let out = common::stdout_of(assert);
        assert!(
            out.contains("Dry run: nothing was submitted"),
            "{yes}: {out}"
        );
    }
    for no in ["0", "no", "off", "false"] {
        // Not a dry run: a real run, which wants a key first.
        let assert = project.sora().env("SORA_DRY_RUN", no).assert().code(2);
        let err = stderr_of(&assert);
        assert!(err.contains("SORA_API_KEY is not set"), "{no}: {err}");
    }
}

#[test]
fn a_bad_value_from_a_variable_names_the_variable_not_the_flag() {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("named", 1));
    let ranged = project
        .sora()
        .args(["--dry-run"])
        .env("GEN_COUNT_PER_SEGMENT", "two")
        .assert()
        .code(2);
    let err = stderr_of(&ranged);
    assert!(
        err.contains(
            "GEN_COUNT_PER_SEGMENT (from the environment or .env) must be between 1 and 100"
        ),
        "{err}"
    );
    let chosen = project
        .sora()
        .args(["--dry-run"])
        .env("SORA_OUTPUT_MODE", "sideways")
        .assert()
        .code(2);
    let err = stderr_of(&chosen);
    assert!(
        err.contains("the value comes from SORA_OUTPUT_MODE (from the environment or .env)"),
        "{err}"
    );
    // Typed on the command line, the flag is named.
    let typed = project
        .sora()
        .args(["--dry-run", "--gen-count", "two"])
        .env("GEN_COUNT_PER_SEGMENT", "2")
        .assert()
        .code(2);
    assert!(stderr_of(&typed).contains("--gen-count must be between"));
}

#[test]
fn common_slips_in_settings_are_answered_with_the_fix() {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("slips", 1));
    let refused = |args: &[&str]| {
        let assert = project.sora().arg("--dry-run").args(args).assert().code(2);
        stderr_of(&assert)
    };
    let err = refused(&["--price-normal", "0.03"]);
    assert!(
        err.contains("prices are whole cents: 3 means $0.03"),
        "{err}"
    );
    let err = refused(&["--base-url", "api.sora.hk/v1"]);
    assert!(
        err.contains("did you mean https://api.sora.hk/v1?"),
        "{err}"
    );
    let err = refused(&["--min-workers", "30"]);
    assert!(
        err.contains("--min-workers (30) must not be above --max-workers (20)"),
        "{err}"
    );
    // A small --max-workers alone lowers the default safe limit with it.
    project
        .sora()
        .args(["--dry-run", "--max-workers", "3"])
        .assert()
        .success();

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let assert = project
        .sora()
        .args(["simulate", "--port", &port])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2);
    let err = stderr_of(&assert);
    assert!(
        err.contains(&format!("port {port} on 127.0.0.1 is taken"))
            && err.contains("--port 0 for any free one"),
        "{err}"
    );
}

#[test]
fn a_base_url_without_its_api_path_stops_the_run_with_exit_2_and_the_likely_fix() {
    let sim = simulator();
    // The simulator serves the API under /v1; its root has no /create.
    let root = sim.base_url().trim_end_matches("/v1").to_string();
    let (code, err) = run(
        sim::DEFAULT_KEY,
        &root,
        &[&["--gen-count", "1"], FAST].concat(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("try --base-url {root}/v1")),
        "the likely address is named: {err}"
    );
    assert!(!err.contains("--retry-failed"), "{err}");
    assert_eq!(sim.stats().creates, 0);
}
