use std::fs;
use std::path::Path;

use super::*;

const SETTINGS: SegmentSettings = crate::provider::sora_hk::CAPABILITIES.segment_settings(2);

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn layout(root: &Path, mode: OutputMode) -> Layout {
    Layout {
        input_dir: root.join("input"),
        output_dir: root.join("output"),
        mode,
    }
}

const TWO_SEGMENTS: &str = r#"{"segments": [
    {"segment_index": 1, "prompt_text": "a"},
    {"segment_index": 2, "prompt_text": "b", "is_pro": true, "duration_seconds": 25, "gen_count": 1}
]}"#;

#[test]
fn segments_expand_into_versions_with_paths() {
    let root = tempfile::tempdir().unwrap();
    let layout = layout(root.path(), OutputMode::Centralized);
    write(
        &layout.input_dir.join("ep1/storyboard_a.json"),
        TWO_SEGMENTS,
    );
    let plan = build(&layout, SETTINGS, Finished::default()).unwrap();
    assert!(plan.invalid.is_empty());
    let paths: Vec<(u32, u32, PathBuf)> = plan
        .jobs
        .iter()
        .map(|job| {
            (
                job.segment.index,
                job.version,
                job.video.strip_prefix(root.path()).unwrap().to_path_buf(),
            )
        })
        .collect();
    assert_eq!(
        paths,
        vec![
            (
                1,
                1,
                PathBuf::from("output/ep1/storyboard_a/Segment_1/1_v1.mp4")
            ),
            (
                1,
                2,
                PathBuf::from("output/ep1/storyboard_a/Segment_1/1_v2.mp4")
            ),
            (
                2,
                1,
                PathBuf::from("output/ep1/storyboard_a/Segment_2/2_v1.mp4")
            ),
        ]
    );
    assert!(plan.jobs.iter().all(|job| job.state == JobState::New));
    assert_eq!(
        plan.jobs[0].sidecar(),
        plan.jobs[0].video.with_extension("json")
    );
}

