//! The language of what a person reads: Simplified Chinese or English. `--lang zh|en`
//! (`SORA_LANG`) chooses; without it the system locale does (`LC_ALL`, `LC_MESSAGES`,
//! `LANG`, then the OS setting): `zh…` gives Chinese, anything else English. The texts
//! live in catalogs, one file per part of the tool and language
//! (`locales/<part>.en.json`, `locales/<part>.zh-CN.json`), read at compile time;
//! [`text`], [`counted`] and [`Message`] look them up. The log file and every JSON output
//! stay English, so bug reports and scripts never depend on the locale.

use std::borrow::Cow;
use std::fmt::Display;

pub mod durations;
mod message;
#[cfg(test)]
mod tests;

pub use message::Message;

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// English
    En,
    /// 简体中文
    Zh,
}

impl Lang {
    fn locale(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// The catalog's text for `key` in this language (see [`text`]): for what must read
    /// the same whatever the locale, as a log line does (`Lang::En`).
    pub fn text(self, key: &str, args: &[(&str, &dyn Display)]) -> String {
        text_in(self.locale(), key, args)
    }

    /// [`counted`] in this language.
    pub fn counted(self, key: &str, n: u64, args: &[(&str, &dyn Display)]) -> String {
        counted_in(self.locale(), key, n, args)
    }

    /// The language a locale name asks for (`zh_CN.UTF-8` → Chinese, `C` → English).
    pub fn of_locale(name: &str) -> Lang {
        match name.trim().to_ascii_lowercase().starts_with("zh") {
            true => Lang::Zh,
            false => Lang::En,
        }
    }
}

/// The language `flag` names, else the one the environment's locale asks for. `env`
/// reads a variable (tests pass their own); `system` is the OS setting.
pub fn choose(
    flag: Option<Lang>,
    env: impl Fn(&str) -> Option<String>,
    system: impl FnOnce() -> Option<String>,
) -> Lang {
    if let Some(lang) = flag {
        return lang;
    }
    // POSIX order: the first of these that is set and not empty decides.
    let set = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|name| env(name).filter(|value| !value.is_empty()));
    set.or_else(system)
        .map_or(Lang::En, |name| Lang::of_locale(&name))
}

/// Makes `lang` the language of every text from here on.
pub fn set(lang: Lang) {
    rust_i18n::set_locale(lang.locale());
}

/// The language every text is in now.
pub fn current() -> Lang {
    match &*rust_i18n::locale() {
        "zh-CN" => Lang::Zh,
        _ => Lang::En,
    }
}

/// The catalog's text for `key`, its `%{name}` placeholders filled from `args`.
pub fn text(key: &str, args: &[(&str, &dyn Display)]) -> String {
    text_in(&rust_i18n::locale(), key, args)
}

/// [`text`] for a count: the `.one` form of `key` for 1, `.other` for any other count,
/// with `n` among the placeholders.
pub fn counted(key: &str, n: u64, args: &[(&str, &dyn Display)]) -> String {
    counted_in(&rust_i18n::locale(), key, n, args)
}

fn counted_in(locale: &str, key: &str, n: u64, args: &[(&str, &dyn Display)]) -> String {
    let form = if n == 1 { "one" } else { "other" };
    let mut all: Vec<(&str, &dyn Display)> = vec![("n", &n)];
    all.extend_from_slice(args);
    text_in(locale, &format!("{key}.{form}"), &all)
}

/// The text of `key` in `locale`, filled in one pass: a value that itself holds
/// `%{name}` (a file name, a provider's message) is left as it is.
fn text_in(locale: &str, key: &str, args: &[(&str, &dyn Display)]) -> String {
    let template: Cow<'_, str> = rust_i18n::t!(key, locale = locale);
    let mut out = String::with_capacity(template.len());
    let mut rest: &str = &template;
    while let Some(start) = rest.find("%{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let filled = after.split_once('}').and_then(|(name, tail)| {
            let (_, value) = args.iter().find(|(arg, _)| *arg == name)?;
            Some((value.to_string(), tail))
        });
        match filled {
            Some((value, tail)) => {
                out.push_str(&value);
                rest = tail;
            }
            None => {
                out.push_str("%{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
