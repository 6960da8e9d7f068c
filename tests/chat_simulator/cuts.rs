//! Streams that end badly after billing: cut by a `LOST-ANSWER` prompt (its first stream
//! only) or `--chat-cut-after`, dropped or ended early as `--chat-cut-how` says, or gone
//! silent (`--chat-stall-after`) or talking for ever (`--chat-trickle-after`); and the shared faults that come before a stream: 429 at
//! capacity, `--fault-rate`'s server errors.

use super::*;
use sora_batch::sim::{CutHow, LOST_ANSWER_MARK};

#[tokio::test]
async fn a_lost_answer_prompt_has_its_first_stream_cut_after_billing() {
    let sim = start(quick());
    let body = ask("sora2-landscape-10s", &format!("{LOST_ANSWER_MARK} shot"));
    let cut = streamed(&sim, &body).await;
    assert!(cut.broken && !cut.done, "{cut:?}");
    assert!(cut.finish().is_none(), "no result: {cut:?}");
    assert!(!cut.chunks.is_empty(), "the stream had begun: {cut:?}");
    let again = streamed(&sim, &body).await;
    assert!(again.done && again.finish().is_some(), "{again:?}");
    let stats = stats(&sim).await;
    assert_eq!(
        (&stats["chat"]["stream_cuts"], &stats["ambiguous"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(
        (&stats["chat"]["creates"], &stats["chat"]["billed_cents"]),
        (&json!(2), &json!(200))
    );
}

#[tokio::test]
async fn cut_after_with_end_closes_the_body_cleanly_without_a_result() {
    let sim = start(chatting(ChatSettings {
        chat_cut_after: Some(0),
        chat_cut_how: CutHow::End,
        ..ChatSettings::default()
    }));
    let cut = streamed(&sim, &ask("sora2-landscape-10s", "shot")).await;
    assert!(!cut.broken && !cut.done, "{cut:?}");
    assert_eq!(cut.chunks.len(), 1, "only the first chunk: {cut:?}");
    let stats = stats(&sim).await;
    assert_eq!(
        (&stats["chat"]["stream_cuts"], &stats["chat"]["creates"]),
        (&json!(1), &json!(1))
    );
}

#[tokio::test]
async fn cut_after_100_drops_the_connection_where_the_result_would_be() {
    let sim = start(chatting(ChatSettings {
        chat_cut_after: Some(100),
        ..ChatSettings::default()
    }));
    let cut = streamed(&sim, &ask("sora2-landscape-10s", "shot")).await;
    assert!(cut.broken && !cut.done && cut.finish().is_none(), "{cut:?}");
    assert!(cut.reasoning().len() >= 2, "progress came first: {cut:?}");
    assert_eq!(stats(&sim).await["chat"]["stream_cuts"], 1);
}

#[tokio::test]
async fn a_stalled_stream_stays_open_and_silent() {
    let sim = start(SimSettings {
        gen_seconds: GenSeconds(1.0, 1.0),
        ..chatting(ChatSettings {
            chat_stall_after: Some(0),
            ..ChatSettings::default()
        })
    });
    let mut response = send(&sim, &ask("sora2-landscape-10s", "shot")).await;
    let first = response
        .chunk()
        .await
        .expect("readable")
        .expect("a first chunk");
    assert!(String::from_utf8_lossy(&first).starts_with("data: "));
    // Three times the generation time, and nothing more arrives.
    let next = tokio::time::timeout(Duration::from_secs(3), response.chunk()).await;
    assert!(next.is_err(), "the stream said more: {next:?}");
    assert_eq!(stats(&sim).await["chat"]["stalls"], 1);
}

#[tokio::test]
async fn a_trickling_stream_repeats_one_progress_past_the_end_and_is_counted_when_closed() {
    let sim = start(SimSettings {
        gen_seconds: GenSeconds(0.5, 0.5),
        ..chatting(ChatSettings {
            chat_trickle_after: Some(0),
            chat_progress_every: Duration::from_millis(100),
            ..ChatSettings::default()
        })
    });
    let mut response = send(&sim, &ask("sora2-landscape-10s", "shot")).await;
    let mut text = String::new();
    // Four times the generation time: still talking, never finishing.
    let until = tokio::time::Instant::now() + Duration::from_secs(2);
    while tokio::time::Instant::now() < until {
        let chunk = response
            .chunk()
            .await
            .expect("readable")
            .expect("not ended");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains(": keep-alive"), "{text}");
    let repeats = text
        .matches("Video Generation Progress**: 0% (processing)")
        .count();
    assert!(repeats >= 3, "{text}");
    assert!(
        !text.contains("[DONE]") && !text.contains("<video"),
        "{text}"
    );
    drop(response);
    let mut closed = Value::Null;
    for _ in 0..100 {
        closed = stats(&sim).await["chat"]["closed_by_client"].clone();
        if closed == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(closed, 1);
    assert_eq!(stats(&sim).await["chat"]["trickles"], 1);
}

#[tokio::test]
async fn at_capacity_a_create_gets_429_before_any_stream() {
    // The first job runs for a minute, whatever the machine's load.
    let sim = start(SimSettings {
        capacity: Some(1),
        gen_seconds: GenSeconds(60.0, 60.0),
        ..quick()
    });
    let open = send(&sim, &ask("sora2-landscape-10s", "one")).await;
    let refused = send(&sim, &ask("sora2-landscape-10s", "two")).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let answer: Value = refused.json().await.expect("OpenAI's error shape");
    assert!(answer["error"]["message"].is_string(), "{answer}");
    drop(open);
    let stats = stats(&sim).await;
    assert_eq!(
        (&stats["chat"]["creates"], &stats["rate_limited"]),
        (&json!(1), &json!(1))
    );
}

#[tokio::test]
async fn fault_rate_fails_the_call_before_any_stream_or_billing() {
    let sim = start(SimSettings {
        fault_rate: 1.0,
        ..quick()
    });
    for _ in 0..6 {
        let answer = client()
            .post(sim.chat_url())
            .bearer_auth("sk-sim")
            .json(&ask("sora2-landscape-10s", "shot"))
            .send()
            .await;
        let Ok(answer) = answer else { continue };
        let status = answer.status();
        assert!(status.is_server_error(), "{status}");
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            let body: Value = answer.json().await.expect("OpenAI's error shape");
            assert!(body["error"]["message"].is_string(), "{body}");
        }
    }
    let stats = stats(&sim).await;
    assert_eq!(
        (&stats["faults"], &stats["creates"]),
        (&json!(6), &json!(0))
    );
}
