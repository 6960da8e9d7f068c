//! The engine driven against a provider that cannot list its tasks: what its
//! `Capabilities` say, not its name, decides what a lost create becomes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::*;
use crate::journal::Journal;
use crate::provider::Provider;
use crate::provider::sora_hk::CAPABILITIES as SORA_HK;
use crate::provider::{
    Accepted, Capabilities, PriceModel, Prices, ProviderError, RecentPage, TaskStatus,
};

/// The calls the fake providers of the engine's tests answer alike: no clock, no key for
/// downloads, an API on this machine.
macro_rules! plain_calls {
    () => {
        fn clock_offset_ms(&self) -> Option<i64> {
            None
        }
        fn download_auth(&self) -> Option<crate::download::DownloadAuth> {
            None
        }
        fn api_is_local(&self) -> bool {
            true
        }
    };
}
pub(super) use plain_calls;

/// A provider with no task list, every create of which loses its answer.
#[derive(Default)]
struct NoList {
    creates: AtomicU32,
    lists: AtomicU32,
}

const NO_LIST: Capabilities = Capabilities {
    name: "no-list",
    lists_tasks: false,
    default_size: None,
    price_model: PriceModel::PerSecond(Prices {
        normal_cents: 10,
        pro_cents: 30,
        pro_large_cents: None,
    }),
    currency: "USD",
    live_prices: None,
    has_balance: false,
    ..SORA_HK
};

impl Provider for NoList {
    fn name(&self) -> &'static str {
        "no-list"
    }
    fn capabilities(&self) -> &'static Capabilities {
        &NO_LIST
    }
    fn submit<'a>(&'a self, _: &'a Segment) -> BoxFuture<'a, Result<Accepted, ProviderError>> {
        self.creates.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {
            Err(ProviderError::Ambiguous {
                message: "the connection broke after the request was sent".to_string(),
                retry_after: None,
            })
        })
    }
    fn status<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<TaskStatus, ProviderError>> {
        unreachable!("no task was ever accepted")
    }
    fn recent(&self, _: u32) -> BoxFuture<'_, Result<RecentPage, ProviderError>> {
        // What a provider without a list would seem to say: nothing.
        self.lists.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(RecentPage::default()) })
    }
    plain_calls!();
    fn let_go(&self, _: &str) -> bool {
        true
    }
}

pub(super) fn settings() -> EngineSettings {
    EngineSettings {
        breaker: breaker::BreakerSettings::default(),
        poll: poll::PollSettings::default(),
        backoff: backoff::BackoffPolicy::default(),
        download_workers: 1,
        max_video_bytes: 1 << 20,
        resubmit_lost: false,
        retry_failed: false,
        max_server_errors: 10,
        stagger: Duration::ZERO,
        lost_create_wait: Duration::from_millis(10),
        request_timeout: Duration::from_secs(5),
        give_up_after: Duration::from_secs(900),
        prices: crate::pricing::PriceSettings::default(),
    }
}

pub(super) fn job(output: &Path) -> JobSpec {
    let segment = Arc::new(Segment::example("a lighthouse at dusk"));
    let fingerprint: Arc<str> = segment.fingerprint().into();
    JobSpec {
        key: JobKey {
            storyboard: "storyboard.json".to_string(),
            segment: segment.index,
            version: 1,
            fingerprint: fingerprint.to_string(),
        },
        segment,
        fingerprint,
        video: output.join("Segment_1").join("v1.mp4"),
        state: JobState::New,
        provider: "no-list",
        extra: false,
    }
}

async fn run_once(provider: Arc<NoList>, state_dir: &Path, output: &Path) -> Summary {
    let (journal, earlier) = Journal::open(state_dir).expect("the journal opens");
    run(Batch {
        jobs: vec![job(output)],
        keys: vec![KeyClient::only("0123456789ab", provider)],
        journal: Arc::new(journal),
        earlier,
        settings: settings(),
        quiet: true,
    })
    .await
}

#[tokio::test]
async fn a_provider_without_a_task_list_leaves_a_lost_create_unresolved_and_never_resubmits() {
    let dir = tempfile::tempdir().unwrap();
    let (state_dir, output) = (dir.path().join("state"), dir.path().join("out"));
    let provider = Arc::new(NoList::default());
    let first = run_once(provider.clone(), &state_dir, &output).await;
    assert_eq!(
        provider.creates.load(Ordering::SeqCst),
        1,
        "one create only"
    );
    assert_eq!(
        provider.lists.load(Ordering::SeqCst),
        0,
        "it has no list to read"
    );
    assert_eq!(first.unresolved.len(), 1, "{first:?}");
    let message = &first.unresolved[0].message;
    assert!(
        message
            .to_string()
            .contains("no-list cannot list its tasks")
            && message.to_string().contains("--resubmit-lost"),
        "{message}"
    );
    // The next run finds the `submitting` record and still does not pay again.
    let again = run_once(provider.clone(), &state_dir, &output).await;
    assert_eq!(
        provider.creates.load(Ordering::SeqCst),
        1,
        "never resubmitted"
    );
    assert_eq!(provider.lists.load(Ordering::SeqCst), 0);
    assert_eq!(again.unresolved.len(), 1, "{again:?}");
}

