//! A create whose answer was lost may have made (and billed) a task: these tests guard the
//! search that finds it again before anything is paid twice. Each starts from an exact
//! situation: a journal planted as a killed run leaves it, or a prompt marked so the
//! simulator loses the answer to its first create (`sim::LOST_ANSWER_MARK`).

mod common;

use common::Project;
use common::batch::{
    assert_all_videos, assert_billed_once_per_version, output_dir, run, storyboard,
};
use common::planted::{job_key, now_ms, plant_lost_create};
use serde_json::Value;
use sora_batch::sim::{
    self, AmbiguousAnswer, GenSeconds, LOST_ANSWER_MARK, RunningSim, SimSettings,
};

fn simulator(settings: SimSettings) -> RunningSim {
    sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.5),
        seed: Some(9),
        ..settings
    })
    .expect("the simulator starts")
}

/// The task id recorded in a video's sidecar.
fn task_of(project: &Project, video: &str) -> String {
    let path = output_dir(project).join(video).with_extension("json");
    let sidecar: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    sidecar["task_id"].as_str().unwrap().to_string()
}

/// A project with one storyboard of one segment, `"<tag> shot 1"`, whose create an earlier
/// run wrote as `submitting` at `at_ms` (its clock offset to the provider's, if it knew
/// it) and never heard back from.
fn with_lost_create(tag: &str, at_ms: u64, clock_offset_ms: Option<i64>) -> Project {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard(tag, 1));
    let key = job_key(&project, "storyboard.json", 1, 1);
    let prompt = format!("{tag} shot 1");
    plant_lost_create(&project, &key, &prompt, at_ms, clock_offset_ms);
    project
}

fn creates_of(sim: &RunningSim, prompt: &str) -> u64 {
    sim.stats()
        .creates_by_prompt
        .get(prompt)
        .copied()
        .unwrap_or(0)
}

#[test]
fn a_lost_create_is_found_behind_hundreds_of_newer_tasks() {
    let sim = simulator(SimSettings::default());
    // The run was killed during its create; the provider made the task; then the account
    // made 260 more tasks elsewhere before the rerun.
    let project = with_lost_create("ledger", now_ms(), Some(0));
    let lost = sim.create_task("ledger shot 1");
    for n in 0..260 {
        sim.create_task(&format!("someone else's shot {n}"));
    }

    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(creates_of(&sim, "ledger shot 1"), 1, "paid twice\n{err}");
    assert_eq!(task_of(&project, "storyboard/Segment_1/1_v1.mp4"), lost);
    assert_all_videos(&project, 1, None, "");
}

#[test]
fn a_search_that_cannot_reach_back_to_the_create_pays_nothing_and_says_so() {
    let sim = simulator(SimSettings::default());
    // The create was two hours ago; more than the search reads (100 pages of 50) were
    // made since, so the list cannot say whether the create made a task.
    let project = with_lost_create("archive", now_ms() - 2 * 3600 * 1000, Some(0));
    for n in 0..5_100 {
        sim.create_task(&format!("busy account shot {n}"));
    }

    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert_eq!(creates_of(&sim, "archive shot 1"), 0, "{err}");
    assert_eq!(summary["left_in_flight"], 1, "{summary}");
    assert!(
        err.contains("do not reach back") && err.contains("--resubmit-lost"),
        "{err}"
    );

    // The user decides: --resubmit-lost submits it, knowing it may pay twice.
    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1", "--resubmit-lost"]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(creates_of(&sim, "archive shot 1"), 1, "{err}");
}

