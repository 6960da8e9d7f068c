//! What the user sees while sora-batch works: log lines on stderr, written as
//! `warning: …` and `error: …` (coloured as `--color` says: by default on a terminal,
//! never with NO_COLOR, always with CLICOLOR_FORCE),
//! printed above the progress bars (`bars`) so neither garbles the other, and a detailed
//! log file for later reading. Whatever they print is escaped (`escape`, `fields`). A
//! line may carry its text in the interface's language for the terminal (a `shown`
//! field, see `fields`); the log file keeps the English.

mod bars;
mod echo;
mod escape;
mod fields;
mod output;
mod plural;
mod rotate;

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::SystemTime;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::i18n;

pub use bars::{Bars, Snapshot, clear as clear_progress};
pub use escape::{bounded, escaped, is_unprintable, printable};
pub use output::{OutputError, Stream, emit};
pub use plural::{counted, plural};

/// When `warning:` and `error:` are coloured (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it, like cargo)
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// Whether stderr gets colour.
    fn on_stderr(self) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
            }
        }
    }
}

/// How much to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// Sends tracing events to stderr (through the progress bars, when they show), and, when
/// `log_file` is given, everything down to debug detail to that file as well. `RUST_LOG`,
/// when set, overrides the verbosity of stderr. A log file that cannot be opened is a
/// warning: the run itself matters more than its log.
pub fn init_logging(verbosity: Verbosity, log_file: Option<&Path>, color: ColorWhen) {
    let default = match verbosity {
        // Per-job warnings are repeated by the summary, which quiet runs print when
        // anything went wrong: each failure is said once (the log file keeps them all).
        Verbosity::Quiet => "error",
        Verbosity::Normal => "info",
        Verbosity::Verbose => "info,sora_batch=debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let color = color.on_stderr();
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(bars::StderrAboveBars)
        .with_ansi(color)
        .fmt_fields(fields::EscapedFields::Terminal)
        .event_format(Lines)
        .with_filter(filter);
    let (file, problem) = match log_file.map(open_log) {
        Some(Ok(file)) => (Some(file), None),
        Some(Err(problem)) => (None, Some(problem)),
        None => (None, None),
    };
    let file = file.map(|file| {
        tracing_subscriber::fmt::layer()
            .with_writer(LogFile(Mutex::new(file)))
            .with_ansi(false)
            .with_target(false)
            .fmt_fields(fields::EscapedFields::LogFile)
            .with_filter(EnvFilter::new("info,sora_batch=debug"))
    });
    tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .init();
    if let Some(problem) = problem {
        tracing::warn!(shown = %problem.shown(), "{problem}");
    }
}

fn open_log(path: &Path) -> Result<File, i18n::Message> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        let _ = std::fs::create_dir_all(parent);
    }
    rotate::rotate_if_large(path);
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|err| {
            i18n::Message::new("log_file.unwritable")
                .with("path", path.display())
                .with("err", err)
        })
}

/// The log file, shared by every thread that logs.
struct LogFile(Mutex<File>);

impl<'a> MakeWriter<'a> for LogFile {
    type Writer = LogFileWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LogFileWriter(&self.0)
    }
}

struct LogFileWriter<'a>(&'a Mutex<File>);

impl Write for LogFileWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut file = self.0.lock().unwrap_or_else(|poison| poison.into_inner());
        file.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One line per event, labelled by level the way compilers do; while a batch runs with
/// stderr not a terminal (cron mails, CI logs), with a UTC timestamp in front.
struct Lines;

impl<S, N> FormatEvent<S, N> for Lines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if bars::TIMESTAMPS.load(std::sync::atomic::Ordering::Relaxed) {
            write!(
                writer,
                "{} ",
                humantime::format_rfc3339_seconds(SystemTime::now())
            )?;
        }
        use anstyle::{AnsiColor, Style};
        let bold = |color: AnsiColor| Style::new().bold().fg_color(Some(color.into()));
        // The terminal's labels are in the interface's language (the log file keeps the
        // English levels: it is written by its own layer).
        let (label, style) = match *event.metadata().level() {
            Level::ERROR => (i18n::text("terminal.error", &[]), bold(AnsiColor::Red)),
            Level::WARN => (i18n::text("terminal.warning", &[]), bold(AnsiColor::Yellow)),
            Level::INFO => (String::new(), Style::new()),
            Level::DEBUG => ("debug: ".to_string(), Style::new().dimmed()),
            Level::TRACE => ("trace: ".to_string(), Style::new().dimmed()),
        };
        if writer.has_ansi_escapes() && !label.is_empty() {
            write!(writer, "{style}{label}{style:#}")?;
        } else {
            writer.write_str(&label)?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
