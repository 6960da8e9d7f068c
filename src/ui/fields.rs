//! How the fields of a log event are written, on stderr and in the log file: the message
//! as it is and other fields as ` name=value`, every value [`escaped`], so no event can put
//! a terminal escape or a line break on the user's screen or in the log.
//!
//! An event may also carry a `shown` field: the same message in the interface's language
//! (`error!(shown = %text(…), "{english}")`). The terminal prints it in the message's
//! place; the log file leaves it out, so the log stays English whatever the locale.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;

use super::escape::escaped;

/// The field formatter of the log layers: on the terminal, or in the log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscapedFields {
    /// `shown`, when the event has it, in the message's place.
    Terminal,
    /// The English message; `shown` left out.
    LogFile,
}

/// The field that carries the message in the interface's language.
const SHOWN: &str = "shown";

impl<'writer> FormatFields<'writer> for EscapedFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut has_shown = HasShown(false);
        if *self == EscapedFields::Terminal {
            fields.record(&mut has_shown);
        }
        let mut visitor = Visitor {
            writer,
            result: Ok(()),
            first: true,
            skip: if has_shown.0 { "message" } else { SHOWN },
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

/// Whether an event carries [`SHOWN`].
struct HasShown(bool);

impl Visit for HasShown {
    fn record_debug(&mut self, field: &Field, _: &dyn fmt::Debug) {
        self.0 |= field.name() == SHOWN;
    }
}

struct Visitor<'writer> {
    writer: Writer<'writer>,
    result: fmt::Result,
    first: bool,
    /// The field not written: the English message when `shown` replaces it, else `shown`.
    skip: &'static str,
}

impl Visitor<'_> {
    fn write(&mut self, field: &Field, value: &str) {
        if self.result.is_err() || field.name() == self.skip {
            return;
        }
        let value = escaped(value, usize::MAX);
        let space = if self.first { "" } else { " " };
        self.first = false;
        self.result = match field.name() {
            "message" | SHOWN => write!(self.writer, "{space}{value}"),
            name => write!(self.writer, "{space}{name}={value}"),
        };
    }
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.write(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.write(field, &format!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl MakeWriter<'_> for Captured {
        type Writer = Captured;
        fn make_writer(&self) -> Captured {
            self.clone()
        }
    }

    /// What `log` writes through a subscriber whose fields are formatted as `fields` say.
    fn logged(fields: EscapedFields, log: impl FnOnce()) -> String {
        let out = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(out.clone())
            .with_ansi(false)
            .without_time()
            .with_target(false)
            .with_level(false)
            .fmt_fields(fields)
            .finish();
        tracing::subscriber::with_default(subscriber, log);
        String::from_utf8(out.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn a_logged_message_and_its_fields_cannot_carry_escapes_or_line_breaks() {
        let text = logged(EscapedFields::LogFile, || {
            let name = "a\x1b[2J\nerror: fake";
            tracing::warn!(file = name, "cannot read {name}");
        });
        assert_eq!(
            text,
            "cannot read a\\u{1b}[2J error: fake file=a\\u{1b}[2J error: fake\n"
        );
    }

    fn translated(fields: EscapedFields) -> String {
        logged(fields, || {
            tracing::error!(
                shown = "2 个分镜文件无效\x1b[2J",
                "2 storyboards are invalid"
            );
            tracing::error!("no translation");
        })
    }

    #[test]
    fn the_terminal_shows_the_translated_message_and_the_log_file_the_english_one() {
        assert_eq!(
            translated(EscapedFields::Terminal),
            "2 个分镜文件无效\\u{1b}[2J\nno translation\n"
        );
        assert_eq!(
            translated(EscapedFields::LogFile),
            "2 storyboards are invalid\nno translation\n"
        );
    }
}
