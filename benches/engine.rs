//! How well the engine uses a provider's capacity, and what it costs in memory. Runs the
//! release binary against the simulator on loopback, with the default timings scaled down
//! 600 times (a 3–30 minute job takes 0.3–3 s; polls every 17 ms instead of 10 s).
//!
//! Scenario 1: 200 jobs against a capacity of 8 active tasks. Reports makespan ÷ ideal
//! (ideal = sum of generation times ÷ capacity), 429 answers per job, status calls per job
//! and peak memory. Targets: ≤ 1.15, ≤ 0.2, ≤ 8.
//! Scenario 2: 60 jobs with every default setting (timings scaled down 100 times),
//! without faults, then with 10% of API calls failing and 5% of create answers lost:
//! the faulted makespan must stay within 1.5 x the clean one (not paying twice must not
//! cost an hour: a lost create's second search waits `--lost-create-wait`, and only the
//! prompt's other versions wait with it).
//! Scenario 3: 10,000 jobs planned and run; peak memory must stay under 30 MB.
//! Scenario 4 (`hangs`): 20 jobs against a provider that never answers (`--hang`), and
//! against one that trickles its status answers (`--trickle-status`), run to their end
//! and stopped by SIGTERM: each must end within the bound the README states.
//! Scenario 5 (`keys`): 200 jobs over three API keys of capacities 2, 4 and 8, against the
//! same batch on one key of capacity 14: the three keys' makespan must stay within 1.15 x
//! the one key's, with no key above its capacity and the work spread by capacity.
//!
//! Run with `cargo bench --bench engine` (add `-- faults` for one scenario).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sora_batch::sim::{self, GenSeconds, SimSettings};

#[path = "engine/hangs.rs"]
mod hangs;

const SCALE: f64 = 600.0;

/// A scenario's name and its run, which says whether it met its targets.
type Scenario = (&'static str, fn() -> bool);

/// `cargo bench --bench engine -- faults` runs only the scenarios whose name contains
/// the word (`capacity`, `faults`, `memory`, `hangs`, `keys`).
fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|word| name.contains(word));
    let scenarios: [Scenario; 5] = [
        ("capacity", capacity_run),
        ("faults", faults_run),
        ("memory", memory_run),
        ("hangs", hangs::run),
        ("keys", keys_run),
    ];
    let mut ok = true;
    for (name, scenario) in scenarios {
        if wanted(name) {
            ok &= scenario();
        }
    }
    if !ok {
        std::process::exit(1);
    }
}

fn scaled(seconds: f64) -> String {
    format!("{}ms", (seconds * 1000.0 / SCALE).round().max(1.0))
}

/// The engine's poll and breaker timings at their defaults, scaled down [`SCALE`] times.
fn timings_scaled() -> Vec<String> {
    [
        ("--poll-delay", 20.0),
        ("--poll-interval", 10.0),
        ("--breaker-cooldown", 600.0),
        ("--recovery-step", 60.0),
        ("--poll-timeout", 2100.0),
    ]
    .iter()
    .flat_map(|(flag, seconds)| [flag.to_string(), scaled(*seconds)])
    .collect()
}

/// A simulator whose jobs take 3 to 30 minutes scaled down [`SCALE`] times, and a project
/// of 200 jobs for it.
fn scaled_batch(settings: SimSettings) -> (sim::RunningSim, tempfile::TempDir) {
    let sim = sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(180.0 / SCALE, 1800.0 / SCALE),
        seed: Some(3),
        ..settings
    })
    .expect("the simulator starts");
    let project = tempfile::tempdir().expect("a temporary folder");
    write_storyboards(project.path(), 100, 1);
    (sim, project)
}

