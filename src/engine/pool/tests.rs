//! Which key a new job goes to, keys leaving the rotation, and a batch over three keys
//! of different capacities on tokio's paused clock.

use std::sync::Mutex;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep};

use super::*;
use crate::engine::backoff::retry_delay;
use crate::engine::breaker::FailureClass;
use crate::engine::gate::tests::fake::{self, LATENCY, RETRY_AFTER};
use crate::provider::ProviderError;

/// A provider that is never called: these tests drive the gates, not the clients.
fn clients(weights: &[u32]) -> Vec<KeyClient> {
    weights
        .iter()
        .enumerate()
        .map(|(i, &weight)| KeyClient {
            label: format!("key{}", i + 1),
            hash: format!("{i:012}"),
            weight,
            max_rpm: None,
            provider: Arc::new(crate::provider::sora_hk::SoraHk::new(
                crate::provider::http_client(Duration::from_secs(1)),
                &url::Url::parse("http://127.0.0.1:9/v1").unwrap(),
                crate::config::ApiKey::new("sk-never-sent"),
                crate::provider::Redactor::default(),
                Duration::from_secs(1),
            )),
        })
        .collect()
}

fn pool(weights: &[u32], max: usize) -> Pool {
    let breaker = BreakerSettings {
        max,
        min: 1,
        ..BreakerSettings::default()
    };
    let reach = Arc::new(Reach::new(Duration::from_secs(900)));
    Pool::new(&clients(weights), &breaker, &reach)
}

fn keys_of(permits: &[Permit]) -> Vec<usize> {
    let mut counts = vec![0; 3];
    for permit in permits {
        counts[permit.key()] += 1;
    }
    counts
}

#[tokio::test(start_paused = true)]
async fn new_jobs_go_to_the_keys_with_room_in_proportion_to_their_weight() {
    let pool = pool(&[1, 2, 1], 1000);
    let mut permits = Vec::new();
    for _ in 0..400 {
        permits.push(pool.acquire().await.expect("keys are left"));
    }
    assert_eq!(keys_of(&permits), [100, 200, 100]);
}

#[tokio::test(start_paused = true)]
async fn a_full_key_is_passed_over_and_a_waiting_job_takes_the_first_key_with_room() {
    let pool = pool(&[1, 1, 1], 2);
    let mut permits = Vec::new();
    for _ in 0..6 {
        permits.push(pool.acquire().await.expect("room"));
    }
    assert_eq!(keys_of(&permits), [2, 2, 2]);
    assert!(
        pool.acquire().now_or_never().is_none(),
        "every key is at its limit"
    );
    let freed = permits.iter().position(|p| p.key() == 1).unwrap();
    permits.remove(freed);
    let next = pool.acquire().await.expect("room again");
    assert_eq!(next.key(), 1, "the key that has room");
    let snapshot = pool.snapshot();
    assert_eq!(snapshot.limit(), 6);
    assert_eq!(
        snapshot.to_string(),
        "6 in flight · key1 2 of 2 · key2 2 of 2 · key3 2 of 2"
    );
}

#[test]
fn a_key_refused_again_after_it_left_is_told_apart_without_a_deadlock() {
    // Two jobs of one key refused at once: the second refusal finds the key gone. It
    // deadlocked (the key's lock held while every key's was taken), hanging a run whose
    // key was refused.
    let pool = pool(&[1, 1], 1);
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let first = pool.retire(0, crate::i18n::Message::plain("the provider refused it"));
        let again = pool.retire(0, crate::i18n::Message::plain("the provider refused it"));
        let _ = done.send((first, again, pool.member(0).retired_because()));
    });
    let (first, again, why) = finished
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("retiring a key twice returns");
    assert!(first && again, "key2 is left both times");
    assert_eq!(why.as_deref(), Some("the provider refused it"));
}

#[test]
fn of_two_keys_out_of_money_at_once_one_stays() {
    // Each saw the other still in the rotation; both left, and the run ended with no key
    // and no reason. The last one stays, for the budget to deal with its jobs.
    for _ in 0..200 {
        let pool = Arc::new(pool(&[1, 1], 1));
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let leaving: Vec<_> = (0..2)
            .map(|key| {
                let (pool, barrier) = (pool.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    pool.retire_unless_last(
                        key,
                        crate::i18n::Message::plain("its balance is too low"),
                    )
                })
            })
            .collect();
        let left: Vec<bool> = leaving.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(left.iter().filter(|left| **left).count(), 1, "{left:?}");
        assert!(pool.any_left());
    }
}

