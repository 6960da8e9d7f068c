//! Writing results (the summary, the plan, JSON) to stdout and stderr without `print!`,
//! which panics when a write fails: a closed pipe (`sora-batch --json | head -1`) ends the
//! output quietly, and any other failed write (`> /dev/full`) is an error the caller turns
//! into an exit code.

use std::io::{self, Write};

/// Where a result goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A result that could not be written.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot write the results to {stream}: {source}; nothing else is lost (the journal, videos and --report are files of their own)"
)]
pub struct OutputError {
    stream: &'static str,
    source: io::Error,
}

/// Writes `text` whole and flushes it. A reader that has gone away is no failure: the
/// output was wanted only so far.
pub fn emit(stream: Stream, text: &str) -> Result<(), OutputError> {
    let written = match stream {
        Stream::Stdout => write_all(&mut io::stdout().lock(), text),
        Stream::Stderr => write_all(&mut io::stderr().lock(), text),
    };
    match written {
        Err(err) if err.kind() != io::ErrorKind::BrokenPipe => Err(OutputError {
            stream: match stream {
                Stream::Stdout => "standard output",
                Stream::Stderr => "standard error",
            },
            source: err,
        }),
        _ => Ok(()),
    }
}

fn write_all(out: &mut impl Write, text: &str) -> io::Result<()> {
    out.write_all(text.as_bytes())?;
    out.flush()
}
