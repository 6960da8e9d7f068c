//! One run of the `--image-host-cmd` command for one image, and what its output means.
//! The command is split into a program and its arguments as a POSIX shell splits words
//! (`shell-words`: quotes and backslashes group, nothing is expanded), and run without a
//! shell, the image's absolute path appended as its last argument, so nothing in a path is
//! interpreted. It runs with its input closed and without the providers' API keys in its
//! environment, is killed at [`HOST_TIMEOUT`], and only the end of each output stream is
//! kept ([`OUTPUT_TAIL_BYTES`]), so a command printing forever cannot fill memory. Its last
//! non-empty line must be an http(s) link, held to the storyboard's link rules.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::i18n::Message;

/// How long one upload may take before the command is stopped: far above an upload of
/// the largest image taken (`MAX_IMAGE_BYTES`), and a command waiting for a password or a
/// browser does not hold the run forever.
pub const HOST_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The end of each output stream that is kept: a link is one line; a chatty tool's
/// progress is dropped from the front.
pub const OUTPUT_TAIL_BYTES: usize = 64 * 1024;

/// How much of what it printed an error quotes, in characters (its end, where tools put
/// the reason they failed).
const QUOTED_CHARS: usize = 300;

/// The command as the user gave it, split.
#[derive(Debug, Clone, PartialEq)]
pub struct HostCommand {
    /// As given, for messages.
    text: String,
    program: String,
    args: Vec<String>,
}

/// Why one run of the command gave no link; each says what to check.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum Failure {
    Start(String),
    TimedOut(Duration),
    Exit { status: String, output: String },
    NoLink { why: String, output: String },
    Read(String),
}

crate::display_from_message!(Failure);

impl Failure {
    /// What the command did wrong and what to check, in any language (`Display` is its
    /// English).
    pub fn message(&self) -> Message {
        match self {
            Failure::Start(why) => Message::new("image.host.start").with("why", why),
            Failure::TimedOut(limit) => {
                Message::new("image.host.timed_out").with_duration("limit", *limit)
            }
            Failure::Exit { status, output } => Message::new("image.host.exit")
                .with("status", status)
                .with("output", output),
            Failure::NoLink { why, output } => Message::new("image.host.no_link")
                .with("why", why)
                .with("output", output),
            Failure::Read(why) => Message::new("image.host.read").with("why", why),
        }
    }
}

impl HostCommand {
    /// Splits `text` into a program and its arguments; `Err` says what is wrong with it.
    pub fn parse(text: &str) -> Result<HostCommand, String> {
        let mut words = shell_words::split(text)
            .map_err(|_| "a quote is not closed; close it, or escape it with \\".to_string())?;
        if words.is_empty() {
            return Err(
                "it is empty; give the program that uploads a file and prints its link, e.g. \
                 \"my-upload --public\""
                    .to_string(),
            );
        }
        let program = words.remove(0);
        Ok(HostCommand {
            text: text.trim().to_string(),
            program,
            args: words,
        })
    }

    #[cfg(test)]
    pub fn args(&self) -> &[String] {
        &self.args
    }

    #[cfg(test)]
    pub fn program(&self) -> &str {
        &self.program
    }

    /// The command as the user gave it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Runs it on `image` and returns the link it printed; the variables in `hidden` are
    /// taken out of its environment.
    pub async fn host(
        &self,
        image: &Path,
        hidden: &[&str],
        timeout: Duration,
    ) -> Result<String, Failure> {
        let mut command = tokio::process::Command::new(&self.program);
        command
            .args(&self.args)
            .arg(image)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for variable in hidden {
            command.env_remove(variable);
        }
        let mut child = command
            .spawn()
            .map_err(|err| Failure::Start(err.to_string()))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(Failure::Read("its output is not a pipe".to_string()));
        };
        let finished = async {
            let (out, err, status) = tokio::join!(tail(stdout), tail(stderr), child.wait());
            (out, err, status)
        };
        let Ok((out, err, status)) = tokio::time::timeout(timeout, finished).await else {
            // The child is reaped too, so no zombie is left behind.
            let _ = child.kill().await;
            return Err(Failure::TimedOut(timeout));
        };
        let status = status.map_err(|err| Failure::Read(err.to_string()))?;
        let (out, err) = (
            out.map_err(|e| Failure::Read(e.to_string()))?,
            err.map_err(|e| Failure::Read(e.to_string()))?,
        );
        if !status.success() {
            return Err(Failure::Exit {
                status: status.to_string(),
                output: printed(&out, &err),
            });
        }
        link_in(&out).map_err(|why| Failure::NoLink {
            why,
            output: printed(&out, &err),
        })
    }
}

