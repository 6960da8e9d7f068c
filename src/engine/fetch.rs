//! The last step of a job: download the finished video under the download limit (never
//! holding a provider permit), retrying and resuming cut transfers, then write the
//! sidecar and journal the job as downloaded. Also the repair of a run killed between
//! those two writes (`settle_done`).

use std::sync::atomic::Ordering;

use serde_json::{Value, json};
use tracing::warn;

use super::outcome::{Failure, JobOutcome};
use super::task::Owned;
use super::wait::Finished;
use super::{Context, JobSpec, StopReason, unix_ms};
use crate::download::{self, DownloadError, Fetched, Source};
use crate::i18n::Message;
use crate::journal::{Event, Outcome};
use crate::plan::JobState;
use crate::storyboard::RemixOf;

/// Attempts at one download before the job fails (a rerun resumes it).
const DOWNLOAD_ATTEMPTS: u32 = 8;

pub(super) async fn fetch(ctx: &Context, job: &JobSpec, finished: Finished) -> JobOutcome {
    // Once interrupted, queued downloads are left for the next run (the journal says the
    // video is ready), and running ones stop where they are: the `.tmp` and its origin
    // record stay, so the next run resumes it. Ctrl+C ends the run within seconds.
    // A link to a gateway's cache is gone within minutes: it goes ahead of the others.
    let hurried = ctx.provider().capabilities().short_lived_links;
    let slot = tokio::select! {
        slot = ctx.downloads.acquire(hurried) => Some(slot),
        () = ctx.interrupt.cancelled() => None,
    };
    let Some(_slot) = slot else {
        return JobOutcome::LeftInFlight(finished.task.task_id);
    };
    ctx.counters.downloading.fetch_add(1, Ordering::Relaxed);
    let result = tokio::select! {
        result = transfer(ctx, job, &finished) => Some(result),
        () = ctx.interrupt.cancelled() => None,
    };
    ctx.counters.downloading.fetch_sub(1, Ordering::Relaxed);
    let fetched = match result {
        Some(Ok(fetched)) => fetched,
        Some(Err(outcome)) => return outcome,
        None => {
            super::tell_job(&job.key, Message::new("events.download_stopped"));
            return JobOutcome::LeftInFlight(finished.task.task_id);
        }
    };
    let event = Event::Downloaded {
        at_ms: unix_ms(),
        path: job.video.display().to_string(),
        bytes: fetched.bytes,
        sha256: fetched.sha256.clone(),
    };
    if let Err(err) = ctx.journal.append(&job.key, &event) {
        super::warn_job(&job.key, err.message());
    }
    let saved = Message::new("events.saved")
        .with("path", crate::plan::tidy(&job.video).display())
        .with("size", indicatif::HumanBytes(fetched.bytes));
    super::tell_job(&job.key, saved);
    JobOutcome::Done {
        bytes: fetched.bytes,
    }
}

