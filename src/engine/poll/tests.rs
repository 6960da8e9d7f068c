use super::*;

fn secs(seconds: f64) -> Duration {
    Duration::from_secs_f64(seconds)
}

/// A job as the provider reports it: `queued` at 0%, then `run` of linear progress
/// (whole percents, rounded down), then finished.
#[derive(Debug, Clone, Copy)]
struct Job {
    queued: Duration,
    run: Duration,
}

impl Job {
    fn linear(run: Duration) -> Self {
        Self {
            queued: Duration::ZERO,
            run,
        }
    }

    fn finish(&self) -> Duration {
        self.queued + self.run
    }

    fn progress(&self, elapsed: Duration) -> u8 {
        let ran = elapsed.saturating_sub(self.queued).as_secs_f64();
        (ran / self.run.as_secs_f64() * 100.0).floor().min(100.0) as u8
    }
}

/// How following a job to its end went.
#[derive(Debug)]
struct Followed {
    /// Status calls, the one that saw the job finished included.
    calls: u32,
    /// Of those, the ones made after the job left the queue.
    running: u32,
    /// How late the finish was noticed; `None` if the job timed out first.
    lag: Option<Duration>,
}

fn follow(job: Job, settings: &PollSettings) -> Followed {
    let mut schedule = PollSchedule::new(settings.clone());
    let (mut elapsed, mut progress) = (Duration::ZERO, None);
    let (mut calls, mut running) = (0, 0);
    loop {
        elapsed += schedule.next_wait(elapsed, progress, None);
        calls += 1;
        running += u32::from(elapsed > job.queued);
        let lag = elapsed.checked_sub(job.finish());
        if lag.is_some() || schedule.timed_out(elapsed) {
            return Followed {
                calls,
                running,
                lag,
            };
        }
        progress = Some(job.progress(elapsed));
    }
}

#[test]
fn linear_jobs_cost_few_calls_and_are_noticed_within_an_interval() {
    let settings = PollSettings::default();
    // The promise is a lag of at most the interval, plus slack for whole-percent rounding,
    // for at most 8 calls.
    for minutes in [3.0, 4.5, 10.0, 30.0] {
        let followed = follow(Job::linear(secs(minutes * 60.0)), &settings);
        let lag = followed.lag.expect("finished before the timeout");
        assert!(followed.calls <= 8, "{minutes} min: {followed:?}");
        assert!(
            lag <= settings.interval + secs(2.0),
            "{minutes} min: {followed:?}"
        );
    }
}

#[test]
fn time_spent_queued_at_zero_does_not_make_the_finish_noticed_late() {
    let settings = PollSettings::default();
    for (queued, minutes) in [(60.0, 3.0), (300.0, 4.5), (60.0, 10.0), (600.0, 20.0)] {
        let job = Job {
            queued: secs(queued),
            run: secs(minutes * 60.0),
        };
        let followed = follow(job, &settings);
        let lag = followed.lag.expect("finished before the timeout");
        // The queue costs its own calls (20, 40, 80… up to 120 s apart); after it, the
        // first guesses are capped by the span seen since the last 0%, until the slope
        // between two answers is known.
        assert!(
            followed.running <= 11,
            "{queued} s, {minutes} min: {followed:?}"
        );
        assert!(
            lag <= settings.interval + secs(2.0),
            "{queued} s, {minutes} min: {followed:?}"
        );
    }
}

#[test]
fn unknown_progress_waits_double_the_elapsed_time_up_to_six_intervals() {
    let mut schedule = PollSchedule::new(PollSettings::default());
    let mut elapsed = Duration::ZERO;
    let waits: Vec<f64> = (0..9)
        .map(|_| {
            let wait = schedule.next_wait(elapsed, None, None);
            elapsed += wait;
            wait.as_secs_f64()
        })
        .collect();
    assert_eq!(
        waits,
        [20.0, 20.0, 40.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0]
    );
}

#[test]
fn a_server_hint_wins_but_never_makes_a_busy_loop() {
    let mut schedule = PollSchedule::new(PollSettings::default());
    assert_eq!(schedule.next_wait(Duration::ZERO, None, None), secs(20.0));
    let hint = Some(secs(2.5));
    assert_eq!(schedule.next_wait(secs(20.0), Some(50), hint), secs(2.5));
    let zero = Some(Duration::ZERO);
    assert_eq!(schedule.next_wait(secs(23.0), Some(51), zero), secs(1.0));
}

