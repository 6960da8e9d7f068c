//! Chains of shots: a storyboard whose shot 2 remixes shot 1's first take and shot 3
//! remixes shot 2's, run by the real binary against the simulator with `--provider openai`
//! and `--provider draw`: in order, each billed once, a failed source ending the chain,
//! and a run killed mid-chain resumed without paying twice.

mod common;

use common::Project;
use common::batch::{assert_all_videos, output_dir};
use common::stderr_of;
use serde_json::Value;
use sora_batch::sim::{self, FORBIDDEN_MARK, SimSettings};

/// Shot 1, then shot 2 remixing its v1, then shot 3 remixing shot 2's v1; `first` is
/// shot 1's prompt.
fn chain(first: &str) -> String {
    format!(
        r#"{{"defaults": {{"gen_count": 1, "duration_seconds": DURATION}}, "segments": [
            {{"segment_index": 1, "prompt_text": "{first}"}},
            {{"segment_index": 2, "prompt_text": "the kite at noon", "remix_of": {{"segment": 1, "version": 1}}}},
            {{"segment_index": 3, "prompt_text": "the kite drifts out to sea", "remix_of": {{"segment": 2}}}}]}}"#
    )
}

fn sidecar(project: &Project, segment: u32) -> Value {
    let path = output_dir(project).join(format!("storyboard/Segment_{segment}/{segment}_v1.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|err| panic!("{path:?}: {err}")))
        .unwrap()
}

mod openai {
    use super::*;
    use common::openai::{run, simulator};

    fn project(first: &str) -> Project {
        let project = Project::new();
        project.write(
            "input/storyboard.json",
            &chain(first).replace("DURATION", "4"),
        );
        project
    }

    /// Each remix the simulator made named the video of the shot before it, in order.
    fn assert_chained(project: &Project, sim: &sim::RunningSim, note: &str) {
        let remixes = sim.stats().openai_remixes;
        let pairs: Vec<(String, String)> = remixes
            .iter()
            .map(|r| (r.source.clone(), r.prompt.clone()))
            .collect();
        let id = |segment| {
            sidecar(project, segment)["task_id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(
            pairs,
            [
                (id(1), "the kite at noon".to_string()),
                (id(2), "the kite drifts out to sea".to_string())
            ],
            "{note}"
        );
        for segment in 1..=3 {
            assert_eq!(sidecar(project, segment)["remix_id"], id(segment), "{note}");
        }
    }

    #[test]
    fn a_three_shot_chain_runs_in_order_each_billed_once() {
        let sim = simulator(SimSettings::default());
        let project = project("a red kite rises over the dunes");
        let dry = project
            .sora()
            .args(["--provider", "openai", "--dry-run"])
            .assert()
            .code(0);
        let text = String::from_utf8_lossy(&dry.get_output().stdout).to_string() + &stderr_of(&dry);
        assert!(
            text.contains("input/storyboard.json: segment 2 remixes segment 1 v1; segment 3 remixes segment 2 v1"),
            "{text}"
        );
        let (code, summary, err) = run(&project, &sim, &[]);
        assert_eq!(code, 0, "{err}\n{summary}");
        assert_all_videos(&project, 3, None, &err);
        assert_eq!(sim.stats().creates, 3, "each shot once: {err}");
        assert_chained(&project, &sim, &err);
        // Nothing left to do, and nothing paid again.
        let (code, summary, err) = run(&project, &sim, &[]);
        assert_eq!(
            (code, &summary["skipped"]),
            (0, &Value::from(3)),
            "{err}\n{summary}"
        );
        assert_eq!(sim.stats().creates, 3);
    }

    #[test]
    fn a_source_that_fails_ends_the_shots_remixing_it_naming_it() {
        let sim = simulator(SimSettings::default());
        let project = project(&format!("a {FORBIDDEN_MARK} kite"));
        let (code, summary, err) = run(&project, &sim, &[]);
        assert_eq!(code, 1, "{err}\n{summary}");
        assert_eq!(sim.stats().creates, 1, "the remixes were never sent: {err}");
        let failures = summary["failures"].as_array().unwrap();
        let by_segment = |n: u64| {
            failures
                .iter()
                .find(|f| f["segment"] == n)
                .unwrap_or_else(|| panic!("segment {n} failed: {summary}"))
        };
        assert_eq!(by_segment(2)["reason"], "its source take did not finish");
        let message = by_segment(2)["message"].as_str().unwrap();
        assert!(
            message.contains("segment 1 v1, did not finish (failed at the provider"),
            "{message}"
        );
        assert!(
            by_segment(3)["message"]
                .as_str()
                .unwrap()
                .contains("segment 2 v1, did not finish"),
            "{summary}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_run_killed_mid_chain_is_resumed_by_a_rerun_that_pays_for_no_shot_twice() {
        let sim = simulator(SimSettings {
            gen_seconds: sim::GenSeconds(1.0, 1.5),
            ..SimSettings::default()
        });
        let project = project("a red kite rises over the dunes");
        let child = common::openai::process(&project, &sim)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the binary starts");
        // Killed once shot 2's remix is at the provider: shot 1 is done, shot 3 not sent.
        common::batch::kill_when(child, &project, "shot 2 is submitted", || {
            !sim.stats().openai_remixes.is_empty()
        });
        assert_eq!(sim.stats().creates, 2);
        let (code, summary, err) = run(&project, &sim, &[]);
        assert_eq!(code, 0, "{err}\n{summary}");
        assert_all_videos(&project, 3, None, &err);
        assert_eq!(
            sim.stats().creates,
            3,
            "shot 2 was followed up, not paid again: {err}"
        );
        assert_chained(&project, &sim, &err);
    }
}

mod draw {
    use super::*;
    use common::draw::{run, simulator};

    fn project() -> Project {
        let project = Project::new();
        let storyboard = chain("a red kite rises over the dunes").replace("DURATION", "10");
        project.write("input/storyboard.json", &storyboard);
        project
    }

    /// Each remix named the pid of the shot before it, in order, and was taken.
    fn assert_chained(project: &Project, sim: &sim::RunningSim, note: &str) {
        let pid = |segment| {
            sidecar(project, segment)["remix_id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let seen: Vec<(String, String, bool)> = sim
            .stats()
            .draw
            .remixes
            .iter()
            .map(|r| (r.target.clone(), r.prompt.clone(), r.accepted))
            .collect();
        assert_eq!(
            seen,
            [
                (pid(1), "the kite at noon".to_string(), true),
                (pid(2), "the kite drifts out to sea".to_string(), true)
            ],
            "{note}"
        );
    }

    #[test]
    fn a_three_shot_chain_runs_in_order_on_draw_naming_each_pid() {
        let sim = simulator(SimSettings::default());
        let project = project();
        let (code, summary, err) = run(&project, &sim, &[]);
        assert_eq!(code, 0, "{err}\n{summary}");
        assert_all_videos(&project, 3, None, &err);
        assert_eq!(sim.stats().draw.creates, 3, "{err}");
        assert_chained(&project, &sim, &err);
    }

    #[cfg(unix)]
    #[test]
    fn a_run_killed_mid_chain_on_draw_is_resumed_without_paying_twice() {
        let sim = simulator(SimSettings {
            gen_seconds: sim::GenSeconds(1.0, 1.5),
            ..SimSettings::default()
        });
        let project = project();
        let child = common::draw::process(&project, &sim)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the binary starts");
        // Killed once the journal holds shot 2's task: draw cannot look a lost create up,
        // so the kill comes after the answer is safe, as a crash mid-generation would.
        let journal = output_dir(&project).join(".sora-batch/journal.jsonl");
        let submitted =
            |line: &str| line.contains(r#""event":"submitted""#) && line.contains(r#""segment":2"#);
        common::batch::kill_when(child, &project, "shot 2 is submitted", || {
            std::fs::read_to_string(&journal).is_ok_and(|text| text.lines().any(submitted))
        });
        assert_eq!(sim.stats().draw.creates, 2);
        let (code, summary, err) = run(&project, &sim, &[]);
        assert_eq!(code, 0, "{err}\n{summary}");
        assert_all_videos(&project, 3, None, &err);
        let creates = sim.stats().draw.creates;
        assert_eq!(creates, 3, "shot 2 was followed up, not paid again: {err}");
        assert_chained(&project, &sim, &err);
    }
}
