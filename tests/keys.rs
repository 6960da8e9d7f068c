//! Several API keys (issue 15): the real binary against a simulator whose keys are
//! accounts of their own (each with its capacity and balance, seeing only its tasks). A
//! batch spreads over the keys within each one's capacity; a job stays with the key that
//! made it, also in a later run whose keys changed; a key refused or out of money leaves
//! the rotation while the others carry on; no key is ever written anywhere.

mod common;

use common::batch::{
    assert_all_videos, assert_billed_once_per_version, one_version_each, output_dir, run_with_keys,
    storyboard, unresolved_messages, walk,
};
use common::{Project, stderr_of};
use sora_batch::sim::{self, GenSeconds, RunningSim, SimKey, SimSettings};

const KEY_A: &str = "sk-studio-alpha-000111";
const KEY_B: &str = "sk-studio-bravo-000222";
const KEY_C: &str = "sk-studio-charlie-0333";

fn simulator(keys: &[&str], gen_seconds: GenSeconds, settings: SimSettings) -> RunningSim {
    sim::start_on_thread(SimSettings {
        api_keys: keys
            .iter()
            .map(|key| key.parse::<SimKey>().unwrap())
            .collect(),
        gen_seconds,
        seed: Some(15),
        ..settings
    })
    .expect("the simulator starts")
}

