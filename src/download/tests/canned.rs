//! Downloads from a canned raw server, for answers the simulator never gives: error pages
//! with status 200, 503, 403, a refused connection, and hostile answers to a resume (a
//! 206 of another range or another version) or to a plain GET (a `Content-Length` shorter
//! than the video).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// A server that answers the n-th request with `answers[n]` (the last one for every
/// request after that), and the requests it received, lowercased.
pub(super) async fn canned_server(answers: Vec<Vec<u8>>) -> (Url, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    serve(listener, answers)
}

/// [`canned_server`] on a listener bound already (so that its address can be in answers).
pub(super) fn serve(
    listener: tokio::net::TcpListener,
    answers: Vec<Vec<u8>>,
) -> (Url, Arc<Mutex<Vec<String>>>) {
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
            let index = {
                let mut seen = seen.lock().unwrap();
                seen.push(String::from_utf8_lossy(&request).to_lowercase());
                (seen.len() - 1).min(answers.len() - 1)
            };
            let _ = socket.write_all(&answers[index]).await;
            let _ = socket.shutdown().await;
        }
    });
    let url = Url::parse(&format!("http://{addr}/video.mp4?signature=s3cr3t")).unwrap();
    (url, requests)
}

pub(super) fn answer(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

#[tokio::test]
async fn a_body_that_is_not_an_mp4_is_rejected_and_deleted() {
    let page = b"<html><head><title>Access denied</title></head><body>nope</body></html>";
    let headers = "Content-Type: text/html\r\n";
    let (url, _) = canned_server(vec![answer("200 OK", headers, page)]).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    let err = download(&source(&url, "t"), &dest).await.0.unwrap_err();
    assert!(matches!(err, DownloadError::NotMp4 { .. }), "{err:?}");
    assert!(!err.retryable());
    let message = err.to_string();
    assert!(message.contains("Access denied"), "{message}");
    assert!(message.contains("1_v1.mp4"), "{message}");
    assert!(!dest.exists());
    assert_no_leftovers(&dest);
}

#[tokio::test]
async fn server_errors_are_retryable_and_carry_retry_after() {
    let unavailable = answer("503 Service Unavailable", "Retry-After: 7\r\n", b"");
    let (url, _) = canned_server(vec![unavailable]).await;
    let folder = tempfile::tempdir().unwrap();
    let err = download(&source(&url, "t"), &folder.path().join("a.mp4"))
        .await
        .0
        .unwrap_err();
    assert!(err.retryable(), "{err}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
}

/// A partial file of `video`'s first `have` bytes, recorded as version "v1" of task `t`.
pub(super) fn plant_v1(dest: &Path, video: &[u8], have: usize) {
    let record = Origin::new("t", Some("\"v1\"".to_string()), Some(video.len() as u64));
    plant(dest, &video[..have], Some(record));
}

#[tokio::test]
async fn a_resume_answered_with_another_range_is_discarded_and_started_over() {
    let video = small_mp4(7, 5_000);
    let wrong = answer(
        "206 Partial Content",
        "ETag: \"v1\"\r\nContent-Range: bytes 0-9/5000\r\n",
        &video[..10],
    );
    let whole = answer("200 OK", "ETag: \"v1\"\r\n", &video);
    let (url, requests) = canned_server(vec![wrong, whole]).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("a.mp4");
    plant_v1(&dest, &video, 1_000);

    let fetched = download(&source(&url, "t"), &dest).await.0.unwrap();
    assert_eq!(fetched.resumed_from, 0);
    assert_complete(&dest, &fetched, &video);
    let requests = requests.lock().unwrap();
    assert!(
        requests[0].contains("range: bytes=1000-"),
        "{}",
        requests[0]
    );
    assert!(!requests[1].contains("range:"), "{}", requests[1]);
}

/// The server ignores If-Range and sends the rest of a newer version: appended, it would
/// make a file whose head is the old version's and whose tail is the new one's.
#[tokio::test]
async fn a_206_with_another_etag_than_asked_is_not_spliced() {
    let (old, new) = (small_mp4(1, 5_000), small_mp4(2, 5_000));
    let tail = answer(
        "206 Partial Content",
        "ETag: \"v2\"\r\nContent-Range: bytes 1000-4999/5000\r\n",
        &new[1_000..],
    );
    let whole = answer("200 OK", "ETag: \"v2\"\r\n", &new);
    let (url, requests) = canned_server(vec![tail, whole]).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("a.mp4");
    plant_v1(&dest, &old, 1_000);

    let fetched = download(&source(&url, "t"), &dest).await.0.unwrap();
    assert_eq!(fetched.resumed_from, 0);
    assert_eq!(fetched.etag.as_deref(), Some("\"v2\""));
    assert_complete(&dest, &fetched, &new);
    let requests = requests.lock().unwrap();
    assert!(requests[0].contains("if-range: \"v1\""), "{}", requests[0]);
    assert_eq!(requests.len(), 2, "asked for the rest, then for everything");
}

/// The server announces (and sends) fewer bytes than the video has: every size it gave
/// matches, but the MP4's own boxes say it is cut short.
#[tokio::test]
async fn a_content_length_shorter_than_the_video_is_never_published() {
    let video = small_mp4(3, 5_000);
    let (url, _) = canned_server(vec![answer("200 OK", "", &video[..4_900])]).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");

    let err = download(&source(&url, "t"), &dest).await.0.unwrap_err();
    assert!(matches!(err, DownloadError::BrokenMp4 { .. }), "{err:?}");
    assert!(err.retryable(), "a fresh download may well come out whole");
    let message = err.to_string();
    assert!(message.contains("1_v1.mp4"), "{message}");
    assert!(
        message.contains("its boxes end at byte 5000 but the file has 4900 bytes"),
        "{message}"
    );
    assert!(!dest.exists(), "a truncated video was published");
    assert_no_leftovers(&dest);
}

#[tokio::test]
async fn a_part_sent_for_the_whole_file_is_refused_and_nothing_kept() {
    let video = small_mp4(4, 5_000);
    let part = answer(
        "206 Partial Content",
        "Content-Range: bytes 100-4999/5000\r\n",
        &video[100..],
    );
    let (url, _) = canned_server(vec![part]).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("a.mp4");
    let err = download(&source(&url, "t"), &dest).await.0.unwrap_err();
    assert!(
        matches!(err, DownloadError::RangeMismatch { .. }),
        "{err:?}"
    );
    assert!(err.retryable());
    assert!(err.to_string().contains("bytes 100-4999/5000"), "{err}");
    assert!(!dest.exists());
    assert_no_leftovers(&dest);
}

#[tokio::test]
async fn an_expired_link_is_final_and_neither_key_nor_signature_is_shown() {
    let (url, requests) = canned_server(vec![answer("403 Forbidden", "", b"expired")]).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("a.mp4");
    plant_v1(&dest, &small_mp4(1, 5_000), 7);
    let mut with_key = source(&url, "t");
    with_key.auth = DownloadAuth::bearer("sk-very-secret", url.origin());
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
        tmp_path(&dest).exists() && origin::path(&dest).exists(),
        "the partial file and its record are kept for a fresh link"
    );
}

#[tokio::test]
async fn a_refused_connection_is_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = Url::parse(&format!("http://{}/v.mp4", listener.local_addr().unwrap())).unwrap();
    drop(listener);
    let folder = tempfile::tempdir().unwrap();
    let err = download(&source(&url, "t"), &folder.path().join("a.mp4"))
        .await
        .0
        .unwrap_err();
    assert!(matches!(err, DownloadError::Unreachable { .. }), "{err:?}");
    assert!(err.retryable());
}

