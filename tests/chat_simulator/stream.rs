//! Clean streams: the role first, progress in `reasoning_content` (text, or an object
//! with the knob), the result in the job's shape with `STOP`, `[DONE]` last; billing by
//! model; the three shapes picked per job by a prompt mark or for all by the knob.

use super::*;
use sora_batch::sim::{CHAT_PRO_HD_CENTS_PER_SECOND, ShapeChoice};

#[tokio::test]
async fn a_clean_stream_reports_progress_then_the_html_result_then_done() {
    let sim = start(quick());
    let streamed = streamed(&sim, &ask("sora2-landscape-10s", "a cat")).await;
    assert!(streamed.done && !streamed.broken, "{streamed:?}");
    let first = &streamed.chunks[0];
    assert_eq!(first["object"], "chat.completion.chunk");
    assert_eq!(first["choices"][0]["delta"]["role"], "assistant");
    let progress: Vec<&str> = streamed
        .reasoning()
        .iter()
        .filter_map(|reasoning| reasoning.as_str())
        .filter(|text| text.starts_with("**Video Generation Progress**: "))
        .collect();
    assert!(!progress.is_empty(), "{streamed:?}");
    assert!(
        progress.iter().all(|text| text.contains("% (")),
        "{progress:?}"
    );
    let last = streamed.chunks.last().expect("chunks");
    assert_eq!(last["choices"][0]["finish_reason"], "STOP");
    let content = last["choices"][0]["delta"]["content"]
        .as_str()
        .expect("content");
    assert!(content.starts_with("```html\n<video src='"), "{content}");
    let link = html_link(content);
    assert!(
        link.starts_with(&format!("http://{}/cdn/", sim.addr)),
        "{link}"
    );
    let video = client().get(link).send().await.expect("the link answers");
    assert_eq!(video.status(), StatusCode::OK);
    assert!(!video.bytes().await.expect("the video").is_empty());
    let stats = stats(&sim).await;
    let chat = &stats["chat"];
    assert_eq!(
        (&chat["creates"], &chat["billed_cents"]),
        (&json!(1), &json!(100))
    );
    assert_eq!(chat["creates_by_model"]["sora2-landscape-10s"], 1);
    assert_eq!(chat["results_by_shape"], json!({"html": 1}));
    assert_eq!(
        (&stats["creates"], &stats["billed_cents"]),
        (&json!(1), &json!(100))
    );
}

#[tokio::test]
async fn progress_comes_as_an_object_with_the_knob() {
    let sim = start(chatting(ChatSettings {
        chat_progress_object: true,
        ..ChatSettings::default()
    }));
    let streamed = streamed(&sim, &ask("sora2-portrait-15s", "a dog")).await;
    assert!(streamed.done, "{streamed:?}");
    let reasoning = streamed.reasoning();
    assert!(reasoning.iter().all(|r| r.is_object()), "{reasoning:?}");
    assert_eq!(reasoning[0]["status"], "started");
    let progress: Vec<u64> = reasoning
        .iter()
        .filter_map(|r| r["progress"].as_u64())
        .collect();
    assert!(!progress.is_empty(), "{reasoning:?}");
    assert!(
        progress.windows(2).all(|pair| pair[0] <= pair[1]),
        "{progress:?}"
    );
    assert!(
        reasoning
            .iter()
            .all(|r| r["stage"].is_string() && r["message"].is_string())
    );
}

#[tokio::test]
async fn pro_hd_is_billed_at_its_price_when_the_stream_opens() {
    let sim = start(quick());
    let response = send(&sim, &ask("sora2pro-hd-portrait-15s", "a fox")).await;
    // Billed before a single chunk has been read.
    let stats_now = stats(&sim).await;
    assert_eq!(
        stats_now["chat"]["billed_cents"],
        CHAT_PRO_HD_CENTS_PER_SECOND * 15
    );
    assert_eq!(stats_now["chat"]["results_by_shape"], json!({}));
    assert!(read(response).await.done);
}

/// The link each result shape carries, read the way that shape writes it.
fn link_of(chunk: &Value) -> (String, String) {
    let delta = &chunk["choices"][0]["delta"];
    let content = delta["content"].as_str().unwrap_or_default();
    if let Some(url) = delta["output"][0]["url"].as_str() {
        assert_eq!(delta["output"][0]["type"], "video");
        assert!(
            !content.contains("http"),
            "output keeps the link out of content: {content}"
        );
        return ("output".into(), url.to_string());
    }
    if content.starts_with('{') {
        let result: Value = serde_json::from_str(content).expect("a JSON string");
        assert_eq!(result["type"], "video");
        return (
            "json".into(),
            result["url"].as_str().expect("url").to_string(),
        );
    }
    ("html".into(), html_link(content).to_string())
}

#[tokio::test]
async fn each_result_shape_is_picked_by_its_prompt_mark() {
    let sim = start(quick());
    let marks = ["SHAPE-JSON", "SHAPE-OUTPUT", "SHAPE-HTML"];
    let bodies = marks.map(|mark| ask("sora2-landscape-10s", mark));
    let streams = bodies.iter().map(|body| streamed(&sim, body));
    let [json_one, output_one, html_one] = futures_util::future::join_all(streams)
        .await
        .try_into()
        .expect("three streams");
    for (streamed, shape) in [
        (json_one, "json"),
        (output_one, "output"),
        (html_one, "html"),
    ] {
        let finish = streamed.finish().expect("a result");
        assert_eq!(finish["choices"][0]["finish_reason"], "STOP");
        let (seen, url) = link_of(finish);
        assert_eq!(seen, shape);
        assert!(url.contains("/cdn/"), "{url}");
    }
    let stats = stats(&sim).await;
    let by_shape = &stats["chat"]["results_by_shape"];
    assert_eq!(by_shape, &json!({"html": 1, "json": 1, "output": 1}));
}

#[tokio::test]
async fn the_knob_sets_every_jobs_shape_and_cycle_takes_turns() {
    let sim = start(chatting(ChatSettings {
        chat_result_shape: ShapeChoice::Cycle,
        ..ChatSettings::default()
    }));
    // Sent one after another, so the turns follow this order.
    let mut responses = Vec::new();
    for n in 0..3 {
        responses.push(send(&sim, &ask("sora2-landscape-10s", &format!("shot {n}"))).await);
    }
    let streams = futures_util::future::join_all(responses.into_iter().map(read)).await;
    let shapes: Vec<String> = streams
        .iter()
        .map(|streamed| link_of(streamed.finish().expect("a result")).0)
        .collect();
    assert_eq!(shapes, ["html", "json", "output"]);

    let sim = start(chatting(ChatSettings {
        chat_result_shape: ShapeChoice::Json,
        ..ChatSettings::default()
    }));
    let streamed = streamed(&sim, &ask("sora2-landscape-10s", "shot")).await;
    assert_eq!(link_of(streamed.finish().expect("a result")).0, "json");
}