/// Seed 004's shape: `[{"key": "Bearer …", "weight": 1, "max_rpm": 600}, …]`.
fn keys_json(keys: &[&str]) -> String {
    let entries: Vec<String> = keys
        .iter()
        .map(|key| format!(r#"{{"key": "Bearer {key}", "weight": 1, "max_rpm": 6000}}"#))
        .collect();
    format!("[{}]", entries.join(", "))
}

fn stats_of(sim: &RunningSim, key: &str) -> sim::KeyStats {
    sim.stats().by_key[key].clone()
}

#[test]
fn three_keys_of_capacities_2_4_8_share_a_100_job_batch_each_within_its_capacity() {
    let keys = [
        &format!("{KEY_A}:2")[..],
        &format!("{KEY_B}:4"),
        &format!("{KEY_C}:8"),
    ];
    let sim = simulator(&keys, GenSeconds(0.6, 1.2), SimSettings::default());
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("dune", 50));
    let all = keys_json(&[KEY_A, KEY_B, KEY_C]);
    let (code, summary, err) = run_with_keys(&project, &sim, &all, &["--min-workers", "2"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["done"], 100, "{summary}");
    assert_all_videos(&project, 100, None, "");
    assert_billed_once_per_version(&sim, 50, 2, "");
    let creates: Vec<u64> = [KEY_A, KEY_B, KEY_C]
        .iter()
        .map(|key| stats_of(&sim, key).creates)
        .collect();
    for (key, capacity) in [(KEY_A, 2), (KEY_B, 4), (KEY_C, 8)] {
        let stats = stats_of(&sim, key);
        assert!(stats.max_active <= capacity, "{key}: {stats:?}");
        assert!(
            stats.max_active >= capacity.min(2),
            "{key} was used: {stats:?}"
        );
    }
    // Spread by capacity (equal weights): 2:4:8 of 100 is about 14, 29 and 57.
    assert_eq!(creates.iter().sum::<u64>(), 100);
    assert!(
        creates[0] < creates[1] && creates[1] < creates[2],
        "{creates:?}"
    );
    assert!((5..=25).contains(&creates[0]), "{creates:?}");
    assert!(creates[2] >= 40, "{creates:?}");
    // The progress lines name each key by its label, never by the key.
    let log = std::fs::read_to_string(output_dir(&project).join("sora-batch.log")).unwrap();
    assert!(log.contains("3 API keys: key1, key2, key3"), "{log}");
}

#[test]
fn a_key_revoked_mid_run_leaves_the_rotation_its_jobs_are_reported_and_the_others_finish() {
    let sim = simulator(
        &[
            &format!("{KEY_A}:4"),
            &format!("{KEY_B}:4"),
            &format!("{KEY_C}:4"),
        ],
        GenSeconds(1.5, 2.5),
        SimSettings {
            revoke: vec![format!("{KEY_B}@1.2").parse().unwrap()],
            ..SimSettings::default()
        },
    );
    let project = Project::new();
    let prompts: Vec<String> = (1..=24).map(|n| format!("quay {n}")).collect();
    let prompts: Vec<&str> = prompts.iter().map(String::as_str).collect();
    project.write("input/storyboard.json", &one_version_each(&prompts));
    let all = keys_json(&[KEY_A, KEY_B, KEY_C]);
    let (code, summary, err) = run_with_keys(&project, &sim, &all, &[]);
    assert_eq!(code, 1, "its jobs at the provider are reported: {err}");
    assert!(
        err.contains("key2 leaves the rotation: the provider refused it"),
        "{err}"
    );
    let unresolved = unresolved_messages(&summary);
    let made_by_b = stats_of(&sim, KEY_B).creates as usize;
    assert!(made_by_b >= 1, "{summary}");
    assert_eq!(unresolved.len(), made_by_b, "{summary}");
    for message in &unresolved {
        assert!(
            message.contains("was made with key2, which the provider refuses now"),
            "{message}"
        );
    }
    assert_eq!(summary["done"], 24 - made_by_b as u64, "{summary}");
    assert_billed_once_per_version(&sim, 24, 1, "nothing billed twice");

    // A rerun without key2 says which jobs it cannot follow up, and pays for none again.
    let without_b = keys_json(&[KEY_A, KEY_C]);
    let (code, again, _) = run_with_keys(&project, &sim, &without_b, &[]);
    assert_eq!(code, 1);
    let gone = unresolved_messages(&again);
    assert_eq!(gone.len(), made_by_b, "{again}");
    for message in &gone {
        assert!(
            message.contains("was made with the key key2 (hash ")
                && message.contains("which this run does not have"),
            "{message}"
        );
    }
    assert_eq!(sim.stats().creates, 24, "not submitted again");
}

#[test]
fn a_key_out_of_money_leaves_the_rotation_and_its_tasks_still_arrive_with_it() {
    // KEY_A pays for 3 tasks of 3 cents.
    let sim = simulator(
        &[&format!("{KEY_A}::9"), KEY_B],
        GenSeconds(0.3, 0.6),
        SimSettings::default(),
    );
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("marsh", 6));
    let both = keys_json(&[KEY_A, KEY_B]);
    let (code, summary, err) = run_with_keys(&project, &sim, &both, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["done"], 12, "{summary}");
    assert!(
        err.contains("key1 leaves the rotation: the provider says its balance is too low"),
        "{err}"
    );
    let a = stats_of(&sim, KEY_A);
    assert_eq!((a.creates, a.out_of_balance), (3, 1), "{a:?}");
    // Its three tasks were polled with it after it left the rotation.
    assert!(a.calls >= 3 + 1 + 3, "{a:?}");
    assert_all_videos(&project, 12, None, "");
    assert_billed_once_per_version(&sim, 6, 2, "");
}

/// The jobs of a run that gave up at `--poll-timeout` stay at the provider: a rerun polls
/// each with the key that made it (the other key's account does not know the task).
#[test]
fn a_rerun_follows_each_job_up_with_the_key_that_made_it_found_by_its_hash() {
    let sim = simulator(
        &[KEY_A, KEY_B],
        GenSeconds(3.0, 4.0),
        SimSettings::default(),
    );
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("cove", 4));
    let (code, first, _) = run_with_keys(
        &project,
        &sim,
        &keys_json(&[KEY_A, KEY_B]),
        &["--poll-timeout", "1s"],
    );
    assert_eq!(code, 1, "{first}");
    let made_by_a = stats_of(&sim, KEY_A).creates;
    assert!(
        made_by_a >= 1 && stats_of(&sim, KEY_B).creates >= 1,
        "{first}"
    );
    let journal =
        std::fs::read_to_string(output_dir(&project).join(".sora-batch/journal.jsonl")).unwrap();
    assert!(
        journal.contains(r#""key_ref":{"label":"key1","hash":""#),
        "{journal}"
    );

    // Without KEY_A: its jobs are named, never paid for again; KEY_B's arrive.
    let (code, partial, _) = run_with_keys(&project, &sim, &keys_json(&[KEY_B]), &[]);
    assert_eq!(code, 1, "{partial}");
    assert_eq!(
        unresolved_messages(&partial).len() as u64,
        made_by_a,
        "{partial}"
    );
    assert_eq!(partial["done"], 8 - made_by_a, "{partial}");

    // The keys in the other order (KEY_B is key1 now): each job still goes to its own.
    let (code, last, err) = run_with_keys(&project, &sim, &keys_json(&[KEY_B, KEY_A]), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(last["done"], made_by_a, "{last}");
    assert_all_videos(&project, 8, None, "");
    assert_billed_once_per_version(&sim, 4, 2, "");
}

#[test]
fn no_key_is_ever_written_to_any_output_log_journal_sidecar_or_report() {
    let sim = simulator(
        &[KEY_A, &format!("{KEY_B}::9"), KEY_C],
        GenSeconds(0.6, 1.0),
        SimSettings {
            echo_key: true,
            fail_rate: 0.2,
            fault_rate: 0.1,
            revoke: vec![format!("{KEY_C}@1").parse().unwrap()],
            ..SimSettings::default()
        },
    );
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("kiln", 8));
    let all = keys_json(&[KEY_A, KEY_B, KEY_C]);
    let report = project.path().join("report.json");
    let args = ["--report", report.to_str().unwrap(), "--verbose"];
    let mut command = project.sora();
    command
        .env("SORA_API_KEYS", &all)
        .env("SORA_BASE_URL", sim.base_url())
        .args(common::batch::FAST)
        .args(args)
        .timeout(common::batch::RUN_TIMEOUT);
    let assert = command.assert();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&assert.get_output().stdout),
        stderr_of(&assert)
    );
    let stats = sim.stats();
    assert!(
        stats.by_key[KEY_C].unauthorized >= 1 && stats.by_key[KEY_B].out_of_balance >= 1,
        "the refusals were exercised: {stats:?}"
    );
    let mut places = vec![("the output".to_string(), printed)];
    for file in walk(project.path())
        .into_iter()
        .filter(|f| !f.ends_with("storyboard.json"))
    {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).to_string();
        places.push((file.display().to_string(), text));
    }
    assert!(
        places.len() > 10,
        "videos, sidecars, journal, log, report: {places:?}"
    );
    for (place, text) in &places {
        for key in [KEY_A, KEY_B, KEY_C] {
            assert!(!text.contains(key), "{place} holds {key}");
            assert!(!text.contains(&key[3..]), "{place} holds part of {key}");
        }
    }

    // A mistake in the list names the variable and the entry, not the key.
    let bad = format!(r#"[{{"key": "{KEY_A}"}}, {{"key": "{KEY_B}", "weight": "heavy"}}]"#);
    let refused = project
        .sora()
        .env("SORA_API_KEYS", &bad)
        .env("SORA_API_KEY", KEY_C)
        .assert()
        .code(2);
    let said = stderr_of(&refused);
    assert!(
        said.contains("SORA_API_KEYS and SORA_API_KEY are both set"),
        "{said}"
    );
    let refused = project.sora().env("SORA_API_KEYS", &bad).assert().code(2);
    let said = stderr_of(&refused);
    assert!(
        said.contains("SORA_API_KEYS: entry 2: \"weight\" must be a whole number"),
        "{said}"
    );
    for key in [KEY_A, KEY_B, KEY_C] {
        assert!(!said.contains(key), "{said}");
    }
}

