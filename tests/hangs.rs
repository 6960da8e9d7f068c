//! Runs that must end: a provider that trickles its answers or never answers, a signal
//! in the middle of a status call or a download, and jobs that need no provider at all.
//! The real binary runs against the simulator; waits here are guards against a hang,
//! never measures of speed (the `engine` benchmark measures that).

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Project;
use common::batch::{log_tail, partial_videos, storyboard};
use serde_json::Value;
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

/// The engine's fast timings, without a request timeout or a poll interval (each test
/// sets its own, or [`FAST_POLLS`]).
const QUICK: &[&str] = &[
    "--poll-delay",
    "100ms",
    "--breaker-cooldown",
    "300ms",
    "--recovery-step",
    "100ms",
    "--json",
];

const FAST_POLLS: &[&str] = &["--poll-interval", "50ms"];
const ONE_VERSION: &[&str] = &["--gen-count", "1"];

/// Far longer than an interrupted run needs with the fix, far shorter than the hang the
/// test provokes without it.
const HANG_GUARD: Duration = Duration::from_secs(60);

fn simulator(settings: SimSettings) -> RunningSim {
    sim::start_on_thread(settings).expect("the simulator starts")
}

fn spawn(project: &Project, base_url: &str, args: &[&str]) -> Child {
    project
        .sora_process()
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", base_url)
        .args(QUICK)
        .args(FAST_POLLS)
        .args(ONE_VERSION)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Runs the binary to its end against `base_url` with the quick timings and `args`: its
/// exit code, its JSON summary (null if none) and its stderr.
fn run(project: &Project, base_url: &str, args: &[&str]) -> (Option<i32>, Value, String) {
    let output = project
        .sora()
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", base_url)
        .args(QUICK)
        .args(args)
        .timeout(HANG_GUARD)
        .output()
        .unwrap();
    let summary = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), summary, stderr)
}

/// Waits for `ready`, failing if the run ends first or it takes a minute.
fn wait_for(child: &mut Child, project: &Project, moment: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + HANG_GUARD;
    while !ready() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the run ended ({status}) before {moment}\n{}",
                log_tail(project)
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("waited a minute for {moment}\n{}", log_tail(project));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends SIGTERM and waits for the run to end: its exit code and `--json` summary.
#[cfg(unix)]
fn terminate(mut child: Child, project: &Project) -> (i32, Value) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + HANG_GUARD;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "the run was still going a minute after SIGTERM\n{}",
                log_tail(project)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let summary = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code().unwrap_or(-1), summary)
}

