//! What the provider says, made safe to keep and print. Every piece of provider text
//! passes through here where it enters the program (in the dialect), so no later path
//! (log, summary, report, journal, sidecar) can write what it should not:
//! - [`Redactor`] replaces every configured secret (the API key, passwords in the base URL
//!   and the proxy variables) with `[redacted]`: some APIs echo the `Authorization`
//!   header in their error bodies.
//! - [`shown`] escapes control characters (an ESC from the provider must not drive the
//!   user's terminal) and bounds the length.
//! - [`task_id`] admits only ids that can be stored, printed and sent as one URL path
//!   segment ([`path_segment`]), so an id like `../x` cannot walk the API's paths.
//! - [`Cost`] takes a reported cost only within a sane range.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use serde_json::Value;
use url::Url;

use super::flexible_number;
use crate::config::ApiKey;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";
/// The longest provider message kept, in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;
/// The longest task id accepted, in characters.
pub const MAX_ID_CHARS: usize = 256;
/// The longest video link accepted, in characters: signed CDN links run to a few
/// thousand; a link is kept and printed as it is (less its query), so a longer one would
/// be copied whole into the journal, the sidecar and every message about it.
pub const MAX_LINK_CHARS: usize = 8 * 1024;
/// The most one task may plausibly cost, in cents ($1,000, far above any provider's
/// price): a larger reported cost is a provider bug, not a bill.
pub const MAX_TASK_CENTS: i64 = 100_000;

/// About the most characters of an answer kept in a file: real status answers are well
/// under 2,000, and a provider that sends a megabyte gets an excerpt, not a copy in every
/// sidecar.
pub const MAX_KEPT_CHARS: usize = 16 * 1024;
/// The longest string value kept whole in such an excerpt.
const MAX_KEPT_STRING_CHARS: usize = 4 * 1024;
/// What stands in for the items and fields an excerpt leaves out.
pub const CUT_MARK: &str = "…";

/// The proxy variables reqwest reads, whose passwords must never be printed.
const PROXY_VARS: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// The forms a URL's password travels in: percent-encoded in the URL, plain in whatever
/// a server echoes, and inside the Basic credentials `user:password` (base64) that HTTP
/// proxies and servers receive. None without a password.
fn credential_forms(url: &Url) -> Vec<String> {
    let Some(encoded) = url.password() else {
        return Vec::new();
    };
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .into_owned()
    };
    let plain = decode(encoded);
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{plain}", decode(url.username())));
    vec![encoded.to_string(), plain, basic]
}

/// The secrets of one run, to be cut out of everything the provider says.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is replaced whole.
    secrets: Arc<[String]>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

/// Secrets shorter than this are not looked for: a two-letter proxy password would turn
/// every message into `[redacted]` soup, and is no secret anyone could keep anyway.
pub const SHORTEST_SECRET_CHARS: usize = 4;

/// Secrets at least this long are key-like: an id holding one is refused.
pub const KEY_LIKE_CHARS: usize = 12;