#[tokio::test(start_paused = true)]
async fn a_retired_key_gets_no_new_jobs_and_the_last_one_leaving_ends_the_wait() {
    let pool = Arc::new(pool(&[1, 1], 1));
    assert!(pool.retire(0, crate::i18n::Message::plain("the provider refused it")));
    assert!(!pool.others_left(1));
    let first = pool.acquire().await.expect("key2 is left");
    assert_eq!(first.key(), 1);
    let waiting = tokio::spawn({
        let pool = pool.clone();
        async move { pool.acquire().await.map(|permit| permit.key()) }
    });
    sleep(Duration::from_secs(1)).await;
    assert!(!waiting.is_finished(), "key2 is full");
    assert!(
        !pool.retire(1, crate::i18n::Message::plain("its balance is too low")),
        "no key is left"
    );
    assert_eq!(waiting.await.unwrap(), None);
    assert_eq!(pool.primary().label, "key1", "the first, once none is left");
    assert!(
        pool.snapshot()
            .to_string()
            .contains("key1 0 of 1 (left the rotation)"),
        "{}",
        pool.snapshot()
    );
}

/// A provider whose every call answers at once: what a key's rate is seen through.
/// `local`: its status answers come from this process (a chat stream's book).
struct Answering {
    local: bool,
}

impl Provider for Answering {
    fn name(&self) -> &'static str {
        "instant"
    }
    fn capabilities(&self) -> &'static crate::provider::Capabilities {
        &crate::provider::sora_hk::CAPABILITIES
    }
    fn submit<'a>(
        &'a self,
        _: &'a crate::storyboard::Segment,
    ) -> futures_util::future::BoxFuture<'a, Result<crate::provider::Accepted, ProviderError>> {
        Box::pin(async {
            Err(ProviderError::Unreachable {
                message: "never".to_string(),
            })
        })
    }
    fn status<'a>(
        &'a self,
        _: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<crate::provider::TaskStatus, ProviderError>>
    {
        Box::pin(async {
            Err(ProviderError::UnknownTask {
                task_id: "t".to_string(),
                request_id: None,
            })
        })
    }
    fn recent(
        &self,
        _: u32,
    ) -> futures_util::future::BoxFuture<'_, Result<crate::provider::RecentPage, ProviderError>>
    {
        Box::pin(async { Ok(crate::provider::RecentPage::default()) })
    }
    crate::engine::tests::plain_calls!();
    fn let_go(&self, _: &str) -> bool {
        true
    }
    fn status_is_local(&self, _: &str) -> bool {
        self.local
    }
}

#[tokio::test(start_paused = true)]
async fn a_status_answered_locally_takes_no_place_in_the_keys_max_rpm() {
    // A chat job's status is read from its stream's book every second: counted, a key
    // with a low max_rpm would spend its minute on them and starve its creates.
    let mut clients = clients(&[1]);
    clients[0].provider = Arc::new(Answering { local: true });
    clients[0].max_rpm = Some(1);
    let reach = Arc::new(Reach::new(Duration::from_secs(900)));
    let pool = Pool::new(&clients, &BreakerSettings::default(), &reach);
    let start = Instant::now();
    for _ in 0..5 {
        let _ = pool.member(0).provider.status("t").await;
    }
    pool.member(0).take_rate().await;
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "the create's place is free"
    );
}

