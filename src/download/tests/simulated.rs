//! Downloads against the provider simulator: whole files, cuts and resumes, partial files
//! that must not be resumed (another task's, without a record, another version, another
//! size), links planted at the partial file's name, and a full disk.

use std::path::Path;

use super::*;

#[tokio::test]
async fn a_full_download_matches_the_served_bytes() {
    let sim = simulator(0.0);
    let task = finished_video(&sim).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    let (result, seen) = download(&source(&task.url, &task.id), &dest).await;
    let fetched = result.unwrap();
    let (expected, etag) = fetched_separately(&task.url).await;
    assert_eq!(expected.len() as u64, VIDEO_BYTES);
    assert_complete(&dest, &fetched, &expected);
    assert_eq!(seen, VIDEO_BYTES);
    assert_eq!(fetched.resumed_from, 0);
    assert_eq!(fetched.etag.as_deref(), Some(etag.as_str()));
}

/// Big enough that background fdatasyncs start while the body arrives and the hashing
/// thread is fed many chunks: the file and its hash still come out right.
#[tokio::test]
async fn a_video_past_several_writeback_steps_arrives_whole_and_hashed() {
    let size = 5 * sink::WRITEBACK_EVERY / 2;
    let sim = sim::start_on_thread(SimSettings {
        video_bytes: Some(size),
        gen_seconds: GenSeconds(0.2, 0.2),
        ..SimSettings::default()
    })
    .expect("the simulator starts");
    let task = finished_video(&sim).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    let (result, seen) = download(&source(&task.url, &task.id), &dest).await;
    let fetched = result.unwrap();
    let (expected, _) = fetched_separately(&task.url).await;
    assert_eq!((fetched.bytes, seen), (size, size));
    assert_complete(&dest, &fetched, &expected);
}

#[tokio::test]
async fn a_cut_download_keeps_its_partial_file_and_the_next_call_resumes() {
    let sim = simulator(1.0);
    let task = finished_video(&sim).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    let source = source(&task.url, &task.id);

    let (result, _) = download(&source, &dest).await;
    let err = result.unwrap_err();
    assert!(err.retryable(), "{err}");
    assert!(!dest.exists(), "a partial file sits under the final name");
    let kept = std::fs::metadata(tmp_path(&dest)).unwrap().len();
    assert!(kept > 0 && kept < VIDEO_BYTES, "kept {kept} bytes");
    let (expected, etag) = fetched_separately(&task.url).await;
    let record = Origin::read(&dest)
        .await
        .expect("the partial file has a record");
    assert_eq!(record, Origin::new(&task.id, Some(etag), Some(VIDEO_BYTES)));

    let (result, seen) = download(&source, &dest).await;
    let fetched = result.unwrap();
    assert_eq!(fetched.resumed_from, kept);
    assert_eq!(seen, VIDEO_BYTES - kept);
    let stats = sim.stats();
    assert_eq!((stats.range_requests, stats.truncations), (1, 1));
    assert_complete(&dest, &fetched, &expected);
}

/// Downloads `task`'s video over a planted partial file and asserts it was not resumed:
/// the whole file was fetched from byte 0 and is exactly the served one.
async fn assert_started_over(sim: &RunningSim, task: &Task, dest: &Path) {
    let (result, seen) = download(&source(&task.url, &task.id), dest).await;
    let fetched = result.unwrap();
    assert_eq!(fetched.resumed_from, 0);
    assert_eq!(seen, VIDEO_BYTES);
    assert_eq!(sim.stats().range_requests, 0, "a range was served");
    let (expected, _) = fetched_separately(&task.url).await;
    assert_complete(dest, &fetched, &expected);
}

#[tokio::test]
async fn a_partial_file_of_another_task_is_discarded_not_resumed() {
    let sim = simulator(0.0);
    let (old, new) = (finished_video(&sim).await, finished_video(&sim).await);
    let (old_video, _) = fetched_separately(&old.url).await;
    let (_, new_etag) = fetched_separately(&new.url).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    // Even when the ETags cannot tell the two apart (a CDN whose ETags are made of size
    // and time can give two files the same one): the owner alone rules it out.
    let record = Origin::new(&old.id, Some(new_etag), Some(VIDEO_BYTES));
    plant(&dest, &old_video[..500_000], Some(record));
    assert_started_over(&sim, &new, &dest).await;
}

#[tokio::test]
async fn a_partial_file_without_a_record_is_discarded_not_resumed() {
    let sim = simulator(0.0);
    let task = finished_video(&sim).await;
    let (video, _) = fetched_separately(&task.url).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    // Even its own bytes: without a record nothing proves where they came from.
    plant(&dest, &video[..500_000], None);
    assert_started_over(&sim, &task, &dest).await;
}

#[tokio::test]
async fn a_partial_file_of_another_version_is_restarted_from_zero() {
    let sim = simulator(0.0);
    let task = finished_video(&sim).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    let older = Some("\"an-older-version\"".to_string());
    plant(
        &dest,
        &[b'x'; 300_000],
        Some(Origin::new(&task.id, older, Some(VIDEO_BYTES))),
    );
    // If-Range names the older version, so the simulator sends the whole file.
    assert_started_over(&sim, &task, &dest).await;
}

#[tokio::test]
async fn a_resume_whose_total_differs_from_the_record_starts_over() {
    let sim = simulator(0.0);
    let task = finished_video(&sim).await;
    let (video, etag) = fetched_separately(&task.url).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    // The ETag matches, so the simulator answers 206, but the file it describes is not
    // the recorded one: nothing may be appended.
    let record = Origin::new(&task.id, Some(etag), Some(VIDEO_BYTES + 1));
    plant(&dest, &video[..300_000], Some(record));
    let (result, seen) = download(&source(&task.url, &task.id), &dest).await;
    let fetched = result.unwrap();
    assert_eq!((fetched.resumed_from, seen), (0, VIDEO_BYTES));
    let stats = sim.stats();
    // The test's own GET, the range that was refused, then the whole file.
    assert_eq!((stats.downloads, stats.range_requests), (3, 1), "{stats:?}");
    assert_complete(&dest, &fetched, &video);
}

