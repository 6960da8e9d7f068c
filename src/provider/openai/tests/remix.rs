//! `POST /videos/{id}/remix`: the request as sent (JSON whatever the format, the prompt
//! alone), and the answers mapped as a create's are, with a 404 about the source.

use super::*;
use crate::provider::{ListShape, Match};
use crate::storyboard::RemixOf;

fn remixing(prompt: &str, target: &str) -> Segment {
    Segment {
        remix_of: Some(RemixOf::Video(target.to_string())),
        ..segment(prompt, 4)
    }
}

/// A completed video made through the simulator's API; its id.
async fn finished(sim: &RunningSim, seconds: u32) -> String {
    let client = client(sim);
    let accepted = client
        .create(&segment("the source", seconds))
        .await
        .unwrap();
    final_status(&client, &accepted.task_id).await;
    accepted.task_id
}

#[tokio::test]
async fn a_remix_is_a_json_post_of_the_prompt_to_the_sources_remix_path_in_either_format() {
    for format in [RequestFormat::Multipart, RequestFormat::Json] {
        let (base, mut requests) = capturing(r#"{"id": "video_2", "status": "queued"}"#).await;
        let options = Options {
            format,
            ..Options::default()
        };
        let accepted = client_at(&base, options)
            .create(&remixing("the fox turns", "video_1"))
            .await
            .unwrap();
        assert_eq!(accepted.task_id, "video_2");
        let request = requests.recv().await.unwrap();
        let lower = request.to_ascii_lowercase();
        assert!(
            lower.starts_with("post /v1/videos/video_1/remix "),
            "{format:?}: {request}"
        );
        assert!(
            lower.contains("content-type: application/json"),
            "{format:?}: {request}"
        );
        assert!(
            request.ends_with(r#"{"prompt":"the fox turns"}"#),
            "{format:?}: {request}"
        );
    }
}

#[tokio::test]
async fn a_remix_through_the_api_inherits_its_source_and_is_billed_once() {
    let sim = start(quick()).await;
    let source = finished(&sim, 12).await;
    let before = sim.stats().billed_cents;
    let client = client(&sim);
    let accepted = client
        .create(&remixing("the source, at night", &source))
        .await
        .unwrap();
    let stats = sim.stats();
    assert_eq!(
        stats.billed_cents - before,
        120,
        "12 s of sora-2, the source's"
    );
    let seen = &stats.openai_remixes;
    assert_eq!(
        (seen.len(), &seen[0].id, &seen[0].source),
        (1, &accepted.task_id, &source)
    );
    let done = final_status(&client, &accepted.task_id).await;
    assert_eq!(
        done.phase,
        TaskPhase::Completed {
            video_url: Url::parse(&format!(
                "{}/videos/{}/content",
                sim.base_url(),
                accepted.task_id
            ))
            .unwrap(),
            remix_id: Some(accepted.task_id.clone()),
        }
    );
}

#[tokio::test]
async fn a_remix_of_an_unknown_or_unfinished_video_is_a_final_rejection_naming_it() {
    let sim = start(SimSettings {
        gen_seconds: GenSeconds(30.0, 30.0),
        ..SimSettings::default()
    })
    .await;
    let client = client(&sim);
    let unknown = client
        .create(&remixing("p", "video_gone"))
        .await
        .unwrap_err();
    assert!(
        matches!(&unknown, ProviderError::Rejected { message, .. }
            if message.contains("segment 1's remix_of") && message.contains("video_gone")
                && message.contains("404")),
        "{unknown:?}"
    );
    let running = client.create(&segment("slow", 4)).await.unwrap().task_id;
    let unfinished = client.create(&remixing("p", &running)).await.unwrap_err();
    assert!(
        matches!(&unfinished, ProviderError::Rejected { message, .. }
            if message.contains("HTTP 400") && message.contains(&running)),
        "{unfinished:?}"
    );
    assert_eq!(sim.stats().creates, 1, "only the source");
}

#[tokio::test]
async fn a_lost_remix_answer_is_ambiguous_and_its_video_is_found_in_the_list_by_its_source() {
    let sim = start(quick()).await;
    let source = finished(&sim, 8).await;
    let client = client(&sim);
    let lost_remix = remixing("LOST-ANSWER the source, later", &source);
    let lost = client.create(&lost_remix).await.unwrap_err();
    assert!(matches!(lost, ProviderError::Ambiguous { .. }), "{lost:?}");
    let listed = client.list(1).await.unwrap();
    let fits: Vec<&str> = listed
        .tasks
        .iter()
        .filter(|task| task.matches(&lost_remix, &ListShape::default()) == Match::Exact)
        .map(|task| task.task_id.as_str())
        .collect();
    assert_eq!(fits, [sim.stats().openai_remixes[0].id.as_str()]);
    assert_eq!(
        listed.tasks[0].remixed_from,
        Some(Some(source.clone())),
        "the newest is the remix"
    );
    assert_eq!(listed.tasks[1].remixed_from, Some(None));
    let other_source = remixing("LOST-ANSWER the source, later", "video_other");
    assert_eq!(
        listed.tasks[0].matches(&other_source, &ListShape::default()),
        Match::No
    );
}