#[test]
fn a_client_clock_ahead_of_the_provider_never_pays_twice() {
    // The provider's clock is 3 minutes behind this machine's; half the prompts lose the
    // answer to their first create.
    let sim = simulator(SimSettings {
        clock_skew: -180.0,
        ..SimSettings::default()
    });
    let project = Project::new();
    let segments: Vec<String> = (1..=10)
        .map(|n| {
            let mark = if n % 2 == 0 { LOST_ANSWER_MARK } else { "" };
            format!(r#"{{"segment_index": {n}, "prompt_text": "skew {mark} shot {n}"}}"#)
        })
        .collect();
    let text = format!(r#"{{"segments": [{}]}}"#, segments.join(","));
    project.write("input/storyboard.json", &text);

    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    let stats = sim.stats();
    assert_eq!(stats.ambiguous, 5, "{stats:?}");
    assert_billed_once_per_version(&sim, 10, 2, &err);
    assert_eq!(summary["billed_cents"], stats.billed_cents, "{summary}");
    assert_all_videos(&project, 20, None, "");
}

#[test]
fn a_run_killed_with_a_fast_clock_is_recovered_after_the_clock_is_fixed() {
    let sim = simulator(SimSettings::default());
    // The killed run's clock was 10 minutes fast, and it knew (the provider's Date said
    // so): its record is 10 minutes "after" the task the provider stamped.
    let ten_minutes: u64 = 600_000;
    let project = with_lost_create("dawn", now_ms() + ten_minutes, Some(-(ten_minutes as i64)));
    let lost = sim.create_task("dawn shot 1");

    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(creates_of(&sim, "dawn shot 1"), 1, "paid twice\n{err}");
    assert_eq!(task_of(&project, "storyboard/Segment_1/1_v1.mp4"), lost);
}

#[test]
fn with_no_known_provider_clock_the_search_window_widens() {
    let sim = simulator(SimSettings::default());
    // Killed before any answer told the provider's time, with a clock 10 minutes fast.
    let project = with_lost_create("dusk", now_ms() + 600_000, None);
    let lost = sim.create_task("dusk shot 1");

    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(creates_of(&sim, "dusk shot 1"), 1, "paid twice\n{err}");
    assert_eq!(task_of(&project, "storyboard/Segment_1/1_v1.mp4"), lost);
}

/// Tasks of the same account with long prompts of their own, which a list that cuts
/// prompts shows cut at the same length as ours.
fn other_long_prompts(sim: &RunningSim) {
    for subject in ["A desert road:", "A night market:"] {
        sim.create_task(&long_prompt(subject, "wide shot"));
    }
}

/// A prompt of about 300 characters: `start`, then words that make it long.
fn long_prompt(start: &str, end: &str) -> String {
    format!(
        "{start} {} {end}",
        "waves fold over the black rocks;".repeat(9)
    )
}

#[test]
fn a_list_that_shortens_prompts_still_finds_a_long_prompts_task() {
    let sim = simulator(SimSettings {
        list_prompt_chars: Some(200),
        ..SimSettings::default()
    });
    let project = Project::new();
    let prompt = long_prompt("A storm coast:", "slow push-in");
    let text = format!(r#"{{"segments": [{{"segment_index": 1, "prompt_text": "{prompt}"}}]}}"#);
    project.write("input/storyboard.json", &text);
    let key = job_key(&project, "storyboard.json", 1, 1);
    plant_lost_create(&project, &key, &prompt, now_ms(), Some(0));
    let lost = sim.create_task(&prompt);
    // The account's other long prompts, cut at the same length, show the list cuts.
    other_long_prompts(&sim);

    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(creates_of(&sim, &prompt), 1, "paid twice\n{err}");
    assert_eq!(task_of(&project, "storyboard/Segment_1/1_v1.mp4"), lost);
}

#[test]
fn two_tasks_that_fit_a_shortened_prompt_are_not_adopted_and_nothing_is_paid() {
    let sim = simulator(SimSettings {
        list_prompt_chars: Some(200),
        ..SimSettings::default()
    });
    let project = Project::new();
    // The two prompts differ only after the 200 characters the list shows.
    let first = long_prompt("A storm coast:", "then the lighthouse");
    let second = long_prompt("A storm coast:", "then the harbour");
    let text = format!(
        r#"{{"segments": [{{"segment_index": 1, "prompt_text": "{first}"}}, {{"segment_index": 2, "prompt_text": "{second}"}}]}}"#
    );
    project.write("input/storyboard.json", &text);
    for (segment, prompt) in [(1, &first), (2, &second)] {
        let key = job_key(&project, "storyboard.json", segment, 1);
        plant_lost_create(&project, &key, prompt, now_ms(), Some(0));
        sim.create_task(prompt);
    }
    other_long_prompts(&sim);

    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert_eq!(creates_of(&sim, &first), 1, "{err}");
    assert_eq!(creates_of(&sim, &second), 1, "{err}");
    assert_eq!(summary["left_in_flight"], 2, "{summary}");
    assert!(err.contains("could also be another job's"), "{err}");
}

#[test]
fn a_server_error_after_billing_is_searched_not_paid_again() {
    for answer in [AmbiguousAnswer::ServerError, AmbiguousAnswer::Unavailable] {
        let sim = simulator(SimSettings {
            ambiguous_answer: answer,
            ..SimSettings::default()
        });
        let project = Project::new();
        let segments: Vec<String> = (1..=4)
            .map(|n| {
                format!(r#"{{"segment_index": {n}, "prompt_text": "{LOST_ANSWER_MARK} {n}"}}"#)
            })
            .collect();
        project.write(
            "input/storyboard.json",
            &format!(r#"{{"segments": [{}]}}"#, segments.join(",")),
        );
        let (code, summary, err) = run(&project, &sim, &[]);
        assert_eq!(code, 0, "{answer:?}: {err}\n{summary}");
        assert_eq!(sim.stats().ambiguous, 4, "{answer:?}");
        assert_billed_once_per_version(&sim, 4, 2, &format!("{answer:?}: {err}"));
    }
}

#[test]
fn while_a_lost_create_settles_other_jobs_use_its_place() {
    // One job in flight at a time. A's answer is lost and its task shows in the list only
    // after 1.5 s; while A waits for the list, B takes the place A gave back.
    let sim = simulator(SimSettings {
        list_lag: Some(std::time::Duration::from_millis(1500)),
        ..SimSettings::default()
    });
    let project = Project::new();
    let a = format!("{LOST_ANSWER_MARK} slow list");
    project.write(
        "input/storyboard_a.json",
        &format!(r#"{{"segments": [{{"segment_index": 1, "prompt_text": "{a}"}}]}}"#),
    );
    project.write("input/storyboard_b.json", &storyboard("quick", 1));
    let args = [
        "--gen-count",
        "1",
        "--max-workers",
        "1",
        "--min-workers",
        "1",
        "--lost-create-wait",
        "3s",
    ];
    let (code, summary, err) = run(&project, &sim, &args);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(creates_of(&sim, &a), 1, "paid twice\n{err}");
    let submitted = |video: &str| {
        let path = output_dir(&project).join(video).with_extension("json");
        let sidecar: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        sidecar["submitted_at_ms"].as_u64().unwrap()
    };
    let a_adopted = submitted("storyboard_a/Segment_1/1_v1.mp4");
    let b_submitted = submitted("storyboard_b/Segment_1/1_v1.mp4");
    assert!(
        b_submitted < a_adopted,
        "B waited for A's search to end ({b_submitted} >= {a_adopted})\n{err}"
    );
}

#[test]
fn a_killed_runs_record_without_the_providers_clock_is_never_read_on_this_runs_clock() {
    // Run 1, its clock 10 minutes fast, was killed during the creates of both versions:
    // v1's record knew the provider's clock, v2's (sent first) did not. Once v1's search
    // has taught this run the provider's clock, v2's record must still be searched
    // with the wide margin: this run's clock was not that run's.
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("tern", 1));
    let ten_minutes: u64 = 600_000;
    let first = job_key(&project, "storyboard.json", 1, 1);
    let second = job_key(&project, "storyboard.json", 1, 2);
    plant_lost_create(
        &project,
        &first,
        "tern shot 1",
        now_ms() + ten_minutes,
        Some(-(ten_minutes as i64)),
    );
    plant_lost_create(
        &project,
        &second,
        "tern shot 1",
        now_ms() + ten_minutes,
        None,
    );
    let tasks = [
        sim.create_task("tern shot 1"),
        sim.create_task("tern shot 1"),
    ];

    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(creates_of(&sim, "tern shot 1"), 2, "paid twice\n{err}");
    let mut adopted = [
        task_of(&project, "storyboard/Segment_1/1_v1.mp4"),
        task_of(&project, "storyboard/Segment_1/1_v2.mp4"),
    ];
    adopted.sort();
    let mut expected = tasks.clone();
    expected.sort();
    assert_eq!(adopted, expected);
}

#[test]
fn a_whole_shorter_prompt_that_starts_ours_is_never_taken_for_our_task() {
    // The segment's prompt was lengthened after an earlier take; the create of the new
    // prompt lost its answer and made nothing. The earlier, shorter prompt's task is the
    // start of ours, but nothing shows the list cuts prompts: it is not adopted, and the
    // job is not paid for again either; it is left for the user to decide.
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    let longer = "A fox runs through deep snow at dusk";
    let text = format!(r#"{{"segments": [{{"segment_index": 1, "prompt_text": "{longer}"}}]}}"#);
    project.write("input/storyboard.json", &text);
    let key = job_key(&project, "storyboard.json", 1, 1);
    sim.create_task("A fox runs through deep snow");
    plant_lost_create(&project, &key, longer, now_ms(), Some(0));

    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert_eq!(creates_of(&sim, longer), 0, "{err}");
    assert_eq!(
        summary["done"], 0,
        "another prompt's video was taken\n{summary}"
    );
    let unresolved = summary["unresolved"].as_array().unwrap();
    assert_eq!(unresolved.len(), 1, "{summary}");
    assert!(
        unresolved[0]["message"]
            .as_str()
            .unwrap()
            .contains("nothing shows whether the list cut it"),
        "{summary}"
    );
}

#[test]
fn a_task_id_the_tool_refuses_never_makes_the_job_pay_again() {
    // Every id the provider gives carries a control character: the create may well have
    // made (and billed) a task that cannot be followed. It is never created again.
    let sim = simulator(SimSettings {
        task_id_prefix: "bell\u{7}".to_string(),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("buoy", 1));
    for run_number in 1..=2 {
        let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
        assert_eq!(code, 1, "{err}\n{summary}");
        assert_eq!(
            summary["unresolved"].as_array().unwrap().len(),
            1,
            "{summary}"
        );
        assert_eq!(creates_of(&sim, "buoy shot 1"), 1, "paid again\n{err}");
        if run_number == 1 {
            assert!(err.contains("cannot be used"), "{err}");
        }
    }
}

#[test]
fn a_lost_create_never_adopts_the_task_of_a_video_already_on_disk() {
    // v1 was made and downloaded (and the journal compacted: it no longer names v1's
    // task). Then gen_count goes up and v2's create is lost before any answer told the
    // provider's clock, so its search reaches an hour back, over v1's task.
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("gull", 1));
    let (code, _, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 0, "{err}");
    let second = job_key(&project, "storyboard.json", 1, 2);
    plant_lost_create(&project, &second, "gull shot 1", now_ms(), None);

    let (code, summary, err) = run(&project, &sim, &["--gen-count", "2"]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(creates_of(&sim, "gull shot 1"), 2, "{err}");
    assert_ne!(
        task_of(&project, "storyboard/Segment_1/1_v1.mp4"),
        task_of(&project, "storyboard/Segment_1/1_v2.mp4"),
        "v2 took v1's task: two copies of one take\n{err}"
    );
}

#[test]
fn a_task_list_that_ignores_paging_is_not_read_a_hundred_times() {
    // The list answers every page with its newest 50 tasks: it can never reach back to a
    // create two hours ago. The search says so after the repeat, not after 100 calls.
    let sim = simulator(SimSettings {
        list_ignores_page: true,
        ..SimSettings::default()
    });
    let project = with_lost_create("lagoon", now_ms() - 2 * 3600 * 1000, Some(0));
    for n in 0..60 {
        sim.create_task(&format!("another account's shot {n}"));
    }

    let (code, summary, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert_eq!(creates_of(&sim, "lagoon shot 1"), 0, "{err}");
    assert!(err.contains("shows the same tasks again"), "{err}");
    assert!(sim.stats().lists <= 3, "{:?}", sim.stats().lists);
}

#[test]
fn creates_after_searches_that_found_nothing_are_staggered_like_any_other() {
    // A rerun after an outage: every job's create was lost, and the provider made none of
    // them. Each search finds nothing within milliseconds; the creates that follow must
    // still leave the stagger apart (250 ms ± 50% at a 5s poll interval), not in a burst
    // before the breaker has heard a single answer.
    let sim = simulator(SimSettings::default());
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("quay", 6));
    let at_ms = now_ms();
    for segment in 1..=6 {
        let key = job_key(&project, "storyboard.json", segment, 1);
        let prompt = format!("quay shot {segment}");
        plant_lost_create(&project, &key, &prompt, at_ms, Some(0));
    }
    let output = project
        .sora()
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .args(["--gen-count", "1", "--json", "--lost-create-wait", "0s"])
        .args(["--poll-interval", "5s", "--poll-delay", "1s"])
        .timeout(common::batch::RUN_TIMEOUT)
        .output()
        .unwrap();
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{summary}\n{err}");
    let stats = sim.stats();
    assert_eq!(stats.creates, 6, "{stats:?}");
    let closest = stats.closest_creates_seconds.unwrap_or_default();
    // At least 125 ms apart when sent; half of that leaves room for a loaded machine.
    assert!(closest >= 0.06, "two creates {closest}s apart: {stats:?}");
}

#[test]
fn a_task_list_that_asks_for_an_hour_ends_the_search_unresolved_by_the_poll_timeout() {
    // Every list call is told to come back in an hour. The search honours the provider's
    // pace, but not past --poll-timeout: the job is left unresolved (the next run looks
    // again), never paid for again, and a cron run ends.
    let sim = simulator(SimSettings {
        list_retry_after: Some(std::time::Duration::from_secs(3600)),
        ..SimSettings::default()
    });
    let project = with_lost_create("patient list", now_ms(), Some(0));

    let (code, summary, err) = run(
        &project,
        &sim,
        &["--gen-count", "1", "--poll-timeout", "3s"],
    );
    assert_eq!(code, 1, "{err}\n{summary}");
    assert_eq!(
        creates_of(&sim, "patient list shot 1"),
        0,
        "paid again\n{err}"
    );
    let unresolved = summary["unresolved"].as_array().unwrap();
    assert_eq!(unresolved.len(), 1, "{summary}");
    assert!(
        unresolved[0]["message"]
            .as_str()
            .unwrap()
            .contains("could not be read within --poll-timeout (3s)"),
        "{summary}"
    );
}