#[tokio::test(start_paused = true)]
async fn every_call_with_a_key_counts_toward_its_max_rpm_and_no_other_keys() {
    let mut clients = clients(&[1, 1]);
    for client in &mut clients {
        client.provider = Arc::new(Answering { local: false });
    }
    clients[0].max_rpm = Some(2);
    let reach = Arc::new(Reach::new(Duration::from_secs(900)));
    let pool = Pool::new(&clients, &BreakerSettings::default(), &reach);
    let start = Instant::now();
    let limited = &pool.member(0).provider;
    let _ = limited.status("t").await;
    let _ = limited.recent(1).await;
    assert_eq!(start.elapsed(), Duration::ZERO);
    for _ in 0..5 {
        let _ = pool.member(1).provider.status("t").await;
    }
    assert_eq!(start.elapsed(), Duration::ZERO, "the other key has no rate");
    pool.member(0).take_rate().await;
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(60),
        "a create waits its turn, and takes it"
    );
    // Sent through the unpaced client, it waits no second time: a status call that
    // queued meanwhile cannot push it past a stop.
    let _ = pool
        .member(0)
        .unpaced
        .submit(&crate::storyboard::Segment::example("a kite"))
        .await;
    assert_eq!(start.elapsed(), Duration::from_secs(60));
    let _ = limited.status("t").await;
    assert_eq!(start.elapsed(), Duration::from_secs(60));
    let _ = limited.status("t").await;
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(120),
        "the third call of a minute waits"
    );
}

/// One account at the provider, as the key's calls see it.
#[derive(Debug, Default, Clone)]
struct Account {
    quota: usize,
    active: usize,
    peak: usize,
    accepted: usize,
}

/// 100 jobs through `pool` against accounts with `quotas`, each job retrying a 429 at
/// whatever key has room; the makespan and each account's end state.
async fn batch(pool: Pool, quotas: &[usize]) -> (Duration, Vec<Account>) {
    const JOBS: usize = 100;
    let pool = Arc::new(pool);
    let accounts = Arc::new(Mutex::new(
        quotas
            .iter()
            .map(|&quota| Account {
                quota,
                ..Account::default()
            })
            .collect::<Vec<_>>(),
    ));
    let start = Instant::now();
    let mut jobs = JoinSet::new();
    for (job, generation) in fake::generation_times(7).into_iter().take(JOBS).enumerate() {
        let (pool, accounts) = (pool.clone(), accounts.clone());
        jobs.spawn(async move {
            let mut rng = fastrand::Rng::with_seed(job as u64);
            for attempt in 0.. {
                let permit = pool.acquire().await.expect("keys are left");
                sleep(LATENCY).await;
                let accepted = {
                    let mut accounts = accounts.lock().unwrap();
                    let account = &mut accounts[permit.key()];
                    let room = account.active < account.quota;
                    if room {
                        account.active += 1;
                        account.peak = account.peak.max(account.active);
                        account.accepted += 1;
                    }
                    room
                };
                if accepted {
                    permit.submitted(attempt > 0);
                    sleep(generation).await;
                    accounts.lock().unwrap()[permit.key()].active -= 1;
                    sleep(fake::noticed_after(generation) - generation).await;
                    return;
                }
                permit.failed(FailureClass::RateLimited, Some(RETRY_AFTER));
                let retry = Some(RETRY_AFTER);
                sleep(retry_delay(attempt, retry, &fake::backoff(), &mut rng)).await;
            }
        });
    }
    while let Some(joined) = jobs.join_next().await {
        joined.expect("the job did not panic");
    }
    let accounts = accounts.lock().unwrap().clone();
    (start.elapsed(), accounts)
}

#[tokio::test(start_paused = true)]
async fn three_keys_of_capacities_2_4_8_run_a_batch_about_as_fast_as_one_key_of_14() {
    let (three, accounts) = batch(pool(&[1, 1, 1], 20), &[2, 4, 8]).await;
    let (one, single) = batch(pool(&[1], 20), &[14]).await;
    assert_eq!(single[0].accepted, 100);
    let accepted: Vec<usize> = accounts.iter().map(|a| a.accepted).collect();
    assert_eq!(
        accepted.iter().sum::<usize>(),
        100,
        "each job accepted once"
    );
    for account in &accounts {
        assert!(account.peak <= account.quota, "{accounts:?}");
        // Spread roughly by capacity: a key's share within a third of its capacity's.
        let share = account.accepted as f64 / 100.0;
        let fair = account.quota as f64 / 14.0;
        assert!((share - fair).abs() <= fair / 3.0 + 0.02, "{accounts:?}");
    }
    let ratio = three.as_secs_f64() / one.as_secs_f64();
    assert!(
        ratio <= 1.15,
        "three keys took {three:?}, one key of their capacity {one:?}: {ratio:.3}"
    );
}