/// Answer fields whose text is used as it is: compared (prompt, times, shapes), sent back
/// (ids), or read as a state. Redacting inside them would break the tool (a proxy password
/// `task` would turn `task_id` into `[redacted]_id`); they are never printed as they come
/// (an id holding a secret is refused instead, see [`Redactor::task_id`]). What is kept in
/// files is redacted whole ([`Redactor::json_to_keep`]).
const FIELDS_USED_AS_THEY_ARE: &[&str] = &[
    "task_id",
    "id",
    "status",
    "prompt",
    "created_at",
    "completed_at",
    "resolution",
    "image_url",
    "video_url",
];

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets
            .into_iter()
            .filter(|s| s.chars().count() >= SHORTEST_SECRET_CHARS)
            .collect();
        secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        secrets.dedup();
        Redactor {
            secrets: secrets.into(),
        }
    }

    /// The secrets a run is configured with: the API keys, the password of the base URL
    /// (if it has one) and those of the proxy variables (`PROXY_PASS` among them), in
    /// every form they travel in (see [`credential_forms`]).
    pub fn for_run<'a>(keys: impl IntoIterator<Item = &'a ApiKey>, base_url: &Url) -> Self {
        Self::from_sources(keys, base_url, |name| std::env::var(name).ok())
    }

    fn from_sources<'a>(
        keys: impl IntoIterator<Item = &'a ApiKey>,
        base_url: &Url,
        env: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let proxies = PROXY_VARS
            .iter()
            .filter_map(|name| env(name))
            .filter_map(|value| {
                // reqwest takes `host:port` as `http://host:port`.
                let value = if value.contains("://") {
                    value
                } else {
                    format!("http://{value}")
                };
                Url::parse(&value).ok()
            });
        // `PROXY_HOST`… as the URL they make (a bad setting is refused before any call).
        let proxy_vars = super::proxy::from_vars(&env).ok().flatten();
        let passwords = std::iter::once(base_url.clone())
            .chain(proxies)
            .chain(proxy_vars)
            .flat_map(|url| credential_forms(&url));
        let keys = keys.into_iter().map(|key| key.expose().to_string());
        Redactor::new(keys.chain(passwords))
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_string();
        for secret in self.secrets.iter() {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), REDACTED);
            }
        }
        text
    }

    /// A JSON answer as the dialect reads it: every string value redacted but those of the
    /// fields it uses as they are (ids, prompts, times, states); field names untouched.
    pub fn json(&self, value: Value) -> Value {
        self.json_except(value, Some(FIELDS_USED_AS_THEY_ARE))
    }

    /// A JSON answer to keep in a file (the sidecar's `provider_status`): every string in
    /// it, field names too, redacted, and the whole cut to about [`MAX_KEPT_CHARS`] (see
    /// [`excerpt_of`]).
    pub fn json_to_keep(&self, value: Value) -> Value {
        let mut budget = MAX_KEPT_CHARS;
        excerpt_of(self.json_except(value, None), &mut budget)
    }

    /// `kept`: the fields whose values, and every field's name, stay as they are (`None`:
    /// nothing stays).
    fn json_except(&self, value: Value, kept: Option<&[&str]>) -> Value {
        match value {
            Value::String(text) => Value::String(self.redact(&text)),
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|v| self.json_except(v, kept))
                    .collect(),
            ),
            Value::Object(fields) => Value::Object(
                fields
                    .into_iter()
                    .map(|(name, v)| match kept {
                        Some(kept) if kept.contains(&name.as_str()) => (name, v),
                        Some(_) => {
                            let v = self.json_except(v, kept);
                            (name, v)
                        }
                        None => (self.redact(&name), self.json_except(v, None)),
                    })
                    .collect(),
            ),
            other => other,
        }
    }

    /// A task id from the provider, if sora-batch can store, print and ask about it (see
    /// [`task_id`]) and it holds no key-like secret; else why not. Only secrets of
    /// [`KEY_LIKE_CHARS`] or more count: one that long is in an id only by an echo, while
    /// a short proxy password (`task`) can be in every id by chance, and refusing those
    /// would stop every job.
    pub fn task_id(&self, raw: &str) -> Result<String, String> {
        let id = task_id(raw)?;
        if self.holds_key(&id) {
            return Err("it contains a configured secret".to_string());
        }
        Ok(id)
    }

    /// Whether `text` holds a key-like secret (see [`Redactor::task_id`]): text used as it
    /// is (an id, a video link) that does is refused rather than stored or printed.
    pub fn holds_key(&self, text: &str) -> bool {
        self.secrets
            .iter()
            .filter(|secret| secret.chars().count() >= KEY_LIKE_CHARS)
            .any(|secret| text.contains(secret.as_str()))
    }

    /// A provider message, ready to keep and print: redacted, then [`shown`].
    pub fn message(&self, text: &str) -> String {
        escaped(&self.redact(text), MAX_MESSAGE_CHARS)
    }

    /// A short extract of an answer body (see [`super::body_excerpt`]), redacted before
    /// it is cut, so no part of a secret survives at the cut.
    pub fn excerpt(&self, body: &[u8]) -> String {
        super::body_excerpt(self.redact(&String::from_utf8_lossy(body)).as_bytes())
    }

    /// A transport error and its causes on one line, without the URL reqwest adds (it may
    /// carry a password or a task id), redacted and [`shown`].
    pub fn error_chain(&self, err: &reqwest::Error) -> String {
        let mut text = err.to_string();
        if let Some(url) = err.url() {
            text = text.replace(&format!(" for url ({url})"), "");
        }
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        self.message(&text)
    }
}

