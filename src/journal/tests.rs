use std::fs;
use std::sync::Arc;

use proptest::prelude::*;

use super::*;

fn key(segment: u32) -> JobKey {
    JobKey {
        storyboard: "ep1/storyboard_a.json".to_string(),
        segment,
        version: 2,
        fingerprint: "9f2c".to_string(),
    }
}

fn submitting(at_ms: u64) -> Event {
    Event::Submitting {
        at_ms,
        provider: "sora_hk".to_string(),
        prompt: "a red kite over the sea".to_string(),
        clock_offset_ms: None,
        request: None,
        key_ref: None,
    }
}

fn submitted(at_ms: u64, task_id: &str, cost_cents: Option<i64>) -> Event {
    Event::Submitted {
        at_ms,
        task_id: task_id.to_string(),
        cost_cents,
    }
}

fn completed(at_ms: u64, task_id: &str) -> Event {
    Event::Finished {
        at_ms,
        task_id: task_id.to_string(),
        outcome: Outcome::Completed {
            video_url: format!("https://cdn.example/{task_id}.mp4"),
        },
    }
}

fn downloaded(at_ms: u64) -> Event {
    Event::Downloaded {
        at_ms,
        path: "output/ep1/storyboard_a/Segment_3/3_v2.mp4".to_string(),
        bytes: 1234,
        sha256: "ab".repeat(32),
    }
}

fn abandoned(at_ms: u64) -> Event {
    Event::Abandoned {
        at_ms,
        reason: "the provider no longer knows the task".to_string(),
    }
}

fn fold(events: &[(JobKey, Event)]) -> JournalState {
    let mut state = JournalState::default();
    for (key, event) in events {
        state.apply(key, event);
    }
    state
}

/// The fold a running journal keeps: settled jobs leave it as they settle.
fn fold_forgetting_settled(events: &[(JobKey, Event)]) -> JournalState {
    let mut state = JournalState::default();
    for (key, event) in events {
        state.apply(key, event);
        state.forget_if_settled(key);
    }
    state
}

fn journal_text(dir: &Path) -> String {
    fs::read_to_string(dir.join(JOURNAL_FILE)).unwrap()
}

#[test]
fn key_displays_as_people_name_jobs() {
    assert_eq!(key(3).to_string(), "ep1/storyboard_a.json segment 3 v2");
}

