use std::fs;
use std::path::Path;

use super::*;

const SETTINGS: SegmentSettings = SegmentSettings { gen_count: 2 };

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
    let plan = build(&layout, SETTINGS, false).unwrap();
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
    let first = build(&layout, SETTINGS, false).unwrap();
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

    let again = build(&layout, SETTINGS, false).unwrap();
    let states: Vec<JobState> = again.jobs.iter().map(|job| job.state).collect();
    assert_eq!(
        states,
        [JobState::Done, JobState::Changed, JobState::Changed]
    );

    let forced = build(&layout, SETTINGS, true).unwrap();
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
    let plan = build(&layout, SETTINGS, false).unwrap();
    let done = &plan.jobs[0];
    write(&done.video, "video");
    write(
        &done.sidecar(),
        &format!(r#"{{"fingerprint": "{}"}}"#, done.fingerprint),
    );
    let plan = build(&layout, SETTINGS, false).unwrap();
    let (each, total) = plan.tallies(&Prices::DOCUMENTED);
    assert_eq!(
        each[0],
        Tally {
            new: 2,
            changed: 0,
            done: 1,
            in_flight: 0,
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
            video_seconds: 65,
            cost_cents: 39
        }
    );
    assert_eq!(total.total(), 5);
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
    let plan = build(&layout, SETTINGS, false).unwrap();
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
    let err = build(&layout, SETTINGS, false).unwrap_err();
    assert!(matches!(err, PlanError::InputMissing(_)));
    assert!(err.to_string().contains("--input-dir"));
    write(&layout.input_dir, "a file");
    assert!(matches!(
        build(&layout, SETTINGS, false),
        Err(PlanError::InputNotAFolder(_))
    ));
}
