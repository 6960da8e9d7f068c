use std::io::Cursor;

use image::{DynamicImage, ImageFormat as Encoded, Rgb, RgbImage};

use std::sync::Arc;

use super::*;
use crate::plan::JobState;
use crate::storyboard::ImageFormat;

fn args(flags: &[&str]) -> RunArgs {
    let mut all = vec!["sora-batch"];
    all.extend_from_slice(flags);
    <crate::cli::Cli as clap::Parser>::try_parse_from(all)
        .unwrap()
        .run
}

fn fit_openai() -> RunArgs {
    args(&["--provider", "openai", "--fit-images"])
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_pixel(width, height, Rgb([200, 120, 40]));
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut out, Encoded::Png)
        .unwrap();
    out.into_inner()
}

/// `bytes` written at `dir/frames/a.png`, described as validation describes it.
fn image_at(dir: &Path, bytes: &[u8], size: (u32, u32)) -> LocalImage {
    LocalImage {
        written: "frames/a.png".to_string(),
        ..LocalImage::written_at(&dir.join("frames/a.png"), bytes, ImageFormat::Png, size)
    }
}

fn job(segment: &Arc<Segment>, version: u32, state: JobState) -> JobSpec {
    JobSpec {
        provider: "openai",
        ..JobSpec::example(segment, version, state)
    }
}

/// An image's segment: versions 1, 2 and 3 may be submitted (new, changed, in flight),
/// 4 is done, 5 failed before, 6 is an extra take.
fn jobs_of(image: LocalImage) -> Vec<JobSpec> {
    let segment = Arc::new(Segment {
        image_file: Some(image),
        ..Segment::example("a kite")
    });
    let mut extra = job(&segment, 6, JobState::New);
    extra.extra = true;
    vec![
        job(&segment, 1, JobState::New),
        job(&segment, 2, JobState::Changed),
        job(&segment, 3, JobState::InFlight),
        job(&segment, 4, JobState::Done),
        job(&segment, 5, JobState::FailedBefore),
        extra,
    ]
}

fn fitted(job: &JobSpec) -> Option<&FittedCopy> {
    job.segment.image_file.as_ref()?.fitted.as_ref()
}

fn folder_names(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn fit_jobs_to_submit_share_one_letterboxed_copy_keeping_the_originals_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let image = image_at(dir.path(), &png(1024, 1024), (1024, 1024));
    let original = std::fs::read(&image.path).unwrap();
    let mut jobs = jobs_of(image.clone());
    let fingerprints: Vec<_> = jobs.iter().map(|job| job.fingerprint.clone()).collect();
    let state = dir.path().join(".sora-batch");
    std::fs::create_dir_all(&state).unwrap();
    prepare(&mut jobs, &state, &fit_openai()).unwrap();

    let copy = fitted(&jobs[0])
        .expect("version 1 is sent as a copy")
        .clone();
    assert_eq!(
        copy.path,
        state.join(format!("images/{}-1280x720.png", image.sha256))
    );
    let bytes = std::fs::read(&copy.path).unwrap();
    assert_eq!(copy.sha256, hex(&Sha256::digest(&bytes)));
    let record = std::fs::read_to_string(kept::record_of(&copy.path)).unwrap();
    assert_eq!(record.trim(), copy.sha256);
    let decoded = image::load_from_memory_with_format(&bytes, Encoded::Png).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (1280, 720));
    // The versions still share one segment; the jobs this run sends no create for keep
    // theirs.
    assert!(Arc::ptr_eq(&jobs[0].segment, &jobs[1].segment));
    assert!(Arc::ptr_eq(&jobs[0].segment, &jobs[2].segment));
    for untouched in &jobs[3..] {
        assert_eq!(fitted(untouched), None, "{:?}", untouched.key);
    }
    // What the job is stays the original image: same fingerprint, same hash.
    for (job, before) in jobs.iter().zip(&fingerprints) {
        assert_eq!(&job.fingerprint, before);
        assert_eq!(job.segment.fingerprint(), **before);
    }
    assert_eq!(std::fs::read(&image.path).unwrap(), original);
    let (sent, format) = jobs[0]
        .segment
        .image_file
        .as_ref()
        .unwrap()
        .read_to_send()
        .unwrap();
    assert_eq!((sent, format), (bytes, ImageFormat::Png));
}

