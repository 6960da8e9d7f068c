//! The async `Gate` on tokio's paused clock: 2,000 jobs as tokio tasks, each sleeping
//! through its submission, generation and retries in virtual time.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::task::JoinSet;
use tokio::time::sleep;

use super::fake::{self, FakeProvider, JOBS, LATENCY, Outcome};
use super::*;
use crate::engine::backoff::retry_delay;

/// What every job shares.
struct Run {
    gate: Arc<Gate>,
    provider: Mutex<FakeProvider>,
    peak_permits: AtomicUsize,
    start: Instant,
}

/// One job: acquire, submit, and either wait out generation and polling or retry.
async fn run_job(run: Arc<Run>, job: usize, generation: Duration) {
    let mut rng = fastrand::Rng::with_seed(job as u64);
    for attempt in 0.. {
        let permit = run.gate.acquire().await;
        run.peak_permits
            .fetch_max(permit.in_flight(), Ordering::Relaxed);
        sleep(LATENCY).await;
        let answer = run
            .provider
            .lock()
            .unwrap()
            .submit(job, run.start.elapsed());
        match answer {
            Ok(()) => {
                permit.submitted(attempt > 0);
                sleep(generation).await;
                run.provider.lock().unwrap().finish();
                sleep(fake::noticed_after(generation) - generation).await;
                return;
            }
            Err((class, retry_after)) => {
                permit.failed(class, retry_after);
                sleep(retry_delay(
                    attempt,
                    retry_after,
                    &fake::backoff(),
                    &mut rng,
                ))
                .await;
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn two_thousand_async_jobs_against_a_provider_capped_at_eight_tasks() {
    let generation = fake::generation_times(1);
    let run = Arc::new(Run {
        gate: Gate::new(BreakerSettings::default()),
        provider: Mutex::new(FakeProvider::new()),
        peak_permits: AtomicUsize::new(0),
        start: Instant::now(),
    });
    let mut jobs = JoinSet::new();
    for (job, &time) in generation.iter().enumerate() {
        jobs.spawn(run_job(Arc::clone(&run), job, time));
    }
    let (mut completed, mut safe_mode) = (0, Duration::ZERO);
    let mut sample = tokio::time::interval(Duration::from_secs(10));
    while completed < JOBS {
        tokio::select! {
            joined = jobs.join_next() => {
                joined.expect("jobs left").expect("the job did not panic");
                completed += 1;
            }
            _ = sample.tick() => {
                if let Mode::SafeMode { .. } = run.gate.snapshot().mode {
                    safe_mode += Duration::from_secs(10);
                }
            }
        }
    }
    let run = Arc::into_inner(run).expect("every job has ended");
    let outcome = Outcome {
        completed,
        makespan: run.start.elapsed(),
        ideal: generation.iter().sum::<Duration>() / fake::QUOTA as u32,
        peak_permits: run.peak_permits.into_inner(),
        safe_mode,
        provider: run.provider.into_inner().unwrap(),
    };
    outcome.check();
}
