//! Reference images on disk with `--provider openai`, the real binary against the
//! simulator: the file's own bytes arrive as the `input_reference` file part (multipart)
//! or a data URL (JSON), an image of another size than the video is refused before
//! anything is paid, and editing the image generates the job again.

mod common;

use common::Project;
use common::batch::{assert_all_videos, assert_billed_once_per_version, sha256_hex};
use common::images::png;
use common::openai::{run, simulator};
use common::stderr_of;
use serde_json::Value;
use sora_batch::sim::SimSettings;

/// A project whose storyboard's two segments start from `frames/first.png`, a 1280x720
/// image in the storyboard's own folder; `extra` adds fields to the first segment.
fn project_with_image(image: &[u8], extra: &str) -> Project {
    let project = Project::new();
    project.write(
        "input/ep1/storyboard.json",
        &format!(
            r#"{{"defaults": {{"duration_seconds": 4, "gen_count": 1, "image_url": "frames/first.png"}},
                "segments": [{{"segment_index": 1, "prompt_text": "the harbour at dawn"{extra}}},
                             {{"segment_index": 2, "prompt_text": "the harbour at noon"}}]}}"#
        ),
    );
    let frames = project.path().join("input/ep1/frames");
    std::fs::create_dir_all(&frames).unwrap();
    std::fs::write(frames.join("first.png"), image).unwrap();
    project
}

fn dry_run_json(project: &Project, args: &[&str]) -> Value {
    let dry = project
        .sora()
        .args(["--provider", "openai", "--dry-run", "--json"])
        .args(args)
        .assert()
        .code(0);
    serde_json::from_slice(&dry.get_output().stdout).unwrap()
}

#[test]
fn openai_a_local_image_arrives_as_the_multipart_file_part_with_its_own_bytes() {
    let sim = simulator(SimSettings::default());
    let image = png(1280, 720);
    let project = project_with_image(&image, "");

    let plan = dry_run_json(&project, &[]);
    let listed = &plan["reference_images"];
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(1),
        "one file, used twice: {plan}"
    );
    assert_eq!(listed[0]["path"], "input/ep1/frames/first.png", "{plan}");
    assert_eq!(
        (
            &listed[0]["format"],
            &listed[0]["width"],
            &listed[0]["height"]
        ),
        (&"PNG".into(), &1280.into(), &720.into())
    );
    let text = project
        .sora()
        .args(["--provider", "openai", "--dry-run"])
        .assert()
        .code(0);
    let text = String::from_utf8_lossy(&text.get_output().stdout).to_string() + &stderr_of(&text);
    assert!(
        text.contains("Reference images on disk:")
            && text.contains("  input/ep1/frames/first.png  PNG 1280x720, 33 B"),
        "{text}"
    );

    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_all_videos(&project, 2, None, &err);
    assert_billed_once_per_version(&sim, 2, 1, &err);
    let stats = sim.stats();
    assert_eq!(stats.reference_creates, 2, "{stats:?}");
    let seen = stats.last_reference.expect("the image arrived");
    assert_eq!(seen.how, "file");
    assert_eq!(seen.sha256, Some(sha256_hex(&image)));
    assert_eq!(seen.pixels.as_deref(), Some("1280x720"));
}

#[test]
fn openai_json_creates_send_a_local_image_as_a_data_url() {
    let sim = simulator(SimSettings::default());
    let image = png(1280, 720);
    let project = project_with_image(&image, "");
    let (code, summary, err) = run(&project, &sim, &["--request-format", "json"]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_all_videos(&project, 2, None, &err);
    let seen = sim.stats().last_reference.expect("the image arrived");
    assert_eq!(seen.how, "data_url");
    assert_eq!(seen.sha256, Some(sha256_hex(&image)));
}

#[test]
fn openai_an_image_of_another_size_than_the_video_is_refused_before_anything_is_paid() {
    let sim = simulator(SimSettings::default());
    // 1280x720 fits segment 2; segment 1 is vertical, 720x1280.
    let project = project_with_image(&png(1280, 720), r#", "resolution": "vertical""#);
    let (code, _, err) = run(&project, &sim, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(r#"input/ep1/storyboard.json: segment 1: image_url: "frames/first.png" is 1280x720 pixels, but this provider takes a reference image only at the video's size, 720x1280; resize it, or pass --fit-images"#),
        "{err}"
    );
    assert!(
        !err.contains("segment 2"),
        "segment 2's frame matches: {err}"
    );
    assert_eq!(sim.stats().creates, 0);
}

#[test]
fn openai_editing_the_image_generates_its_jobs_again_and_moving_it_does_not() {
    let sim = simulator(SimSettings::default());
    let project = project_with_image(&png(1280, 720), "");
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(dry_run_json(&project, &[])["jobs_done"], 2);

    // The same picture under another name: nothing to do.
    let frames = project.path().join("input/ep1/frames");
    std::fs::rename(frames.join("first.png"), frames.join("moved.png")).unwrap();
    let storyboard = project.path().join("input/ep1/storyboard.json");
    let text = std::fs::read_to_string(&storyboard).unwrap();
    std::fs::write(&storyboard, text.replace("first.png", "moved.png")).unwrap();
    assert_eq!(dry_run_json(&project, &[])["jobs_done"], 2);

    // A new picture: both segments change.
    let mut edited = png(1280, 720);
    edited.extend(b"a different picture");
    std::fs::write(frames.join("moved.png"), &edited).unwrap();
    let plan = dry_run_json(&project, &[]);
    assert_eq!(
        (&plan["jobs_changed"], &plan["jobs_done"]),
        (&2.into(), &0.into()),
        "{plan}"
    );
    let (code, summary, err) = run(&project, &sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    let seen = sim.stats().last_reference.unwrap();
    assert_eq!(seen.sha256, Some(sha256_hex(&edited)));
    assert_eq!(sim.stats().creates, 4, "two jobs, twice");
}

#[test]
fn sora_hk_refuses_a_local_image_naming_the_fixes() {
    let project = project_with_image(&png(1280, 720), "");
    let refused = project.sora().arg("--dry-run").assert().code(2);
    let err = stderr_of(&refused);
    assert!(
        err.contains(r#"input/ep1/storyboard.json: segment 1: image_url: "frames/first.png" is a file on disk; this provider fetches reference images from public links"#)
            && err.contains("--image-host-cmd"),
        "{err}"
    );
}