/// The link a successful command printed: its last non-empty line, trimmed, if that is an
/// http(s) link with a host; `Err` says what the line is instead.
pub fn link_in(stdout: &Tail) -> Result<String, String> {
    let text = String::from_utf8_lossy(stdout.complete_lines());
    let Some(last) = text.lines().map(str::trim).rfind(|line| !line.is_empty()) else {
        return Err("its standard output is empty".to_string());
    };
    crate::storyboard::check_web_link(last)
        .map(|()| last.to_string())
        .map_err(|why| format!("its last line, {why}"))
}

/// The end of an output stream, at most [`OUTPUT_TAIL_BYTES`].
#[derive(Debug, Default, PartialEq)]
pub struct Tail {
    bytes: Vec<u8>,
    /// Earlier output was dropped.
    cut: bool,
}

impl Tail {
    /// Adds what was read, dropping the front beyond the bound.
    pub fn push(&mut self, read: &[u8]) {
        self.bytes.extend_from_slice(read);
        // Dropped in large steps, so a long output is not moved on every read.
        if self.bytes.len() > 2 * OUTPUT_TAIL_BYTES {
            self.drop_front();
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Bounds what is kept once the stream has ended.
    pub fn finish(mut self) -> Tail {
        if self.bytes.len() > OUTPUT_TAIL_BYTES {
            self.drop_front();
        }
        self
    }

    fn drop_front(&mut self) {
        let extra = self.bytes.len().saturating_sub(OUTPUT_TAIL_BYTES);
        self.bytes.drain(..extra);
        self.cut = true;
    }

    /// Its lines without the first when the front was dropped: that one may be the end
    /// of a longer line, which must not pass for a link.
    fn complete_lines(&self) -> &[u8] {
        if !self.cut {
            return &self.bytes;
        }
        match self.bytes.iter().position(|&b| b == b'\n') {
            Some(at) => &self.bytes[at + 1..],
            None => &[],
        }
    }

    /// Its end as an error quotes it: escaped for a terminal, at most [`QUOTED_CHARS`].
    fn quoted(&self) -> Option<String> {
        let text = String::from_utf8_lossy(&self.bytes);
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let count = text.chars().count();
        let end: String = text
            .chars()
            .skip(count.saturating_sub(QUOTED_CHARS))
            .collect();
        let cut = self.cut || count > QUOTED_CHARS;
        let shown = crate::ui::escaped(&end, QUOTED_CHARS);
        Some(format!("\"{}{shown}\"", if cut { "…" } else { "" }))
    }
}

/// What the command printed, as an error quotes it.
fn printed(stdout: &Tail, stderr: &Tail) -> String {
    match (stdout.quoted(), stderr.quoted()) {
        (None, None) => "it printed nothing".to_string(),
        (Some(out), None) => format!("it printed {out}"),
        (None, Some(err)) => {
            format!("it printed nothing on its standard output, and {err} on its error output")
        }
        (Some(out), Some(err)) => format!("it printed {out}, and {err} on its error output"),
    }
}

/// Reads `stream` to its end, keeping its [`Tail`].
async fn tail(mut stream: impl AsyncRead + Unpin) -> std::io::Result<Tail> {
    let mut kept = Tail::default();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        match stream.read(&mut buffer).await? {
            0 => return Ok(kept.finish()),
            read => kept.push(&buffer[..read]),
        }
    }
}