/// The OpenAI dialect against the simulator, whose videos expire 1 ms after completing.
fn openai_at(sim: &crate::sim::RunningSim) -> Arc<crate::provider::openai::OpenAi> {
    let base = url::Url::parse(&sim.base_url()).unwrap();
    Arc::new(crate::provider::openai::OpenAi::new(
        crate::provider::http_client(Duration::from_secs(5)),
        &base,
        crate::config::ApiKey::new(crate::sim::DEFAULT_KEY),
        crate::provider::Redactor::new([crate::sim::DEFAULT_KEY.to_string()]),
        Duration::from_secs(5),
        crate::provider::openai::Options::default(),
    ))
}

#[tokio::test]
async fn expired_content_fails_the_job_for_good_naming_the_expiry_and_the_way_to_regenerate() {
    let sim = crate::sim::start(crate::sim::SimSettings {
        gen_seconds: crate::sim::GenSeconds(0.1, 0.1),
        expire_after: Some(Duration::from_millis(1)),
        seed: Some(3),
        ..crate::sim::SimSettings::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (state_dir, output) = (dir.path().join("state"), dir.path().join("out"));
    let mut settings = settings();
    settings.poll.first_delay = Duration::from_millis(300);
    settings.poll.interval = Duration::from_millis(50);
    let mut job = job(&output);
    job.segment = Arc::new(Segment {
        duration_seconds: 4,
        ..(*job.segment).clone()
    });
    job.provider = "openai";
    let run_once = |settings: EngineSettings| {
        let (journal, earlier) = Journal::open(&state_dir).expect("the journal opens");
        run(Batch {
            jobs: vec![job.clone()],
            keys: vec![KeyClient::only("0123456789ab", openai_at(&sim))],
            journal: Arc::new(journal),
            earlier,
            settings,
            quiet: true,
        })
    };
    let first = run_once(settings.clone()).await;
    assert_eq!(first.failures.len(), 1, "{first:?}");
    let message = &first.failures[0].message;
    for said in ["expired", "a rerun cannot download it", "--retry-failed"] {
        assert!(message.to_string().contains(said), "{said:?} in {message}");
    }
    assert!(
        !message.to_string().contains("without paying again"),
        "{message}"
    );
    let stats = sim.stats();
    assert_eq!(
        (stats.creates, stats.expired_downloads),
        (1, 1),
        "no retry loop"
    );

    // A rerun neither asks for the gone video again nor pays for a new one unasked.
    let second = run_once(settings).await;
    assert_eq!(second.failures.len(), 1, "{second:?}");
    assert!(
        second.failures[0].message.to_string().contains("expired"),
        "{second:?}"
    );
    let stats = sim.stats();
    assert_eq!((stats.creates, stats.expired_downloads), (1, 1));
    assert!(!job.video.exists());
}

/// A key whose first create loses its answer (and its list never shows a task), and
/// whose next create is refused for want of money.
#[derive(Default)]
struct SpentAfterALostCreate {
    creates: AtomicU32,
}

impl Provider for SpentAfterALostCreate {
    fn name(&self) -> &'static str {
        "no-list"
    }
    fn capabilities(&self) -> &'static Capabilities {
        &SORA_HK
    }
    fn submit<'a>(&'a self, _: &'a Segment) -> BoxFuture<'a, Result<Accepted, ProviderError>> {
        let first = self.creates.fetch_add(1, Ordering::SeqCst) == 0;
        Box::pin(async move {
            Err(match first {
                true => ProviderError::Ambiguous {
                    message: "the connection broke after the request was sent".to_string(),
                    retry_after: None,
                },
                false => ProviderError::OutOfMoney {
                    message: "insufficient balance".to_string(),
                },
            })
        })
    }
    fn status<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<TaskStatus, ProviderError>> {
        unreachable!("no task was ever accepted")
    }
    fn recent(&self, _: u32) -> BoxFuture<'_, Result<RecentPage, ProviderError>> {
        Box::pin(async { Ok(RecentPage::default()) })
    }
    plain_calls!();
    fn let_go(&self, _: &str) -> bool {
        true
    }
}

#[tokio::test]
async fn a_lost_create_whose_retry_is_refused_for_money_never_moves_to_another_key() {
    // The lost create may have been billed at the first key (its list can lag): sending
    // the job with the second key could pay for it twice.
    let dir = tempfile::tempdir().unwrap();
    let (state_dir, output) = (dir.path().join("state"), dir.path().join("out"));
    let spent = Arc::new(SpentAfterALostCreate::default());
    let other = Arc::new(NoList::default());
    let (journal, earlier) = Journal::open(&state_dir).expect("the journal opens");
    let mut second = KeyClient::only("ba9876543210", other.clone());
    second.label = "key2".to_string();
    let summary = run(Batch {
        jobs: vec![job(&output)],
        keys: vec![KeyClient::only("0123456789ab", spent.clone()), second],
        journal: Arc::new(journal),
        earlier,
        settings: settings(),
        quiet: true,
    })
    .await;
    assert_eq!(spent.creates.load(Ordering::SeqCst), 2, "{summary:?}");
    assert_eq!(other.creates.load(Ordering::SeqCst), 0, "{summary:?}");
    assert_eq!(summary.unresolved.len(), 1, "{summary:?}");
    let message = &summary.unresolved[0].message;
    assert!(
        message
            .to_string()
            .contains("not sent again with another key"),
        "{message}"
    );
    let later = Journal::read(&state_dir).unwrap();
    let record = later.get(&job(&output).key).expect("the job is journaled");
    assert!(
        record.is_in_flight(),
        "a later run looks for the lost create: {record:?}"
    );
}
