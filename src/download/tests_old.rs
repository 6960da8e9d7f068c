//! Downloads against the provider simulator over loopback (cuts, resumes, versions, 416,
//! 404), against a canned raw server for answers the simulator never gives (error pages
//! with status 200, 503, 403), and the file helpers on a temporary folder.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

use super::*;
use crate::sim::{self, GenSeconds, RunningSim, SimSettings};

const VIDEO_BYTES: u64 = 1_000_000;

fn simulator(truncate_rate: f64) -> RunningSim {
    sim::start_on_thread(SimSettings {
        video_bytes: Some(VIDEO_BYTES),
        truncate_rate,
        gen_seconds: GenSeconds(0.2, 0.2),
        seed: Some(11),
        ..SimSettings::default()
    })
    .expect("the simulator starts")
}

fn client() -> reqwest::Client {
    crate::provider::http_client(Duration::from_secs(10))
}

/// Creates a task and waits until its video can be downloaded.
async fn finished_video(sim: &RunningSim) -> Url {
    let http = client();
    let created: Value = http
        .post(format!("{}/create", sim.base_url()))
        .bearer_auth("sk-sim")
        .json(&json!({"prompt": "x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["data"]["task_id"].as_str().unwrap().to_string();
    for _ in 0..100 {
        let task: Value = http
            .get(format!("{}/tasks/{id}", sim.base_url()))
            .bearer_auth("sk-sim")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if task["data"]["status"] == "completed" {
            return Url::parse(task["data"]["video_url"].as_str().unwrap()).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("task {id} never completed");
}

/// The video as a plain GET sees it, and its ETag.
async fn fetched_separately(url: &Url) -> (Vec<u8>, String) {
    let response = client().get(url.clone()).send().await.unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    (response.bytes().await.unwrap().to_vec(), etag)
}

fn source(url: &Url, etag: Option<&str>) -> Source {
    Source {
        url: url.clone(),
        bearer: None,
        etag: etag.map(str::to_string),
    }
}

/// One `download_once` with a fresh client, and the bytes `on_bytes` was told about.
async fn download(source: &Source, dest: &Path) -> (Result<Fetched, DownloadError>, u64) {
    let seen = AtomicU64::new(0);
    let count = |delta| {
        seen.fetch_add(delta, Ordering::Relaxed);
    };
    let result = download_once(&client(), source, dest, &count, &|_| Ok(())).await;
    (result, seen.into_inner())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn assert_complete(dest: &Path, fetched: &Fetched, expected: &[u8]) {
    let on_disk = std::fs::read(dest).unwrap();
    assert_eq!(on_disk.len() as u64, VIDEO_BYTES);
    assert_eq!(fetched.bytes, VIDEO_BYTES);
    assert_eq!(&on_disk[4..8], b"ftyp");
    assert!(
        on_disk == expected,
        "the file differs from the served video"
    );
    assert_eq!(fetched.sha256, sha256_hex(expected));
    assert!(!tmp_path(dest).exists(), "the .tmp is left behind");
}

#[tokio::test]
async fn a_full_download_matches_the_served_bytes() {
    let sim = simulator(0.0);
    let url = finished_video(&sim).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    let (result, seen) = download(&source(&url, None), &dest).await;
    let fetched = result.unwrap();
    let (expected, etag) = fetched_separately(&url).await;
    assert_complete(&dest, &fetched, &expected);
    assert_eq!(seen, VIDEO_BYTES);
    assert_eq!(fetched.resumed_from, 0);
    assert_eq!(fetched.etag.as_deref(), Some(etag.as_str()));
}

/// Big enough that background fdatasyncs start while the body arrives and the hashing
/// thread is fed many chunks: the file and its hash still come out right.
#[tokio::test]
async fn a_video_past_several_writeback_steps_arrives_whole_and_hashed() {
    let size = 5 * WRITEBACK_EVERY / 2;
    let sim = sim::start_on_thread(SimSettings {
        video_bytes: Some(size),
        gen_seconds: GenSeconds(0.2, 0.2),
        ..SimSettings::default()
    })
    .expect("the simulator starts");
    let url = finished_video(&sim).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    let (result, seen) = download(&source(&url, None), &dest).await;
    let fetched = result.unwrap();
    let (expected, _) = fetched_separately(&url).await;
    assert_eq!((fetched.bytes, seen), (size, size));
    assert_eq!(fetched.sha256, sha256_hex(&expected));
    assert!(
        std::fs::read(&dest).unwrap() == expected,
        "the file differs"
    );
    assert!(!tmp_path(&dest).exists(), "the .tmp is left behind");
}

#[tokio::test]
async fn a_cut_download_keeps_its_partial_file_and_the_next_call_resumes() {
    let sim = simulator(1.0);
    let url = finished_video(&sim).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");

    let (result, _) = download(&source(&url, None), &dest).await;
    let err = result.unwrap_err();
    assert!(err.retryable(), "{err}");
    assert!(!dest.exists(), "a partial file sits under the final name");
    let kept = std::fs::metadata(tmp_path(&dest)).unwrap().len();
    assert!(kept > 0 && kept < VIDEO_BYTES, "kept {kept} bytes");
    let etag = err.etag().expect("the cut names the version").to_string();

    let (result, seen) = download(&source(&url, Some(&etag)), &dest).await;
    let fetched = result.unwrap();
    assert_eq!(fetched.resumed_from, kept);
    assert_eq!(seen, VIDEO_BYTES - kept);
    let stats = sim.stats();
    assert_eq!((stats.range_requests, stats.truncations), (1, 1));
    let (expected, _) = fetched_separately(&url).await;
    assert_complete(&dest, &fetched, &expected);
}

#[tokio::test]
async fn a_partial_file_of_another_version_is_restarted_from_zero() {
    let sim = simulator(0.0);
    let url = finished_video(&sim).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    std::fs::write(tmp_path(&dest), vec![b'x'; 300_000]).unwrap();

    let (result, seen) = download(&source(&url, Some("\"an-older-version\"")), &dest).await;
    let fetched = result.unwrap();
    assert_eq!(fetched.resumed_from, 0);
    assert_eq!(seen, VIDEO_BYTES);
    assert_eq!(sim.stats().range_requests, 0, "the range was not honoured");
    let (expected, _) = fetched_separately(&url).await;
    assert_complete(&dest, &fetched, &expected);
}

#[tokio::test]
async fn a_partial_file_that_is_already_complete_is_accepted_on_416() {
    let sim = simulator(0.0);
    let url = finished_video(&sim).await;
    let (expected, etag) = fetched_separately(&url).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    std::fs::write(tmp_path(&dest), &expected).unwrap();

    let (result, seen) = download(&source(&url, Some(&etag)), &dest).await;
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
    let url = finished_video(&sim).await;
    let (expected, etag) = fetched_separately(&url).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    std::fs::write(tmp_path(&dest), vec![0; VIDEO_BYTES as usize + 10]).unwrap();

    let (result, _) = download(&source(&url, Some(&etag)), &dest).await;
    let fetched = result.unwrap();
    assert_eq!(fetched.resumed_from, 0);
    assert_complete(&dest, &fetched, &expected);
}

#[tokio::test]
async fn a_missing_video_is_a_final_error_naming_the_url() {
    let sim = simulator(0.0);
    let url = Url::parse(&format!("http://{}/cdn/missing.mp4", sim.addr)).unwrap();
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    let err = download(&source(&url, None), &dest).await.0.unwrap_err();
    assert!(
        matches!(err, DownloadError::Status { status: 404, .. }),
        "{err:?}"
    );
    assert!(!err.retryable());
    let message = err.to_string();
    assert!(message.contains(url.as_str()), "{message}");
    assert!(message.contains("HTTP 404"), "{message}");
    assert!(!dest.exists() && !tmp_path(&dest).exists());
}

/// A server that answers every request with `response`, and the requests it received.
async fn canned_server(response: String) -> (Url, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buffer = [0; 1024];
            while !request.windows(4).any(|end| end == b"\r\n\r\n") {
                match socket.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(read) => request.extend_from_slice(&buffer[..read]),
                }
            }
            seen.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&request).to_lowercase());
            let _ = socket.write_all(response.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    let url = Url::parse(&format!("http://{addr}/video.mp4?signature=s3cr3t")).unwrap();
    (url, requests)
}

fn answer(status: &str, headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_body_that_is_not_an_mp4_is_rejected_and_deleted() {
    let page = "<html><head><title>Access denied</title></head><body>nope</body></html>";
    let (url, _) = canned_server(answer("200 OK", "Content-Type: text/html\r\n", page)).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    let err = download(&source(&url, None), &dest).await.0.unwrap_err();
    assert!(matches!(err, DownloadError::NotMp4 { .. }), "{err:?}");
    assert!(!err.retryable());
    let message = err.to_string();
    assert!(message.contains("Access denied"), "{message}");
    assert!(message.contains("1_v1.mp4"), "{message}");
    assert!(!dest.exists() && !tmp_path(&dest).exists());
}

#[tokio::test]
async fn server_errors_are_retryable_and_carry_retry_after() {
    let (url, _) = canned_server(answer("503 Service Unavailable", "Retry-After: 7\r\n", "")).await;
    let folder = tempfile::tempdir().unwrap();
    let err = download(&source(&url, None), &folder.path().join("a.mp4"))
        .await
        .0
        .unwrap_err();
    assert!(err.retryable(), "{err}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn a_resume_answered_with_another_range_starts_over_next_time() {
    let headers = "Content-Range: bytes 0-9/10\r\n";
    let (url, _) = canned_server(answer("206 Partial Content", headers, "0123456789")).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("a.mp4");
    std::fs::write(tmp_path(&dest), b"0123").unwrap();
    let err = download(&source(&url, Some("\"v1\"")), &dest)
        .await
        .0
        .unwrap_err();
    assert!(
        matches!(err, DownloadError::RangeMismatch { asked: 4, .. }),
        "{err:?}"
    );
    assert!(err.retryable());
    assert!(!tmp_path(&dest).exists() && !dest.exists());
}

#[tokio::test]
async fn an_expired_link_is_final_and_neither_key_nor_signature_is_shown() {
    let (url, requests) = canned_server(answer("403 Forbidden", "", "expired")).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("a.mp4");
    std::fs::write(tmp_path(&dest), b"partial").unwrap();
    let mut with_key = source(&url, Some("\"v1\""));
    with_key.bearer = Some("sk-very-secret".to_string());
    let err = download(&with_key, &dest).await.0.unwrap_err();
    assert!(!err.retryable());
    let shown = format!("{err} {err:?} {with_key:?}");
    assert!(shown.contains("expired"), "{shown}");
    assert!(
        !shown.contains("sk-very-secret") && !shown.contains("s3cr3t"),
        "{shown}"
    );
    let request = requests.lock().unwrap()[0].clone();
    assert!(request.contains("authorization: bearer sk-very-secret"));
    assert!(request.contains("range: bytes=7-") && request.contains("if-range: \"v1\""));
    assert!(
        tmp_path(&dest).exists(),
        "the partial file is kept for a fresh link"
    );
}

#[tokio::test]
async fn a_refused_connection_is_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = Url::parse(&format!("http://{}/v.mp4", listener.local_addr().unwrap())).unwrap();
    drop(listener);
    let folder = tempfile::tempdir().unwrap();
    let err = download(&source(&url, None), &folder.path().join("a.mp4"))
        .await
        .0
        .unwrap_err();
    assert!(matches!(err, DownloadError::Unreachable { .. }), "{err:?}");
    assert!(err.retryable());
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_full_disk_is_final_and_says_how_much_is_needed() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let sim = simulator(0.0);
    let url = finished_video(&sim).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    // Every write to /dev/full fails with ENOSPC.
    std::os::unix::fs::symlink("/dev/full", tmp_path(&dest)).unwrap();
    let err = download(&source(&url, None), &dest).await.0.unwrap_err();
    assert!(matches!(err, DownloadError::DiskFull { .. }), "{err:?}");
    assert!(!err.retryable());
    let message = err.to_string();
    assert!(message.contains("MB more are needed"), "{message}");
    assert!(message.contains("nothing was written under the final name"));
    assert!(!dest.exists());
}

#[test]
fn statuses_are_retryable_by_class() {
    let status = |status| DownloadError::Status {
        url: "u".into(),
        status,
        detail: String::new(),
        retry_after: None,
    };
    for code in [408, 429, 500, 502, 503, 504] {
        assert!(status(code).retryable(), "{code}");
    }
    for code in [400, 401, 403, 404, 410, 416] {
        assert!(!status(code).retryable(), "{code}");
    }
}

#[test]
fn content_ranges_are_read_in_both_forms() {
    let range = |value| {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_RANGE, HeaderValue::from_static(value));
        content_range(&headers)
    };
    assert_eq!(range("bytes 100-999/1000"), Some((Some(100), Some(1000))));
    assert_eq!(range("bytes */1000"), Some((None, Some(1000))));
    assert_eq!(range("bytes 5-9/*"), Some((Some(5), None)));
    assert_eq!(range("pages 1-2/3"), None);
}

#[test]
fn temporary_names_add_a_suffix() {
    assert_eq!(
        tmp_path(Path::new("out/Segment_1/1_v1.mp4")),
        Path::new("out/Segment_1/1_v1.mp4.tmp")
    );
}

#[test]
fn atomic_writes_replace_the_whole_file_and_leave_no_tmp() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("1_v1.json");
    write_atomically(&path, b"{\"old\": true}").unwrap();
    write_atomically(&path, b"{}").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"{}");
    assert!(!tmp_path(&path).exists());
    let missing = folder.path().join("no-such-folder/x.json");
    let err = write_atomically(&missing, b"{}").unwrap_err();
    assert!(err.to_string().contains("no-such-folder"), "{err}");
}

#[test]
fn set_aside_keeps_every_old_version() {
    let folder = tempfile::tempdir().unwrap();
    let video = folder.path().join("1_v1.mp4");
    let sidecar = folder.path().join("1_v1.json");
    let stamp = "20261126T064835Z";
    assert_eq!(set_aside(&video, stamp).unwrap(), None);

    std::fs::write(&video, b"first").unwrap();
    std::fs::write(&sidecar, b"{\"first\": 1}").unwrap();
    let aside = set_aside(&video, stamp).unwrap().unwrap();
    assert_eq!(
        aside,
        folder.path().join("1_v1.mp4.superseded-20261126T064835Z")
    );
    let sidecar_aside = folder.path().join("1_v1.json.superseded-20261126T064835Z");
    assert_eq!(std::fs::read(&sidecar_aside).unwrap(), b"{\"first\": 1}");
    assert!(!video.exists() && !sidecar.exists());

    // The same stamp again (two replacements within a second) must not overwrite.
    std::fs::write(&video, b"second").unwrap();
    let again = set_aside(&video, stamp).unwrap().unwrap();
    assert_eq!(
        again,
        folder.path().join("1_v1.mp4.superseded-20261126T064835Z-2")
    );
    assert_eq!(std::fs::read(&aside).unwrap(), b"first");
    assert_eq!(std::fs::read(&again).unwrap(), b"second");

    let err = set_aside(&again, "a/b").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn sources_never_print_their_key() {
    let source = Source {
        url: Url::parse("https://cdn.example/v.mp4?sig=abc").unwrap(),
        bearer: Some("sk-live-123".to_string()),
        etag: None,
    };
    let printed = format!("{source:?}");
    assert!(
        !printed.contains("sk-live-123") && !printed.contains("abc"),
        "{printed}"
    );
}
