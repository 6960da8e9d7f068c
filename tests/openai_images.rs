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

// ---- --fit-images: letterboxed copies in the state folder (tests named fit_*) ----------
mod fit {
    use std::io::Cursor;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, SystemTime};

    use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
    use sora_batch::sim::SimSettings;

    use super::common::Project;
    use super::common::batch::sha256_hex;
    use super::common::openai::run;

    const ORANGE: [u8; 3] = [230, 120, 20];

    /// A real 1024x1024 PNG at `input/frames/kite.png`, and a storyboard of one
    /// horizontal (1280x720) segment using it, `versions` times.
    fn square_kite(project: &Project, versions: u32) -> (PathBuf, Vec<u8>) {
        let image = RgbImage::from_pixel(1024, 1024, Rgb(ORANGE));
        let mut png = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(image)
            .write_to(&mut png, ImageFormat::Png)
            .unwrap();
        let path = project.path().join("input/frames/kite.png");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, png.get_ref()).unwrap();
        project.write(
            "input/storyboard.json",
            &format!(
                r#"{{"defaults": {{"duration_seconds": 4, "gen_count": {versions}}}, "segments": [
                    {{"segment_index": 1, "prompt_text": "a kite", "image_url": "frames/kite.png"}}]}}"#
            ),
        );
        (path, png.into_inner())
    }

    fn copy_path(project: &Project, original: &[u8]) -> PathBuf {
        let name = format!("{}-1280x720.png", sha256_hex(original));
        project.path().join("output/.sora-batch/images").join(name)
    }

    fn files_in(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .map(|entries| {
                let names = entries.map(|entry| entry.unwrap().file_name());
                names
                    .map(|name| name.to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn fit_a_square_png_reaches_the_api_as_a_1280x720_letterboxed_png_and_stays_unchanged() {
        let sim = super::simulator(SimSettings::default());
        let project = Project::new();
        let (path, original) = square_kite(&project, 1);
        let (code, summary, err) = run(&project, &sim, &["--fit-images"]);
        assert_eq!(code, 0, "{err}\n{summary}");
        assert_eq!(summary["done"], 1, "{summary}");

        let stats = sim.stats();
        assert_eq!((stats.creates, stats.reference_creates), (1, 1), "{err}");
        let seen = stats.last_reference.expect("the simulator saw the image");
        assert_eq!(seen.how, "file");
        assert_eq!(seen.pixels.as_deref(), Some("1280x720"));
        // What it received is the copy in the state folder: a 1280x720 PNG, the square
        // centred on black bars.
        let copy = std::fs::read(copy_path(&project, &original)).expect("the copy is kept");
        assert_eq!(seen.sha256, Some(sha256_hex(&copy)));
        assert_eq!(seen.bytes, Some(copy.len() as u64));
        let sent = image::load_from_memory_with_format(&copy, ImageFormat::Png)
            .unwrap()
            .into_rgb8();
        assert_eq!(sent.dimensions(), (1280, 720));
        assert_eq!(sent.get_pixel(100, 360).0, [0, 0, 0]);
        assert_eq!(sent.get_pixel(640, 360).0, ORANGE);
        // The user's file is as it was.
        assert_eq!(std::fs::read(&path).unwrap(), original);
    }

    #[test]
    fn fit_a_rerun_sends_the_copy_it_kept_without_making_it_again() {
        let sim = super::simulator(SimSettings::default());
        let project = Project::new();
        let (_, original) = square_kite(&project, 1);
        let (code, summary, err) = run(&project, &sim, &["--fit-images"]);
        assert_eq!(code, 0, "{err}\n{summary}");
        let copy = copy_path(&project, &original);
        let made = std::fs::read(&copy).unwrap();
        // Dated far back: a copy made again would carry today's date.
        let long_ago = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        std::fs::File::options()
            .write(true)
            .open(&copy)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();

        // A second version to submit, now as a JSON create: the same copy, as a data URL.
        square_kite(&project, 2);
        let args = ["--fit-images", "--request-format", "json"];
        let (code, summary, err) = run(&project, &sim, &args);
        assert_eq!(code, 0, "{err}\n{summary}");
        let stats = sim.stats();
        assert_eq!(stats.creates, 2, "{err}");
        let seen = stats.last_reference.expect("the simulator saw the image");
        assert_eq!(seen.how, "data_url");
        assert_eq!(seen.sha256, Some(sha256_hex(&made)));
        let meta = std::fs::metadata(&copy).unwrap();
        assert_eq!(
            meta.modified().unwrap(),
            long_ago,
            "the copy was made again"
        );
        let folder = copy.parent().unwrap();
        let name = copy.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(files_in(folder), [name.clone(), format!("{name}.sha256")]);
    }

    #[test]
    fn fit_without_the_flag_another_pixel_size_is_refused_naming_both_before_any_create() {
        let sim = super::simulator(SimSettings::default());
        let project = Project::new();
        square_kite(&project, 1);
        let (code, summary, err) = run(&project, &sim, &[]);
        assert_eq!(code, 2, "{err}\n{summary}");
        assert!(
            err.contains("input/storyboard.json: segment 1: image_url:")
                && err.contains("1024x1024")
                && err.contains("1280x720")
                && err.contains("--fit-images"),
            "{err}"
        );
        assert_eq!(sim.stats().creates, 0);
        assert!(!project.path().join("output/.sora-batch/images").exists());
    }

    #[test]
    fn fit_an_image_that_cannot_be_decoded_stops_the_run_before_any_create() {
        let sim = super::simulator(SimSettings::default());
        let project = Project::new();
        let (path, mut original) = square_kite(&project, 1);
        // Its header (a 1024x1024 PNG) passes validation; its pixels are cut off.
        original.truncate(60);
        std::fs::write(&path, &original).unwrap();
        let (code, summary, err) = run(&project, &sim, &["--fit-images"]);
        assert_eq!(code, 2, "{err}\n{summary}");
        assert!(
            err.contains("\"frames/kite.png\"")
                && err.contains("cannot be letterboxed to 1280x720")
                && err.contains("resize it to 1280x720 yourself"),
            "{err}"
        );
        assert_eq!(sim.stats().creates, 0);
        let folder = project.path().join("output/.sora-batch/images");
        assert_eq!(files_in(&folder), Vec::<String>::new());
    }
}
// ---- end of --fit-images --------------------------------------------------------------
