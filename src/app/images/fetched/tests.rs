//! Fetching image links for a chat run, against the simulator's image host over loopback
//! (where the API is too) or a public API that must not be led to this machine.

use std::sync::Arc;

use super::*;
use crate::plan::JobState;
use crate::sim::{self, SimSettings};

fn chat_at(base: &str) -> RunArgs {
    let all = ["sora-batch", "--provider", "chat", "--base-url", base];
    <crate::cli::Cli as clap::Parser>::try_parse_from(all)
        .unwrap()
        .run
}

/// Versions 1 to 3 of a segment linking `link`; version 3 is done.
fn jobs_linking(link: &str) -> Vec<JobSpec> {
    let segment = Arc::new(Segment {
        image_url: Some(link.to_string()),
        ..Segment::example("a pier")
    });
    let job = |version, state| JobSpec {
        provider: "chat",
        ..JobSpec::example(&segment, version, state)
    };
    vec![
        job(1, JobState::New),
        job(2, JobState::InFlight),
        job(3, JobState::Done),
    ]
}

#[tokio::test]
async fn a_link_is_fetched_once_kept_and_fetched_again_only_when_its_copy_changed() {
    let sim = sim::start(SimSettings::default()).await.unwrap();
    let args = chat_at(&sim.base_url());
    let link = format!("http://{}/images/320x180.png", sim.addr);
    let state = tempfile::tempdir().unwrap();
    let mut jobs = jobs_linking(&link);
    let fingerprint = jobs[0].fingerprint.clone();
    prepare(&mut jobs, state.path(), &args).await.unwrap();
    assert_eq!(sim.stats().image_fetches, 1);
    let image = jobs[0].segment.image_file.clone().expect("sent as a file");
    assert_eq!((image.width, image.height), (320, 180));
    assert_eq!(image.written, link);
    assert_eq!(jobs[1].segment.image_file.as_ref(), Some(&image));
    assert_eq!(jobs[2].segment.image_file, None, "a done job sends nothing");
    assert_eq!(jobs[0].fingerprint, fingerprint, "the link's, as before");
    assert_eq!(image.read_to_send().unwrap().0, sim::png_header(320, 180));

    let mut again = jobs_linking(&link);
    prepare(&mut again, state.path(), &args).await.unwrap();
    assert_eq!(sim.stats().image_fetches, 1, "the kept copy is used");
    assert_eq!(again[0].segment.image_file.as_ref(), Some(&image));

    std::fs::write(&image.path, sim::png_header(9, 9)).unwrap();
    let mut after_edit = jobs_linking(&link);
    prepare(&mut after_edit, state.path(), &args).await.unwrap();
    assert_eq!(
        sim.stats().image_fetches,
        2,
        "a copy that changed is fetched anew"
    );
    let fetched = after_edit[0].segment.image_file.as_ref().unwrap();
    assert_eq!(fetched.sha256, image.sha256);
}

#[tokio::test]
async fn a_link_to_this_machine_is_refused_when_the_api_is_public() {
    let state = tempfile::tempdir().unwrap();
    let args = chat_at("https://gateway.example/v1");
    let mut jobs = jobs_linking("http://127.0.0.1:9/a.png");
    let err = prepare(&mut jobs, state.path(), &args).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, FetchError::Refused { .. }), "{message}");
    for said in ["127.0.0.1:9/a.png", "this machine or a private network"] {
        assert!(message.contains(said), "{said:?} in {message}");
    }
}

#[tokio::test]
async fn a_link_that_is_no_image_stops_the_run_naming_it() {
    let sim = sim::start(SimSettings::default()).await.unwrap();
    let args = chat_at(&sim.base_url());
    let state = tempfile::tempdir().unwrap();
    for (path, said) in [
        ("__stats", "not a PNG, JPEG or WebP image"),
        ("images/nothing.gif", "HTTP 404"),
    ] {
        let link = format!("http://{}/{path}", sim.addr);
        let mut jobs = jobs_linking(&link);
        let message = prepare(&mut jobs, state.path(), &args)
            .await
            .unwrap_err()
            .to_string();
        for said in [said, &link, "nothing was submitted"] {
            assert!(message.contains(said), "{said:?} in {message}");
        }
    }
}

#[tokio::test]
async fn a_provider_that_fetches_links_itself_gets_them_as_they_are() {
    let state = tempfile::tempdir().unwrap();
    let all = ["sora-batch", "--provider", "sora-hk"];
    let args = <crate::cli::Cli as clap::Parser>::try_parse_from(all)
        .unwrap()
        .run;
    let mut jobs = jobs_linking("https://images.example/a.png");
    prepare(&mut jobs, state.path(), &args).await.unwrap();
    assert_eq!(jobs[0].segment.image_file, None);
}
