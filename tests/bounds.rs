//! The real binary against a provider that sends without end or points elsewhere: answers
//! and videos that never end, sizes that lie, links to files and relative links. Every run
//! must end with a message that names what happened, never grow without bound, never
//! publish a partial video, and never retry what cannot succeed. (Memory is tested by
//! behaviour: the simulator would send forever, so a run that ends did not keep it all.)

mod common;

use common::Project;
use common::batch::{output_dir, run, storyboard, tmp_files, walk};
use sora_batch::sim::{self, EndlessBody, GenSeconds, RunningSim, SimSettings};

fn simulator(settings: SimSettings) -> RunningSim {
    sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.4),
        seed: Some(3),
        ..settings
    })
    .expect("the simulator starts")
}

/// Runs one single-segment storyboard to its end: exit code, summary, stderr.
fn run_one(sim: &RunningSim, args: &[&str]) -> (Project, i32, serde_json::Value, String) {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("tide", 1));
    let mut all = vec!["--gen-count", "1"];
    all.extend_from_slice(args);
    let (code, summary, err) = run(&project, sim, &all);
    (project, code, summary, err)
}

fn videos(project: &Project) -> Vec<std::path::PathBuf> {
    walk(&output_dir(project))
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "mp4"))
        .collect()
}

#[test]
fn an_endless_create_answer_is_a_lost_create_found_again_not_a_memory_hog() {
    let sim = simulator(SimSettings {
        endless_body: Some(EndlessBody::Create),
        ..SimSettings::default()
    });
    let (project, code, summary, err) = run_one(&sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(sim.stats().creates, 1, "paid once\n{err}");
    assert_eq!(videos(&project).len(), 1, "{err}");
    let log = std::fs::read_to_string(output_dir(&project).join("sora-batch.log")).unwrap();
    assert!(log.contains("larger than 1.00 MiB"), "{log}");
}

#[test]
fn an_endless_status_answer_ends_the_job_with_that_reason() {
    let sim = simulator(SimSettings {
        endless_body: Some(EndlessBody::Status),
        ..SimSettings::default()
    });
    let (_, code, summary, err) = run_one(&sim, &["--poll-timeout", "2s"]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert!(err.contains("its status still could not be read"), "{err}");
    assert!(err.contains("larger than 1.00 MiB"), "{err}");
    assert!(!err.contains("still not finished"), "{err}");
}

#[test]
fn a_huge_status_answer_is_not_copied_into_the_sidecar() {
    let sim = simulator(SimSettings {
        status_padding: Some(900_000),
        ..SimSettings::default()
    });
    let (project, code, summary, err) = run_one(&sim, &[]);
    assert_eq!(code, 0, "{err}\n{summary}");
    let sidecars: Vec<_> = walk(&output_dir(&project))
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .filter(|path| !path.starts_with(output_dir(&project).join(".sora-batch")))
        .collect();
    assert_eq!(sidecars.len(), 1, "{sidecars:?}");
    let size = std::fs::metadata(&sidecars[0]).unwrap().len();
    assert!(size < 40_000, "the sidecar has {size} bytes");
}

#[test]
fn an_endless_video_is_stopped_at_the_size_limit_and_never_published() {
    let sim = simulator(SimSettings {
        endless_body: Some(EndlessBody::Video),
        ..SimSettings::default()
    });
    let (project, code, summary, err) = run_one(&sim, &["--max-video-bytes", "2MiB"]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert!(
        err.contains("ran past --max-video-bytes (2.00 MiB)"),
        "{err}"
    );
    assert_eq!(sim.stats().downloads, 1, "not tried again\n{err}");
    assert!(videos(&project).is_empty(), "{:?}", videos(&project));
    assert!(tmp_files(&project).is_empty(), "{:?}", tmp_files(&project));
}

#[test]
fn a_video_announced_above_the_limit_is_refused_before_any_byte() {
    let sim = simulator(SimSettings {
        video_length_lie: Some(100_000_000_000_000),
        ..SimSettings::default()
    });
    let (project, code, summary, err) = run_one(&sim, &[]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert!(
        err.contains("announces a video of 90.95 TiB, more than --max-video-bytes (4.00 GiB)"),
        "{err}"
    );
    assert_eq!(sim.stats().downloads, 1, "not tried again\n{err}");
    assert!(videos(&project).is_empty() && tmp_files(&project).is_empty());
}

#[test]
fn a_video_larger_than_the_free_space_is_refused_before_any_byte() {
    let sim = simulator(SimSettings {
        // 512 TiB: under the highest limit, above any disk's free space.
        video_length_lie: Some(1 << 49),
        ..SimSettings::default()
    });
    let (project, code, summary, err) = run_one(&sim, &["--max-video-bytes", "1PiB"]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert!(err.contains("but its disk has only"), "{err}");
    assert_eq!(sim.stats().downloads, 1, "not tried again\n{err}");
    assert!(videos(&project).is_empty() && tmp_files(&project).is_empty());
}

#[test]
fn a_file_link_for_a_video_is_refused_at_once_and_said_so() {
    let sim = simulator(SimSettings {
        video_url: Some("file:///etc/passwd".to_string()),
        ..SimSettings::default()
    });
    let (project, code, summary, err) = run_one(&sim, &[]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert!(
        err.contains("video link file:///etc/passwd is refused: only http and https links"),
        "{err}"
    );
    assert!(err.contains("it is not tried again"), "{err}");
    assert!(!err.contains("will be tried again"), "{err}");
    let log = std::fs::read_to_string(output_dir(&project).join("sora-batch.log")).unwrap();
    assert!(!log.contains("resuming in"), "retried:\n{log}");
}

#[test]
fn a_relative_video_link_is_named_when_the_wait_ends() {
    let sim = simulator(SimSettings {
        video_url: Some("/cdn/{id}.mp4".to_string()),
        ..SimSettings::default()
    });
    let (_, code, summary, err) = run_one(&sim, &["--poll-timeout", "2s"]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert!(
        err.contains("completed with the video_url \"/cdn/task_"),
        "{err}"
    );
    assert!(err.contains("no absolute link"), "{err}");
    assert!(!err.contains("still not finished"), "{err}");
}

#[test]
fn signed_video_links_keep_their_signature_out_of_every_file() {
    // The link leads nowhere (404): the job stays in flight, so the journal keeps the
    // task's finished line, link and all, for the next run.
    let sim = simulator(SimSettings {
        video_url: Some("http://{host}/gone/{id}.mp4?signature=s1gn4ture".to_string()),
        ..SimSettings::default()
    });
    let (project, code, summary, err) = run_one(&sim, &["--report", "report.json"]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert!(err.contains("/gone/task_"), "{err}");
    let journal = output_dir(&project).join(".sora-batch/journal.jsonl");
    let journal = std::fs::read_to_string(journal).unwrap();
    assert!(journal.contains("/gone/task_"), "{journal}");
    for file in walk(project.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).to_string();
        assert!(
            !text.contains("s1gn4ture"),
            "{} keeps it:\n{text}",
            file.display()
        );
    }
}

#[test]
fn a_download_that_fails_its_last_attempt_does_not_promise_another() {
    // A CDN that refuses every connection: the run tries a few times, then the job fails.
    // Its final message must say what a rerun does, not that it "will be tried again".
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let sim = simulator(SimSettings {
        video_url: Some(format!("http://127.0.0.1:{port}/{{id}}.mp4")),
        ..SimSettings::default()
    });
    let (_project, code, summary, err) = run_one(&sim, &[]);
    assert_eq!(code, 1, "{err}\n{summary}");
    assert_eq!(
        summary["failed_by_reason"]["download failed"], 1,
        "{summary}"
    );
    let message = summary["failures"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("could not download"), "{summary}");
    assert!(
        message.contains("a rerun downloads it without paying again"),
        "{summary}"
    );
    assert!(!message.contains("will be tried again"), "{summary}");
}

#[test]
fn a_video_link_of_a_hundred_kilobytes_is_not_copied_into_the_journal_and_messages() {
    // Every other piece of provider text is bounded where it comes in; a link is used as
    // it is, so one far longer than any real link is refused there, with its length.
    let long_path = "p".repeat(100_000);
    let sim = simulator(SimSettings {
        video_url: Some(format!("http://{{host}}/gone/{long_path}/{{id}}.mp4")),
        ..SimSettings::default()
    });
    let (project, code, summary, err) = run_one(&sim, &["--poll-timeout", "2s"]);
    assert_eq!(code, 1, "{}", &err[..err.len().min(2000)]);
    let message = summary["failures"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.len() < 2_000,
        "a message of {} bytes",
        message.len()
    );
    assert!(message.contains("video_url"), "{message}");
    let journal = output_dir(&project).join(".sora-batch/journal.jsonl");
    let journal = std::fs::read_to_string(journal).unwrap();
    assert!(
        journal.len() < 10_000,
        "a journal of {} bytes",
        journal.len()
    );
}