#[cfg(unix)]
#[test]
fn the_first_sigterm_stops_a_trickled_status_call_at_once() {
    // A status answer at one byte a second takes minutes, and each byte keeps the idle
    // timeout happy; the request timeout is long, so only the signal can end the call.
    let sim = simulator(SimSettings {
        gen_seconds: GenSeconds(0.0, 0.0),
        trickle_status: Some(Duration::from_secs(1)),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("drip", 1));
    let mut child = spawn(&project, &sim.base_url(), &["--request-timeout", "10m"]);
    wait_for(&mut child, &project, "the first status call", || {
        sim.stats().polls >= 1
    });
    let (code, summary) = terminate(child, &project);
    assert_eq!(code, 130, "{summary}\n{}", log_tail(&project));
    assert_eq!(summary["interrupted"], true, "{summary}");
    assert_eq!(summary["left_in_flight"], 1, "{summary}");
    assert_eq!(sim.stats().creates, 1);
}

#[cfg(unix)]
#[test]
fn the_first_sigterm_stops_a_download_and_the_next_run_resumes_it() {
    // 20 MB at 50 kB/s: minutes of download, unless the signal stops it.
    let sim = simulator(SimSettings {
        gen_seconds: GenSeconds(0.0, 0.0),
        bytes_per_sec: Some(50_000),
        video_bytes: Some(20_000_000),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("slow", 1));
    let flags = ["--request-timeout", "5s"];
    let has_bytes = || {
        partial_videos(&project)
            .iter()
            .any(|tmp| std::fs::metadata(tmp).is_ok_and(|meta| meta.len() > 0))
    };
    let mut child = spawn(&project, &sim.base_url(), &flags);
    wait_for(
        &mut child,
        &project,
        "a partial download on disk",
        has_bytes,
    );
    let (code, summary) = terminate(child, &project);
    assert_eq!(code, 130, "{summary}\n{}", log_tail(&project));
    assert_eq!(summary["left_in_flight"], 1, "{summary}");
    let partial = partial_videos(&project);
    assert_eq!(partial.len(), 1, "the partial video is kept: {partial:?}");
    let origin = format!("{}", partial[0].display()).replace(".mp4.tmp", ".mp4.origin.tmp");
    assert!(
        std::path::Path::new(&origin).exists(),
        "its origin record is kept beside it"
    );

    // The next run asks for the rest of the same file, then is stopped the same way.
    let mut rerun = spawn(&project, &sim.base_url(), &flags);
    wait_for(&mut rerun, &project, "the resumed download", || {
        sim.stats().range_requests >= 1
    });
    let (code, summary) = terminate(rerun, &project);
    assert_eq!(code, 130, "{summary}");
    assert_eq!(sim.stats().creates, 1, "nothing is paid for twice");
}

/// An address where nothing listens: connections to it are refused.
fn refused_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/v1")
}

#[test]
fn a_provider_that_refuses_every_connection_is_given_up_on_and_every_job_left_for_the_next_run() {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("refused", 3));
    // Retries pace themselves on the poll interval: at 1s, no job runs out of its server
    // errors within the 2s the run gives the provider.
    let (code, summary, stderr) = run(
        &project,
        &refused_base_url(),
        &[
            ONE_VERSION,
            &["--poll-interval", "1s", "--request-timeout", "1s"],
            &["--give-up-after", "2s"],
        ]
        .concat(),
    );
    assert_eq!(code, Some(1), "{summary}\n{stderr}");
    assert_eq!(summary["not_started"], 3, "{summary}");
    assert_eq!(
        summary["failed"], 0,
        "nothing failed that was not: {summary}"
    );
    let reason = summary["stopped_because"].as_str().unwrap_or_default();
    assert!(
        reason.contains("unreachable since") && reason.contains("for 2s"),
        "{summary}"
    );
    assert!(
        stderr.contains("Stopped early: the provider has been unreachable since"),
        "{stderr}"
    );

    // The journal holds nothing that keeps the next run from doing every job once.
    let sim = simulator(SimSettings {
        gen_seconds: GenSeconds(0.0, 0.0),
        ..SimSettings::default()
    });
    let (code, summary, _) = run(
        &project,
        &sim.base_url(),
        &[FAST_POLLS, ONE_VERSION].concat(),
    );
    assert_eq!(code, Some(0), "{summary}");
    assert_eq!(summary["done"], 3, "{summary}");
    assert_eq!(sim.stats().creates, 3);
}

#[test]
fn ten_thousand_jobs_failed_at_the_provider_before_are_settled_without_the_provider() {
    let project = Project::new();
    for episode in 1..=100 {
        let path = format!("input/ep{episode:03}/storyboard.json");
        project.write(&path, &storyboard(&format!("ep{episode}"), 50));
    }
    let jobs = common::planted::all_jobs(&project, 2);
    assert_eq!(jobs.len(), 10_000);
    common::planted::plant_failed_at_provider(&project, &jobs);
    let sim = simulator(SimSettings::default());
    // The default poll interval paces submissions at up to a quarter second apart: paced
    // like submissions, these jobs alone would take the better part of an hour.
    let output = project
        .sora()
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .args(["--gen-count", "2", "--json", "--quiet"])
        .timeout(common::batch::RUN_TIMEOUT)
        .output()
        .unwrap();
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    assert_eq!(output.status.code(), Some(1), "{summary}");
    assert_eq!(summary["failed"], 10_000, "{summary}");
    assert_eq!(summary["not_started"], 0, "{summary}");
    let stats = sim.stats();
    assert_eq!(
        (stats.creates, stats.polls, stats.lists, stats.downloads),
        (0, 0, 0, 0),
        "no call to the provider: {stats:?}"
    );

    // The dry run counts them as failed, and prices none of them.
    let output = project
        .sora()
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .args(["--gen-count", "2", "--dry-run", "--json", "--quiet"])
        .timeout(common::batch::RUN_TIMEOUT)
        .output()
        .unwrap();
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    assert_eq!(output.status.code(), Some(0), "{plan}");
    assert_eq!(plan["jobs_failed"], 10_000, "{plan}");
    assert_eq!(plan["jobs_new"], 0, "{plan}");
    assert_eq!(plan["estimated_cost_cents"], 0, "{plan}");
}

