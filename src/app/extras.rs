//! Paid work no storyboard asks for any more: tasks an earlier run submitted for a job
//! that is not in today's plan (the segment was edited while its task was at the provider,
//! or `gen_count` went down). They were paid for, so they are collected all the same, as
//! "extra takes" beside the planned ones, under names no planned take can have:
//! `Segment_3/3_v2.extra-9f2c1a7b.mp4` (version 2 of the request whose fingerprint starts
//! `9f2c1a7b`).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::engine::JobSpec;
use crate::i18n::Message;
use crate::journal::{JobKey, JobRecord, JournalState, Stage};
use crate::plan::{JobState, Layout, Plan};
use crate::storyboard::{Resolution, Segment};

/// The jobs that collect the extra takes: every job the journal has at the provider that
/// is not among `planned`. Jobs of storyboards left out as invalid are not extras (they
/// are planned again once fixed), nor are tasks of another provider.
pub fn find<'a>(
    plan: &Plan,
    planned: impl IntoIterator<Item = &'a JobKey>,
    layout: &Layout,
    earlier: &JournalState,
    provider: &'static str,
) -> Vec<JobSpec> {
    // The journal's jobs in flight are few; the plan's may be a hundred thousand: look the
    // plan's keys up among the former, never the other way round.
    let mut flying: BTreeMap<&JobKey, &JobRecord> = earlier.in_flight().collect();
    if flying.is_empty() {
        return Vec::new();
    }
    for key in planned {
        flying.remove(key);
    }
    let left_out: HashSet<PathBuf> = plan.invalid.iter().map(|file| file.shown.clone()).collect();
    flying
        .into_iter()
        .filter(|(key, _)| !left_out.contains(&layout.shown_path(Path::new(&key.storyboard))))
        .filter_map(|(key, record)| extra_job(key, record, layout, provider))
        .collect()
}

fn extra_job(
    key: &JobKey,
    record: &JobRecord,
    layout: &Layout,
    provider: &'static str,
) -> Option<JobSpec> {
    let submission = record.submission()?;
    if submission.provider != provider {
        let message = Message::new("extra.other_provider").with("provider", &submission.provider);
        crate::engine::warn_job(key, message);
        return None;
    }
    let request = submission.request.as_ref();
    if request.is_none() && matches!(record.stage(), Stage::Submitting { .. }) {
        // Without the request's fields, a search could adopt another job's task.
        let message = Message::new("extra.too_old").with("prompt", &submission.prompt);
        crate::engine::warn_job(key, message);
        return None;
    }
    let segment = Segment {
        index: key.segment,
        prompt: submission.prompt.clone(),
        image_url: request.and_then(|r| r.image_url.clone()),
        is_pro: request.is_some_and(|r| r.is_pro),
        // 0: not recorded by the run that submitted it.
        duration_seconds: request.map_or(0, |r| r.duration_seconds),
        resolution: match request.map(|r| r.resolution.as_str()) {
            Some("vertical") => Resolution::Vertical,
            _ => Resolution::Horizontal,
        },
        gen_count: 1,
        director_intent: None,
        model: request.and_then(|r| r.model.clone()),
        size: request.and_then(|r| r.size.clone()),
        // An earlier run's image is not known by its file; such a job is only collected.
        image_file: None,
        remix_of: None,
        characters: Vec::new(),
        style_id: None,
    };
    let folder = layout.storyboard_dir(Path::new(&key.storyboard));
    Some(JobSpec {
        key: key.clone(),
        segment: Arc::new(segment),
        fingerprint: key.fingerprint.as_str().into(),
        video: path_of(&folder, key),
        state: JobState::New,
        provider,
        extra: true,
    })
}

/// `<storyboard folder>/Segment_<n>/<n>_v<version>.extra-<fingerprint's first 8>.mp4`
fn path_of(folder: &Path, key: &JobKey) -> PathBuf {
    let short: String = key
        .fingerprint
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    folder
        .join(format!("Segment_{}", key.segment))
        .join(format!(
            "{}_v{}.extra-{short}.mp4",
            key.segment, key.version
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Event, Request};
    use crate::plan::OutputMode;

    fn key(version: u32, fingerprint: &str) -> JobKey {
        JobKey {
            storyboard: "ep1/storyboard.json".to_string(),
            segment: 3,
            version,
            fingerprint: fingerprint.to_string(),
        }
    }

    fn submitted(state: &mut JournalState, key: &JobKey, provider: &str, request: bool) {
        let request = request.then(|| Request {
            is_pro: true,
            duration_seconds: 25,
            resolution: "vertical".to_string(),
            image_url: None,
            model: None,
            size: None,
        });
        state.apply(
            key,
            &Event::Submitting {
                at_ms: 1,
                provider: provider.to_string(),
                prompt: "a quay at dawn".to_string(),
                clock_offset_ms: None,
                request,
                key_ref: None,
            },
        );
        state.apply(
            key,
            &Event::Submitted {
                at_ms: 2,
                task_id: format!("task-{}", key.version),
                cost_cents: Some(30),
            },
        );
    }

    fn layout() -> Layout {
        Layout {
            input_dir: PathBuf::from("input"),
            output_dir: PathBuf::from("out"),
            mode: OutputMode::Centralized,
        }
    }

    #[test]
    fn in_flight_jobs_the_plan_lacks_are_collected_under_their_own_names() {
        let mut state = JournalState::default();
        let planned_key = key(1, "9f2c1a7b55");
        submitted(&mut state, &planned_key, "sora-hk", true);
        submitted(&mut state, &key(2, "9f2c1a7b55"), "sora-hk", true);
        submitted(&mut state, &key(3, "0123456789"), "other", true);
        let extras = find(
            &Plan::default(),
            [&planned_key],
            &layout(),
            &state,
            "sora-hk",
        );
        assert_eq!(
            extras.len(),
            1,
            "planned and other providers' jobs are not extras"
        );
        let extra = &extras[0];
        assert!(extra.extra);
        assert_eq!(
            extra.video,
            PathBuf::from("out/ep1/storyboard/Segment_3/3_v2.extra-9f2c1a7b.mp4")
        );
        assert!(extra.segment.is_pro && extra.segment.duration_seconds == 25);
        assert_eq!(extra.segment.resolution, Resolution::Vertical);
        assert_eq!(extra.segment.prompt, "a quay at dawn");
    }

    #[test]
    fn an_old_unanswered_create_without_its_request_is_not_searched_for() {
        let mut state = JournalState::default();
        state.apply(
            &key(1, "ab"),
            &Event::Submitting {
                at_ms: 1,
                provider: "sora-hk".to_string(),
                prompt: "p".to_string(),
                clock_offset_ms: None,
                request: None,
                key_ref: None,
            },
        );
        submitted(&mut state, &key(2, "ab"), "sora-hk", false);
        let extras = find(
            &Plan::default(),
            &HashSet::new(),
            &layout(),
            &state,
            "sora-hk",
        );
        let versions: Vec<u32> = extras.iter().map(|job| job.key.version).collect();
        assert_eq!(versions, [2], "a submitted task is collected even so");
    }
}
