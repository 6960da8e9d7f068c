//! The file helpers on a temporary folder (temporary names, atomic writes, links planted
//! at their names, setting old versions aside), and the small pure pieces: retryable
//! statuses, `Content-Range` parsing, what a `Source` prints.

use reqwest::header::{CONTENT_RANGE, HeaderMap, HeaderValue};

use super::*;

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
        resume::content_range(&headers)
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
        folder.path().join("1_v1.superseded-20261126T064835Z.mp4")
    );
    let sidecar_aside = folder.path().join("1_v1.superseded-20261126T064835Z.json");
    assert_eq!(std::fs::read(&sidecar_aside).unwrap(), b"{\"first\": 1}");
    assert!(!video.exists() && !sidecar.exists());

    // The same stamp again (two replacements within a second) must not overwrite.
    std::fs::write(&video, b"second").unwrap();
    let again = set_aside(&video, stamp).unwrap().unwrap();
    assert_eq!(
        again,
        folder.path().join("1_v1.superseded-20261126T064835Z-2.mp4")
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
        auth: DownloadAuth::bearer(
            "sk-live-123",
            Url::parse("https://api.example").unwrap().origin(),
        ),
        owner: "task-1".to_string(),
        max_bytes: u64::MAX,
        local_links: false,
    };
    let printed = format!("{source:?}");
    assert!(
        !printed.contains("sk-live-123") && !printed.contains("abc"),
        "{printed}"
    );
}

/// A sidecar's temporary name pointing at a file elsewhere: the write must replace the
/// link, not truncate and fill the file behind it; a link at the final name is replaced too.
#[cfg(unix)]
#[test]
fn atomic_writes_never_write_through_a_link_at_the_temporary_or_final_name() {
    let folder = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let path = folder.path().join("1_v1.json");
    let targets = [
        elsewhere.path().join("a.txt"),
        elsewhere.path().join("b.txt"),
    ];
    for (target, link) in targets.iter().zip([tmp_path(&path), path.clone()]) {
        std::fs::write(target, b"precious").unwrap();
        std::os::unix::fs::symlink(target, link).unwrap();
    }

    write_atomically(&path, b"{\"sidecar\": true}").unwrap();
    for target in &targets {
        assert_eq!(std::fs::read(target).unwrap(), b"precious", "{target:?}");
    }
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert!(meta.file_type().is_file(), "the sidecar is still a link");
    assert_eq!(std::fs::read(&path).unwrap(), b"{\"sidecar\": true}");
    assert!(std::fs::symlink_metadata(tmp_path(&path)).is_err());
}

#[test]
fn records_name_their_partial_file_and_end_in_tmp() {
    assert_eq!(
        origin::path(Path::new("out/Segment_1/1_v1.mp4")),
        Path::new("out/Segment_1/1_v1.mp4.origin.tmp")
    );
}

#[tokio::test]
async fn a_record_reads_back_and_foreign_text_is_no_record() {
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("1_v1.mp4");
    assert_eq!(Origin::read(&dest).await, None);
    let origin = Origin::new("task-9", Some("\"e\"".to_string()), Some(42));
    origin.save(&dest).unwrap();
    assert_eq!(Origin::read(&dest).await, Some(origin));
    let unknown_format = r#"{"format":99,"owner":"task-9","etag":null,"total":42}"#;
    for text in ["not json", unknown_format] {
        std::fs::write(origin::path(&dest), text).unwrap();
        assert_eq!(Origin::read(&dest).await, None, "{text}");
    }
}
