//! The binary with `--provider chat` against the simulator's chat-completions side, as the
//! chat tests run it: its key in CHAT_API_KEY, `--base-url` at the simulator's `/v1`.

use serde_json::Value;
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

use super::Project;
use super::batch::{FAST, RUN_TIMEOUT};

/// The simulator with short generation times, fast progress and a fixed seed.
pub fn simulator(settings: SimSettings) -> RunningSim {
    let mut settings = SimSettings {
        gen_seconds: GenSeconds(0.2, 0.6),
        seed: Some(13),
        ..settings
    };
    settings.chat.chat_progress_every = std::time::Duration::from_millis(50);
    sim::start_on_thread(settings).expect("the simulator starts")
}

/// `--provider chat` at the simulator, and the engine's fast timings.
fn args(sim: &RunningSim) -> Vec<String> {
    let mut args: Vec<String> = ["--provider", "chat", "--base-url"]
        .map(String::from)
        .to_vec();
    args.push(sim.base_url());
    args.extend(FAST.iter().map(|flag| flag.to_string()));
    args
}

/// The binary with `--provider chat` at the simulator, and the engine's fast timings.
pub fn chat(project: &Project, sim: &RunningSim) -> assert_cmd::Command {
    let mut command = project.sora();
    command
        .env("CHAT_API_KEY", sim::DEFAULT_KEY)
        .args(args(sim))
        .timeout(RUN_TIMEOUT);
    command
}

/// [`chat`] as a plain process, to spawn and interrupt.
pub fn chat_process(project: &Project, sim: &RunningSim) -> std::process::Command {
    let mut command = project.sora_process();
    command
        .env("CHAT_API_KEY", sim::DEFAULT_KEY)
        .args(args(sim));
    command
}

/// Runs it to its end: exit code, the `--json` summary, stderr.
pub fn run(project: &Project, sim: &RunningSim, args: &[&str]) -> (i32, Value, String) {
    let mut command = chat(project, sim);
    command.args(args);
    super::batch::to_the_end(command)
}
