//! Which remixes start, wait, go on or end, from the jobs of a run and the sidecars on
//! disk.

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::journal::JobKey;
use crate::storyboard::Segment;

const PROVIDER: &str = "openai";

/// The job of segment `index` v1 in `output`, remixing `remix_of` when given.
fn job(output: &Path, index: u32, remix_of: Option<(u32, &str)>) -> JobSpec {
    let segment = Segment {
        index,
        remix_of: remix_of.map(|(segment, source)| RemixOf::Take {
            segment,
            version: 1,
            source: source.to_string(),
            target: None,
        }),
        ..Segment::example(&format!("shot {index}"))
    };
    let fingerprint: Arc<str> = segment.fingerprint().into();
    JobSpec {
        key: JobKey {
            storyboard: "storyboard.json".to_string(),
            segment: index,
            version: 1,
            fingerprint: fingerprint.to_string(),
        },
        segment: Arc::new(segment),
        fingerprint,
        video: output.join(format!("Segment_{index}/{index}_v1.mp4")),
        state: JobState::New,
        provider: PROVIDER,
        extra: false,
    }
}

/// The video of `job` on disk, its sidecar written by `provider` with `remix_id`.
fn made(job: &JobSpec, provider: &str, remix_id: Option<&str>) {
    std::fs::create_dir_all(job.video.parent().unwrap()).unwrap();
    std::fs::write(&job.video, b"video").unwrap();
    let sidecar = serde_json::json!({
        "fingerprint": &*job.fingerprint, "provider": provider, "remix_id": remix_id,
    });
    std::fs::write(crate::sidecar::path_for(&job.video), sidecar.to_string()).unwrap();
}

fn target(job: &JobSpec) -> Option<&str> {
    job.segment.remix_of.as_ref().and_then(RemixOf::target)
}

fn sorted(jobs: Vec<JobSpec>) -> (Chains, Vec<JobSpec>) {
    Chains::sorting(jobs, PROVIDER, |_| true)
}

#[test]
fn a_remix_of_a_take_made_earlier_starts_at_once_with_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut source = job(dir.path(), 1, None);
    made(&source, PROVIDER, Some("video_1"));
    source.state = JobState::Done;
    let remix = job(dir.path(), 2, Some((1, &source.fingerprint)));
    let (chains, start) = sorted(vec![source, remix]);
    assert_eq!(chains.waiting(), 0);
    assert_eq!(start.len(), 2);
    assert_eq!(target(&start[1]), Some("video_1"));
}

#[test]
fn a_remix_waits_for_its_source_and_goes_once_the_source_is_done() {
    let dir = tempfile::tempdir().unwrap();
    let source = job(dir.path(), 1, None);
    let remix = job(dir.path(), 2, Some((1, &source.fingerprint)));
    let (mut chains, start) = sorted(vec![source.clone(), remix]);
    assert_eq!((start.len(), chains.waiting()), (1, 1));
    assert!(chains.is_source(&start[0]));
    made(&source, PROVIDER, Some("video_1"));
    chains.ended(PROVIDER, &source, &JobOutcome::Done { bytes: 5 });
    let ready = chains.take_ready();
    assert_eq!(ready.len(), 1);
    assert_eq!(target(&ready[0]), Some("video_1"));
    assert_eq!(chains.waiting(), 0);
    assert!(chains.take_ended().is_empty());
}

