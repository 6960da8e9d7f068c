//! How the breaker reads to people: its changes as log lines, its mode in words for the
//! progress display (in the interface's language: [`Mode::words`]).

use crate::i18n::{Lang, Message};
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

crate::display_from_message!(Change);

impl Change {
    /// The change in any language (`Display` is its English).
    pub fn message(&self) -> Message {
        let trouble = |class| match class {
            FailureClass::RateLimited => Message::new("breaker.rate_limiting"),
            FailureClass::Transient => Message::new("breaker.failing"),
        };
        let message = match self.reason {
            Reason::Tripped { class, cooldown } => Message::new("breaker.tripped")
                .with_text("trouble", trouble(class))
                .with_duration("cooldown", cooldown),
            Reason::CooldownRestarted { class, cooldown } => {
                Message::new("breaker.cooldown_restarted")
                    .with_text("trouble", trouble(class))
                    .with_duration("cooldown", cooldown)
            }
            Reason::Recovered => Message::new("breaker.recovered"),
            Reason::ReachedCeiling { ceiling } => {
                Message::new("breaker.reached_ceiling").with("ceiling", ceiling)
            }
            Reason::ProbeOpened { .. } => Message::new("breaker.probe_opened"),
            Reason::ProbeRefused {
                ceiling,
                next_probe,
            } => Message::new("breaker.probe_refused")
                .with("ceiling", ceiling)
                .with_duration("next", next_probe),
            Reason::ProbeAccepted { ceiling } => {
                Message::new("breaker.probe_accepted").with("ceiling", ceiling)
            }
            Reason::CeilingLowered { .. } => Message::new("breaker.ceiling_lowered"),
            Reason::Full => Message::new("breaker.full"),
        };
        message.with("old", self.old).with("new", self.new)
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
