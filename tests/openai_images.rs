//! Reference images on disk with `--provider openai`: the real binary against the
//! simulator's OpenAI side over 127.0.0.1, which reads each `input_reference` it receives
//! (format, pixel size, SHA-256) and refuses one whose pixels are not the video's.

mod common;

// ---- --fit-images: letterboxed copies in the state folder (tests named fit_*) ----------
mod fit {
    use std::io::Cursor;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, SystemTime};

    use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
    use serde_json::Value;
    use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

    use super::common::Project;
    use super::common::batch::{FAST, RUN_TIMEOUT, sha256_hex};

    const ORANGE: [u8; 3] = [230, 120, 20];

    fn simulator() -> RunningSim {
        sim::start_on_thread(SimSettings {
            gen_seconds: GenSeconds(0.2, 0.6),
            seed: Some(7),
            ..SimSettings::default()
        })
        .expect("the simulator starts")
    }

    /// The binary with `--provider openai` at the simulator, to its end: exit code, the
    /// `--json` summary, stderr.
    fn run(project: &Project, sim: &RunningSim, args: &[&str]) -> (i32, Value, String) {
        let output = project
            .sora()
            .env("OPENAI_API_KEY", sim::DEFAULT_KEY)
            .args(["--provider", "openai", "--base-url", &sim.base_url()])
            .args(FAST)
            .args(args)
            .timeout(RUN_TIMEOUT)
            .output()
            .expect("it runs");
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        let summary = serde_json::from_str(&stdout).unwrap_or(Value::Null);
        (output.status.code().unwrap_or(-1), summary, stderr)
    }

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
        let sim = simulator();
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
        let sim = simulator();
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
        let sim = simulator();
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
        let sim = simulator();
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