#[test]
fn a_failed_source_ends_its_remixes_naming_it_and_the_chain_after_them() {
    let dir = tempfile::tempdir().unwrap();
    let first = job(dir.path(), 1, None);
    let second = job(dir.path(), 2, Some((1, &first.fingerprint)));
    let third = job(dir.path(), 3, Some((2, &second.fingerprint)));
    let (mut chains, start) = sorted(vec![first.clone(), second, third]);
    assert_eq!((start.len(), chains.waiting()), (1, 2));
    let refused = JobOutcome::Failed(
        Failure::AtProvider,
        crate::i18n::Message::plain("moderation_blocked"),
    );
    chains.ended(PROVIDER, &first, &refused);
    let ended = chains.take_ended();
    assert_eq!(ended.len(), 1);
    let (second, outcome) = &ended[0];
    let JobOutcome::Failed(Failure::Source, message) = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(
        message.to_string(),
        "not submitted: the take it remixes, segment 1 v1, did not finish (failed at the provider: moderation_blocked)"
    );
    // The summary shows it in the interface's language, the provider's words as they are.
    assert_eq!(
        message.words(crate::i18n::Lang::Zh),
        "未提交：它要 remix 的版本（分镜 1 v1）没有完成（在服务商处失败：moderation_blocked）"
    );
    // The scheduler records that ending, which ends the next link in turn.
    chains.ended(PROVIDER, second, outcome);
    let ended = chains.take_ended();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].0.key.segment, 3);
    assert!(
        matches!(&ended[0].1, JobOutcome::Failed(Failure::Source, m) if m.to_string().contains("segment 2 v1"))
    );
    assert_eq!(chains.waiting(), 0);
}

#[test]
fn a_stopped_source_leaves_its_remixes_not_started() {
    let dir = tempfile::tempdir().unwrap();
    let source = job(dir.path(), 1, None);
    let remix = job(dir.path(), 2, Some((1, &source.fingerprint)));
    let (mut chains, _) = sorted(vec![source.clone(), remix]);
    chains.ended(
        PROVIDER,
        &source,
        &JobOutcome::LeftInFlight("task_1".into()),
    );
    let ended = chains.take_ended();
    assert!(
        matches!(&ended[0].1, JobOutcome::NotStarted(_)),
        "{ended:?}"
    );
}

#[test]
fn a_source_from_another_provider_or_without_an_id_is_not_remixed() {
    let dir = tempfile::tempdir().unwrap();
    let mut source = job(dir.path(), 1, None);
    source.state = JobState::Done;
    made(&source, "sora-hk", Some("task_1"));
    let remix = job(dir.path(), 2, Some((1, &source.fingerprint)));
    let (mut chains, start) = sorted(vec![source.clone(), remix.clone()]);
    assert_eq!(start.len(), 1, "the source only");
    let ended = chains.take_ended();
    assert!(
        matches!(&ended[0].1, JobOutcome::Failed(Failure::Source, m) if m.to_string().contains("has no video from this provider to remix")),
        "{ended:?}"
    );
    // Made in this run, but the provider named nothing to remix it by.
    let fresh = job(dir.path(), 1, None);
    let (mut chains, _) = sorted(vec![fresh.clone(), remix]);
    made(&fresh, PROVIDER, None);
    chains.ended(PROVIDER, &fresh, &JobOutcome::Done { bytes: 5 });
    let ended = chains.take_ended();
    assert!(
        matches!(&ended[0].1, JobOutcome::Failed(Failure::Source, m) if m.to_string().contains("gave no id to remix it by")),
        "{ended:?}"
    );
}

#[test]
fn a_remix_followed_up_from_an_earlier_run_does_not_wait() {
    let dir = tempfile::tempdir().unwrap();
    let source = job(dir.path(), 1, None);
    let remix = job(dir.path(), 2, Some((1, &source.fingerprint)));
    let (chains, start) =
        Chains::sorting(vec![source, remix], PROVIDER, |job| job.key.segment == 1);
    assert_eq!((start.len(), chains.waiting()), (2, 0));
}

#[test]
fn what_still_waits_at_the_end_is_left_not_started() {
    let dir = tempfile::tempdir().unwrap();
    let source = job(dir.path(), 1, None);
    let remix = job(dir.path(), 2, Some((1, &source.fingerprint)));
    let (mut chains, _) = sorted(vec![source, remix]);
    let left = chains.abandon("stopped");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].1, JobOutcome::NotStarted("stopped".into()));
}