#[test]
fn fit_nothing_is_made_without_the_flag_for_a_matching_image_or_for_sora_hk() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join(".sora-batch");
    let square = image_at(dir.path(), &png(1024, 1024), (1024, 1024));
    for (flags, image) in [
        (&["--provider", "openai"][..], square.clone()),
        (&["--provider", "sora-hk", "--fit-images"][..], square),
        (
            &["--provider", "openai", "--fit-images"][..],
            image_at(dir.path(), &png(1280, 720), (1280, 720)),
        ),
    ] {
        let mut jobs = jobs_of(image);
        prepare(&mut jobs, &state, &args(flags)).unwrap();
        assert!(jobs.iter().all(|job| fitted(job).is_none()), "{flags:?}");
        assert!(!state.join(FOLDER).exists(), "{flags:?}");
    }
}

#[test]
fn fit_a_rerun_reuses_the_checked_copy_without_reading_the_image_again() {
    let dir = tempfile::tempdir().unwrap();
    let image = image_at(dir.path(), &png(1024, 1024), (1024, 1024));
    let mut first = jobs_of(image.clone());
    prepare(&mut first, dir.path(), &fit_openai()).unwrap();
    // Gone: a rerun that decoded it again would fail.
    std::fs::remove_file(&image.path).unwrap();
    let mut again = jobs_of(image);
    prepare(&mut again, dir.path(), &fit_openai()).unwrap();
    assert_eq!(fitted(&again[0]), fitted(&first[0]));
}

#[test]
fn fit_a_copy_damaged_since_it_was_made_is_made_again_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let image = image_at(dir.path(), &png(1024, 1024), (1024, 1024));
    let mut first = jobs_of(image.clone());
    prepare(&mut first, dir.path(), &fit_openai()).unwrap();
    let copy = fitted(&first[0]).unwrap().clone();
    let good = std::fs::read(&copy.path).unwrap();
    std::fs::write(&copy.path, &good[..good.len() / 2]).unwrap();
    // Sent as it is now, the half copy is refused at the create.
    let refused = first[0]
        .segment
        .image_file
        .as_ref()
        .unwrap()
        .read_to_send()
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("letterboxed copy") && refused.contains("changed"),
        "{refused}"
    );
    let mut again = jobs_of(image);
    prepare(&mut again, dir.path(), &fit_openai()).unwrap();
    assert_eq!(fitted(&again[0]), Some(&copy));
    assert_eq!(std::fs::read(&copy.path).unwrap(), good);
}

#[test]
fn fit_an_undecodable_image_stops_the_run_naming_the_file_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = png(1024, 1024);
    bytes.truncate(40);
    let image = image_at(dir.path(), &bytes, (1024, 1024));
    let err = prepare(&mut jobs_of(image), dir.path(), &fit_openai()).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("the reference image \"frames/a.png\" (")
            && message.contains("cannot be letterboxed to 1280x720")
            && message.contains("resize it to 1280x720 yourself"),
        "{message}"
    );
    assert_eq!(folder_names(&dir.path().join(FOLDER)), Vec::<String>::new());
}

#[test]
fn fit_an_image_changed_since_it_was_checked_is_not_letterboxed() {
    let dir = tempfile::tempdir().unwrap();
    let image = image_at(dir.path(), &png(1024, 1024), (1024, 1024));
    std::fs::write(&image.path, png(1000, 1000)).unwrap();
    let err = prepare(&mut jobs_of(image), dir.path(), &fit_openai()).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("\"frames/a.png\"") && message.contains("changed since the run started"),
        "{message}"
    );
    assert_eq!(folder_names(&dir.path().join(FOLDER)), Vec::<String>::new());
}

#[test]
fn fit_a_copy_that_cannot_be_written_stops_the_run_and_leaves_no_half_file() {
    let dir = tempfile::tempdir().unwrap();
    let image = image_at(dir.path(), &png(1024, 1024), (1024, 1024));
    // A folder where the copy goes: the rename over it fails after the bytes are written.
    let blocked = format!("{}-1280x720.png", image.sha256);
    std::fs::create_dir_all(dir.path().join(FOLDER).join(&blocked)).unwrap();
    let err = prepare(&mut jobs_of(image), dir.path(), &fit_openai()).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, FitError::Write { .. })
            && message.contains("\"frames/a.png\"")
            && message.contains("free some space"),
        "{message}"
    );
    assert_eq!(folder_names(&dir.path().join(FOLDER)), vec![blocked]);
}
