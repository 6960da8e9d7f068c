//! Which host a draw call goes to. The API is served from two hosts, an overseas one and a
//! domestic (mainland China) one; `--host-mode` picks one of them, or `auto`: the domestic
//! host first and the overseas one when it cannot be reached (PROTOCOLS.md section 4).
//! `--base-url` replaces the first host and `--fallback-url` the second (a `--base-url`
//! without a `--fallback-url` has no second host: the key is never sent to a documented
//! host the user did not point at).
//!
//! The rules of falling over live with the calls (`Draw::send`): a status or credits call
//! is a read, so any call that got no answer may go to the other host; a create goes to
//! a second host only when the first certainly never received it (its connection was
//! refused), since a create received twice is paid twice. The host that answered last is
//! tried first next time.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::i18n::Message;
use url::Url;

/// The overseas host (its root: the API's paths hang from it).
pub const OVERSEAS_URL: &str = "https://grsaiapi.com";
/// The domestic (mainland China) host.
pub const DOMESTIC_URL: &str = "https://grsai.dakka.com.cn";

/// `--host-mode`: which of the API's hosts calls go to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum HostMode {
    /// The domestic host, and the overseas one when it cannot be reached.
    #[default]
    Auto,
    /// The domestic (mainland China) host only.
    Domestic,
    /// The overseas host only.
    Overseas,
}

/// The hosts of one run, in the order they are tried, and the one that answered last.
#[derive(Debug, Clone)]
pub struct Hosts {
    /// One or two roots, without a trailing slash.
    roots: Arc<[String]>,
    preferred: Arc<AtomicUsize>,
}

impl Hosts {
    /// The hosts `mode` names, with `--base-url` (`base`) in place of the first and
    /// `--fallback-url` (`fallback`) in place of the second; why not, when the flags
    /// contradict each other.
    pub fn resolve(
        mode: HostMode,
        base: Option<&Url>,
        fallback: Option<&Url>,
    ) -> Result<Hosts, Message> {
        let documented = |text: &str| Url::parse(text).expect("a documented host parses");
        let first = match (base, mode) {
            (Some(base), _) => base.clone(),
            (None, HostMode::Auto | HostMode::Domestic) => documented(DOMESTIC_URL),
            (None, HostMode::Overseas) => documented(OVERSEAS_URL),
        };
        let second = match (mode, fallback, base) {
            (HostMode::Auto, Some(fallback), _) => Some(fallback.clone()),
            (HostMode::Auto, None, None) => Some(documented(OVERSEAS_URL)),
            (HostMode::Auto, None, Some(_)) => None,
            (_, Some(_), _) => {
                let mode = match mode {
                    HostMode::Domestic => "domestic",
                    _ => "overseas",
                };
                return Err(Message::new("draw.fallback_without_auto").with("mode", mode));
            }
            (_, None, _) => None,
        };
        let roots: Vec<String> = std::iter::once(first)
            .chain(second)
            .map(|url| url.as_str().trim_end_matches('/').to_string())
            .collect();
        Ok(Hosts {
            roots: roots.into(),
            preferred: Arc::default(),
        })
    }

    /// The hosts' roots, the one to try first first.
    pub fn in_order(&self) -> Vec<(usize, &str)> {
        let first = self.preferred.load(Ordering::Relaxed) % self.roots.len();
        (0..self.roots.len())
            .map(|step| (first + step) % self.roots.len())
            .map(|index| (index, self.roots[index].as_str()))
            .collect()
    }

    /// The host at `index` answered: it is tried first from now on.
    pub fn answered(&self, index: usize) {
        self.preferred.store(index, Ordering::Relaxed);
    }

    /// The first host's root (for messages and the run's secrets).
    pub fn first(&self) -> &str {
        &self.roots[0]
    }

    /// Every host, as messages name them: `A` or `A (then B)`.
    pub fn shown(&self) -> String {
        match &self.roots[..] {
            [only] => only.clone(),
            [first, rest @ ..] => format!("{first} (then {})", rest.join(", ")),
            [] => String::new(),
        }
    }

    /// Whether every host is on this machine or a private network.
    pub fn all_local(&self) -> bool {
        self.roots
            .iter()
            .all(|root| Url::parse(root).is_ok_and(|url| crate::download::is_local(&url)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(hosts: &Hosts) -> Vec<&str> {
        hosts.in_order().into_iter().map(|(_, root)| root).collect()
    }

    #[test]
    fn auto_tries_the_domestic_host_then_the_overseas_one_and_the_fixed_modes_one_host() {
        let auto = Hosts::resolve(HostMode::Auto, None, None).unwrap();
        assert_eq!(roots(&auto), [DOMESTIC_URL, OVERSEAS_URL]);
        let domestic = Hosts::resolve(HostMode::Domestic, None, None).unwrap();
        assert_eq!(roots(&domestic), [DOMESTIC_URL]);
        let overseas = Hosts::resolve(HostMode::Overseas, None, None).unwrap();
        assert_eq!(roots(&overseas), [OVERSEAS_URL]);
    }

    #[test]
    fn base_url_replaces_the_first_host_and_only_fallback_url_adds_a_second() {
        let mine = Url::parse("http://127.0.0.1:9/").unwrap();
        let other = Url::parse("http://127.0.0.1:10").unwrap();
        let alone = Hosts::resolve(HostMode::Auto, Some(&mine), None).unwrap();
        assert_eq!(roots(&alone), ["http://127.0.0.1:9"]);
        let both = Hosts::resolve(HostMode::Auto, Some(&mine), Some(&other)).unwrap();
        assert_eq!(roots(&both), ["http://127.0.0.1:9", "http://127.0.0.1:10"]);
        assert!(both.all_local());
        let fixed = Hosts::resolve(HostMode::Overseas, Some(&mine), None).unwrap();
        assert_eq!(roots(&fixed), ["http://127.0.0.1:9"]);
        let refused = Hosts::resolve(HostMode::Domestic, None, Some(&other)).unwrap_err();
        assert!(
            refused.to_string().contains("--host-mode auto"),
            "{refused}"
        );
    }

    #[test]
    fn the_host_that_answered_last_is_tried_first() {
        let auto = Hosts::resolve(HostMode::Auto, None, None).unwrap();
        auto.answered(1);
        assert_eq!(roots(&auto), [OVERSEAS_URL, DOMESTIC_URL]);
        assert_eq!(
            auto.shown(),
            format!("{DOMESTIC_URL} (then {OVERSEAS_URL})")
        );
        auto.answered(0);
        assert_eq!(roots(&auto), [DOMESTIC_URL, OVERSEAS_URL]);
    }
}
