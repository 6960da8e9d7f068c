//! The real binary against a provider whose answers cannot be trusted: error messages that
//! echo the API key with terminal escape codes, and costs no task has. The key must
//! appear in no output and no file; the summary's money must be what the provider
//! plausibly billed, with the rest counted as unknown.

mod common;

use common::Project;
use common::batch::{output_dir, run, run_with_key, storyboard, walk};
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

/// Distinctive, so a match anywhere is this key and nothing else.
const KEY: &str = "sk-e2e-9d1s7inct1ve-k3y-5e11";

fn simulator(settings: SimSettings) -> RunningSim {
    sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.5),
        seed: Some(5),
        ..settings
    })
    .expect("the simulator starts")
}

#[test]
fn a_provider_that_echoes_the_key_never_gets_it_into_any_output_or_file() {
    let sim = simulator(SimSettings {
        api_keys: vec![sora_batch::sim::SimKey::new(KEY)],
        echo_key: true,
        fault_rate: 0.25,
        balance: Some(11 * sim::NORMAL_PRICE),
        ..SimSettings::default()
    });
    let project = Project::new();
    // The first segment fails at the provider (content policy), whose reason echoes too;
    // the balance runs out after 11 of the 12 tasks, with a 1012 that echoes too.
    let board = storyboard("lantern", 6).replacen("lantern shot 1", "lantern FORBIDDEN shot", 1);
    project.write("input/storyboard.json", &board);
    let args = ["--report", "report.json", "--verbose"];
    let (code, summary, err) = run_with_key(&project, &sim, KEY, &args);
    assert_eq!(
        code, 1,
        "some jobs fail or are not started: {err}\n{summary}"
    );
    let stats = sim.stats();
    assert!(
        stats.faults > 0 && stats.out_of_balance > 0,
        "the echoing answers should have been met: {stats:?}"
    );
    let (done, failed) = (summary["done"].as_u64(), summary["failed"].as_u64());
    assert!(done >= Some(9) && failed >= Some(1), "{summary}");
    // The job the balance refused: not started, or, when an earlier create of it had lost
    // its answer (a fault), left unresolved for a later run to look for.
    let unresolved = summary["unresolved"].as_array().map_or(0, Vec::len) as u64;
    assert_eq!(
        summary["not_started"].as_u64().unwrap() + unresolved,
        1,
        "{summary}"
    );

    assert!(!summary.to_string().contains(KEY), "stdout: {summary}");
    assert!(!err.contains(KEY), "stderr:\n{err}");
    assert!(
        !err.contains('\x1b'),
        "a provider's escape code reached stderr:\n{err}"
    );
    let files: Vec<_> = walk(project.path())
        .into_iter()
        .filter(|path| !path.starts_with(project.path().join("input")))
        .collect();
    for file in &files {
        let text = String::from_utf8_lossy(&std::fs::read(file).unwrap()).to_string();
        assert!(
            !text.contains(KEY),
            "{} holds the key:\n{text}",
            file.display()
        );
    }
    let written = |relative: &str| {
        let path = project.path().join(relative);
        assert!(
            files.contains(&path),
            "{relative} was not written: {files:?}"
        );
        std::fs::read_to_string(path).unwrap()
    };
    // The echoes did arrive, and were redacted where they entered.
    assert!(written("report.json").contains("[redacted]"));
    assert!(written("output/.sora-batch/failed_jobs.json").contains("[redacted]"));
    assert!(written("output/.sora-batch/journal.jsonl").contains("[redacted]"));
    assert!(written("output/sora-batch.log").contains("[redacted]"));
    let sidecars = walk(&output_dir(&project))
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .filter(|path| !path.starts_with(output_dir(&project).join(".sora-batch")))
        .count();
    assert_eq!(
        Some(sidecars as u64),
        done,
        "each video has its sidecar, checked above"
    );
}

#[test]
fn implausible_costs_are_unknown_in_the_summary_never_negative_or_wrapped() {
    for (reported, said) in [("1e300", "1e+300"), ("-1000", "-1000"), ("abc", "\"abc\"")] {
        let sim = simulator(SimSettings {
            task_cost: Some(reported.to_string()),
            ..SimSettings::default()
        });
        let project = Project::new();
        project.write("input/storyboard.json", &storyboard("ember", 1));
        let (code, summary, err) = run(&project, &sim, &[]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(summary["billed_cents"], 0, "{reported}: {summary}");
        assert_eq!(summary["unknown_cost_tasks"], 2, "{reported}: {summary}");
        // Two normal tasks at the documented 3 cents: an estimate beside them, not a bill.
        assert!(
            err.contains(
                "Billed by the provider: $0.00 and 2 tasks of unknown cost (about $0.06 at the run's prices);"
            ),
            "{reported}:\n{err}"
        );
        assert_eq!(summary["unknown_cost_estimate_cents"], 6, "{summary}");
        let warnings: Vec<&str> = err
            .lines()
            .filter(|line| line.contains(&format!("reports a cost of {said},")))
            .collect();
        assert_eq!(warnings.len(), 2, "one warning per task:\n{err}");
        assert!(warnings.iter().all(|line| line.contains("task task_")));
    }
}

#[test]
fn tasks_found_again_after_lost_create_answers_count_what_the_provider_billed() {
    // Every create is billed, then its answer is lost: every task is found again in the
    // provider's list, and its cost is the list's.
    let sim = simulator(SimSettings {
        ambiguous_rate: 1.0,
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("harbor", 5));
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    let stats = sim.stats();
    assert_eq!((stats.creates, stats.ambiguous), (10, 10), "{stats:?}");
    assert_eq!(summary["billed_cents"], stats.billed_cents, "{summary}");
    assert_eq!(summary["unknown_cost_tasks"], 0, "{summary}");
    assert!(err.contains("Billed by the provider: $0.30;"), "{err}");
}

#[test]
fn a_password_in_the_base_url_is_never_printed() {
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("quay", 1));
    let base = sim
        .base_url()
        .replace("http://", "http://gateway-user:b4se-pa55word@");
    let output = project
        .sora()
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", &base)
        .args(common::batch::FAST)
        .timeout(common::batch::RUN_TIMEOUT)
        .output()
        .unwrap();
    // Refused (the password would replace the key in the Authorization header), and
    // shown without it.
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("must not carry a user name or password"),
        "{err}"
    );
    // The user name too: it is where some APIs take the key (`https://sk-…:@host`).
    assert!(err.contains("[redacted]:[redacted]@127.0.0.1"), "{err}");
    for text in [&*err, &*String::from_utf8_lossy(&output.stdout)] {
        assert!(!text.contains("b4se-pa55word"), "{text}");
    }
    assert_eq!(sim.stats().creates, 0);
}

#[test]
fn a_proxy_password_that_is_also_an_api_word_breaks_nothing() {
    // The password "task" is in every task id and field name of the API; redacting it
    // there would make every create read as unanswered. Requests to the simulator bypass
    // the proxy (NO_PROXY), but its password is still a secret the run knows.
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("ferry", 2));
    let output = project
        .sora()
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .env("HTTP_PROXY", "http://crew:task@127.0.0.1:9")
        .env("NO_PROXY", "127.0.0.1")
        .args(common::batch::FAST)
        .timeout(common::batch::RUN_TIMEOUT)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    assert_eq!(output.status.code(), Some(0), "{err}\n{summary}");
    assert_eq!(summary["done"], 4, "{summary}");
    assert_eq!(sim.stats().creates, 4, "nothing paid twice\n{err}");
}
