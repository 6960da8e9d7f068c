//! `GET /videos`, read by page number as the lost-create search asks for it: the cursor
//! carried from page to page, and listed videos that match the request they came from.

use std::collections::HashSet;

use super::*;
use crate::provider::{ListShape, Match, RecentPage};

fn ids(page: &RecentPage) -> HashSet<String> {
    page.tasks.iter().map(|task| task.task_id.clone()).collect()
}

/// The lost video first, then 55 newer ones by other clients: it is on page 2.
fn bury(sim: &RunningSim) -> String {
    let lost = sim.create_video("the lost one", "sora-2", "8", "1280x720");
    for n in 0..55 {
        sim.create_video(&format!("filler {n}"), "sora-2", "4", "720x1280");
    }
    lost
}

#[tokio::test]
async fn a_video_on_the_second_page_is_found_through_the_first_pages_cursor() {
    let sim = start(quick()).await;
    let lost = bury(&sim);
    let client = client(&sim);
    let first = client.list(1).await.unwrap();
    assert_eq!(first.tasks.len(), 50);
    assert!(!ids(&first).contains(&lost));
    let second = client.list(2).await.unwrap();
    assert_eq!(second.tasks.len(), 6);
    assert!(ids(&first).is_disjoint(&ids(&second)), "no video twice");
    let found = second
        .tasks
        .iter()
        .find(|task| task.task_id == lost)
        .expect("the lost video is on page 2");
    let request = segment("the lost one", 8);
    assert_eq!(found.matches(&request, &ListShape::default()), Match::Exact);
    let other_length = segment("the lost one", 4);
    assert_eq!(
        found.matches(&other_length, &ListShape::default()),
        Match::No,
        "the listed seconds count"
    );
    let vertical = Segment {
        resolution: Resolution::Vertical,
        ..request
    };
    assert_eq!(
        found.matches(&vertical, &ListShape::default()),
        Match::No,
        "the listed size counts"
    );
    assert!(found.created_at_ms.is_some());
    assert!(client.list(3).await.unwrap().is_end());
    assert_eq!(sim.stats().lists, 3);
}

#[tokio::test]
async fn a_page_asked_for_before_its_predecessor_is_reached_by_reading_forward() {
    let sim = start(quick()).await;
    let lost = bury(&sim);
    let second = client(&sim).list(2).await.unwrap();
    assert!(ids(&second).contains(&lost));
    assert_eq!(
        sim.stats().lists,
        2,
        "page 1, then page 2 after its last id"
    );
}

#[tokio::test]
async fn the_video_of_a_create_whose_answer_was_lost_is_in_the_list() {
    let sim = start(SimSettings {
        ambiguous_rate: 1.0,
        ..quick()
    })
    .await;
    let client = json_client(&sim);
    let request = Segment {
        is_pro: true,
        ..segment("a fox at dawn", 12)
    };
    let lost = client.create(&request).await.unwrap_err();
    assert!(matches!(lost, ProviderError::Ambiguous { .. }), "{lost:?}");
    let listed = client.list(1).await.unwrap();
    assert_eq!(listed.tasks.len(), 1);
    assert_eq!(
        listed.tasks[0].matches(&request, &ListShape::default()),
        Match::Exact
    );
    let not_pro = Segment {
        is_pro: false,
        ..request
    };
    assert_eq!(
        listed.tasks[0].matches(&not_pro, &ListShape::default()),
        Match::No,
        "the listed model counts"
    );
}
