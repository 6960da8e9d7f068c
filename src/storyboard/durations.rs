//! The video lengths a provider offers, as a parameter of checking: the storyboard format
//! is the same for every provider, but which `duration_seconds` it allows, with and
//! without `is_pro`, and the length of a segment that sets none, are the provider's
//! (declared in its `provider::Capabilities`). Messages name the provider and its values.

use super::spec::or_list;
use crate::i18n::Message;

/// The lengths (seconds) one provider offers, per mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Durations {
    /// The provider, as messages about what it allows name it (e.g. `sora-hk`).
    pub provider: &'static str,
    /// Without `is_pro`.
    pub normal: &'static [u32],
    /// With `"is_pro": true`.
    pub pro: &'static [u32],
    /// The length of a segment that sets none (neither it nor `defaults`).
    pub default: u32,
}

impl Durations {
    /// These lengths in both modes instead (`--durations`), for a gateway that offers
    /// other lengths; a segment that sets none gets the provider's default if still
    /// offered, else the shortest. Messages then name the setting, not the provider: a
    /// value left in `.env` is found where it lives.
    pub fn only(self, lengths: &'static [u32]) -> Durations {
        let default = match lengths.contains(&self.default) {
            true => self.default,
            false => lengths.first().copied().unwrap_or(self.default),
        };
        Durations {
            provider: "--durations (SORA_DURATIONS)",
            normal: lengths,
            pro: lengths,
            default,
        }
    }

    /// Every length offered in either mode, ascending.
    pub fn all(&self) -> Vec<u32> {
        let mut all: Vec<u32> = self.normal.iter().chain(self.pro).copied().collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// Whether either mode offers `seconds`.
    pub fn offers(&self, seconds: u32) -> bool {
        self.normal.contains(&seconds) || self.pro.contains(&seconds)
    }

    /// Offered with `"is_pro": true` only.
    pub fn pro_only(&self) -> Vec<u32> {
        self.all()
            .into_iter()
            .filter(|s| !self.normal.contains(s))
            .collect()
    }

    /// Offered without `is_pro` only.
    pub fn normal_only(&self) -> Vec<u32> {
        self.all()
            .into_iter()
            .filter(|s| !self.pro.contains(s))
            .collect()
    }

    /// Why a length neither mode offers is refused, naming what the provider allows:
    /// `15 is not allowed; sora-hk allows 10 or 15 (25 with is_pro)`.
    pub fn refused(&self, seconds: u32) -> Message {
        Message::new("storyboard.duration.refused")
            .with("seconds", seconds)
            .with_text("allowed", self.allowed())
    }

    /// What the provider allows: `sora-hk allows 10 or 15 (25 with is_pro)`.
    pub fn allowed(&self) -> Message {
        let provider = self.provider;
        let pro_only = self.pro_only();
        if !self.normal_only().is_empty() {
            return Message::new("storyboard.duration.allowed_per_mode")
                .with("provider", provider)
                .with_text("normal", or_list(self.normal))
                .with_text("pro", or_list(self.pro));
        }
        match pro_only.as_slice() {
            [] => Message::new("storyboard.duration.allowed")
                .with("provider", provider)
                .with_text("normal", or_list(self.normal)),
            more => Message::new("storyboard.duration.allowed_more_with_pro")
                .with("provider", provider)
                .with_text("normal", or_list(self.normal))
                .with_text("pro", or_list(more)),
        }
    }

    /// The rule between `duration_seconds` and `is_pro`, broken: why, naming what the
    /// mode allows. `origin` says where the length came from (see `super::origin`).
    pub(super) fn mode_problem(
        &self,
        seconds: u32,
        is_pro: bool,
        origin: Message,
    ) -> Option<Message> {
        let (offered, other) = match is_pro {
            true => (self.pro, self.normal),
            false => (self.normal, self.pro),
        };
        if offered.contains(&seconds) || !other.contains(&seconds) {
            return None;
        }
        let message = match is_pro {
            false => Message::new("storyboard.duration.needs_pro")
                .with_text("list", or_list(self.normal)),
            true => Message::new("storyboard.duration.not_with_pro")
                .with_text("list", or_list(self.pro)),
        };
        Some(message.with("seconds", seconds).with_text("origin", origin))
    }
}