async fn transfer(
    ctx: &Context,
    job: &JobSpec,
    finished: &Finished,
) -> Result<Fetched, JobOutcome> {
    let (task, url) = (&finished.task, &finished.video_url);
    set_aside_old_video(job)?;
    // Durably: a power cut must not lose the folder a published video's name lives in.
    if let Some(folder) = job.video.parent().map(std::path::Path::to_path_buf)
        && let Err(err) = tokio::task::spawn_blocking({
            let folder = folder.clone();
            move || crate::durable::create_dir_all(&folder)
        })
        .await
        .unwrap_or_else(|join| Err(std::io::Error::other(join)))
    {
        let message = Message::new("download.cannot_create_folder")
            .with("path", folder.display())
            .with("err", err);
        return Err(JobOutcome::Failed(Failure::Download, message));
    }
    // The task owns the partial file: a `.tmp` another task (an edited prompt, a --force
    // run) left at the same path is discarded rather than resumed.
    // The key that made the task downloads it, when the download needs one.
    let member = ctx.keys.member(task.key);
    let source = Source {
        url: url.clone(),
        auth: member.provider.download_auth(),
        owner: task.task_id.clone(),
        max_bytes: ctx.settings.max_video_bytes,
        local_links: member.provider.api_is_local(),
    };
    let counters = ctx.counters.clone();
    let on_bytes = move |delta: u64| {
        counters
            .downloaded_bytes
            .fetch_add(delta, Ordering::Relaxed);
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        // The sidecar is written before the video takes its name, so a crash in between
        // leaves a complete `.tmp` that the next run finishes without downloading again.
        let sidecar = |fetched: &Fetched| write_sidecar(job, finished, fetched);
        // A download that carries the key is a call made with it: its rate counts it.
        if let (Some(rate), Some(_)) = (&member.rate, &source.auth) {
            rate.take().await;
        }
        let fetching = download::download_once(&ctx.http, &source, &job.video, &on_bytes, &sidecar);
        let error = match fetching.await {
            Ok(fetched) => return Ok(fetched),
            Err(error) => error,
        };
        // No other video fits either: nothing more is paid for until there is room.
        if let DownloadError::DiskFull { .. } | DownloadError::NoRoom { .. } = &error {
            ctx.stop_run(StopReason::DiskFull(error.message()));
            return Err(JobOutcome::Failed(Failure::Download, error.message()));
        }
        if let DownloadError::Expired { .. } = &error {
            return Err(expired(ctx, job, task, &error));
        }
        if !error.retryable() || attempt >= DOWNLOAD_ATTEMPTS {
            let message = Message::new("download.failed")
                .with("task", &task.task_id)
                .with_text("error", error.message());
            super::warn_job(&job.key, message);
            return Err(JobOutcome::Failed(
                Failure::Download,
                Message::new("download.failed_rerun")
                    .with_text("error", error.message())
                    .with("task", &task.task_id),
            ));
        }
        let delay = ctx.retry_delay(attempt, error.retry_after());
        let message = Message::new("download.resuming")
            .with_text("error", error.message())
            .with_duration("delay", super::task::round(delay));
        super::warn_job(&job.key, message);
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = ctx.interrupt.cancelled() => {
                return Err(JobOutcome::LeftInFlight(task.task_id.clone()));
            }
        }
    }
}

/// The provider no longer has the task's video: the job fails for good. The journal
/// records the task as failed, so a later run does not ask for it again in vain: like any
/// failed job, it is generated again (and paid for again) only when its segment is edited
/// or `--retry-failed` lists it.
fn expired(ctx: &Context, job: &JobSpec, task: &Owned, error: &DownloadError) -> JobOutcome {
    super::warn_job(
        &job.key,
        Message::new("download.expired").with("task", &task.task_id),
    );
    let event = Event::Finished {
        at_ms: unix_ms(),
        task_id: task.task_id.clone(),
        outcome: Outcome::Failed {
            message: format!(
                "its video expired at the provider before it was downloaded ({error})"
            ),
        },
    };
    if let Err(err) = ctx.journal.append(&job.key, &event) {
        super::warn_job(&job.key, err.message());
    }
    JobOutcome::Failed(
        Failure::Download,
        Message::new("download.expired_for_good")
            .with_text("error", error.message())
            .with("task", &task.task_id),
    )
}

/// What `settle_done` reads back from a sidecar.
#[derive(serde::Deserialize)]
struct Saved {
    task_id: Option<String>,
    bytes: Option<u64>,
    sha256: Option<String>,
}