#[test]
fn line_format_is_stable() {
    let line = read::encode(&key(3), &submitted(1_764_139_715_000, "task_8f2", Some(30)));
    assert_eq!(
        line,
        r#"{"v":1,"key":{"storyboard":"ep1/storyboard_a.json","segment":3,"version":2,"fingerprint":"9f2c"},"event":"submitted","at_ms":1764139715000,"task_id":"task_8f2","cost_cents":30}"#
            .to_string()
            + "\n"
    );
    let line = read::encode(&key(3), &completed(5, "t"));
    assert!(
        line.contains(r#""event":"finished","at_ms":5,"task_id":"t","outcome":{"status":"completed","video_url":"https://cdn.example/t.mp4"}"#),
        "{line}"
    );
}

#[test]
fn prompt_with_newlines_stays_on_one_line() {
    let event = Event::Submitting {
        at_ms: 1,
        provider: "sora_hk".to_string(),
        prompt: "line one\nline two\r\n".to_string(),
        clock_offset_ms: None,
        request: None,
        key_ref: None,
    };
    let line = read::encode(&key(1), &event);
    assert_eq!(line.matches('\n').count(), 1);
    assert!(line.ends_with('\n'));
}

#[test]
fn stage_follows_the_job_through_its_life() {
    let mut state = JournalState::default();
    let k = key(3);
    state.apply(&k, &submitting(100));
    let record = state.get(&k).unwrap();
    assert_eq!(record.stage(), &Stage::Submitting { at_ms: 100 });
    assert_eq!(record.prompt(), Some("a red kite over the sea"));
    assert_eq!(record.provider(), Some("sora_hk"));
    assert!(record.is_in_flight());

    state.apply(&k, &submitted(110, "task_1", Some(30)));
    let record = state.get(&k).unwrap();
    assert_eq!(record.task_id(), Some("task_1"));
    assert_eq!(record.cost_cents(), Some(30));
    assert!(matches!(
        record.stage(),
        Stage::Submitted { at_ms: 110, .. }
    ));

    state.apply(&k, &completed(200, "task_1"));
    assert!(state.get(&k).unwrap().is_in_flight(), "not downloaded yet");
    state.apply(&k, &downloaded(300));
    let record = state.get(&k).unwrap();
    assert!(matches!(
        record.stage(),
        Stage::Downloaded { bytes: 1234, .. }
    ));
    assert!(!record.is_in_flight());
    assert_eq!(record.first_submitting_ms(), Some(100));
    assert_eq!(record.task_id(), Some("task_1"));
    assert_eq!(state.billed_cents(), 30);
}

#[test]
fn repeated_submitting_keeps_the_first_time() {
    let state = fold(&[(key(1), submitting(100)), (key(1), submitting(500))]);
    let record = state.get(&key(1)).unwrap();
    assert_eq!(record.stage(), &Stage::Submitting { at_ms: 100 });
    assert_eq!(record.first_submitting_ms(), Some(100));
}

#[test]
fn a_submitting_keeps_the_providers_clock_request_and_key_through_retries_and_compaction() {
    let request = Request {
        is_pro: true,
        duration_seconds: 25,
        resolution: "vertical".to_string(),
        image_url: Some("https://example.com/ref.png".to_string()),
        model: Some("sora-2-pro-2025".to_string()),
        size: Some("1024x1792".to_string()),
    };
    let made_with = KeyRef {
        label: "key2".to_string(),
        hash: "3fa9c2e1d0b4".to_string(),
    };
    let with = |at_ms, clock_offset_ms| Event::Submitting {
        at_ms,
        provider: "sora-hk".to_string(),
        prompt: "a red kite over the sea".to_string(),
        clock_offset_ms,
        request: Some(request.clone()),
        key_ref: Some(made_with.clone()),
    };
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    // The first create went out before any answer told the provider's clock; the retries
    // knew it (runs apart: their clocks disagree). Kept: the earliest of each kind, the
    // clocked one earliest on the provider's clock, not the first written.
    journal.append(&key(1), &with(1_000, None)).unwrap();
    journal.append(&key(1), &with(2_000, Some(5))).unwrap();
    journal
        .append(&key(1), &with(3_000, Some(-180_000)))
        .unwrap();
    journal.append(&key(1), &with(500, None)).unwrap();
    let live = journal.state();
    journal.compact().unwrap();
    drop(journal);
    let (_, state) = Journal::open(dir.path()).unwrap();
    assert_eq!(state, live, "compaction keeps both kinds of record");
    let submission = state.get(&key(1)).unwrap().submission().unwrap();
    assert_eq!(submission.first_ms, 500);
    assert_eq!(submission.unclocked_ms, Some(500));
    assert_eq!(submission.clocked, Some((3_000, -180_000)));
    assert_eq!(submission.request.as_ref(), Some(&request));
    assert_eq!(state.get(&key(1)).unwrap().key_ref(), Some(&made_with));
    assert!(
        journal_text(dir.path()).contains(r#""key_ref":{"label":"key2","hash":"3fa9c2e1d0b4"}"#)
    );
}

#[test]
fn a_submitting_line_from_before_the_clock_and_request_reads_as_unknown() {
    let line = r#"{"v":1,"key":{"storyboard":"s.json","segment":1,"version":1,"fingerprint":"f"},"event":"submitting","at_ms":5,"provider":"sora-hk","prompt":"p"}"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(JOURNAL_FILE), format!("{line}\n")).unwrap();
    let state = Journal::read(dir.path()).unwrap();
    let (_, record) = state.iter().next().unwrap();
    let submission = record.submission().unwrap();
    assert_eq!(
        (
            submission.unclocked_ms,
            submission.clocked,
            submission.request.as_ref()
        ),
        (Some(5), None, None)
    );
    assert!(read::encode(&key(1), &submitting(1)).contains("\"prompt\""));
    assert!(
        !read::encode(&key(1), &submitting(1)).contains("clock_offset_ms"),
        "unknown values are left out of the line"
    );
}

#[test]
fn failed_job_is_not_in_flight_but_keeps_its_bill() {
    let failed = Event::Finished {
        at_ms: 3,
        task_id: "t".to_string(),
        outcome: Outcome::Failed {
            message: "content policy".to_string(),
        },
    };
    let state = fold(&[
        (key(1), submitting(1)),
        (key(1), submitted(2, "t", Some(30))),
        (key(1), failed),
    ]);
    assert_eq!(state.in_flight().count(), 0);
    assert_eq!(state.billed_cents(), 30);
}

#[test]
fn resubmission_after_abandon_is_a_new_attempt_that_keeps_the_old_bill() {
    let state = fold(&[
        (key(1), submitting(1)),
        (key(1), submitted(2, "lost", Some(30))),
        (key(1), abandoned(3)),
        (key(1), submitting(10)),
    ]);
    let record = state.get(&key(1)).unwrap();
    assert_eq!(record.stage(), &Stage::Submitting { at_ms: 10 });
    assert_eq!(record.task_id(), None);
    assert_eq!(record.cost_cents(), None);
    assert_eq!(record.billed_cents(), 30);
}

#[test]
fn absurd_costs_from_older_journals_saturate_instead_of_wrapping() {
    // Before costs were range-checked, a reported 1e300 was journaled as i64::MAX.
    let state = fold(&[
        (key(1), submitted(1, "a", Some(i64::MAX))),
        (key(1), submitted(2, "b", Some(i64::MAX))),
        (key(2), submitted(3, "c", Some(i64::MAX))),
    ]);
    assert_eq!(state.get(&key(1)).unwrap().billed_cents(), i64::MAX);
    assert_eq!(state.billed_cents(), i64::MAX);
}

#[test]
fn out_of_order_events_are_kept_sensibly() {
    let state = fold(&[
        (key(1), completed(5, "t1")),
        (key(2), downloaded(5)),
        (key(3), submitted(1, "a", Some(30))),
        (key(3), submitted(2, "b", None)),
        (key(3), submitted(3, "b", Some(30))),
        (key(3), submitted(4, "b", None)),
    ]);
    let first = state.get(&key(1)).unwrap();
    assert_eq!(first.task_id(), Some("t1"));
    assert_eq!(first.first_submitting_ms(), None);
    assert!(first.is_in_flight(), "completed, not downloaded");
    assert_eq!(state.get(&key(2)).unwrap().task_id(), None);
    let third = state.get(&key(3)).unwrap();
    assert_eq!(third.task_id(), Some("b"));
    assert_eq!(
        third.cost_cents(),
        Some(30),
        "a later line without a cost keeps it"
    );
    assert_eq!(third.billed_cents(), 60, "task a was billed too");
}

#[test]
fn in_flight_lists_jobs_that_still_need_this_tool() {
    let state = fold(&[
        (key(1), submitting(1)),
        (key(2), submitted(1, "b", None)),
        (key(3), completed(1, "c")),
        (key(4), downloaded(1)),
        (key(5), abandoned(1)),
    ]);
    let segments: Vec<u32> = state.in_flight().map(|(key, _)| key.segment).collect();
    assert_eq!(segments, vec![1, 2, 3]);
}

#[test]
fn appended_events_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let state_dir = dir.path().join("output/.sora-batch");
    let (journal, state) = Journal::open(&state_dir).unwrap();
    assert!(state.is_empty());
    journal.append(&key(1), &submitting(1)).unwrap();
    journal
        .append(&key(1), &submitted(2, "t", Some(30)))
        .unwrap();
    journal.append(&key(2), &submitting(3)).unwrap();
    let live = journal.state();
    drop(journal);
    let (_journal, reopened) = Journal::open(&state_dir).unwrap();
    assert_eq!(reopened, live);
    assert_eq!(reopened.len(), 2);
    assert_eq!(reopened.billed_cents(), 30);
}

#[test]
fn torn_last_line_is_ignored_and_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    journal.append(&key(1), &submitting(1)).unwrap();
    drop(journal);
    let good = journal_text(dir.path());
    let torn = read::encode(&key(1), &submitted(2, "t", Some(30)));
    let mut text = good.clone();
    text.push_str(&torn[..torn.len() / 2]);
    fs::write(dir.path().join(JOURNAL_FILE), &text).unwrap();

    let (journal, state) = Journal::open(dir.path()).unwrap();
    assert_eq!(journal_text(dir.path()), good, "the torn tail is cut off");
    assert!(matches!(
        state.get(&key(1)).unwrap().stage(),
        Stage::Submitting { .. }
    ));
    journal.append(&key(2), &submitting(5)).unwrap();
    drop(journal);
    let (_, state) = Journal::open(dir.path()).unwrap();
    assert_eq!(state.len(), 2, "the next append did not glue onto garbage");
}