#[test]
fn no_wait_reaches_past_the_timeout() {
    let settings = PollSettings::default();
    let mut schedule = PollSchedule::new(settings.clone());
    let near_end = settings.timeout - secs(4.0);
    // A first call after a restart, long after submission, comes at once.
    assert_eq!(schedule.next_wait(near_end, None, None), Duration::ZERO);
    assert_eq!(schedule.next_wait(near_end, Some(1), None), secs(4.0));
    assert_eq!(
        schedule.next_wait(near_end, None, Some(secs(90.0))),
        secs(4.0)
    );
    assert!(!schedule.timed_out(near_end));
    assert!(schedule.timed_out(settings.timeout));
    assert_eq!(
        schedule.next_wait(settings.timeout, Some(1), None),
        Duration::ZERO
    );
    // A job slower than the timeout is given up on at the deadline.
    let followed = follow(Job::linear(secs(40.0 * 60.0)), &settings);
    assert_eq!(followed.lag, None);
}

#[test]
fn a_job_stuck_at_the_end_is_asked_every_interval() {
    let mut schedule = PollSchedule::new(PollSettings::default());
    schedule.next_wait(Duration::ZERO, None, None);
    for minute in 3..6 {
        let elapsed = secs(f64::from(minute) * 60.0);
        assert_eq!(schedule.next_wait(elapsed, Some(99), None), secs(10.0));
        assert_eq!(schedule.next_wait(elapsed, Some(100), None), secs(10.0));
    }
}

#[tokio::test(start_paused = true)]
async fn a_poll_loop_on_the_paused_clock_notices_a_four_and_a_half_minute_job() {
    use tokio::time::{Instant, sleep};
    let job = Job::linear(secs(270.0));
    let submitted = Instant::now();
    let mut schedule = PollSchedule::new(PollSettings::default());
    let (mut calls, mut progress) = (0, None);
    loop {
        sleep(schedule.next_wait(submitted.elapsed(), progress, None)).await;
        calls += 1;
        let elapsed = submitted.elapsed();
        if elapsed >= job.finish() {
            assert!(elapsed - job.finish() <= secs(12.0), "{elapsed:?}");
            break;
        }
        progress = Some(job.progress(elapsed));
    }
    assert!(calls <= 8, "{calls} calls");
}

#[test]
fn absurd_intervals_and_timeouts_never_overflow_a_wait() {
    let huge = Duration::from_secs(u64::MAX / 2);
    let mut schedule = PollSchedule::new(PollSettings {
        first_delay: huge,
        interval: huge,
        timeout: Duration::MAX,
    });
    let mut elapsed = secs(1.0);
    for progress in [None, Some(0), None, Some(5), Some(40), Some(100)] {
        let wait = schedule.next_wait(elapsed, progress, None);
        assert!(wait >= secs(1.0), "{progress:?}: {wait:?}");
        elapsed = elapsed.saturating_add(secs(600.0));
    }
}

#[test]
fn the_time_a_job_has_left_follows_its_reported_progress() {
    let mut schedule = PollSchedule::new(PollSettings::default());
    assert_eq!(schedule.expected_left(secs(0.0)), None);
    schedule.next_wait(secs(0.0), None, None);
    // Queued at 0% for 30 s: no basis yet.
    schedule.next_wait(secs(30.0), Some(0), None);
    assert_eq!(schedule.expected_left(secs(30.0)), None);
    // 20% done 20 s after leaving the queue: 80 s more, less the time since that answer.
    schedule.next_wait(secs(50.0), Some(20), None);
    assert_eq!(schedule.expected_left(secs(50.0)), Some(secs(80.0)));
    assert_eq!(schedule.expected_left(secs(60.0)), Some(secs(70.0)));
    // From there on, the slope between the answers: 1% a second, 25% left at 75%.
    schedule.next_wait(secs(95.0), Some(65), None);
    schedule.next_wait(secs(105.0), Some(75), None);
    let left = schedule.expected_left(secs(105.0)).unwrap().as_secs_f64();
    assert!((left - 25.0).abs() < 0.01, "{left}");
}