use crate::ui::{bounded, escaped, is_unprintable};

/// `value` within a `budget` of about that many characters of JSON text: long strings are
/// cut (ending in `…`), and once the budget is spent the remaining items and fields are
/// left out, a [`CUT_MARK`] item or field saying so. Small answers come out unchanged.
pub fn excerpt_of(value: Value, budget: &mut usize) -> Value {
    match value {
        Value::String(text) => {
            let keep = MAX_KEPT_STRING_CHARS.min(budget.saturating_sub(2)).max(1);
            let text = bounded(&text, keep);
            *budget = budget.saturating_sub(text.len() + 2);
            Value::String(text)
        }
        Value::Array(items) => {
            let mut kept = Vec::new();
            for item in items {
                if *budget == 0 {
                    kept.push(Value::String(CUT_MARK.to_string()));
                    break;
                }
                kept.push(excerpt_of(item, budget));
            }
            Value::Array(kept)
        }
        Value::Object(fields) => {
            let mut kept = serde_json::Map::new();
            for (name, item) in fields {
                if *budget <= name.len() + 4 {
                    kept.insert(CUT_MARK.to_string(), Value::String(CUT_MARK.to_string()));
                    break;
                }
                *budget -= name.len() + 4;
                kept.insert(name, excerpt_of(item, budget));
            }
            Value::Object(kept)
        }
        other => {
            *budget = budget.saturating_sub(other.to_string().len());
            other
        }
    }
}

/// A task id from the provider, if sora-batch can store, print and ask about it; else
/// why not.
pub fn task_id(raw: &str) -> Result<String, String> {
    let length = raw.chars().count();
    if raw.is_empty() {
        Err("it is empty".to_string())
    } else if length > MAX_ID_CHARS {
        Err(format!(
            "it is {length} characters long (at most {MAX_ID_CHARS} are accepted)"
        ))
    } else if raw == "." || raw == ".." {
        Err("it names a folder, not a task".to_string())
    } else if raw.chars().any(is_unprintable) {
        Err("it contains control characters".to_string())
    } else {
        Ok(raw.to_string())
    }
}

/// A checked task id as one URL path segment: `/`, `?`, `#`, `%` and the like are
/// percent-encoded, so the id cannot leave the path it is put in.
pub fn path_segment(id: &str) -> String {
    let mut url = Url::parse("http://segment/").expect("a constant URL parses");
    url.path_segments_mut()
        .expect("an http URL has a path")
        .push(id);
    url.path().trim_start_matches('/').to_string()
}

/// What the provider says one task costs.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Cost {
    /// A plausible cost, in cents (0 to [`MAX_TASK_CENTS`]).
    Cents(i64),
    /// The provider did not say.
    #[default]
    Unstated,
    /// The provider said something no task costs (negative, huge, not a number), as it
    /// said it (made [`shown`]): never added up.
    Implausible(String),
}

impl Cost {
    /// Reads a `cost` field: a number of cents as a number or as text.
    pub fn from_provider(value: &Value) -> Cost {
        match value {
            Value::Null => return Cost::Unstated,
            Value::String(text) if text.trim().is_empty() => return Cost::Unstated,
            _ => {}
        }
        match flexible_number(value) {
            Some(cents) if (0.0..=MAX_TASK_CENTS as f64).contains(&cents) => {
                Cost::Cents(cents.round() as i64)
            }
            _ => Cost::Implausible(escaped(&value.to_string(), 40)),
        }
    }

    /// The cost in cents, when it is known.
    pub fn cents(&self) -> Option<i64> {
        match self {
            Cost::Cents(cents) => Some(*cents),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
