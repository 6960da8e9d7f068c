use std::time::Duration;

use tokio::time::Instant;

use super::Eta;
use crate::journal::JobKey;

fn key(segment: u32) -> JobKey {
    JobKey {
        storyboard: "story.json".into(),
        segment,
        version: 1,
        fingerprint: "f".into(),
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn there_is_no_estimate_until_some_job_reports_progress() {
    let start = Instant::now();
    let mut eta = Eta::default();
    assert_eq!(eta.estimate(start, 6, 20), None);
    // Queued at the provider, no progress yet: still no basis.
    for segment in 1..=6 {
        eta.report(&key(segment), start, start + secs(20), None);
    }
    assert_eq!(eta.estimate(start + secs(20), 6, 20), None);
}

#[test]
fn nothing_left_is_zero_whatever_else_is_known() {
    assert_eq!(
        Eta::default().estimate(Instant::now(), 0, 20),
        Some(Duration::ZERO)
    );
}

#[test]
fn before_the_first_video_the_progress_of_the_jobs_at_the_provider_gives_the_eta() {
    let start = Instant::now();
    let mut eta = Eta::default();
    // Six jobs, all at the provider; one says it has 90 s left after 30 s (a 120 s job),
    // the others have not reported progress yet.
    let now = start + secs(30);
    eta.report(&key(1), start, now, Some(secs(90)));
    for segment in 2..=6 {
        eta.report(&key(segment), start, now, None);
    }
    // Every job is expected to take 120 s: all six end 90 s from now.
    assert_eq!(eta.estimate(now, 6, 20), Some(secs(90)));
}

#[test]
fn jobs_not_yet_submitted_wait_for_room_under_the_limit() {
    let start = Instant::now();
    let mut eta = Eta::default();
    // Two jobs at the provider (the limit), both 100 s long, 40 s in; four more to go.
    let now = start + secs(40);
    eta.report(&key(1), start, now, Some(secs(60)));
    eta.report(&key(2), start, now, Some(secs(60)));
    // Work left: 60 + 60 + 4 × 100 = 520 s on 2 workers = 260 s.
    assert_eq!(eta.estimate(now, 6, 2), Some(secs(260)));
    // With room for everyone, the jobs still to submit take a whole job's time.
    assert_eq!(eta.estimate(now, 6, 20), Some(secs(100)));
}

#[test]
fn the_slowest_job_at_the_provider_bounds_the_eta() {
    let start = Instant::now();
    let mut eta = Eta::default();
    let now = start + secs(10);
    eta.report(&key(1), start, now, Some(secs(500)));
    eta.report(&key(2), start, now, Some(secs(10)));
    assert_eq!(eta.estimate(now, 2, 20), Some(secs(500)));
}

#[test]
fn once_videos_land_their_measured_durations_count() {
    let start = Instant::now();
    let mut eta = Eta::default();
    eta.report(&key(1), start, start + secs(20), Some(secs(10)));
    // It took 300 s, not the 30 s its progress suggested.
    eta.ended(&key(1), start + secs(300));
    eta.forget(&key(1));
    // Three more, none at the provider yet, one at a time: 3 × 300 s.
    assert_eq!(eta.estimate(start + secs(300), 3, 1), Some(secs(900)));
}

#[test]
fn a_job_that_ended_at_the_provider_has_nothing_left_while_its_video_downloads() {
    let start = Instant::now();
    let mut eta = Eta::default();
    eta.report(&key(1), start, start + secs(50), Some(secs(50)));
    eta.ended(&key(1), start + secs(100));
    // Still downloading: counted as remaining, but with nothing left at the provider.
    assert_eq!(eta.estimate(start + secs(100), 1, 20), Some(Duration::ZERO));
    // Ending twice measures once.
    eta.ended(&key(1), start + secs(400));
    eta.forget(&key(1));
    assert_eq!(eta.estimate(start + secs(400), 1, 20), Some(secs(100)));
}

#[tokio::test(start_paused = true)]
async fn the_estimate_counts_down_with_the_clock() {
    let start = Instant::now();
    let mut eta = Eta::default();
    eta.report(&key(1), start, start, Some(secs(120)));
    tokio::time::advance(secs(45)).await;
    assert_eq!(eta.estimate(Instant::now(), 1, 20), Some(secs(75)));
}