#[tokio::test]
async fn a_record_without_its_partial_file_is_removed() {
    let sim = simulator(0.0);
    let task = finished_video(&sim).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    Origin::new("an-old-task", None, Some(5))
        .save(&dest)
        .unwrap();
    assert_started_over(&sim, &task, &dest).await;
}

#[tokio::test]
async fn a_partial_file_that_is_already_complete_is_accepted_on_416() {
    let sim = simulator(0.0);
    let task = finished_video(&sim).await;
    let (expected, etag) = fetched_separately(&task.url).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    let record = Origin::new(&task.id, Some(etag.clone()), Some(VIDEO_BYTES));
    plant(&dest, &expected, Some(record));

    let (result, seen) = download(&source(&task.url, &task.id), &dest).await;
    let fetched = result.unwrap();
    assert_eq!(fetched.resumed_from, VIDEO_BYTES);
    assert_eq!(seen, 0);
    assert_eq!(fetched.etag.as_deref(), Some(etag.as_str()));
    assert_eq!(sim.stats().downloads, 1, "no body was sent again");
    assert_complete(&dest, &fetched, &expected);
}

#[tokio::test]
async fn a_partial_file_longer_than_the_video_is_discarded() {
    let sim = simulator(0.0);
    let task = finished_video(&sim).await;
    let (_, etag) = fetched_separately(&task.url).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    let record = Origin::new(&task.id, Some(etag), None);
    plant(&dest, &vec![0; VIDEO_BYTES as usize + 10], Some(record));
    let (result, _) = download(&source(&task.url, &task.id), &dest).await;
    let fetched = result.unwrap();
    assert_eq!(fetched.resumed_from, 0);
    let (expected, _) = fetched_separately(&task.url).await;
    assert_complete(&dest, &fetched, &expected);
}

#[tokio::test]
async fn a_missing_video_is_a_final_error_naming_the_url() {
    let sim = simulator(0.0);
    let url = Url::parse(&format!("http://{}/cdn/missing.mp4", sim.addr)).unwrap();
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    let err = download(&source(&url, "t"), &dest).await.0.unwrap_err();
    assert!(
        matches!(err, DownloadError::Status { status: 404, .. }),
        "{err:?}"
    );
    assert!(!err.retryable());
    let message = err.to_string();
    assert!(message.contains(url.as_str()), "{message}");
    assert!(message.contains("HTTP 404"), "{message}");
    assert!(!dest.exists());
    assert_no_leftovers(&dest);
}

/// A file outside the output folder, and a link to it planted at `at`.
#[cfg(unix)]
fn plant_link(at: &Path) -> (tempfile::TempDir, std::path::PathBuf) {
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("precious.bin");
    std::fs::write(&target, vec![b'p'; 300_000]).unwrap();
    std::os::unix::fs::symlink(&target, at).unwrap();
    (elsewhere, target)
}

#[cfg(unix)]
fn assert_untouched(target: &Path) {
    let bytes = std::fs::read(target).unwrap();
    assert!(
        bytes.len() == 300_000 && bytes.iter().all(|byte| *byte == b'p'),
        "the file behind the link was changed ({} bytes now)",
        bytes.len()
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_tmp_symlink_is_never_followed_and_its_target_stays_untouched() {
    let sim = simulator(0.0);
    let task = finished_video(&sim).await;
    let (_, etag) = fetched_separately(&task.url).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    let (_elsewhere, target) = plant_link(&tmp_path(&dest));
    // Even with a record that would allow resuming those 300 KB.
    Origin::new(&task.id, Some(etag), Some(VIDEO_BYTES))
        .save(&dest)
        .unwrap();

    assert_started_over(&sim, &task, &dest).await;
    assert_untouched(&target);
    assert!(
        std::fs::symlink_metadata(&dest)
            .unwrap()
            .file_type()
            .is_file()
    );
}

#[cfg(unix)]
#[tokio::test]
async fn links_at_the_record_or_final_name_are_replaced_not_written_through() {
    let sim = simulator(0.0);
    let task = finished_video(&sim).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    let (_one, record_target) = plant_link(&origin::path(&dest));
    let (_two, final_target) = plant_link(&dest);

    assert_started_over(&sim, &task, &dest).await;
    assert_untouched(&record_target);
    assert_untouched(&final_target);
    assert!(
        std::fs::symlink_metadata(&dest)
            .unwrap()
            .file_type()
            .is_file()
    );
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_full_disk_is_final_and_says_how_much_is_needed() {
    let Ok(full) = tokio::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .await
    else {
        return;
    };
    let sim = simulator(0.0);
    let task = finished_video(&sim).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    // Every write to /dev/full fails with ENOSPC.
    let sink = Sink::over(full, &dest, 0, Some(VIDEO_BYTES)).await.unwrap();
    let response = client().get(task.url.clone()).send().await.unwrap();
    let source = source(&task.url, &task.id);
    let err = sink.receive(response, &source, &|_| {}).await.unwrap_err();
    assert!(matches!(err, DownloadError::DiskFull { .. }), "{err:?}");
    assert!(!err.retryable());
    let message = err.to_string();
    assert!(message.contains("MB more are needed"), "{message}");
    assert!(message.contains("nothing was written under the final name"));
    assert!(!dest.exists());
}
