//! Helpers shared by the end-to-end tests: a temporary project folder and the real binary,
//! run in it with a clean environment.
#![allow(dead_code)] // each test file uses its own subset

pub mod batch;
pub mod chat;
pub mod draw;
pub mod images;
pub mod openai;
pub mod planted;
pub mod proxy;
pub mod static_files;
#[cfg(unix)]
pub mod terminal;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Every variable sora-batch reads; removed so the developer's own settings cannot leak in.
const SETTINGS_VARS: &[&str] = &[
    "SORA_API_KEY",
    "SORA_API_KEYS",
    "SORA_KEYS_FILE",
    "OPENAI_API_KEY",
    "OPENAI_API_KEYS",
    "DRAW_API_KEY",
    "DRAW_API_KEYS",
    "DRAW_HOST_MODE",
    "DRAW_FALLBACK_URL",
    "DRAW_RESULT_PATH",
    "DRAW_SIZE",
    "CHAT_API_KEY",
    "CHAT_API_KEYS",
    "CHAT_MODEL_TEMPLATE",
    "CHAT_GENERATION_IDS",
    "SORA_BASE_URL",
    "SORA_PROVIDER",
    "SORA_AUTH_HEADER",
    "SORA_REQUEST_FORMAT",
    "SORA_FIT_IMAGES",
    "SORA_IMAGE_HOST_CMD",
    "SORA_DURATIONS",
    "SORA_INPUT_DIR",
    "SORA_OUTPUT_DIR",
    "SORA_OUTPUT_MODE",
    "SORA_SKIP_INVALID",
    "GEN_COUNT_PER_SEGMENT",
    "SORA_FORCE",
    "SORA_DRY_RUN",
    "SORA_PRICE_NORMAL",
    "SORA_PRICE_PRO",
    "SORA_PRICE_PRO_LARGE",
    "SORA_JSON",
    "SORA_VERBOSE",
    "SORA_QUIET",
    "SORA_COLOR",
    "SORA_LANG",
    "LANG",
    "LC_ALL",
    "LC_MESSAGES",
    "CLICOLOR_FORCE",
    "MAX_CONCURRENT_TASKS",
    "SORA_LOG_FILE",
    "SORA_REPORT",
    "SORA_RETRY_FAILED",
    "SORA_RESUBMIT_LOST",
    "SORA_STATE_DIR",
    "SORA_REQUEST_TIMEOUT",
    "SORA_GIVE_UP_AFTER",
    "SORA_LOST_CREATE_WAIT",
    "SORA_DOWNLOAD_WORKERS",
    "SORA_MAX_VIDEO_BYTES",
    "SORA_POLL_TIMEOUT",
    "SORA_POLL_INTERVAL",
    "SORA_POLL_DELAY",
    "SORA_RECOVERY_STEP",
    "SORA_BREAKER_COOLDOWN",
    "SORA_BREAKER_THRESHOLD",
    "SORA_MIN_WORKERS",
    "RUST_LOG",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "PROXY_HOST",
    "PROXY_PORT",
    "PROXY_USER",
    "PROXY_PASS",
];

/// A scratch folder laid out like a user's project: `input/` and `output/`.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        fs::create_dir_all(dir.path().join("input")).unwrap();
        Project { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file under the project folder, creating its parents.
    pub fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.path().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }

    /// The binary, run in the project folder with a clean environment.
    pub fn sora(&self) -> Command {
        let mut command = assert_cmd::cargo::cargo_bin_cmd!("sora-batch");
        command.current_dir(self.path()).env("NO_COLOR", "1");
        for var in SETTINGS_VARS {
            command.env_remove(var);
        }
        command
    }

    /// The binary as a plain process, to spawn and kill, with the same clean environment.
    pub fn sora_process(&self) -> std::process::Command {
        self.process(assert_cmd::cargo::cargo_bin!("sora-batch"))
    }

    /// Any program (a shell that sets limits, then runs the binary), run in the project
    /// folder with the binary's clean environment.
    pub fn process(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
        let mut command = std::process::Command::new(program);
        command.current_dir(self.path()).env("NO_COLOR", "1");
        for var in SETTINGS_VARS {
            command.env_remove(var);
        }
        command
    }
}

/// The text of a command's stdout, after asserting its exit code.
pub fn stdout_of(assert: assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

pub fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Sends the process SIGINT, as Ctrl+C at its terminal would.
#[cfg(unix)]
pub fn interrupt(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -INT failed");
}
