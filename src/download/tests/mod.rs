//! Tests of the download module: against the provider simulator over loopback
//! (`simulated`: cuts, resumes, versions, other tasks' partial files, links), against a
//! canned raw server for answers the simulator never gives (`canned`: error pages, hostile
//! ranges and lengths), redirects followed by hand (`redirects`: where the key goes, which
//! hops are refused), the MP4 check (`mp4`) and the file helpers (`files`). This file
//! holds what they share.

mod canned;
mod files;
mod mp4;
mod redirects;
mod simulated;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

use super::*;
use crate::sim::{self, GenSeconds, RunningSim, SimSettings};

const VIDEO_BYTES: u64 = 1_000_000;

fn simulator(truncate_rate: f64) -> RunningSim {
    sim::start_on_thread(SimSettings {
        video_bytes: Some(VIDEO_BYTES),
        truncate_rate,
        gen_seconds: GenSeconds(0.2, 0.2),
        seed: Some(11),
        ..SimSettings::default()
    })
    .expect("the simulator starts")
}

fn client() -> reqwest::Client {
    crate::provider::http_client(Duration::from_secs(10))
}

/// A finished task of the simulator: its id and the URL of its video.
struct Task {
    id: String,
    url: Url,
}

/// Creates a task and waits until its video can be downloaded.
async fn finished_video(sim: &RunningSim) -> Task {
    let http = client();
    let created: Value = http
        .post(format!("{}/create", sim.base_url()))
        .bearer_auth("sk-sim")
        .json(&json!({"prompt": "x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["data"]["task_id"].as_str().unwrap().to_string();
    for _ in 0..100 {
        let task: Value = http
            .get(format!("{}/tasks/{id}", sim.base_url()))
            .bearer_auth("sk-sim")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if task["data"]["status"] == "completed" {
            let url = Url::parse(task["data"]["video_url"].as_str().unwrap()).unwrap();
            return Task { id, url };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("task {id} never completed");
}

/// The video as a plain GET sees it, and its ETag.
async fn fetched_separately(url: &Url) -> (Vec<u8>, String) {
    let response = client().get(url.clone()).send().await.unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    (response.bytes().await.unwrap().to_vec(), etag)
}

fn source(url: &Url, owner: &str) -> Source {
    Source {
        url: url.clone(),
        auth: None,
        owner: owner.to_string(),
        max_bytes: u64::MAX,
        local_links: true,
    }
}

/// One `download_once` with a fresh client, and the bytes `on_bytes` was told about.
async fn download(source: &Source, dest: &Path) -> (Result<Fetched, DownloadError>, u64) {
    let seen = AtomicU64::new(0);
    let count = |delta| {
        seen.fetch_add(delta, Ordering::Relaxed);
    };
    let http = Http::new(Duration::from_secs(10));
    let result = download_once(&http, source, dest, &count, &|_| Ok(())).await;
    (result, seen.into_inner())
}

/// Leaves what an earlier attempt (or another task, or an attacker) would: `bytes` in the
/// `.tmp` of `dest`, and a record of their origin if given.
fn plant(dest: &Path, bytes: &[u8], origin: Option<Origin>) {
    std::fs::write(tmp_path(dest), bytes).unwrap();
    if let Some(origin) = origin {
        origin.save(dest).unwrap();
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Neither a partial file nor its record is left beside `dest`.
fn assert_no_leftovers(dest: &Path) {
    assert!(!tmp_path(dest).exists(), "the .tmp is left behind");
    assert!(
        !origin::path(dest).exists(),
        "the .tmp's record is left behind"
    );
}

fn assert_complete(dest: &Path, fetched: &Fetched, expected: &[u8]) {
    let on_disk = std::fs::read(dest).unwrap();
    assert_eq!(fetched.bytes, expected.len() as u64);
    assert_eq!(&on_disk[4..8], b"ftyp");
    assert!(
        on_disk == expected,
        "the file differs from the served video"
    );
    assert_eq!(fetched.sha256, sha256_hex(expected));
    assert_no_leftovers(dest);
}

/// One MP4 box: a 32-bit size, its kind, its payload.
fn mp4_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut bytes = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    bytes.extend_from_slice(kind);
    bytes.extend_from_slice(payload);
    bytes
}

/// A structurally whole MP4 of `len` bytes (ftyp, moov, then an mdat of `fill` bytes).
fn small_mp4(fill: u8, len: usize) -> Vec<u8> {
    let mut bytes = mp4_box(b"ftyp", b"isom\0\0\x02\0isomiso2");
    bytes.extend(mp4_box(b"moov", &[fill; 32]));
    let rest = len - bytes.len() - 8;
    bytes.extend(mp4_box(b"mdat", &vec![fill; rest]));
    bytes
}
