//! The image host command's output read into a link, its runs (bounded in time and
//! output, without the keys), the links' cache, and the segments given their links.

use std::path::Path;
use std::sync::Arc;

use super::cache::{CACHE_FILE, Cache};
use super::command::{Failure, HOST_TIMEOUT, HostCommand, OUTPUT_TAIL_BYTES, Tail, link_in};
use super::*;
use crate::storyboard::ImageFormat;

const SHA_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn stdout(text: &str) -> Tail {
    let mut tail = Tail::default();
    tail.push(text.as_bytes());
    tail
}

#[test]
fn the_link_is_the_last_non_empty_line_trimmed() {
    let printed = "uploading frames/a.png…\n100%\r\n  https://img.example/a.png  \r\n\n   \n";
    assert_eq!(
        link_in(&stdout(printed)),
        Ok("https://img.example/a.png".to_string())
    );
    assert_eq!(
        link_in(&stdout("http://127.0.0.1:8080/hosted/a.png")),
        Ok("http://127.0.0.1:8080/hosted/a.png".to_string())
    );
}

#[test]
fn a_last_line_that_is_no_web_link_is_refused_saying_what_it_is() {
    let refused = |printed: &str| link_in(&stdout(printed)).unwrap_err();
    assert_eq!(refused(""), "its standard output is empty");
    assert_eq!(refused(" \n\n"), "its standard output is empty");
    let done = refused("https://img.example/a.png\nDone!\n");
    assert!(
        done.starts_with(r#"its last line, "Done!" is not an http:// or https:// link"#),
        "{done}"
    );
    assert!(refused("ftp://img.example/a.png").contains("not an http:// or https:// link"));
    assert!(refused("https://").contains("is not a web address"));
    assert!(refused("https://img.example/my image.png").contains("a space (U+0020)"));
    assert!(refused("https://img.example/a\u{200B}.png").contains("U+200B"));
}

#[test]
fn a_tail_keeps_only_the_end_and_never_takes_a_cut_line_for_a_link() {
    let mut tail = Tail::default();
    for _ in 0..200 {
        tail.push(&[b'x'; 16 * 1024]);
    }
    tail.push(b"\nhttps://img.example/a.png\n");
    let tail = tail.finish();
    assert!(tail.len() <= OUTPUT_TAIL_BYTES, "{}", tail.len());
    assert_eq!(link_in(&tail), Ok("https://img.example/a.png".to_string()));

    // One line longer than the bound: its end alone must not pass for a link.
    let mut long = Tail::default();
    long.push(b"garbage:");
    long.push(&[b'x'; OUTPUT_TAIL_BYTES]);
    long.push(b"https://img.example/a.png");
    assert_eq!(
        link_in(&long.finish()),
        Err("its standard output is empty".to_string())
    );
}

#[test]
fn a_command_is_split_into_words_as_a_shell_would_without_expanding_anything() {
    let command = HostCommand::parse(r#"my-upload --bucket "my pics" --tag '$HOME' a\ b"#).unwrap();
    assert_eq!(command.program(), "my-upload");
    assert_eq!(
        command.args(),
        ["--bucket", "my pics", "--tag", "$HOME", "a b"]
    );
    assert!(
        HostCommand::parse(r#"upload "unclosed"#)
            .unwrap_err()
            .contains("a quote is not closed")
    );
    assert!(
        HostCommand::parse("   ")
            .unwrap_err()
            .contains("it is empty")
    );
}

/// A shell script run as `sh <script>` (no executable bit, so no "text file busy" when
/// another test forks while it is written).
#[cfg(unix)]
fn script(dir: &Path, body: &str) -> HostCommand {
    let path = dir.join("host.sh");
    std::fs::write(&path, body).unwrap();
    HostCommand::parse(&format!(
        "sh {}",
        shell_words::quote(&path.display().to_string())
    ))
    .unwrap()
}

#[cfg(unix)]
#[tokio::test]
async fn the_path_is_the_last_argument_as_it_is_and_no_key_reaches_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls.log");
    let command = script(
        dir.path(),
        &format!(
            "printf '%s|%s|%s\\n' \"$#\" \"$1\" \"${{HOME:-unset}}\" > {}\n\
             echo 'uploading…' >&2\n\
             echo \"http://127.0.0.1:9/hosted/a.png\"\n",
            shell_words::quote(&log.display().to_string())
        ),
    );
    // A variable this process has stands for the key: setting one would race other tests.
    assert!(
        std::env::var_os("HOME").is_some(),
        "the test needs HOME set"
    );
    let image = dir.path().join("my $(touch pwned) frame;.png");
    let link = command.host(&image, &["HOME"], HOST_TIMEOUT).await;
    assert_eq!(link, Ok("http://127.0.0.1:9/hosted/a.png".to_string()));
    let called = std::fs::read_to_string(&log).unwrap();
    assert_eq!(called, format!("1|{}|unset\n", image.display()));
    assert!(
        !dir.path().join("pwned").exists(),
        "nothing in a path is run"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_failing_command_is_an_error_quoting_the_end_of_what_it_printed_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let command = script(
        dir.path(),
        "echo 'partial upload'\nprintf 'denied \\033[31m: no bucket\\n' >&2\nexit 3\n",
    );
    let failure = command
        .host(Path::new("/x/a.png"), &[], HOST_TIMEOUT)
        .await
        .unwrap_err();
    assert_eq!(
        failure.to_string(),
        r#"failed (exit status: 3); it printed "partial upload", and "denied \u{1b}[31m: no bucket" on its error output. Run it by hand on this file to see why"#
    );
    let silent = script(dir.path(), "exit 0\n");
    let failure = silent
        .host(Path::new("/x/a.png"), &[], HOST_TIMEOUT)
        .await
        .unwrap_err();
    assert!(
        matches!(&failure, Failure::NoLink { why, output } if why == "its standard output is empty" && output == "it printed nothing"),
        "{failure:?}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_flood_of_output_is_read_to_its_end_keeping_only_its_tail() {
    let dir = tempfile::tempdir().unwrap();
    // 8 MiB on each stream, then the link.
    let command = script(
        dir.path(),
        "head -c 8388608 /dev/zero | tr '\\0' 'x' >&2\n\
         head -c 8388608 /dev/zero | tr '\\0' 'y'\n\
         echo\necho https://img.example/a.png\n",
    );
    let link = command.host(Path::new("/x/a.png"), &[], HOST_TIMEOUT).await;
    assert_eq!(link, Ok("https://img.example/a.png".to_string()));
    let chatty = script(
        dir.path(),
        "head -c 8388608 /dev/zero | tr '\\0' 'y'\nexit 1\n",
    );
    let Err(Failure::Exit { output, .. }) =
        chatty.host(Path::new("/x/a.png"), &[], HOST_TIMEOUT).await
    else {
        panic!("a failure");
    };
    assert!(output.len() < 1000, "a bounded quote: {}", output.len());
    assert!(output.starts_with("it printed \"…yyy"), "{output}");
}

#[cfg(unix)]
#[tokio::test]
async fn a_missing_program_cannot_be_started_and_says_what_to_check() {
    let command = HostCommand::parse("sora-batch-no-such-uploader --public").unwrap();
    let failure = command
        .host(Path::new("/x/a.png"), &[], HOST_TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(failure, Failure::Start(_)), "{failure:?}");
    assert!(
        failure
            .to_string()
            .contains("check that the program is installed, on PATH"),
        "{failure}"
    );
}

#[cfg(unix)]
#[tokio::test(start_paused = true)]
async fn a_command_that_never_ends_is_stopped_at_the_time_limit() {
    let dir = tempfile::tempdir().unwrap();
    let command = script(dir.path(), "exec sleep 600\n");
    let failure = command
        .host(Path::new("/x/a.png"), &[], HOST_TIMEOUT)
        .await
        .unwrap_err();
    assert_eq!(failure, Failure::TimedOut(HOST_TIMEOUT));
    assert_eq!(
        failure.to_string(),
        "did not finish within 5m and was stopped; check that it uploads without asking for anything (its input is closed)"
    );
}

#[test]
fn the_cache_keeps_links_by_sha256_across_loads() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cache, warning) = Cache::load(dir.path());
    assert_eq!((cache.link(SHA_A), warning), (None, None));
    cache.insert(SHA_A, "https://img.example/a.png");
    cache.save().unwrap();
    let (again, warning) = Cache::load(dir.path());
    assert_eq!(warning, None);
    assert_eq!(again.link(SHA_A), Some("https://img.example/a.png"));
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(CACHE_FILE)).unwrap()).unwrap();
    assert_eq!(file["version"], 1);
    let hosted_at = file["images"][SHA_A]["hosted_at"].as_str().unwrap();
    assert!(humantime::parse_rfc3339(hosted_at).is_ok(), "{hosted_at}");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names, [CACHE_FILE], "no temporary file left");
}

