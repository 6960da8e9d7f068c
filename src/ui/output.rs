//! Writing results (the summary, the plan, JSON) to stdout and stderr without `print!`,
//! which panics when a write fails: a closed pipe (`sora-batch --json | head -1`) ends the
//! output quietly, and any other failed write (`> /dev/full`) is an error the caller turns
//! into an exit code.

use std::io::{self, Write};

use crate::i18n::Message;

/// Where a result goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A result that could not be written.
#[derive(Debug, thiserror::Error)]
pub struct OutputError {
    stream: Stream,
    source: io::Error,
}

crate::display_from_message!(OutputError);

impl OutputError {
    /// What could not be written, in any language (`Display` is its English).
    pub fn message(&self) -> Message {
        let stream = match self.stream {
            Stream::Stdout => Message::new("output.stdout"),
            Stream::Stderr => Message::new("output.stderr"),
        };
        Message::new("output.unwritable")
            .with_text("stream", stream)
            .with("source", &self.source)
    }
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
            stream,
            source: err,
        }),
        _ => Ok(()),
    }
}

fn write_all(out: &mut impl Write, text: &str) -> io::Result<()> {
    out.write_all(text.as_bytes())?;
    out.flush()
}
