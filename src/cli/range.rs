//! The one way a numeric flag is bounded: [`InRange`], a clap value parser that reads a
//! value and refuses it at parse time unless it lies within `min..=max`, with a message
//! that names the flag and the range (`--poll-interval must be between 10ms and 1h`).
//! Durations ([`duration_in`]), counts ([`count_in`]) and probabilities
//! ([`probability`]) are built from it, so no later arithmetic sees an absurd value.

use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;

use crate::i18n::text;

/// A value parser that accepts only values within `min..=max`.
#[derive(Clone, Copy)]
pub struct InRange<T> {
    min: T,
    max: T,
    parse: fn(&str) -> Option<T>,
    show: fn(&T) -> String,
    /// The catalog key of what is said after the range when a value is refused (e.g. the
    /// unit), if any.
    hint: Option<&'static str>,
}

impl<T> InRange<T> {
    /// A range of any kind of value: `parse` reads one (None: not a value at all), and
    /// `show` writes a bound the way a user would type it.
    pub const fn new(min: T, max: T, parse: fn(&str) -> Option<T>, show: fn(&T) -> String) -> Self {
        InRange {
            min,
            max,
            parse,
            show,
            hint: None,
        }
    }

    /// The same range, whose refusal ends with the catalog's text `hint` (`prices are
    /// whole cents: …`).
    pub fn with_hint(self, hint: &'static str) -> Self {
        InRange {
            hint: Some(hint),
            ..self
        }
    }
}

impl<T: PartialOrd> InRange<T> {
    /// The value of `text`, or the message saying what `name` takes.
    pub fn check(&self, name: &str, typed: &str) -> Result<T, String> {
        // NaN is within no range: both comparisons are false.
        match (self.parse)(typed.trim()) {
            Some(value) if self.min <= value && value <= self.max => Ok(value),
            _ => {
                let refused = text(
                    "cli.out_of_range",
                    &[
                        ("name", &name),
                        ("min", &(self.show)(&self.min)),
                        ("max", &(self.show)(&self.max)),
                        ("got", &crate::ui::escaped(typed, 60)),
                    ],
                );
                Err(match self.hint {
                    Some(hint) => {
                        let hint = text(hint, &[]);
                        text("cli.hinted", &[("message", &refused), ("hint", &hint)])
                    }
                    None => refused,
                })
            }
        }
    }
}

impl<T> TypedValueParser for InRange<T>
where
    T: PartialOrd + Clone + Send + Sync + 'static,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let name = arg.map_or_else(|| text("cli.the_value", &[]), super::origin::setting_name);
        let text = value.to_string_lossy();
        self.check(&name, &text).map_err(|message| {
            clap::Error::raw(ErrorKind::ValueValidation, format!("{message}\n")).with_cmd(cmd)
        })
    }
}

/// A duration written the humantime way (`500ms`, `10s`, `2h 5m`) within `min..=max`.
pub const fn duration_in(min: Duration, max: Duration) -> InRange<Duration> {
    InRange::new(
        min,
        max,
        |text| humantime::parse_duration(text).ok(),
        |bound| crate::i18n::durations::spoken(crate::i18n::current(), *bound),
    )
}

/// A whole or decimal number within `min..=max`.
pub fn count_in<T>(min: T, max: T) -> InRange<T>
where
    T: FromStr + Display,
{
    InRange::new(
        min,
        max,
        |text| text.parse().ok(),
        |bound| bound.to_string(),
    )
}

/// A probability: a number from 0 to 1.
pub fn probability() -> InRange<f64> {
    count_in(0.0, 1.0)
}

/// `n` seconds, `n` minutes… as consts for the ranges.
pub const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
pub const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}
pub const fn hours(n: u64) -> Duration {
    Duration::from_secs(n * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duration_outside_its_range_is_refused_with_the_range() {
        let range = duration_in(secs(1), hours(1));
        assert_eq!(range.check("--x", "90s"), Ok(secs(90)));
        assert_eq!(range.check("--x", "1h"), Ok(hours(1)));
        for bad in ["0s", "500000000000y", "61m", "soon", ""] {
            let err = range.check("--x", bad).unwrap_err();
            assert!(err.starts_with("--x must be between 1s and 1h"), "{err}");
        }
    }

    #[test]
    fn a_count_outside_its_range_and_nan_are_refused() {
        assert_eq!(count_in(1u32, 10).check("--n", "10"), Ok(10));
        assert!(count_in(1u32, 10).check("--n", "0").is_err());
        assert!(count_in(1u32, 10).check("--n", "-1").is_err());
        for bad in ["2", "-0.1", "NaN", "inf"] {
            let err = probability().check("--p", bad).unwrap_err();
            assert!(err.starts_with("--p must be between 0 and 1"), "{err}");
        }
        assert_eq!(probability().check("--p", "0.25"), Ok(0.25));
    }

    #[test]
    fn the_message_shows_hostile_input_escaped() {
        let err = count_in(1u32, 10)
            .check("--n", "\x1b[2J\nerror: x")
            .unwrap_err();
        assert!(!err.contains('\x1b') && !err.contains('\n'), "{err}");
    }
}
