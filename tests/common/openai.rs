//! The binary with `--provider openai` against the simulator's OpenAI side, as the
//! OpenAI tests run it.

use serde_json::Value;
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

use super::Project;
use super::batch::{FAST, RUN_TIMEOUT, to_the_end};

/// The simulator with short generation times and a fixed seed.
pub fn simulator(settings: SimSettings) -> RunningSim {
    sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.6),
        seed: Some(12),
        ..settings
    })
    .expect("the simulator starts")
}

/// The binary with `--provider openai` at the simulator, its key in OPENAI_API_KEY, and the
/// engine's fast timings.
pub fn openai(project: &Project, sim: &RunningSim) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::from_std(process(project, sim));
    command.timeout(RUN_TIMEOUT);
    command
}

/// [`openai`] as a process to spawn (and kill).
pub fn process(project: &Project, sim: &RunningSim) -> std::process::Command {
    let mut command = project.sora_process();
    command
        .env("OPENAI_API_KEY", sim::DEFAULT_KEY)
        .args(["--provider", "openai", "--base-url", &sim.base_url()])
        .args(FAST)
        .args(["--lost-create-wait", "200ms"]);
    command
}

/// Runs it to its end: exit code, the `--json` summary, stderr.
pub fn run(project: &Project, sim: &RunningSim, args: &[&str]) -> (i32, Value, String) {
    let mut command = openai(project, sim);
    command.args(args);
    to_the_end(command)
}
