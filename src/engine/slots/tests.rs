//! The order downloads get their slots in, on tokio's paused clock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;

/// Starts a download that waits for a slot, holds it for `hold`, and notes its name in
/// `order` once it has one.
fn download(
    slots: &Arc<Slots>,
    order: &Arc<Mutex<Vec<&'static str>>>,
    name: &'static str,
    hurried: bool,
    hold: Duration,
) -> tokio::task::JoinHandle<()> {
    let (slots, order) = (slots.clone(), order.clone());
    tokio::spawn(async move {
        let _slot = slots.acquire(hurried).await;
        order.lock().unwrap().push(name);
        tokio::time::sleep(hold).await;
    })
}

#[tokio::test(start_paused = true)]
async fn a_download_with_a_short_lived_link_goes_ahead_of_those_already_waiting() {
    let slots = Arc::new(Slots::new(1));
    let order = Arc::new(Mutex::new(Vec::new()));
    let minute = Duration::from_secs(60);
    let mut downloads = vec![download(&slots, &order, "running", false, minute)];
    tokio::time::sleep(Duration::from_secs(1)).await;
    for name in ["queued 1", "queued 2"] {
        downloads.push(download(&slots, &order, name, false, minute));
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    downloads.push(download(&slots, &order, "gateway link", true, minute));
    tokio::time::sleep(Duration::from_secs(1)).await;
    downloads.push(download(&slots, &order, "queued 3", false, minute));
    for download in downloads {
        download.await.unwrap();
    }
    assert_eq!(
        *order.lock().unwrap(),
        [
            "running",
            "gateway link",
            "queued 1",
            "queued 2",
            "queued 3"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_waiter_that_gives_up_loses_its_place_and_no_slot() {
    let slots = Arc::new(Slots::new(1));
    let held = slots.acquire(false).await;
    let gave_up = tokio::time::timeout(Duration::from_secs(1), slots.acquire(true)).await;
    assert!(gave_up.is_err(), "no slot was free");
    drop(held);
    // The only slot is free again: taken at once, twice in turn.
    for _ in 0..2 {
        let slot = tokio::time::timeout(Duration::from_secs(1), slots.acquire(false)).await;
        assert!(slot.is_ok(), "the slot was lost");
    }
}