#[test]
fn a_corrupt_cache_is_a_warning_and_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(CACHE_FILE),
        "{\"version\": 1, \"images\": {",
    )
    .unwrap();
    let (mut cache, warning) = Cache::load(dir.path());
    let warning = warning.expect("a warning").to_string();
    assert!(
        warning.contains("hosted-images.json: is not a valid list of hosted images")
            && warning
                .ends_with("it is rebuilt, so those images are uploaded again by --image-host-cmd"),
        "{warning}"
    );
    assert_eq!(cache.link(SHA_A), None);
    cache.insert(SHA_A, "https://img.example/a.png");
    cache.save().unwrap();
    assert_eq!(Cache::load(dir.path()).1, None, "rebuilt whole");
}

#[test]
fn cache_entries_that_are_no_sha256_with_a_web_link_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let entry = |link: &str| serde_json::json!({"link": link, "hosted_at": "2026-01-01T00:00:00Z"});
    let file = serde_json::json!({"version": 1, "images": {
        SHA_A: entry("https://img.example/a.png"),
        "not-a-hash": entry("https://img.example/b.png"),
        "b".repeat(64): entry("file:///etc/passwd"),
    }});
    std::fs::write(dir.path().join(CACHE_FILE), file.to_string()).unwrap();
    let (cache, warning) = Cache::load(dir.path());
    assert_eq!(cache.link(SHA_A), Some("https://img.example/a.png"));
    assert_eq!(cache.link(&"b".repeat(64)), None);
    assert!(
        warning
            .unwrap()
            .to_string()
            .contains("2 entries are not a SHA-256 with an http(s) link"),
    );
}