/// A chunked body of `chunks` chunks of `size` bytes each (no `Content-Length`).
fn chunked(status: &str, headers: &str, size: usize, chunks: usize) -> Vec<u8> {
    let mut bytes = format!(
        "HTTP/1.1 {status}\r\n{headers}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..chunks {
        bytes.extend_from_slice(format!("{size:x}\r\n").as_bytes());
        bytes.extend(std::iter::repeat_n(b'z', size));
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"0\r\n\r\n");
    bytes
}

#[tokio::test]
async fn a_resumed_body_running_past_the_announced_size_is_stopped_and_discarded() {
    // The rest is 4,000 bytes; the server streams 64,000 without a length.
    let video = small_mp4(5, 5_000);
    let headers = "ETag: \"v1\"\r\nContent-Range: bytes 1000-4999/5000\r\n";
    let (url, _) = canned_server(vec![chunked("206 Partial Content", headers, 1_000, 64)]).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("a.mp4");
    plant_v1(&dest, &video, 1_000);

    let (result, seen) = download(&source(&url, "t"), &dest).await;
    let err = result.unwrap_err();
    assert!(
        matches!(
            err,
            DownloadError::Overrun {
                expected: 5_000,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.retryable(), "another attempt starts over");
    assert!(seen <= 4_000, "{seen} bytes taken past the announced size");
    assert!(!dest.exists());
    assert_no_leftovers(&dest);
}

#[tokio::test]
async fn a_body_without_a_size_is_stopped_at_the_largest_accepted() {
    let (url, _) = canned_server(vec![chunked("200 OK", "", 64 * 1024, 64)]).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("a.mp4");
    let mut capped = source(&url, "t");
    capped.max_bytes = 1 << 20;
    let (result, seen) = download(&capped, &dest).await;
    let err = result.unwrap_err();
    assert!(matches!(err, DownloadError::PastLimit { .. }), "{err:?}");
    assert!(!err.retryable());
    assert!(seen <= 1 << 20, "{seen} bytes taken past the limit");
    assert!(
        err.to_string().contains("--max-video-bytes (1.00 MiB)"),
        "{err}"
    );
    assert!(!dest.exists());
    assert_no_leftovers(&dest);
}

#[tokio::test]
async fn links_to_local_networks_are_refused_unless_the_api_is_local_too() {
    let video = small_mp4(6, 5_000);
    let (url, requests) = canned_server(vec![answer("200 OK", "", &video)]).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("a.mp4");
    let mut public_api = source(&url, "t");
    public_api.local_links = false;
    let err = download(&public_api, &dest).await.0.unwrap_err();
    assert!(matches!(err, DownloadError::RefusedLink { .. }), "{err:?}");
    assert!(!err.retryable());
    assert!(err.to_string().contains("private network"), "{err}");
    assert!(requests.lock().unwrap().is_empty(), "the link was fetched");
    assert!(!dest.exists());

    let fetched = download(&source(&url, "t"), &dest).await.0.unwrap();
    assert_complete(&dest, &fetched, &video);
}

#[test]
fn redirects_from_public_links_to_local_networks_are_refused() {
    let url = |text: &str| Url::parse(text).unwrap();
    let public = [url("https://cdn.example/v.mp4")];
    assert!(redirect_refusal(&public, &url("http://169.254.169.254/x")).is_some());
    assert!(redirect_refusal(&public, &url("http://localhost/x")).is_some());
    assert_eq!(
        redirect_refusal(&public, &url("https://cdn2.example/v.mp4")),
        None
    );
    let local = [url("http://127.0.0.1:8790/cdn/v.mp4")];
    assert_eq!(
        redirect_refusal(&local, &url("http://127.0.0.1:8790/x")),
        None
    );
    let many = vec![url("https://cdn.example/v.mp4"); 10];
    assert_eq!(
        redirect_refusal(&many, &url("https://cdn.example/w")),
        Some("too many redirects")
    );
}

#[test]
fn local_addresses_are_told_from_public_ones() {
    for local in [
        "http://localhost/v.mp4",
        "http://Video.LOCALHOST./v.mp4",
        "http://127.0.0.2/v.mp4",
        "http://10.1.2.3/v.mp4",
        "http://172.16.0.1/v.mp4",
        "http://192.168.1.1/v.mp4",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/v.mp4",
        "http://0.0.0.0/v.mp4",
        "http://[::1]/v.mp4",
        "http://[fe80::1]/v.mp4",
        "http://[fd00::1]/v.mp4",
        "http://[::ffff:127.0.0.1]/v.mp4",
    ] {
        assert!(is_local(&Url::parse(local).unwrap()), "{local}");
    }
    for public in [
        "https://cdn.example/v.mp4",
        "http://8.8.8.8/v.mp4",
        "http://100.128.0.1/v.mp4",
        "http://[2606:4700::1]/v.mp4",
        "https://localhost.example.com/v.mp4",
    ] {
        assert!(!is_local(&Url::parse(public).unwrap()), "{public}");
    }
}
