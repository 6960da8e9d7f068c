//! The binary with `--provider draw` against the simulator's draw side, as the draw tests
//! run it: the domestic host first (`--base-url`) and the overseas one to fall back to
//! (`--fallback-url`), as `--host-mode auto` has them.

use serde_json::Value;
use sora_batch::sim::{self, GenSeconds, Host, RunningSim, SimSettings};

use super::Project;
use super::batch::{FAST, RUN_TIMEOUT, to_the_end};

/// The simulator with short generation times and a fixed seed.
pub fn simulator(settings: SimSettings) -> RunningSim {
    sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.6),
        seed: Some(13),
        ..settings
    })
    .expect("the simulator starts")
}

/// The binary with `--provider draw` at the simulator's two hosts, its key in
/// DRAW_API_KEY, and the engine's fast timings.
pub fn draw(project: &Project, sim: &RunningSim) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::from_std(process(project, sim));
    command.timeout(RUN_TIMEOUT);
    command
}

/// [`draw`] as a process to spawn (and kill).
pub fn process(project: &Project, sim: &RunningSim) -> std::process::Command {
    let mut command = project.sora_process();
    command
        .env("DRAW_API_KEY", sim::DEFAULT_KEY)
        .args(["--provider", "draw"])
        .args(["--base-url", &sim.draw_url(Host::Domestic)])
        .args(["--fallback-url", &sim.draw_url(Host::Overseas)])
        .args(FAST)
        .args(["--lost-create-wait", "200ms"]);
    command
}

/// Runs it to its end: exit code, the `--json` summary, stderr.
pub fn run(project: &Project, sim: &RunningSim, args: &[&str]) -> (i32, Value, String) {
    let mut command = draw(project, sim);
    command.args(args);
    to_the_end(command)
}

/// The sidecar of `video` (e.g. `storyboard/Segment_1/1_v1.mp4`) under output/.
pub fn sidecar(project: &Project, video: &str) -> Value {
    let path = project
        .path()
        .join("output")
        .join(video)
        .with_extension("json");
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|err| panic!("{path:?}: {err}")))
        .unwrap()
}