/// A job the plan found done (video and sidecar in place) while the journal still has a
/// task of it in flight. Two ways to get there:
///
/// - A run was killed after the sidecar was written but before `downloaded` reached the
///   journal (the end of [`fetch`]). The sidecar names the journal's task: the video is
///   that task's, so `downloaded` is journaled now. Left alone, the job would stay in flight
///   for good: compaction keeps it and every later run counts it as still at the provider.
/// - A `--force` run was stopped while its new task was at the provider, and this run is
///   without `--force`. That task is paid for: the job is followed up as changed, so its
///   video arrives and the one in place is kept aside, rather than abandoning the task.
///
/// A `submitting` with no known task is left as it is: finding out would mean a search
/// and maybe a new create that this run did not ask for.
pub(super) fn settle_done(ctx: &Context, mut job: JobSpec) -> JobSpec {
    if job.state != JobState::Done {
        return job;
    }
    let Some(task_id) = ctx
        .earlier
        .get(&job.key)
        .filter(|record| record.is_in_flight())
        .and_then(|record| record.task_id())
    else {
        return job;
    };
    let saved = std::fs::read(job.sidecar())
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Saved>(&bytes).ok());
    match saved {
        Some(saved) if saved.task_id.as_deref() == Some(task_id) => {
            let bytes = saved
                .bytes
                .or_else(|| std::fs::metadata(&job.video).ok().map(|meta| meta.len()));
            let event = Event::Downloaded {
                at_ms: unix_ms(),
                path: job.video.display().to_string(),
                bytes: bytes.unwrap_or(0),
                sha256: saved.sha256.unwrap_or_default(),
            };
            if let Err(err) = ctx.journal.append(&job.key, &event) {
                super::warn_job(&job.key, err.message());
            }
            forget_download_record(&job.video);
        }
        _ => {
            let message = Message::new("events.earlier_task").with("task", task_id);
            super::tell_job(&job.key, message);
            job.state = JobState::Changed;
        }
    }
    job
}

/// The record of a download whose video was renamed into place just before the run was
/// killed: nothing resumes from it any more, and no later download of this video will
/// come by to remove it.
fn forget_download_record(video: &std::path::Path) {
    let record = crate::download::origin::path(video);
    if !crate::download::tmp_path(video).exists()
        && let Err(err) = crate::download::remove_entry(&record)
    {
        let message = Message::new("download.cannot_remove")
            .with("path", record.display())
            .with("err", err);
        warn!(shown = %message.shown(), "{message}");
    }
}

/// An earlier video at the same path (a changed segment's, or one whose sidecar was
/// lost) is kept beside the new one, never overwritten.
fn set_aside_old_video(job: &JobSpec) -> Result<(), JobOutcome> {
    if !job.video.exists() {
        return Ok(());
    }
    let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .replace([':', '-'], "");
    match download::set_aside(&job.video, &stamp) {
        Ok(Some(kept)) => {
            let message = Message::new("events.kept_aside").with("path", kept.display());
            super::tell_job(&job.key, message);
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(err) => Err(JobOutcome::Failed(
            Failure::Download,
            Message::new("download.cannot_keep_aside")
                .with("path", job.video.display())
                .with("err", err),
        )),
    }
}

fn write_sidecar(job: &JobSpec, finished: &Finished, fetched: &Fetched) -> std::io::Result<()> {
    let segment = &job.segment;
    let (task, url) = (&finished.task, &finished.video_url);
    // A signed link's query is a credential of sorts: kept out of the sidecar.
    let mut final_status = finished.raw.clone();
    if let Some(link) = final_status.get_mut("video_url")
        && let Some(parsed) = link.as_str().and_then(|text| url::Url::parse(text).ok())
    {
        *link = Value::String(download::unsigned(&parsed));
    }
    let sidecar = json!({
        "fingerprint": &*job.fingerprint,
        "provider": job.provider,
        "task_id": task.task_id,
        "remix_id": finished.remix_id,
        "storyboard": job.key.storyboard,
        "segment_index": segment.index,
        "version": job.key.version,
        "prompt": segment.prompt,
        "image_url": segment.image_url,
        "image_sha256": segment.image_file.as_ref().map(|image| &image.sha256),
        "remix_of": segment.remix_of.as_ref().and_then(RemixOf::target),
        "style_id": segment.style_id,
        "is_pro": segment.is_pro,
        "duration_seconds": segment.duration_seconds,
        "resolution": segment.resolution.as_str(),
        "model": segment.model,
        "size": segment.size,
        "cost_cents": task.cost_cents,
        "bytes": fetched.bytes,
        "sha256": fetched.sha256,
        "video_url": download::unsigned(url),
        "submitted_at_ms": task.submitted_ms,
        "downloaded_at_ms": unix_ms(),
        "provider_status": final_status,
        "extra_take": job.extra,
    });
    let text = serde_json::to_vec_pretty(&sidecar).expect("the sidecar serializes");
    download::write_atomically(&job.sidecar(), &text)
}