#[test]
fn complete_but_unparsable_last_line_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let good = read::encode(&key(1), &submitting(1));
    let text = format!("{good}{{\"v\":1,\"key\":\0\0\0\n\n");
    fs::write(dir.path().join(JOURNAL_FILE), text).unwrap();
    let (_journal, state) = Journal::open(dir.path()).unwrap();
    assert_eq!(state.len(), 1);
    assert_eq!(journal_text(dir.path()), good);
}

#[test]
fn unterminated_last_line_is_dropped_even_if_it_parses() {
    let dir = tempfile::tempdir().unwrap();
    let good = read::encode(&key(1), &submitting(1));
    let unfinished = read::encode(&key(1), &submitted(2, "t", None));
    let text = format!("{good}{}", unfinished.trim_end());
    fs::write(dir.path().join(JOURNAL_FILE), text).unwrap();
    let (_journal, state) = Journal::open(dir.path()).unwrap();
    assert_eq!(state.get(&key(1)).unwrap().task_id(), None);
    assert_eq!(journal_text(dir.path()), good);
}

#[test]
fn damaged_middle_line_is_an_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = read::encode(&key(1), &submitting(1));
    let text = format!("{good}\nnot json\n{good}");
    let path = dir.path().join(JOURNAL_FILE);
    fs::write(&path, &text).unwrap();
    let err = Journal::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, JournalError::Damaged { line: 3, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "{}: line 3: cannot read this entry",
            path.display()
        )),
        "{message}"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), text, "left untouched");
}