fn capacity_run() -> bool {
    let (sim, project) = scaled_batch(SimSettings {
        capacity: Some(8),
        ..SimSettings::default()
    });
    let (wall, peak) = run_binary(project.path(), &sim.base_url(), &timings_scaled());
    let stats = sim.stats();
    let jobs = 200.0;
    let ideal = stats.generation_seconds / 8.0;
    let ratio = wall.as_secs_f64() / ideal;
    let limited = stats.rate_limited as f64 / jobs;
    let polls = stats.polls as f64 / jobs;
    println!("engine: 200 jobs against a capacity of 8 (timings scaled 1/{SCALE})");
    println!(
        "  makespan      {:.1}s, ideal {ideal:.1}s: {ratio:.3} x ideal (target <= 1.15)",
        wall.as_secs_f64()
    );
    println!("  429 answers   {limited:.3} per job (target <= 0.2)");
    println!("  status calls  {polls:.2} per job (target <= 8)");
    println!(
        "  creates       {} for 200 jobs; max active {}",
        stats.creates, stats.max_active
    );
    let unseen = stats.end_unseen_seconds / jobs;
    println!(
        "  noticed late  {:.0} ms per job on average ({:.1}% of the ideal)",
        unseen * 1000.0,
        stats.end_unseen_seconds / 8.0 / ideal * 100.0
    );
    println!("  peak memory   {:.1} MB", peak as f64 / 1e6);
    let ok = ratio <= 1.15 && limited <= 0.2 && polls <= 8.0 && stats.creates == 200;
    println!("  verdict       {}", if ok { "ok" } else { "FAILED" });
    ok
}

/// Every engine timing at its default, divided by 100.
fn defaults_scaled(scale: f64) -> Vec<String> {
    let at = |seconds: f64| format!("{}ms", (seconds * 1000.0 / scale).round().max(1.0));
    [
        ("--poll-delay", 20.0),
        ("--poll-interval", 10.0),
        ("--poll-timeout", 2100.0),
        ("--breaker-cooldown", 600.0),
        ("--recovery-step", 60.0),
        ("--request-timeout", 60.0),
        ("--lost-create-wait", 10.0),
    ]
    .iter()
    .flat_map(|(flag, seconds)| [flag.to_string(), at(*seconds)])
    .collect()
}

fn faults_run() -> bool {
    const FAULT_SCALE: f64 = 100.0;
    let makespan = |fault_rate: f64, ambiguous_rate: f64| {
        let sim = sim::start_on_thread(SimSettings {
            gen_seconds: GenSeconds(180.0 / FAULT_SCALE, 1800.0 / FAULT_SCALE),
            fault_rate,
            ambiguous_rate,
            seed: Some(5),
            ..SimSettings::default()
        })
        .expect("the simulator starts");
        let project = tempfile::tempdir().expect("a temporary folder");
        write_storyboards(project.path(), 30, 1);
        let (wall, _) = run_binary(
            project.path(),
            &sim.base_url(),
            &defaults_scaled(FAULT_SCALE),
        );
        let stats = sim.stats();
        (wall.as_secs_f64(), stats)
    };
    let (clean, _) = makespan(0.0, 0.0);
    let (faulted, stats) = makespan(0.1, 0.05);
    let ratio = faulted / clean;
    println!("engine: 60 jobs, default settings scaled 1/{FAULT_SCALE}, with and without faults");
    println!("  clean         {clean:.1}s");
    println!(
        "  faulted       {faulted:.1}s with {} faults and {} lost create answers: {ratio:.2} x clean (target <= 1.5)",
        stats.faults, stats.ambiguous
    );
    println!("  creates       {} for 60 jobs", stats.creates);
    let ok = ratio <= 1.5 && stats.creates == 60;
    println!("  verdict       {}", if ok { "ok" } else { "FAILED" });
    ok
}

fn memory_run() -> bool {
    let sim = sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.02, 0.08),
        seed: Some(4),
        ..SimSettings::default()
    })
    .expect("the simulator starts");
    let project = tempfile::tempdir().expect("a temporary folder");
    write_storyboards(project.path(), 100, 50);
    let args = [
        "--poll-delay",
        "50ms",
        "--poll-interval",
        "20ms",
        "--max-workers",
        "50",
    ]
    .map(String::from);
    let (wall, peak) = run_binary(project.path(), &sim.base_url(), &args);
    let done = sim.stats().creates;
    let mb = peak as f64 / 1e6;
    println!("engine: 10,000 jobs planned and run");
    println!("  wall time     {:.1}s, {done} created", wall.as_secs_f64());
    println!("  peak memory   {mb:.1} MB (target < 30 MB)");
    let ok = mb < 30.0 && done == 10_000;
    println!("  verdict       {}", if ok { "ok" } else { "FAILED" });
    ok
}