#[test]
fn a_keys_file_holds_the_same_list_and_its_labels_name_the_keys() {
    let sim = simulator(
        &[KEY_A, KEY_B],
        GenSeconds(0.2, 0.4),
        SimSettings::default(),
    );
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("reef", 3));
    let file = project.write(
        "api_keys.json",
        &format!(
            r#"[{{"key": "{KEY_A}", "label": "studio-a"}}, {{"key": "Bearer {KEY_B}", "name": "studio-b", "weight": 3}}]"#
        ),
    );
    let mut command = project.sora();
    command
        .args(["--keys-file", file.to_str().unwrap()])
        .env("SORA_BASE_URL", sim.base_url())
        .args(common::batch::FAST)
        .timeout(common::batch::RUN_TIMEOUT);
    let (code, summary, err) = common::batch::to_the_end(command);
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["done"], 6, "{summary}");
    let journal = std::fs::read_to_string(output_dir(&project).join(".sora-batch/journal.jsonl"))
        .unwrap_or_default();
    let log = std::fs::read_to_string(output_dir(&project).join("sora-batch.log")).unwrap();
    assert!(log.contains("2 API keys: studio-a, studio-b"), "{log}");
    assert!(!journal.contains(KEY_A) && !log.contains(KEY_A));
}

#[test]
fn a_lost_create_from_before_keys_were_recorded_is_never_paid_again_with_several_keys() {
    // An older version's journal names no key. With several keys, the first one's
    // account cannot show a task another account made: searching it would find nothing
    // and pay again.
    let sim = simulator(
        &[KEY_A, KEY_B],
        GenSeconds(0.2, 0.4),
        SimSettings::default(),
    );
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        &one_version_each(&["cove at dusk"]),
    );
    let key = common::planted::job_key(&project, "storyboard.json", 1, 1);
    let at_ms = common::planted::now_ms() - 60_000;
    common::planted::plant_lost_create(&project, &key, "cove at dusk", at_ms, Some(0));

    let (code, summary, err) = run_with_keys(&project, &sim, &keys_json(&[KEY_A, KEY_B]), &[]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert_eq!(sim.stats().creates, 0, "not paid again\n{summary}");
    let messages = unresolved_messages(&summary);
    assert_eq!(messages.len(), 1, "{summary}");
    assert!(
        messages[0].contains("did not record its key"),
        "{messages:?}"
    );
    assert!(
        messages[0].contains("run once with only the key that made it"),
        "{messages:?}"
    );

    // With the one key that made it, the job is followed up as before.
    let (code, summary, err) = run_with_keys(&project, &sim, &keys_json(&[KEY_B]), &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(summary["done"], 1, "{summary}");
}

#[test]
fn the_dry_run_adds_up_the_keys_balances_and_a_refused_key_is_a_warning_not_a_stop() {
    let sim = simulator(
        &[&format!("{KEY_A}:4:500"), &format!("{KEY_B}:4:70")],
        GenSeconds(0.2, 0.4),
        SimSettings::default(),
    );
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("cove", 1));
    let (code, plan, err) =
        run_with_keys(&project, &sim, &keys_json(&[KEY_A, KEY_B]), &["--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(plan["balance_cents"], 570, "{plan}");

    let keys = keys_json(&[KEY_A, "sk-studio-gone-0000444"]);
    let (code, plan, err) = run_with_keys(&project, &sim, &keys, &["--dry-run"]);
    assert_eq!(code, 0, "a real run goes on with key1\n{err}");
    assert_eq!(plan["balance_cents"], 500, "{plan}");
    let warnings = plan["warnings"].to_string();
    assert!(warnings.contains("key2 is refused"), "{warnings}");
    assert!(
        !format!("{plan}{err}").contains("sk-studio-gone"),
        "no key printed"
    );
    assert_eq!(sim.stats().creates, 0);
}