#[test]
fn newer_format_is_refused_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    let good = read::encode(&key(1), &submitting(1));
    let newer = good.replacen("\"v\":1", "\"v\":2", 1);
    fs::write(dir.path().join(JOURNAL_FILE), format!("{good}{newer}")).unwrap();
    let err = Journal::open(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            JournalError::NewerFormat {
                line: 2,
                found: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("upgrade sora-batch"), "{err}");
}

#[test]
fn compaction_keeps_only_jobs_that_still_matter() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    let events = [
        (key(1), submitting(1)),
        (key(1), submitted(2, "done", Some(30))),
        (key(1), completed(3, "done")),
        (key(1), downloaded(4)),
        (key(2), submitting(5)),
        (key(2), submitted(6, "polling", Some(30))),
        (key(3), submitting(7)),
        (key(4), submitting(8)),
        (key(4), abandoned(9)),
    ];
    for (key, event) in &events {
        journal.append(key, event).unwrap();
    }
    journal.compact().unwrap();
    let segments: Vec<u32> = journal.state().iter().map(|(key, _)| key.segment).collect();
    assert_eq!(segments, vec![2, 3]);
    assert_eq!(journal_text(dir.path()).lines().count(), 3);
    assert!(!dir.path().join("journal.jsonl.tmp").exists());

    journal
        .append(&key(3), &submitted(10, "late", None))
        .unwrap();
    let live = journal.state();
    drop(journal);
    let (_, reopened) = Journal::open(dir.path()).unwrap();
    assert_eq!(reopened, live, "appends went on in the compacted file");
    assert_eq!(reopened.get(&key(3)).unwrap().task_id(), Some("late"));
}

