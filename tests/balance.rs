//! The real binary against a simulator whose balance cannot pay for every job: a balance
//! refusal is not a stop. The jobs that fit are still made (cheapest first, within the
//! balance), the ones that did not are named with their price, nothing is paid twice, and
//! the refusals are bounded (one per price at most), with or without a known balance.

mod common;

use common::Project;
use common::batch::{assert_all_videos, run};
use common::planted::{job_key, plant_submitted};
use serde_json::{Value, json};
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

fn simulator(balance: i64, no_balance_endpoint: bool) -> RunningSim {
    sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.6),
        seed: Some(5),
        balance: Some(balance),
        no_balance_endpoint,
        ..SimSettings::default()
    })
    .expect("the simulator starts")
}

/// Segment 1 is pro (30 cents at the simulator), the `normal` others 3 cents each.
fn pro_and_normal(project: &Project, normal: u32) {
    let mut segments =
        vec![r#"{"segment_index": 1, "prompt_text": "a pro shot", "is_pro": true}"#.to_string()];
    segments.extend(
        (2..=normal + 1)
            .map(|n| format!(r#"{{"segment_index": {n}, "prompt_text": "normal shot {n}"}}"#)),
    );
    project.write(
        "input/storyboard.json",
        &format!(r#"{{"segments": [{}]}}"#, segments.join(",")),
    );
}

fn unfit(segment: u32, price_cents: u64) -> Value {
    json!({"storyboard": "storyboard.json", "segment": segment, "version": 1, "price_cents": price_cents})
}

/// The jobs the summary names as not fitting, in order of segment.
fn not_fitting(summary: &Value) -> Vec<Value> {
    let mut jobs = summary["balance_shortfall"]["jobs"]
        .as_array()
        .unwrap_or_else(|| panic!("no balance_shortfall.jobs: {summary}"))
        .clone();
    jobs.sort_by_key(|job| job["segment"].as_u64());
    jobs
}

#[test]
fn a_low_balance_still_makes_the_jobs_that_fit_and_names_the_one_that_did_not() {
    let sim = simulator(10, false);
    let project = Project::new();
    pro_and_normal(&project, 3);
    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 1, "not every video arrived: {err}");
    assert_eq!(summary["done"], 3, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    assert_eq!(summary["not_started"], 1, "{summary}");
    assert_eq!(not_fitting(&summary), vec![unfit(1, 30)]);
    assert_eq!(summary["balance_shortfall"]["balance_cents"], 1);
    assert_eq!(summary["balance_shortfall"]["needed_cents"], 30);
    assert_eq!(summary["stopped_because"], Value::Null, "{summary}");
    assert_all_videos(&project, 3, None, "");
    let stats = sim.stats();
    assert_eq!(stats.creates, 3, "{stats:?}");
    assert_eq!(stats.out_of_balance, 1, "refused once: {stats:?}");
    assert_eq!(stats.creates_by_prompt.get("a pro shot"), None);
    for n in 2..=4 {
        assert_eq!(stats.creates_by_prompt[&format!("normal shot {n}")], 1);
    }
    assert!(
        err.contains("1 job did not fit the provider's balance ($0.01 left"),
        "{err}"
    );
    assert!(
        err.contains("storyboard.json segment 1 v1 ($0.30)"),
        "{err}"
    );
    assert!(err.contains("top up"), "{err}");
    assert!(!err.contains("Stopped early"), "{err}");
}

#[test]
fn a_balance_too_low_for_the_cheapest_job_ends_the_run_with_every_job_named() {
    let sim = simulator(2, false);
    let project = Project::new();
    pro_and_normal(&project, 2);
    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1", "--quiet"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(summary["done"], 0, "{summary}");
    assert_eq!(summary["not_started"], 3, "{summary}");
    assert_eq!(
        not_fitting(&summary),
        vec![unfit(1, 30), unfit(2, 3), unfit(3, 3)]
    );
    assert_eq!(summary["balance_shortfall"]["balance_cents"], 2);
    let stats = sim.stats();
    assert_eq!(stats.creates, 0, "{stats:?}");
    assert!(
        (1..=3).contains(&stats.out_of_balance),
        "each job is refused once at most: {stats:?}"
    );
    assert!(
        err.contains("3 jobs did not fit the provider's balance ($0.02 left"),
        "even a quiet run says it: {err}"
    );
}

#[test]
fn without_a_known_balance_the_refused_price_bounds_what_is_submitted() {
    let sim = simulator(10, true);
    let project = Project::new();
    pro_and_normal(&project, 4);
    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(summary["done"], 3, "{summary}");
    assert_eq!(summary["not_started"], 2, "{summary}");
    let unfit_jobs = not_fitting(&summary);
    assert_eq!(unfit_jobs.len(), 2, "{summary}");
    assert_eq!(unfit_jobs[0], unfit(1, 30));
    assert_eq!(unfit_jobs[1]["price_cents"], 3, "{summary}");
    assert_eq!(summary["balance_shortfall"]["balance_cents"], Value::Null);
    assert_all_videos(&project, 3, None, "");
    let stats = sim.stats();
    assert_eq!(stats.creates, 3, "{stats:?}");
    assert_eq!(
        stats.out_of_balance, 2,
        "once for the pro price, once for the normal one: {stats:?}"
    );
    assert!(
        err.contains("2 jobs did not fit the provider's balance;"),
        "{err}"
    );
}

#[test]
fn a_job_an_earlier_run_left_at_the_provider_is_still_collected_when_the_balance_refuses() {
    let sim = simulator(10, false);
    let project = Project::new();
    pro_and_normal(&project, 2);
    // An earlier run paid for segment 2 (3 of the 10 cents) and was killed.
    let task = sim.create_task("normal shot 2");
    let key = job_key(&project, "storyboard.json", 2, 1);
    plant_submitted(&project, &key, "normal shot 2", &task);
    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(summary["done"], 2, "{summary}");
    assert_eq!(not_fitting(&summary), vec![unfit(1, 30)]);
    assert_eq!(summary["balance_shortfall"]["balance_cents"], 4);
    assert_all_videos(&project, 2, None, "");
    let stats = sim.stats();
    assert_eq!(
        stats.creates_by_prompt["normal shot 2"], 1,
        "collected, not paid again: {stats:?}"
    );
    assert_eq!(stats.creates_by_prompt["normal shot 3"], 1, "{stats:?}");
    assert_eq!(stats.out_of_balance, 1, "{stats:?}");
}
