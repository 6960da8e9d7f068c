use super::*;
use crate::engine::breaker::FailureClass::{RateLimited, Transient};
use futures_util::FutureExt;
use std::time::Duration;

pub(in crate::engine) mod fake;
mod paused;
mod sim;

/// Tests on the real clock keep their waits short; this is "surely done by now".
const PATIENCE: Duration = Duration::from_secs(2);

fn small(max: usize, min: usize) -> BreakerSettings {
    BreakerSettings {
        max,
        min,
        ..BreakerSettings::default()
    }
}

#[tokio::test]
async fn permits_count_up_to_the_limit_and_come_back_when_dropped() {
    let gate = Gate::new(small(2, 1));
    let first = gate.acquire().await;
    let second = gate.acquire().await;
    assert_eq!((first.in_flight(), second.in_flight()), (1, 2));
    assert_eq!((first.epoch(), second.epoch()), (0, 0));
    assert!(gate.acquire().now_or_never().is_none(), "the third waits");
    let waiter = tokio::spawn({
        let gate = Arc::clone(&gate);
        async move { gate.acquire().await.in_flight() }
    });
    tokio::task::yield_now().await;
    drop(first);
    let in_flight = tokio::time::timeout(PATIENCE, waiter)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(in_flight, 2);
    drop(second);
    assert_eq!(
        gate.snapshot().in_flight,
        0,
        "the waiter's permit was dropped too"
    );
}

#[tokio::test]
async fn a_cancelled_acquire_takes_nothing_and_passes_its_wake_up_on() {
    let gate = Gate::new(small(1, 1));
    let held = gate.acquire().await;
    // The first waiter registers, then is dropped after the wake-up reaches it.
    let mut first = Box::pin(gate.acquire());
    assert!((&mut first).now_or_never().is_none());
    let second = tokio::spawn({
        let gate = Arc::clone(&gate);
        async move { gate.acquire().await.in_flight() }
    });
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    drop(held);
    drop(first);
    let in_flight = tokio::time::timeout(PATIENCE, second)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(in_flight, 1);
    assert_eq!(gate.snapshot().in_flight, 0);
}

#[tokio::test]
async fn a_trip_cancels_nothing_and_the_new_limit_applies_as_permits_come_back() {
    let gate = Gate::new(small(4, 1));
    let mut permits = Vec::new();
    for _ in 0..4 {
        permits.push(gate.acquire().await);
    }
    let (a, b) = (permits.remove(0), permits.remove(0));
    a.failed(Transient, None);
    b.failed(Transient, None);
    let snapshot = gate.snapshot();
    assert_eq!((snapshot.limit, snapshot.in_flight), (1, 2));
    assert_eq!(
        snapshot.to_string(),
        "2 in flight · at most 1 at once (slowed down after provider errors, for another 10m)"
    );
    let mut next = Box::pin(gate.acquire());
    assert!((&mut next).now_or_never().is_none());
    drop(permits.remove(0));
    assert!(
        (&mut next).now_or_never().is_none(),
        "still one in flight, at limit 1"
    );
    drop(permits.remove(0));
    let permit = tokio::time::timeout(PATIENCE, next).await.unwrap();
    assert_eq!((permit.in_flight(), permit.epoch()), (1, 1));
}

#[tokio::test]
async fn retry_after_holds_every_acquire_until_it_passes() {
    let gate = Gate::new(BreakerSettings::default());
    let wait = Duration::from_millis(150);
    let started = std::time::Instant::now();
    gate.acquire().await.failed(RateLimited, Some(wait));
    let snapshot = gate.snapshot();
    assert_eq!(snapshot.in_flight, 0);
    assert_eq!(
        snapshot.to_string(),
        "0 in flight · at most 20 at once (full speed) · paused 1s as the provider asked"
    );
    let permit = tokio::time::timeout(PATIENCE, gate.acquire())
        .await
        .unwrap();
    assert!(started.elapsed() >= wait);
    assert_eq!(permit.in_flight(), 1);
}

#[tokio::test]
async fn waiters_wake_when_the_cooldown_ends_without_any_permit_coming_back() {
    let settings = BreakerSettings {
        max: 2,
        min: 1,
        threshold: 1,
        cooldown: Duration::from_millis(100),
        recovery_step: Duration::from_millis(100),
    };
    let gate = Gate::new(settings);
    let (a, held) = (gate.acquire().await, gate.acquire().await);
    // Parked with no deadline (full, nothing due) before the trip gives it one.
    let waiter = tokio::spawn({
        let gate = Arc::clone(&gate);
        async move { gate.acquire().await.in_flight() }
    });
    tokio::task::yield_now().await;
    a.failed(Transient, None);
    assert_eq!(gate.snapshot().limit, 1);
    let in_flight = tokio::time::timeout(PATIENCE, waiter)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        in_flight, 2,
        "taken at limit 2 while the other permit is still held"
    );
    drop(held);
}