#[test]
fn a_run_that_gives_up_sends_no_create_for_versions_queued_behind_a_siblings_create() {
    // Versions of one prompt create one at a time. The first create hangs until its
    // deadline; the run gives up meanwhile, so the two versions queued behind it must
    // not each send a create of their own (and wait out its deadline) afterwards.
    let sim = simulator(SimSettings {
        hang: true,
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("queued", 1));
    let (code, summary, stderr) = run(
        &project,
        &sim.base_url(),
        &[
            FAST_POLLS,
            &["--gen-count", "3", "--request-timeout", "3s"],
            &["--give-up-after", "1s"],
        ]
        .concat(),
    );
    assert_eq!(code, Some(1), "{summary}\n{stderr}");
    let journal =
        std::fs::read_to_string(project.path().join("output/.sora-batch/journal.jsonl")).unwrap();
    let creates = journal.matches(r#""event":"submitting""#).count();
    assert_eq!(creates, 1, "one create was sent:\n{journal}");
    assert_eq!(summary["not_started"], 2, "{summary}");
    assert_eq!(summary["left_in_flight"], 1, "{summary}");
}

#[test]
fn refused_connections_never_fail_a_job_before_the_run_gives_the_provider_up() {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("refused fast", 3));
    // At 50ms polls a create is retried within milliseconds, so each job meets far more
    // refused connections than the ten server errors that fail a job, well before the
    // run gives the provider up. Nothing reached the provider: no job may fail of it.
    let (code, summary, stderr) = run(
        &project,
        &refused_base_url(),
        &[
            FAST_POLLS,
            ONE_VERSION,
            &["--request-timeout", "1s", "--give-up-after", "10s"],
        ]
        .concat(),
    );
    assert_eq!(code, Some(1), "{summary}\n{stderr}");
    assert_eq!(summary["failed"], 0, "{summary}\n{stderr}");
    assert_eq!(summary["not_started"], 3, "{summary}");
    assert!(
        stderr.contains("Stopped early: the provider has been unreachable since"),
        "{stderr}"
    );
}

#[test]
fn a_status_call_told_to_come_back_in_an_hour_still_ends_the_job_at_its_poll_timeout() {
    // A 429 asking for an hour is honoured between status calls, but never past the
    // job's --poll-timeout: the README bounds the wait at the provider by --poll-timeout +
    // --request-timeout, and a cron run must end with the reason.
    let sim = simulator(SimSettings {
        gen_seconds: GenSeconds(0.0, 0.0),
        status_retry_after: Some(Duration::from_secs(3600)),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("patience", 1));
    let (code, summary, stderr) = run(
        &project,
        &sim.base_url(),
        &[
            FAST_POLLS,
            ONE_VERSION,
            &["--poll-timeout", "2s", "--request-timeout", "2s"],
        ]
        .concat(),
    );
    assert_eq!(code, Some(1), "{summary}\n{stderr}");
    assert_eq!(
        summary["failed_by_reason"]["timed out at the provider"], 1,
        "{summary}"
    );
    let message = summary["failures"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("status still could not be read: rate limited"),
        "the reason is named: {summary}"
    );
    assert_eq!(sim.stats().creates, 1);
}

#[test]
fn a_refused_connection_is_named_on_the_terminal_at_once_and_once() {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("named cause", 3));
    let (_, _, stderr) = run(
        &project,
        &refused_base_url(),
        &[
            FAST_POLLS,
            ONE_VERSION,
            &["--request-timeout", "1s", "--give-up-after", "2s"],
        ]
        .concat(),
    );
    let told: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("warning: the provider is not answering"))
        .collect();
    assert_eq!(told.len(), 1, "{stderr}");
    assert!(
        told[0].contains("Connection refused") && told[0].contains("giving up after 2s"),
        "{stderr}"
    );
}