#[test]
fn journal_is_shared_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    let journal = Arc::new(journal);
    let threads: Vec<_> = (0..8)
        .map(|segment| {
            let journal = Arc::clone(&journal);
            std::thread::spawn(move || {
                for at in 0..25 {
                    journal.append(&key(segment), &submitting(at)).unwrap();
                }
                journal
                    .append(&key(segment), &submitted(99, "t", Some(1)))
                    .unwrap();
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    drop(journal);
    let (_, state) = Journal::open(dir.path()).unwrap();
    assert_eq!(state.len(), 8);
    assert_eq!(state.billed_cents(), 8);
    assert_eq!(journal_text(dir.path()).lines().count(), 8 * 26);
}

/// Answers whether `T` is Serialize, at run time (an inherent method wins over a trait's).
struct Probe<T>(std::marker::PhantomData<T>);
trait NotSerialize {
    fn serializes(&self) -> bool {
        false
    }
}
impl<T> NotSerialize for Probe<T> {}
impl<T: Serialize> Probe<T> {
    fn serializes(&self) -> bool {
        true
    }
}

#[test]
fn api_key_cannot_reach_the_journal() {
    use crate::config::ApiKey;
    assert!(Probe::<String>(std::marker::PhantomData).serializes());
    assert!(
        !Probe::<ApiKey>(std::marker::PhantomData).serializes(),
        "the API key type must never serialize: it could then be put into an event"
    );
    // The way a key could still slip in: formatted into a message that is recorded.
    let secret = "sk-live-3f9a7c1e5b";
    let key_value = ApiKey::new(secret);
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    let failure = Event::Finished {
        at_ms: 3,
        task_id: "t".to_string(),
        outcome: Outcome::Failed {
            message: format!("refused key {key_value} ({key_value:?})"),
        },
    };
    for event in [submitting(1), submitted(2, "t", Some(30)), failure] {
        journal.append(&key(1), &event).unwrap();
    }
    let text = journal_text(dir.path());
    assert!(text.contains("refused key sk-****"), "{text}");
    assert!(!text.contains(secret), "{text}");
}

#[test]
fn journal_is_shareable() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Journal>();
}

fn any_event() -> impl Strategy<Value = Event> {
    let task = prop::sample::select(vec!["a", "b"]);
    let cost = prop::option::of(0i64..100);
    prop_oneof![
        (
            0u64..1000,
            prop::sample::select(vec!["p", "q"]),
            prop::option::of(prop::sample::select(vec!["key1", "key2"]))
        )
            .prop_map(|(at_ms, prompt, label)| Event::Submitting {
                at_ms,
                provider: "sora_hk".to_string(),
                prompt: prompt.to_string(),
                clock_offset_ms: None,
                request: None,
                key_ref: label.map(|label| KeyRef {
                    label: label.to_string(),
                    hash: format!("{label}-hash"),
                }),
            }),
        (0u64..1000, task.clone(), cost)
            .prop_map(|(at_ms, task, cost)| submitted(at_ms, task, cost)),
        (0u64..1000, task, any::<bool>()).prop_map(|(at_ms, task, ok)| Event::Finished {
            at_ms,
            task_id: task.to_string(),
            outcome: if ok {
                Outcome::Completed {
                    video_url: "u".to_string(),
                }
            } else {
                Outcome::Failed {
                    message: "m".to_string(),
                }
            },
        }),
        (0u64..1000).prop_map(downloaded),
        (0u64..1000).prop_map(abandoned),
    ]
}

fn any_history() -> impl Strategy<Value = Vec<(JobKey, Event)>> {
    prop::collection::vec((1u32..4, any_event()), 0..30).prop_map(|events| {
        events
            .into_iter()
            .map(|(segment, event)| (key(segment), event))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Compaction's replay folds back to the same record (but for earlier attempts' cost).
    #[test]
    fn replay_rebuilds_every_record(history in any_history()) {
        let state = fold(&history);
        for (key, record) in state.iter() {
            let replayed = fold(
                &record.replay().into_iter().map(|event| (key.clone(), event)).collect::<Vec<_>>(),
            );
            prop_assert_eq!(
                replayed.get(key).unwrap(),
                &record.without_earlier_attempts()
            );
        }
    }

    /// Whatever the events, the live state, a compaction and a reopen agree with the fold
    /// of the jobs that still matter (settled jobs leave the live state as they settle).
    #[test]
    fn file_reopen_and_compaction_agree_with_the_fold(history in any_history()) {
        let dir = tempfile::tempdir().unwrap();
        let (journal, _) = Journal::open(dir.path()).unwrap();
        for (key, event) in &history {
            journal.append(key, event).unwrap();
        }
        let expected = fold_forgetting_settled(&history);
        prop_assert_eq!(&journal.state(), &expected);
        let (_, read_back) = Journal::open(dir.path()).unwrap();
        prop_assert_eq!(read_back.unsettled().len(), expected.len(), "the file has every job");
        journal.compact().unwrap();
        let compacted = journal.state();
        prop_assert_eq!(compacted.len(), expected.len());
        for (key, record) in expected.iter() {
            prop_assert_eq!(compacted.get(key), Some(&record.without_earlier_attempts()));
        }
        drop(journal);
        let (_, reopened) = Journal::open(dir.path()).unwrap();
        prop_assert_eq!(reopened, compacted);
    }
}

#[test]
fn a_new_state_folder_is_synced_into_its_parent_and_the_journal_into_the_folder() {
    let root = tempfile::tempdir().unwrap();
    let state = root.path().join("output/.sora-batch");
    let mut synced = Vec::new();
    let mut record = |dir: &Path| {
        synced.push(dir.to_path_buf());
        Ok(())
    };
    Journal::open_with(&state, &mut record).unwrap();
    assert!(
        synced.contains(&root.path().join("output")),
        "the state folder's parent: {synced:?}"
    );
    assert!(
        synced.contains(&root.path().to_path_buf()),
        "output/ was made too: {synced:?}"
    );
    assert_eq!(
        synced.last(),
        Some(&state),
        "the state folder, after the journal was made in it"
    );
}

#[test]
fn a_submitting_after_the_state_folder_was_removed_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let state = root.path().join(".sora-batch");
    let (journal, _) = Journal::open(&state).unwrap();
    journal.append(&key(1), &submitting(1)).unwrap();
    fs::remove_dir_all(&state).unwrap();
    let err = journal.append(&key(2), &submitting(2)).unwrap_err();
    assert!(matches!(err, JournalError::Replaced { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(&format!(
            "{} was deleted or replaced while this run was using it (was the state folder removed?)",
            state.join(JOURNAL_FILE).display()
        )),
        "{err}"
    );
    // The answer of a create already sent is still recorded (in the file this run has).
    journal
        .append(&key(1), &submitted(3, "task_1", Some(3)))
        .unwrap();
    // Nor is anyone else's journal taken over at the end.
    fs::create_dir_all(&state).unwrap();
    fs::write(state.join(JOURNAL_FILE), "").unwrap();
    assert!(matches!(
        journal.compact(),
        Err(JournalError::Replaced { .. })
    ));
    assert_eq!(fs::read(state.join(JOURNAL_FILE)).unwrap(), b"");
}

#[test]
fn a_journal_replaced_by_a_new_file_is_refused_before_submitting() {
    let root = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(root.path()).unwrap();
    let path = root.path().join(JOURNAL_FILE);
    fs::rename(&path, root.path().join("moved.jsonl")).unwrap();
    fs::write(&path, "").unwrap();
    assert!(matches!(
        journal.append(&key(1), &submitting(1)),
        Err(JournalError::Replaced { .. })
    ));
}

#[test]
fn a_pinned_lock_file_that_was_removed_stops_submitting() {
    let root = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(root.path()).unwrap();
    let lock = root.path().join("lock");
    fs::write(&lock, "").unwrap();
    journal.pin(&lock).unwrap();
    journal.append(&key(1), &submitting(1)).unwrap();
    fs::remove_file(&lock).unwrap();
    fs::write(&lock, "").unwrap();
    let err = journal.append(&key(2), &submitting(2)).unwrap_err();
    assert!(
        matches!(&err, JournalError::Replaced { path } if *path == lock),
        "{err:?}"
    );
}

#[test]
fn compaction_keeps_the_journal_watched() {
    let root = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(root.path()).unwrap();
    journal.append(&key(1), &submitting(1)).unwrap();
    journal.compact().unwrap();
    journal.append(&key(2), &submitting(2)).unwrap();
    fs::remove_file(root.path().join(JOURNAL_FILE)).unwrap();
    assert!(journal.append(&key(3), &submitting(3)).is_err());
}

#[test]
fn a_downloaded_job_leaves_the_live_state_but_not_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    for event in [
        submitting(1),
        submitted(2, "t", Some(3)),
        completed(3, "t"),
        downloaded(4),
    ] {
        journal.append(&key(1), &event).unwrap();
    }
    journal.append(&key(2), &submitting(5)).unwrap();
    let live: Vec<u32> = journal.state().iter().map(|(key, _)| key.segment).collect();
    assert_eq!(live, [2], "memory holds only the jobs that still matter");
    assert_eq!(journal_text(dir.path()).lines().count(), 5);
    let (_, read_back) = Journal::open(dir.path()).unwrap();
    assert!(matches!(
        read_back.get(&key(1)).unwrap().stage(),
        Stage::Downloaded { .. }
    ));
}