fn image(path: &Path, sha256: &str) -> LocalImage {
    LocalImage {
        written: "a.png".to_string(),
        path: path.to_path_buf(),
        format: ImageFormat::Png,
        width: 1,
        height: 1,
        bytes: 1,
        sha256: sha256.to_string(),
        fitted: None,
    }
}

fn job(segment: &Arc<Segment>, version: u32, state: JobState, extra: bool) -> JobSpec {
    JobSpec {
        extra,
        ..JobSpec::example(segment, version, state)
    }
}

#[test]
fn jobs_to_submit_get_the_link_and_share_one_segment_with_the_same_fingerprint() {
    let with_image = Arc::new(Segment {
        image_file: Some(image(Path::new("a.png"), SHA_A)),
        ..Segment::example("kite")
    });
    let mut jobs = vec![
        job(&with_image, 1, JobState::New, false),
        job(&with_image, 2, JobState::Changed, false),
        job(&with_image, 3, JobState::Done, false),
        job(&with_image, 4, JobState::New, true),
    ];
    let fingerprint = with_image.fingerprint();
    assert_eq!(to_host(&jobs).len(), 1, "one image to host");
    let links = HashMap::from([(SHA_A.to_string(), "https://img.example/a.png".to_string())]);
    set_links(&mut jobs, &links);
    let linked = |job: &JobSpec| job.segment.image_url.clone();
    let link = Some("https://img.example/a.png".to_string());
    assert_eq!(
        jobs.iter().map(linked).collect::<Vec<_>>(),
        [link.clone(), link, None, None],
        "done and extra jobs are not submitted"
    );
    assert!(Arc::ptr_eq(&jobs[0].segment, &jobs[1].segment));
    assert_eq!(jobs[0].segment.fingerprint(), fingerprint);
}

#[cfg(unix)]
#[tokio::test]
async fn each_distinct_image_is_uploaded_once_and_a_known_one_never_again() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.png");
    std::fs::write(&file, b"png bytes").unwrap();
    let sha = crate::storyboard::hex(&<sha2::Sha256 as sha2::Digest>::digest(b"png bytes"));
    let log = dir.path().join("calls.log");
    let command = script(
        dir.path(),
        &format!(
            "echo \"$1\" >> {}\necho \"https://img.example/$(basename \"$1\")\"\n",
            shell_words::quote(&log.display().to_string())
        ),
    );
    let (one, two) = (image(&file, &sha), image(&file, &sha));
    let links = host_all(&command, &[&one, &two], dir.path()).await.unwrap();
    assert_eq!(links[&sha], "https://img.example/a.png");
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1);
    host_all(&command, &[&one], dir.path()).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().lines().count(),
        1,
        "known from the cache"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn an_image_changed_since_it_was_checked_is_not_uploaded() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.png");
    std::fs::write(&file, b"edited").unwrap();
    let log = dir.path().join("calls.log");
    let command = script(
        dir.path(),
        &format!(
            "echo \"$1\" >> {}\n",
            shell_words::quote(&log.display().to_string())
        ),
    );
    let err = host_all(&command, &[&image(&file, SHA_A)], dir.path())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("it changed since the run started"),
        "{err}"
    );
    assert!(!log.exists(), "the command did not run");
}
