//! The chat client against the simulator's gateway in this process.

use std::time::Duration;

use super::*;
use crate::sim::{self, SimSettings};

fn chat_at(sim: &sim::RunningSim) -> Chat {
    let base = url::Url::parse(&sim.base_url()).unwrap();
    let options = Options {
        template: DEFAULT_MODEL_TEMPLATE.to_string(),
        generation_ids: false,
    };
    Chat::new(
        crate::provider::http_client(IDLE_TIMEOUT),
        &base,
        ApiKey::new(sim::DEFAULT_KEY),
        Redactor::new([sim::DEFAULT_KEY.to_string()]),
        Duration::from_secs(5),
        options,
    )
}

#[tokio::test]
async fn letting_a_job_go_closes_its_stream_at_the_gateway() {
    let mut settings = SimSettings {
        gen_seconds: sim::GenSeconds(0.2, 0.2),
        seed: Some(5),
        ..SimSettings::default()
    };
    settings.chat.chat_trickle_after = Some(0);
    // Long between chunks: a reader left running would hold the stream that long.
    settings.chat.chat_progress_every = Duration::from_secs(60);
    let sim = sim::start(settings).await.unwrap();
    let chat = chat_at(&sim);
    let accepted = chat.create(&Segment::example("a tide pool")).await.unwrap();
    assert!(matches!(
        chat.standing(&accepted.task_id).unwrap().phase,
        TaskPhase::Running { .. }
    ));
    // The reader is waiting for the next chunk, a minute away.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !chat.let_go(&accepted.task_id),
        "its outcome is unknown now"
    );
    // The gateway notices once the connection closes; it is given seconds, not timed.
    for _ in 0..200 {
        if sim.stats().chat.closed_by_client == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stats = sim.stats().chat;
    assert_eq!(stats.closed_by_client, 1, "{stats:?}");
    assert_eq!(stats.trickles, 1, "{stats:?}");
}

#[tokio::test]
async fn a_running_stream_is_looked_at_again_within_a_second() {
    let sim = sim::start(SimSettings {
        gen_seconds: sim::GenSeconds(30.0, 30.0),
        seed: Some(5),
        ..SimSettings::default()
    })
    .await
    .unwrap();
    let chat = chat_at(&sim);
    let accepted = chat.create(&Segment::example("a tide pool")).await.unwrap();
    let status = chat.standing(&accepted.task_id).unwrap();
    assert!(matches!(status.phase, TaskPhase::Running { .. }));
    assert_eq!(status.poll_after, Some(Duration::from_secs(1)));
    chat.let_go(&accepted.task_id);
}
