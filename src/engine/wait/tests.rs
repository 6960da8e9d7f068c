//! `--poll-timeout` on tokio's paused clock, against a provider that holds each task
//! open and never finishes it (a chat gateway trickling progress forever): the job ends
//! at the timeout, what the provider held for it is let go, and a task no later run can
//! ask about ends as an unknown outcome rather than a failure "a rerun picks up".

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::engine::tests::{job, plain_calls, settings};
use crate::engine::{Batch, run};
use crate::journal::Journal;
use crate::provider::{
    Accepted, Capabilities, Cost, Provider, ProviderError, RecentPage, TaskPhase, TaskStatus,
};
use crate::storyboard::Segment;

/// Every task runs for ever at 42%; `outlives`: what `let_go` answers.
struct Endless {
    outlives: bool,
    creates: AtomicU32,
    let_go: Mutex<Vec<String>>,
}

impl Endless {
    fn new(outlives: bool) -> Arc<Endless> {
        Arc::new(Endless {
            outlives,
            creates: AtomicU32::new(0),
            let_go: Mutex::new(Vec::new()),
        })
    }
}

impl Provider for Endless {
    fn name(&self) -> &'static str {
        "no-list"
    }
    fn capabilities(&self) -> &'static Capabilities {
        &crate::provider::chat::CAPABILITIES
    }
    fn submit<'a>(&'a self, _: &'a Segment) -> BoxFuture<'a, Result<Accepted, ProviderError>> {
        let count = self.creates.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            Ok(Accepted {
                task_id: format!("held_{count}"),
                cost_cents: Cost::Unstated,
            })
        })
    }
    fn status<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<TaskStatus, ProviderError>> {
        Box::pin(async {
            Ok(TaskStatus {
                phase: TaskPhase::Running { progress: Some(42) },
                poll_after: None,
                raw: serde_json::Value::Null,
            })
        })
    }
    fn recent(&self, _: u32) -> BoxFuture<'_, Result<RecentPage, ProviderError>> {
        crate::provider::no_task_list("endless")
    }
    plain_calls!();
    fn let_go(&self, task_id: &str) -> bool {
        self.let_go.lock().unwrap().push(task_id.to_string());
        self.outlives
    }
}

async fn run_against(provider: Arc<Endless>) -> crate::engine::Summary {
    let dir = tempfile::tempdir().unwrap();
    let (journal, earlier) = Journal::open(&dir.path().join("state")).unwrap();
    let mut settings = settings();
    settings.poll.first_delay = Duration::from_secs(10);
    settings.poll.interval = Duration::from_secs(10);
    settings.poll.timeout = Duration::from_secs(600);
    run(Batch {
        jobs: vec![job(&dir.path().join("out"))],
        keys: vec![crate::engine::KeyClient::only("0123456789ab", provider)],
        journal: Arc::new(journal),
        earlier,
        settings,
        quiet: true,
    })
    .await
}

#[tokio::test(start_paused = true)]
async fn a_held_task_past_the_poll_timeout_is_let_go_and_ends_as_an_unknown_outcome() {
    let provider = Endless::new(false);
    let summary = run_against(provider.clone()).await;
    assert_eq!(summary.unresolved.len(), 1, "{summary:?}");
    assert_eq!(summary.failed, 0, "{summary:?}");
    let message = &summary.unresolved[0].message;
    for said in ["unknown outcome", "--poll-timeout", "--resubmit-lost"] {
        assert!(message.to_string().contains(said), "{said:?} in {message}");
    }
    assert_eq!(*provider.let_go.lock().unwrap(), ["held_0"]);
    assert_eq!(
        provider.creates.load(Ordering::SeqCst),
        1,
        "never resubmitted"
    );
}

#[tokio::test(start_paused = true)]
async fn a_polled_task_past_the_poll_timeout_is_a_failure_a_rerun_picks_up() {
    let provider = Endless::new(true);
    let summary = run_against(provider.clone()).await;
    assert_eq!(summary.failures.len(), 1, "{summary:?}");
    assert!(summary.unresolved.is_empty(), "{summary:?}");
    let message = &summary.failures[0].message;
    assert!(
        message.to_string().contains("a rerun picks it up again"),
        "{message}"
    );
    assert_eq!(*provider.let_go.lock().unwrap(), ["held_0"]);
}
