//! Downloads of the real binary against the simulator where a partial file is not what it
//! seems: a run killed mid-download, then the prompt edited, so the new task's video lands
//! at the path where the old task's partial file waits. It must be discarded, never
//! resumed: the published video is exactly the new task's.

mod common;

use common::Project;
#[cfg(unix)]
use common::batch::{
    assert_all_videos, kill_when, output_dir, partial_videos, run, sha256_hex, spawn, storyboard,
};
use sora_batch::sim::{self, GenSeconds, SimSettings};

/// The video as a fresh GET sees it.
#[cfg(unix)]
fn fetched_separately(url: &str) -> Vec<u8> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let http = sora_batch::provider::http_client(std::time::Duration::from_secs(30));
    runtime.block_on(async {
        let response = http.get(url).send().await.unwrap();
        let response = response.error_for_status().unwrap();
        response.bytes().await.unwrap().to_vec()
    })
}

#[cfg(unix)]
#[test]
fn a_partial_file_of_an_edited_segments_old_task_is_never_resumed_into_the_new_video() {
    const VIDEO: u64 = 2_000_000;
    let sim = sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.4),
        video_bytes: Some(VIDEO),
        // About two seconds per download.
        bytes_per_sec: Some(1_000_000),
        seed: Some(8),
        ..SimSettings::default()
    })
    .expect("the simulator starts");
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("before", 1));
    let args = ["--gen-count", "1"];
    let child = spawn(&project, &sim, &args);
    let half_a_megabyte = || {
        partial_videos(&project)
            .iter()
            .any(|tmp| std::fs::metadata(tmp).is_ok_and(|meta| meta.len() >= 512 * 1024))
    };
    kill_when(
        child,
        &project,
        "half a megabyte of the video on disk",
        half_a_megabyte,
    );

    project.write("input/storyboard.json", &storyboard("after", 1));
    let (code, summary, err) = run(&project, &sim, &args);
    assert_eq!(code, 0, "{err}\n{summary}");
    assert_eq!(sim.stats().creates, 2, "{err}");
    let video = output_dir(&project).join("storyboard/Segment_1/1_v1.mp4");
    let sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(video.with_extension("json")).unwrap()).unwrap();
    assert_eq!(sidecar["prompt"], "after shot 1", "{sidecar}");
    let on_disk = std::fs::read(&video).unwrap();
    let served = fetched_separately(sidecar["video_url"].as_str().unwrap());
    assert!(
        on_disk == served,
        "the published video is not the new task's (the old task's partial file was resumed?)\n{err}"
    );
    assert_eq!(
        sidecar["sha256"].as_str(),
        Some(sha256_hex(&on_disk).as_str())
    );
    // The old task was paid for too: it arrives as an extra take, its own bytes.
    let extras = summary["extra_takes"].as_array().unwrap();
    assert_eq!(extras.len(), 1, "{summary}");
    let extra = project.path().join(extras[0]["path"].as_str().unwrap());
    let extra_sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(extra.with_extension("json")).unwrap()).unwrap();
    assert_eq!(extra_sidecar["prompt"], "before shot 1", "{extra_sidecar}");
    let old_served = fetched_separately(extra_sidecar["video_url"].as_str().unwrap());
    assert!(std::fs::read(&extra).unwrap() == old_served, "{err}");
    assert_all_videos(&project, 2, Some(VIDEO), "");
}