#[test]
fn states_follow_video_and_sidecar_fingerprint() {
    let root = tempfile::tempdir().unwrap();
    let layout = layout(root.path(), OutputMode::InPlace);
    write(&layout.input_dir.join("storyboard.json"), TWO_SEGMENTS);
    let first = build(&layout, SETTINGS, Finished::default()).unwrap();
    let [done, changed, unknown] = [&first.jobs[0], &first.jobs[1], &first.jobs[2]];
    assert!(
        done.video
            .starts_with(layout.input_dir.join("storyboard_assets"))
    );
    write(&done.video, "video");
    write(
        &done.sidecar(),
        &format!(r#"{{"fingerprint": "{}"}}"#, done.fingerprint),
    );
    write(&changed.video, "video");
    write(
        &changed.sidecar(),
        r#"{"fingerprint": "from an older edit"}"#,
    );
    write(&unknown.video, "video made by another tool, no sidecar");

    let again = build(&layout, SETTINGS, Finished::default()).unwrap();
    let states: Vec<JobState> = again.jobs.iter().map(|job| job.state).collect();
    assert_eq!(
        states,
        [JobState::Done, JobState::Changed, JobState::Changed]
    );

    let forced = build(&layout, SETTINGS, Finished::FORCE).unwrap();
    assert!(forced.jobs.iter().all(|job| job.state != JobState::Done));
}

#[test]
fn tallies_count_only_work_to_do() {
    let root = tempfile::tempdir().unwrap();
    let layout = layout(root.path(), OutputMode::Centralized);
    write(&layout.input_dir.join("storyboard_1.json"), TWO_SEGMENTS);
    write(
        &layout.input_dir.join("storyboard_2.json"),
        r#"{"segments": [{"segment_index": 1, "prompt_text": "c", "duration_seconds": 15}]}"#,
    );
    let plan = build(&layout, SETTINGS, Finished::default()).unwrap();
    let done = &plan.jobs[0];
    write(&done.video, "video");
    write(
        &done.sidecar(),
        &format!(r#"{{"fingerprint": "{}"}}"#, done.fingerprint),
    );
    let plan = build(&layout, SETTINGS, Finished::default()).unwrap();
    let (each, total) = plan.tallies(&crate::provider::sora_hk::CAPABILITIES.price_model);
    assert_eq!(
        each[0],
        Tally {
            new: 2,
            changed: 0,
            done: 1,
            in_flight: 0,
            failed_before: 0,
            unknown_outcome: 0,
            video_seconds: 10 + 25,
            cost_cents: 3 + 30
        }
    );
    assert_eq!(
        each[1],
        Tally {
            new: 2,
            changed: 0,
            done: 0,
            in_flight: 0,
            failed_before: 0,
            unknown_outcome: 0,
            video_seconds: 30,
            cost_cents: 6
        }
    );
    assert_eq!(
        total,
        Tally {
            new: 4,
            changed: 0,
            done: 1,
            in_flight: 0,
            failed_before: 0,
            unknown_outcome: 0,
            video_seconds: 65,
            cost_cents: 39
        }
    );
    assert_eq!(total.total(), 5);
    // Priced per second of video instead: the same jobs, the provider's other model.
    let per_second = crate::provider::PriceModel::PerSecond(crate::provider::Prices {
        normal_cents: 10,
        pro_cents: 30,
        pro_large_cents: None,
    });
    let (each, total) = plan.tallies(&per_second);
    assert_eq!(each[0].cost_cents, 10 * 10 + 30 * 25);
    assert_eq!(each[1].cost_cents, 2 * 10 * 15);
    assert_eq!(total.cost_cents, 100 + 750 + 300);
}

#[test]
fn invalid_files_are_kept_apart_from_valid_ones() {
    let root = tempfile::tempdir().unwrap();
    let layout = layout(root.path(), OutputMode::Centralized);
    write(&layout.input_dir.join("storyboard_good.json"), TWO_SEGMENTS);
    write(
        &layout.input_dir.join("storyboard_bad.json"),
        r#"{"segments": [{"segment_index": 1}]}"#,
    );
    let plan = build(&layout, SETTINGS, Finished::default()).unwrap();
    assert_eq!(plan.storyboards.len(), 1);
    assert_eq!(plan.invalid.len(), 1);
    assert!(plan.invalid[0].shown.ends_with("input/storyboard_bad.json"));
    assert_eq!(plan.problem_count(), 1);
    assert!(plan.jobs.iter().all(|job| job.storyboard == 0));
}

#[test]
fn missing_input_folder_is_an_error() {
    let root = tempfile::tempdir().unwrap();
    let layout = layout(root.path(), OutputMode::Centralized);
    let err = build(&layout, SETTINGS, Finished::default()).unwrap_err();
    assert!(matches!(err, PlanError::InputMissing(_)));
    assert!(err.to_string().contains("--input-dir"));
    write(&layout.input_dir, "a file");
    assert!(matches!(
        build(&layout, SETTINGS, Finished::default()),
        Err(PlanError::InputNotAFolder(_))
    ));
}

/// Whether the file system under `dir` tells names apart by case (macOS and Windows
/// usually do not, and then two such storyboards cannot even exist).
fn case_sensitive(dir: &Path) -> bool {
    write(&dir.join("case_probe"), "");
    let sensitive = !dir.join("CASE_PROBE").exists();
    fs::remove_file(dir.join("case_probe")).unwrap();
    sensitive
}

#[test]
fn storyboards_writing_to_one_folder_are_both_invalid_and_plan_no_jobs() {
    let root = tempfile::tempdir().unwrap();
    let layout = layout(root.path(), OutputMode::Centralized);
    fs::create_dir_all(&layout.input_dir).unwrap();
    if !case_sensitive(&layout.input_dir) {
        eprintln!("skipped: this file system cannot hold storyboard_a.json and storyboard_a.JSON");
        return;
    }
    write(&layout.input_dir.join("storyboard_a.json"), TWO_SEGMENTS);
    write(&layout.input_dir.join("storyboard_a.JSON"), TWO_SEGMENTS);
    write(&layout.input_dir.join("storyboard_b.json"), TWO_SEGMENTS);
    let plan = build(&layout, SETTINGS, Finished::default()).unwrap();
    assert_eq!(plan.storyboards.len(), 1);
    assert!(plan.storyboards[0].relative.ends_with("storyboard_b.json"));
    assert!(plan.jobs.iter().all(|job| job.storyboard == 0));
    assert_eq!(plan.jobs.len(), 3);
    assert_eq!(plan.invalid.len(), 2);
    for (file, other) in [
        ("storyboard_a.JSON", "storyboard_a.json"),
        ("storyboard_a.json", "storyboard_a.JSON"),
    ] {
        let invalid = plan
            .invalid
            .iter()
            .find(|i| i.shown.ends_with(file))
            .unwrap();
        assert_eq!(invalid.problems.len(), 1);
        let message = invalid.problems[0].message.to_string();
        assert!(
            message.starts_with(&format!(
                "writes to the same folder as {}",
                layout.input_dir.join(other).display()
            )),
            "{message}"
        );
    }
}

#[cfg(unix)]
#[test]
fn two_names_that_are_not_utf8_never_share_a_folder_or_a_journal_name() {
    use std::os::unix::ffi::OsStrExt;
    let root = tempfile::tempdir().unwrap();
    let layout = layout(root.path(), OutputMode::Centralized);
    fs::create_dir_all(&layout.input_dir).unwrap();
    let names: Vec<&Path> = [b"storyboard_\xe9.json".as_slice(), b"storyboard_\xe8.json"]
        .into_iter()
        .map(|name| Path::new(std::ffi::OsStr::from_bytes(name)))
        .collect();
    for name in &names {
        if fs::write(layout.input_dir.join(name), TWO_SEGMENTS).is_err() {
            eprintln!("skipped: this file system refuses names that are not UTF-8");
            return;
        }
    }
    let plan = build(&layout, SETTINGS, Finished::default()).unwrap();
    assert!(
        plan.jobs.is_empty(),
        "both would be journaled as storyboard_\u{FFFD}.json"
    );
    assert_eq!(plan.invalid.len(), 2);
    for invalid in &plan.invalid {
        assert!(
            invalid.problems[0]
                .message
                .to_string()
                .starts_with("has the same name in the journal as"),
            "{:?}",
            invalid.problems
        );
    }
    // Alone, such a name plans jobs in a folder of its own bytes.
    fs::remove_file(layout.input_dir.join(names[1])).unwrap();
    let plan = build(&layout, SETTINGS, Finished::default()).unwrap();
    assert!(plan.invalid.is_empty());
    assert!(
        plan.jobs[0].video.starts_with(
            layout
                .output_dir
                .join(std::ffi::OsStr::from_bytes(b"storyboard_\xe9"))
        )
    );
}

#[test]
fn an_input_asking_for_more_jobs_than_a_run_plans_is_refused_before_they_are_made() {
    let root = tempfile::tempdir().unwrap();
    let layout = layout(root.path(), OutputMode::Centralized);
    // Two storyboards of 5,001 segments × 100 takes: 1,000,200 jobs.
    let segments: Vec<String> = (1..=5_001)
        .map(|n| format!(r#"{{"segment_index": {n}, "prompt_text": "shot {n}"}}"#))
        .collect();
    let storyboard = format!(r#"{{"segments": [{}]}}"#, segments.join(","));
    write(&layout.input_dir.join("storyboard_a.json"), &storyboard);
    write(&layout.input_dir.join("storyboard_b.json"), &storyboard);
    let err = build(
        &layout,
        crate::provider::sora_hk::CAPABILITIES.segment_settings(100),
        Finished::default(),
    )
    .unwrap_err();
    assert!(matches!(err, PlanError::TooManyJobs { .. }), "{err}");
    let message = err.to_string();
    assert_eq!(MAX_JOBS_PER_RUN, 1_000_000, "the message states the limit");
    assert!(message.contains("more than 1,000,000 jobs"), "{message}");
    assert!(
        message.contains("split them into several input folders"),
        "{message}"
    );
}
