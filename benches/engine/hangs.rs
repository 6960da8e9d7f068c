//! Scenario 4: runs that must end. 20 jobs against a provider that never answers and one
//! that trickles its status answers a byte every 2 s, each run to its end and stopped by
//! SIGTERM; every time is printed against the bound the README states for it.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

/// What the README says an interrupted or abandoned run may take beyond its deadlines.
const GRACE: f64 = 10.0;

/// One case: the simulator's knobs, the run's flags, whether (and when) it is sent
/// SIGTERM, the exit code it must end with and the bound it must end within.
struct Case {
    name: &'static str,
    hang: bool,
    flags: &'static [&'static str],
    /// SIGTERM once the simulator has seen this many status calls (`Some(0)`: once the
    /// run has had a second to send its creates).
    terminate_after_polls: Option<u64>,
    exit: i32,
    /// Seconds, and how the README arrives at them.
    bound: (f64, &'static str),
}

const CASES: [Case; 4] = [
    Case {
        name: "never answers, run to its end",
        hang: true,
        flags: &["--request-timeout", "2s", "--give-up-after", "5s"],
        terminate_after_polls: None,
        exit: 1,
        bound: (
            5.0 + 2.0 + GRACE,
            "--give-up-after 5s + --request-timeout 2s + 10s",
        ),
    },
    Case {
        name: "never answers, SIGTERM",
        hang: true,
        flags: &["--request-timeout", "10s"],
        terminate_after_polls: Some(0),
        exit: 130,
        bound: (10.0 + GRACE, "--request-timeout 10s + 10s after the signal"),
    },
    Case {
        name: "trickles, run to its end",
        hang: false,
        flags: &["--request-timeout", "5s", "--poll-timeout", "5s"],
        terminate_after_polls: None,
        exit: 1,
        bound: (
            5.0 + 5.0 + GRACE,
            "--poll-timeout 5s + --request-timeout 5s + 10s",
        ),
    },
    Case {
        name: "trickles, SIGTERM",
        hang: false,
        flags: &["--request-timeout", "60s"],
        terminate_after_polls: Some(1),
        exit: 130,
        bound: (60.0 + GRACE, "--request-timeout 60s + 10s after the signal"),
    },
];

pub fn run() -> bool {
    println!("engine: 20 jobs against providers that never answer or trickle (2 s a byte)");
    let mut ok = true;
    for case in &CASES {
        ok &= run_case(case);
    }
    println!("  verdict       {}", if ok { "ok" } else { "FAILED" });
    ok
}

fn run_case(case: &Case) -> bool {
    let sim = sim::start_on_thread(SimSettings {
        hang: case.hang,
        trickle_status: (!case.hang).then_some(Duration::from_secs(2)),
        gen_seconds: GenSeconds(1.0, 2.0),
        ..SimSettings::default()
    })
    .expect("the simulator starts");
    let project = tempfile::tempdir().expect("a temporary folder");
    super::write_storyboards(project.path(), 10, 1);
    let mut child = spawn(project.path(), &sim, case.flags);
    let started = match case.terminate_after_polls {
        None => Instant::now(),
        Some(polls) => {
            wait_for(&sim, polls);
            terminate(&child);
            Instant::now()
        }
    };
    let code = wait(&mut child, Duration::from_secs_f64(case.bound.0 * 3.0));
    let took = started.elapsed().as_secs_f64();
    let (bound, why) = case.bound;
    let ok = took <= bound && code == Some(case.exit);
    println!(
        "  {:<32}{took:>6.1}s, exit {} (bound {bound:.0}s: {why}) {}",
        case.name,
        code.map_or("none".to_string(), |code| code.to_string()),
        if ok { "ok" } else { "FAILED" }
    );
    ok
}

fn spawn(dir: &Path, sim: &RunningSim, flags: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sora-batch"))
        .current_dir(dir)
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .args(["--poll-delay", "100ms", "--poll-interval", "1s", "--quiet"])
        .args(flags)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts")
}

/// Until the simulator has seen `polls` status calls (0: a second, for the creates).
fn wait_for(sim: &RunningSim, polls: u64) {
    if polls == 0 {
        std::thread::sleep(Duration::from_secs(1));
        return;
    }
    while sim.stats().polls < polls {
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn terminate(child: &Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "SIGTERM is sent");
}

/// The exit code, or `None` if the run had to be killed after `most`.
fn wait(child: &mut Child, most: Duration) -> Option<i32> {
    let deadline = Instant::now() + most;
    loop {
        if let Some(status) = child.try_wait().expect("the child can be waited on") {
            return status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
