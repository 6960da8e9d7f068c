//! The stream reader on tokio's paused clock: silence ends a job as lost after the idle
//! limit, events keep it alive, keep-alive comments do not, and letting a job go ends
//! its reader.

use std::time::Duration;

use eventsource_stream::Eventsource;
use tokio::sync::mpsc;

use super::*;

const IDLE: Duration = Duration::from_secs(300);

/// A stream fed by hand: what is sent arrives as the body's bytes.
fn fed() -> (mpsc::UnboundedSender<&'static str>, Events) {
    let (sender, receiver) = mpsc::unbounded_channel::<&'static str>();
    let bytes = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let text = receiver.recv().await?;
        Some((Ok::<_, StreamError>(text.as_bytes().to_vec()), receiver))
    });
    (sender, Box::pin(bytes.eventsource()))
}

const PROGRESS: &str = "data: {\"choices\": [{\"delta\": {\"reasoning_content\": \"**Video Generation Progress**: 42% (processing)\"}}]}\n\n";

fn is_lost(standing: Option<Standing>) -> bool {
    matches!(standing, Some(Standing::Lost { .. }))
}

#[tokio::test(start_paused = true)]
async fn an_idle_stream_is_lost_after_the_idle_limit_and_not_before() {
    let book = Book::new(IDLE);
    let (_sender, events) = fed();
    book.follow("chat_1".into(), Said::Nothing, events);
    tokio::time::sleep(IDLE - Duration::from_secs(1)).await;
    assert_eq!(
        book.get("chat_1"),
        Some(Standing::Running { progress: None })
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let standing = book.get("chat_1");
    assert!(is_lost(standing.clone()), "{standing:?}");
    let Some(Standing::Lost { why }) = standing else {
        unreachable!()
    };
    assert!(why.contains("no event for 5m"), "{why}");
}

#[tokio::test(start_paused = true)]
async fn a_stream_sending_progress_stays_alive_past_the_idle_limit() {
    let book = Book::new(IDLE);
    let (sender, events) = fed();
    book.follow("chat_1".into(), Said::Nothing, events);
    // Progress every minute for twenty minutes: four idle limits.
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_secs(60)).await;
        sender.send(PROGRESS).unwrap();
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        book.get("chat_1"),
        Some(Standing::Running { progress: Some(42) })
    );
    // Then silence: lost one idle limit after the last event.
    tokio::time::sleep(IDLE).await;
    assert!(is_lost(book.get("chat_1")), "{:?}", book.get("chat_1"));
}

#[tokio::test(start_paused = true)]
async fn keep_alive_comments_alone_do_not_keep_a_stream_alive() {
    let book = Book::new(IDLE);
    let (sender, events) = fed();
    book.follow("chat_1".into(), Said::Nothing, events);
    for _ in 0..12 {
        tokio::time::sleep(Duration::from_secs(30)).await;
        let _ = sender.send(": keep-alive\n\n");
    }
    assert!(is_lost(book.get("chat_1")), "{:?}", book.get("chat_1"));
}

#[tokio::test(start_paused = true)]
async fn letting_a_stream_go_ends_its_reader_and_drops_the_stream() {
    let book = Book::new(IDLE);
    let (sender, events) = fed();
    book.follow("chat_1".into(), Said::Nothing, events);
    tokio::time::sleep(Duration::from_secs(1)).await;
    book.let_go("chat_1");
    assert_eq!(book.get("chat_1"), None);
    // The reader was the stream's only owner: once it ends, the stream is dropped.
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(sender.is_closed(), "the reader still holds the stream");
}
