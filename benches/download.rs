//! How fast `download_once` fetches a big video, next to `curl` on the same file, and
//! whether its memory stays flat. The simulator serves a 1 GiB video over loopback; curl
//! and `download_once` take turns fetching it into the same temporary folder, five runs
//! each, and the best run of each counts. Ours does more than curl: it records where the
//! bytes come from, hashes every byte (SHA-256), walks the MP4's top-level boxes and
//! fsyncs before renaming. So curl is also timed with an fsync of its file (`sync FILE`)
//! for a like-for-like figure, which is shown but not judged.
//!
//! Memory: resident memory of this process (VmRSS just before a download, then the
//! high-water mark VmHWM, reset before each of our runs through `/proc/self/clear_refs`,
//! with a sampling thread as a fallback where the reset is refused). The simulator runs in
//! this process too; it streams from fixed buffers, so it adds nothing that grows.
//!
//! Targets: ours >= 0.9 x curl's throughput (MB/s); memory growth < 20 MB during a 1 GiB
//! download. Run with `cargo bench --bench download` (Linux: reads `/proc`).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sora_batch::download::{self, Source};
use sora_batch::sim::{self, GenSeconds, SimSettings};

const VIDEO_BYTES: u64 = 1 << 30;
const RUNS: usize = 5;
const MIN_RATIO: f64 = 0.9;
const MAX_GROWTH_MB: f64 = 20.0;

fn main() {
    let sim = sim::start_on_thread(SimSettings {
        video_bytes: Some(VIDEO_BYTES),
        gen_seconds: GenSeconds(0.1, 0.1),
        seed: Some(5),
        ..SimSettings::default()
    })
    .expect("the simulator starts");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let http = sora_batch::provider::http_client(Duration::from_secs(60));
    let url = runtime.block_on(finished_video(&http, &sim.base_url()));
    let downloads = download::Http::new(Duration::from_secs(60));
    // Same folder, same disk for both; removed with everything in it at the end.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (theirs, ours) = (dir.path().join("curl.mp4"), dir.path().join("ours.mp4"));

    let (mut curl, mut curl_synced, mut fastest) = (Duration::MAX, Duration::MAX, Duration::MAX);
    let mut growth = 0;
    for _ in 0..RUNS {
        curl = curl.min(run_curl(&url, &theirs, false));
        curl_synced = curl_synced.min(run_curl(&url, &theirs, true));
        let (took, grew) = run_ours(&runtime, &downloads, &url, &ours);
        fastest = fastest.min(took);
        growth = growth.max(grew);
    }
    let ok = report(curl, curl_synced, fastest, growth);
    // `exit` skips destructors: the folder, with 2 GB in it, goes first.
    drop(dir);
    if !ok {
        std::process::exit(1);
    }
}

/// Creates a task and waits until its video can be downloaded; the video's URL.
async fn finished_video(http: &reqwest::Client, base: &str) -> String {
    let created: Value = http
        .post(format!("{base}/create"))
        .bearer_auth(sim::DEFAULT_KEY)
        .json(&json!({"prompt": "x"}))
        .send()
        .await
        .and_then(|answer| answer.error_for_status())
        .expect("the simulator accepts the task")
        .json()
        .await
        .expect("a JSON answer");
    let id = created["data"]["task_id"].as_str().expect("a task id");
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let task: Value = http
            .get(format!("{base}/tasks/{id}"))
            .bearer_auth(sim::DEFAULT_KEY)
            .send()
            .await
            .expect("the simulator answers")
            .json()
            .await
            .expect("a JSON answer");
        if task["data"]["status"] == "completed" {
            let url = task["data"]["video_url"].as_str().expect("a video URL");
            return url.to_string();
        }
    }
}

/// One curl download to `dest` (then `sync dest` if `synced`); its wall time.
fn run_curl(url: &str, dest: &Path, synced: bool) -> Duration {
    settle(dest);
    let started = Instant::now();
    let status = Command::new("curl")
        .args(["-s", "-f", "-o"])
        .arg(dest)
        .arg(url)
        .status()
        .expect("curl runs (is it installed?)");
    assert!(status.success(), "curl failed: {status}");
    if synced {
        let status = Command::new("sync").arg(dest).status().expect("sync runs");
        assert!(status.success(), "sync failed: {status}");
    }
    let took = started.elapsed();
    assert_eq!(size(dest), VIDEO_BYTES, "curl fetched the whole file");
    took
}

/// One `download_once` to `dest`; its wall time and the growth of resident memory (bytes).
fn run_ours(
    runtime: &tokio::runtime::Runtime,
    http: &download::Http,
    url: &str,
    dest: &Path,
) -> (Duration, u64) {
    settle(dest);
    let source = Source {
        url: url.parse().expect("a valid URL"),
        auth: None,
        owner: "bench".to_string(),
        max_bytes: u64::MAX,
        local_links: true,
    };
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = memory("VmRSS:");
    let sampler = Sampler::start();
    let started = Instant::now();
    let fetched = runtime
        .block_on(download::download_once(
            http,
            &source,
            dest,
            &|_| {},
            &|_| Ok(()),
        ))
        .expect("the download succeeds");
    let took = started.elapsed();
    let sampled = sampler.stop();
    let peak = if reset {
        memory("VmHWM:").max(sampled)
    } else {
        sampled
    };
    assert_eq!(fetched.bytes, VIDEO_BYTES, "we fetched the whole file");
    assert_eq!(size(dest), VIDEO_BYTES);
    (took, peak.saturating_sub(before))
}

/// Removes the previous run's file and lets the disk finish writing what is pending, so
/// one run's writeback does not slow the next.
fn settle(dest: &Path) {
    let _ = std::fs::remove_file(dest);
    let _ = Command::new("sync").status();
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |meta| meta.len())
}

/// A line of `/proc/self/status` in bytes (e.g. `VmRSS:`), 0 if it cannot be read.
fn memory(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok());
    kb.unwrap_or(0) * 1024
}

/// Samples VmRSS every 5 ms on a thread of its own and keeps the highest value.
struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl Sampler {
    fn start() -> Sampler {
        let (stop, peak) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
        );
        let thread = std::thread::spawn({
            let (stop, peak) = (stop.clone(), peak.clone());
            move || {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(memory("VmRSS:"), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        });
        Sampler { stop, peak, thread }
    }

    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.peak.load(Ordering::Relaxed)
    }
}

/// Prints the table; whether both targets are met.
fn report(curl: Duration, curl_synced: Duration, ours: Duration, growth: u64) -> bool {
    let rate = |took: Duration| VIDEO_BYTES as f64 / 1e6 / took.as_secs_f64();
    let ratio = rate(ours) / rate(curl);
    let growth_mb = growth as f64 / 1e6;
    println!(
        "download: a {} MiB video from the simulator over loopback, best of {RUNS}",
        VIDEO_BYTES >> 20
    );
    let row = |name: &str, took: Duration| {
        println!(
            "  {name:<14}{:>7.0} MB/s  ({:.2}s)",
            rate(took),
            took.as_secs_f64()
        );
    };
    row("curl", curl);
    row("curl + fsync", curl_synced);
    row("ours", ours);
    println!("  ratio         {ratio:.2} x curl (target >= {MIN_RATIO})");
    println!("  memory growth {growth_mb:.1} MB during our download (target < {MAX_GROWTH_MB} MB)");
    let ok = ratio >= MIN_RATIO && growth_mb < MAX_GROWTH_MB;
    println!("  verdict       {}", if ok { "ok" } else { "FAILED" });
    ok
}
