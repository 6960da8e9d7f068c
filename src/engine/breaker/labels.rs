//! How the breaker reads to people: its changes as log lines, its mode in words for the
//! progress display (in the interface's language: [`Mode::words`]).

use crate::i18n::Lang;
use std::fmt;

use super::{Change, FailureClass, Mode, Reason};

impl Change {
    /// Whether the change is bad news (logged as a warning) rather than progress.
    pub fn is_warning(&self) -> bool {
        matches!(
            self.reason,
            Reason::Tripped { .. }
                | Reason::CooldownRestarted { .. }
                | Reason::CeilingLowered { .. }
        )
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (old, new) = (self.old, self.new);
        let trouble = |class| match class {
            FailureClass::RateLimited => "rate limiting",
            FailureClass::Transient => "failing (5xx, timeouts, refused connections)",
        };
        match self.reason {
            Reason::Tripped { class, cooldown } => write!(
                f,
                "provider is {}: in-flight limit {old} → {new} for {}",
                trouble(class),
                humantime::format_duration(cooldown)
            ),
            Reason::CooldownRestarted { class, cooldown } => write!(
                f,
                "provider is still {}: in-flight limit stays {new} for another {}",
                trouble(class),
                humantime::format_duration(cooldown)
            ),
            Reason::Recovered => write!(f, "recovering: in-flight limit {old} → {new}"),
            Reason::ReachedCeiling { ceiling } => write!(
                f,
                "in-flight limit {old} → {new}: holding at the provider's capacity ({ceiling})"
            ),
            Reason::ProbeOpened { .. } => {
                write!(
                    f,
                    "probing for more provider capacity: in-flight limit {old} → {new}"
                )
            }
            Reason::ProbeRefused {
                ceiling,
                next_probe,
            } => write!(
                f,
                "provider still full at {ceiling}: in-flight limit {old} → {new}, next probe in {}",
                humantime::format_duration(next_probe)
            ),
            Reason::ProbeAccepted { ceiling } => {
                write!(
                    f,
                    "provider took one more job: capacity now {ceiling}, limit {new}"
                )
            }
            Reason::CeilingLowered { .. } => write!(
                f,
                "provider rate limited below its learned capacity: in-flight limit {old} → {new}"
            ),
            Reason::Full => write!(f, "in-flight limit {old} → {new}: back to full speed"),
        }
    }
}

/// The breaker's mode in words, for the progress line after "at most N at once".
impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words(Lang::En))
    }
}

impl Mode {
    /// The mode in `lang`'s words: the progress bars speak the interface's language.
    pub fn words(&self, lang: Lang) -> String {
        match *self {
            Mode::Full { .. } => lang.text("mode.full", &[]),
            Mode::SafeMode { cooldown_left, .. } => {
                let left = crate::i18n::durations::short(lang, cooldown_left);
                lang.text("mode.safe", &[("left", &left)])
            }
            Mode::Recovering { target, .. } => lang.text("mode.recovering", &[("target", &target)]),
            Mode::Holding { limit, ceiling } if limit > ceiling => {
                lang.text("mode.probing", &[("ceiling", &ceiling)])
            }
            Mode::Holding { .. } => lang.text("mode.holding", &[]),
        }
    }
}
