//! Can the simulator hold 1,000 concurrent polling clients? Each client creates a task,
//! then polls it until it completes, on its own connection; the benchmark reports errors,
//! calls per second and latency percentiles. Run with `cargo bench --bench simulator`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sora_batch::sim::{self, GenSeconds, SimSettings};

const CLIENTS: usize = 1_000;
const POLL_EVERY: Duration = Duration::from_millis(100);

fn main() {
    let sim = sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(5.0, 8.0),
        seed: Some(1),
        ..SimSettings::default()
    })
    .expect("the simulator starts");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let base = sim.base_url();
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let latencies = runtime.block_on(async {
        let mut clients = tokio::task::JoinSet::new();
        for n in 0..CLIENTS {
            let (base, errors) = (base.clone(), errors.clone());
            clients.spawn(async move { one_client(&base, n, &errors).await });
        }
        let mut all = Vec::new();
        while let Some(result) = clients.join_next().await {
            all.extend(result.expect("a client task"));
        }
        all
    });
    let elapsed = started.elapsed();
    report(
        latencies,
        elapsed,
        errors.load(Ordering::Relaxed),
        &sim.stats(),
    );
}

/// One client on its own connection pool: create, then poll until completed.
async fn one_client(base: &str, n: usize, errors: &AtomicU64) -> Vec<Duration> {
    let http = sora_batch::provider::http_client(Duration::from_secs(30));
    let call = |request: reqwest::RequestBuilder| async {
        let sent = Instant::now();
        let answer = async {
            request
                .bearer_auth("sk-sim")
                .send()
                .await?
                .json::<serde_json::Value>()
                .await
        }
        .await;
        (sent.elapsed(), answer)
    };
    let body = serde_json::json!({"prompt": format!("client {n}")});
    let (took, created) = call(http.post(format!("{base}/create")).json(&body)).await;
    let mut latencies = vec![took];
    let Ok(created) = created else {
        errors.fetch_add(1, Ordering::Relaxed);
        return latencies;
    };
    let id = created["data"]["task_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    loop {
        tokio::time::sleep(POLL_EVERY).await;
        let (took, answer) = call(http.get(format!("{base}/tasks/{id}"))).await;
        latencies.push(took);
        match answer {
            Ok(answer) if answer["data"]["status"] == "completed" => return latencies,
            Ok(answer) if answer["code"] == 200 => {}
            _ => {
                errors.fetch_add(1, Ordering::Relaxed);
                return latencies;
            }
        }
    }
}

fn report(mut latencies: Vec<Duration>, elapsed: Duration, errors: u64, stats: &sim::Stats) {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    println!("simulator under {CLIENTS} concurrent polling clients");
    println!(
        "  calls          {} in {:.1}s ({:.0}/s)",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  tasks created  {} (max active {})",
        stats.creates, stats.max_active
    );
    println!(
        "  latency        p50 {:?}  p99 {:?}  max {:?}",
        at(0.5),
        at(0.99),
        at(1.0)
    );
    println!("  errors         {errors}");
    let verdict = if errors == 0 && stats.creates == CLIENTS as u64 {
        "ok"
    } else {
        "FAILED"
    };
    println!("  verdict        {verdict} (target: no errors)");
    if verdict != "ok" {
        std::process::exit(1);
    }
}
