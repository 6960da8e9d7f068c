//! The run's API keys: one key in the provider's plain variable (`SORA_API_KEY`), or
//! several as a JSON list in seed 004's shape, in the provider's list variable
//! (`SORA_API_KEYS`) or a `--keys-file`. Each [`Key`] has a short label (never the key),
//! a weight, an optional request rate, and a [`Key::hash`] that the journal records to
//! find a job's key again in a later run. Whatever iterates the keys (the engine's pool,
//! a balance command) takes a [`KeySet`].

mod parse;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::config::{ApiKey, ConfigError};
use crate::i18n::Message;

/// The environment variable of `--keys-file`.
pub const KEYS_FILE_VAR: &str = "SORA_KEYS_FILE";

/// The most keys one run takes: each has its own breaker and client.
pub const MAX_KEYS: usize = 100;
/// The largest weight a key may have.
pub const MAX_WEIGHT: u32 = 1000;
/// The highest `max_rpm` taken (a thousand calls a second).
pub const MAX_RPM: u32 = 60_000;
/// The longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 32;
/// The largest keys file read.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// One API key and how the run uses it.
#[derive(Debug, Clone)]
pub struct Key {
    /// What messages, the progress display and the journal call it: the entry's `label`
    /// (or `name`), else `key1`, `key2`… in the list's order. Never the key.
    pub label: String,
    /// The key, without a `Bearer ` prefix.
    pub secret: ApiKey,
    /// New jobs go to the keys with room in proportion to it (default 1).
    pub weight: u32,
    /// The most API calls made with it in any minute (creates, status calls, task lists,
    /// downloads that carry it); `None`: no limit of its own.
    pub max_rpm: Option<u32>,
}

impl Key {
    /// The first 12 hex digits of the key's SHA-256: enough to tell a run's keys apart,
    /// and no way back to the key. The journal records it (beside the label, which a
    /// reordered list changes) to find a job's key again.
    pub fn hash(&self) -> String {
        hash_of(self.secret.expose())
    }
}

fn hash_of(secret: &str) -> String {
    let mut hex = crate::storyboard::hex(&Sha256::digest(secret.as_bytes()));
    hex.truncate(12);
    hex
}

/// Where the keys were read from, as messages name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// One key in the provider's plain variable (`SORA_API_KEY`).
    Single(&'static str),
    /// A JSON list in the provider's list variable (`SORA_API_KEYS`).
    List(&'static str),
    /// A JSON list in `--keys-file`.
    File(PathBuf),
    /// The built-in simulator's key.
    Simulator,
}

crate::display_from_message!(KeySource, KeyError);

impl KeySource {
    /// Where the keys were read from, in any language (`Display` is its English).
    pub fn message(&self) -> Message {
        match self {
            KeySource::Single(variable) | KeySource::List(variable) => Message::plain(variable),
            KeySource::File(path) => {
                Message::new("keys.source.file").with("path", crate::ui::printable(path.display()))
            }
            KeySource::Simulator => Message::new("keys.source.simulator"),
        }
    }
}

/// The keys of a run, in their configured order (at least one).
#[derive(Debug, Clone)]
pub struct KeySet {
    keys: Vec<Key>,
    source: KeySource,
}

/// Which variables hold a provider's keys (its `Capabilities`).
#[derive(Debug, Clone, Copy)]
pub struct KeyVariables {
    /// One key: `SORA_API_KEY`.
    pub single: &'static str,
    /// A JSON list: `SORA_API_KEYS`.
    pub list: &'static str,
}

impl KeySet {
    /// The keys from `--keys-file` (`file`), the list variable or the single one, of the
    /// environment (or `.env`, once loaded); `None` when none is set. Two of them set at
    /// once is an error: which one wins would be a guess.
    pub fn load(variables: KeyVariables, file: Option<&Path>) -> Result<Option<KeySet>, KeyError> {
        Self::load_from(variables, file, |name| std::env::var_os(name))
    }

    fn load_from(
        variables: KeyVariables,
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Option<KeySet>, KeyError> {
        let text = |variable: &'static str| -> Result<Option<String>, KeyError> {
            match env(variable).map(std::ffi::OsString::into_string) {
                None => Ok(None),
                Some(Ok(text)) if text.trim().is_empty() => Ok(None),
                Some(Ok(text)) => Ok(Some(text)),
                Some(Err(_)) => Err(ConfigError::KeyNotText { variable }.into()),
            }
        };
        let single = text(variables.single)?;
        let list = text(variables.list)?;
        let mut set: Vec<&str> = Vec::new();
        if file.is_some() {
            set.push("--keys-file (SORA_KEYS_FILE)");
        }
        if list.is_some() {
            set.push(variables.list);
        }
        if single.is_some() {
            set.push(variables.single);
        }
        if set.len() > 1 {
            return Err(KeyError::SetTwice {
                first: set[0].to_string(),
                second: set[1].to_string(),
            });
        }
        if let Some(path) = file {
            let text = read_file(path)?;
            return parse::list(&text, KeySource::File(path.to_path_buf())).map(Some);
        }
        if let Some(text) = list {
            return parse::list(&text, KeySource::List(variables.list)).map(Some);
        }
        let Some(text) = single else {
            return Ok(None);
        };
        let secret = ApiKey::new(&text);
        secret.check_header(variables.single)?;
        Ok(Some(KeySet::one(
            secret,
            KeySource::Single(variables.single),
        )))
    }

    /// One key, labelled `key1`.
    pub fn one(secret: ApiKey, source: KeySource) -> KeySet {
        let key = Key {
            label: "key1".to_string(),
            secret,
            weight: 1,
            max_rpm: None,
        };
        KeySet {
            keys: vec![key],
            source,
        }
    }

    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Key> {
        self.keys.iter()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Never true: a set holds at least one key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// The first key: what a provider that can use only one is given.
    pub fn first(&self) -> &Key {
        &self.keys[0]
    }
}

fn read_file(path: &Path) -> Result<String, KeyError> {
    let failed = |reason: Message| KeyError::File {
        path: path.to_path_buf(),
        reason,
    };
    let os = |err: std::io::Error| failed(Message::plain(err));
    let file = std::fs::File::open(path).map_err(os)?;
    let size = file.metadata().map_err(os)?.len();
    if size > MAX_FILE_BYTES {
        return Err(failed(
            Message::new("keys.file_too_large").with("size", indicatif::HumanBytes(size)),
        ));
    }
    std::fs::read_to_string(path).map_err(os)
}

/// Why the keys cannot be used. No message holds a key, or any part of one.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    SetTwice { first: String, second: String },
    Config(#[from] ConfigError),
    File { path: PathBuf, reason: Message },
    Invalid { place: KeySource, problem: Message },
}

impl KeyError {
    /// What is wrong and the fix, in any language (`Display` is its English).
    pub fn message(&self) -> Message {
        match self {
            KeyError::SetTwice { first, second } => Message::new("keys.set_twice")
                .with("first", first)
                .with("second", second),
            KeyError::Config(err) => err.message(),
            KeyError::File { path, reason } => Message::new("keys.file")
                .with("path", crate::ui::printable(path.display()))
                .with_text("reason", reason.clone()),
            KeyError::Invalid { place, problem } => Message::new("keys.invalid")
                .with_text("place", place.message())
                .with_text("problem", problem.clone()),
        }
    }
}

#[cfg(test)]
mod tests;