/// 200 jobs over keys of capacities 2, 4 and 8 (one `SORA_API_KEYS` list), then over one
/// key of capacity 14: the same simulated work, the same total capacity.
fn keys_run() -> bool {
    let batch = |capacities: &[usize]| {
        let keys: Vec<sim::SimKey> = capacities
            .iter()
            .enumerate()
            .map(|(i, capacity)| sim::SimKey {
                capacity: Some(*capacity),
                ..sim::SimKey::new(&format!("sk-bench-key-{i}"))
            })
            .collect();
        let list: Vec<String> = keys
            .iter()
            .map(|key| format!(r#"{{"key": "{}"}}"#, key.key))
            .collect();
        let (sim, project) = scaled_batch(SimSettings {
            api_keys: keys,
            ..SimSettings::default()
        });
        let mut args = timings_scaled();
        args.extend(["--min-workers".to_string(), "2".to_string()]);
        let list = format!("[{}]", list.join(", "));
        let (wall, _) = run_binary_with(
            project.path(),
            &sim.base_url(),
            ("SORA_API_KEYS", &list),
            &args,
        );
        (wall.as_secs_f64(), sim.stats())
    };
    let (three, stats) = batch(&[2, 4, 8]);
    let (one, single) = batch(&[14]);
    let ratio = three / one;
    println!("engine: 200 jobs over keys of capacities 2, 4 and 8, and over one of 14");
    println!("  one key       {one:.1}s, {} creates", single.creates);
    println!("  three keys    {three:.1}s: {ratio:.3} x one key (target <= 1.15)");
    let mut within = true;
    for (i, capacity) in [2u64, 4, 8].into_iter().enumerate() {
        let key = &stats.by_key[&format!("sk-bench-key-{i}")];
        println!(
            "  key{}          capacity {capacity}: {} creates, at most {} active, {} 429s",
            i + 1,
            key.creates,
            key.max_active,
            key.rate_limited
        );
        within &= key.max_active <= capacity;
    }
    let ok = ratio <= 1.15 && within && stats.creates == 200;
    println!("  verdict       {}", if ok { "ok" } else { "FAILED" });
    ok
}

/// `files` storyboards of `segments` segments each, two versions per segment.
fn write_storyboards(dir: &Path, segments: u32, files: u32) {
    let input = dir.join("input");
    std::fs::create_dir_all(&input).unwrap();
    for file in 0..files {
        let list: Vec<String> = (1..=segments)
            .map(|n| format!(r#"{{"segment_index": {n}, "prompt_text": "file {file} shot {n}"}}"#))
            .collect();
        let text = format!(r#"{{"segments": [{}]}}"#, list.join(","));
        std::fs::write(input.join(format!("storyboard_{file:04}.json")), text).unwrap();
    }
}

/// Runs the release binary to its end; its wall time and peak resident memory (bytes).
fn run_binary(dir: &Path, base_url: &str, args: &[String]) -> (Duration, u64) {
    run_binary_with(dir, base_url, ("SORA_API_KEY", sim::DEFAULT_KEY), args)
}

/// [`run_binary`] with the key variable `key` set to its value.
fn run_binary_with(
    dir: &Path,
    base_url: &str,
    key: (&str, &str),
    args: &[String],
) -> (Duration, u64) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sora-batch"))
        .current_dir(dir)
        .env(key.0, key.1)
        .env("SORA_BASE_URL", base_url)
        .args(args)
        .arg("--quiet")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut peak = 0;
    loop {
        peak = peak.max(peak_rss(child.id()).unwrap_or(0));
        if let Some(status) = child.try_wait().expect("the child can be waited on") {
            assert!(status.success(), "the run failed: {status}");
            return (started.elapsed(), peak);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The high-water mark of a process's resident memory (Linux: VmHWM).
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
