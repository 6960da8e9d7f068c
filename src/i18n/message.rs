//! [`Message`]: a catalog text kept with its values until it is shown, so one problem or
//! error reads in English where a script or a bug report reads it (the log, `--json`,
//! `--report`) and in the user's language on the terminal.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Lang;

/// A text of the catalogs and the values of its `%{name}` placeholders. `Display` and
/// `Serialize` give the English; [`Message::words`] any language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    key: &'static str,
    /// `Some(n)`: a counted text, whose `.one`/`.other` form `n` chooses.
    count: Option<u64>,
    args: Vec<(&'static str, Arg)>,
}

/// The value of a placeholder: plain (a file name, a number, a provider's words, left as
/// they are), a message of its own, shown in the same language as the one it is in, or
/// a list of plain items, separated as the language writes lists (`4, 8`, `4、8`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Arg {
    Plain(String),
    Text(Message),
    List(Vec<String>),
    Duration(std::time::Duration),
}

impl Message {
    /// The catalog's text for `key`.
    pub fn new(key: &'static str) -> Self {
        Message {
            key,
            count: None,
            args: Vec::new(),
        }
    }

    /// Words that are the same in every language: a provider's or the system's own
    /// message, passed on as it was said.
    pub fn plain(text: impl fmt::Display) -> Self {
        Message::new("text.as_is").with("text", text)
    }

    /// The `.one` or `.other` form of `key` for `n` (see [`super::counted`]).
    pub fn counted(key: &'static str, n: u64) -> Self {
        Message {
            count: Some(n),
            ..Message::new(key)
        }
    }

    /// Fills the placeholder `%{name}` with `value`, as it is in every language.
    pub fn with(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.push((name, Arg::Plain(value.to_string())));
        self
    }

    /// Fills the placeholder `%{name}` with `items`, each as it is, separated as the
    /// language writes a list.
    pub fn with_list<T: fmt::Display>(
        mut self,
        name: &'static str,
        items: impl IntoIterator<Item = T>,
    ) -> Self {
        let items = items.into_iter().map(|item| item.to_string()).collect();
        self.args.push((name, Arg::List(items)));
        self
    }

    /// Fills the placeholder `%{name}` with a duration in the language's words
    /// ([`super::durations::spoken`]).
    pub fn with_duration(mut self, name: &'static str, duration: std::time::Duration) -> Self {
        self.args.push((name, Arg::Duration(duration)));
        self
    }

    /// Fills the placeholder `%{name}` with another message, in the same language.
    pub fn with_text(mut self, name: &'static str, value: Message) -> Self {
        self.args.push((name, Arg::Text(value)));
        self
    }

    /// The catalog key (tests and callers that tell messages apart read it).
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// The message in the interface's language, for the terminal: a log line carries it
    /// as `warn!(shown = %message.shown(), "{message}")` (see `ui::fields`).
    pub fn shown(&self) -> String {
        self.words(super::current())
    }

    /// The message in `lang`.
    pub fn words(&self, lang: Lang) -> String {
        let values: Vec<(&str, String)> = self
            .args
            .iter()
            .map(|(name, arg)| {
                let value = match arg {
                    Arg::Plain(value) => value.clone(),
                    Arg::Text(message) => message.words(lang),
                    Arg::List(items) => items.join(&lang.text("list.separator", &[])),
                    Arg::Duration(duration) => super::durations::spoken(lang, *duration),
                };
                (*name, value)
            })
            .collect();
        let args: Vec<(&str, &dyn fmt::Display)> = values
            .iter()
            .map(|(name, value)| (*name, value as &dyn fmt::Display))
            .collect();
        match self.count {
            Some(n) => lang.counted(self.key, n, &args),
            None => lang.text(self.key, &args),
        }
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words(Lang::En))
    }
}

/// A message read back from a file written with its English (`failed_jobs.json`): its
/// words are kept as they are, in every language.
impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Message::plain)
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `Display` for error types from their `message()`, so their English is written once, in
/// the catalog, and the terminal can show the same message in the user's language.
#[macro_export]
macro_rules! display_from_message {
    ($($type:ty),+ $(,)?) => {$(
        impl ::std::fmt::Display for $type {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.message(), f)
            }
        }
    )+};
}
