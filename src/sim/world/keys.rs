//! The simulator's keys: each `--api-key` is an account of its own, with its own capacity,
//! balance and tasks; which account a request's key belongs to (unless `--revoke` has
//! disabled it), and each key's counters in `/__stats`.

use serde::Serialize;
use tokio::time::Instant;

use super::{Inner, World};

/// What one key did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct KeyStats {
    /// Every API call that carried it (creates, status, lists, balance, prices, content).
    pub calls: u64,
    pub creates: u64,
    pub billed_cents: i64,
    pub rate_limited: u64,
    pub out_of_balance: u64,
    /// Calls refused because it was revoked (`--revoke`).
    pub unauthorized: u64,
    /// The most of its tasks active at one time.
    pub max_active: u64,
}

impl World {
    /// The index of the key a request carries (as `Authorization: Bearer`, or with
    /// `api_key_header` also as `api-key`), unless it is unknown or revoked (counted as
    /// refused). Every call is counted for its key.
    pub fn caller(&self, headers: &axum::http::HeaderMap, api_key_header: bool) -> Option<usize> {
        let header = |name| headers.get(name).and_then(|value| value.to_str().ok());
        let by_bearer = header(axum::http::header::AUTHORIZATION.as_str())
            .and_then(|value| value.strip_prefix("Bearer "))
            .and_then(|key| self.account_of(key));
        let by_header = match (by_bearer, api_key_header) {
            (None, true) => header("api-key").and_then(|key| self.account_of(key)),
            _ => None,
        };
        let now = Instant::now();
        let mut inner = self.lock();
        let Some(account) = by_bearer.or(by_header) else {
            inner.stats.unauthorized += 1;
            return None;
        };
        let revoked = self.revoked(account, now);
        inner.stats.api_key_header_calls += u64::from(by_header.is_some() && !revoked);
        inner.stats.unauthorized += u64::from(revoked);
        let stats = self.key_stats(&mut inner, account);
        stats.calls += 1;
        stats.unauthorized += u64::from(revoked);
        (!revoked).then_some(account)
    }

    /// The index of `key` among the simulator's keys.
    pub fn account_of(&self, key: &str) -> Option<usize> {
        self.settings
            .api_keys
            .iter()
            .position(|known| known.key == key)
    }

    fn revoked(&self, account: usize, now: Instant) -> bool {
        let key = &self.settings.api_keys[account].key;
        self.settings
            .revoke
            .iter()
            .any(|revoked| revoked.key == *key && now >= self.started + revoked.after)
    }

    pub(super) fn key_stats<'a>(&self, inner: &'a mut Inner, account: usize) -> &'a mut KeyStats {
        let key = self.settings.api_keys[account].key.clone();
        inner.stats.by_key.entry(key).or_default()
    }

    /// What key `account` has left, in cents, when it has a balance.
    pub fn balance_cents(&self, account: usize) -> Option<i64> {
        let spent = self.spent_cents(account);
        self.balance_of(account).map(|balance| balance - spent)
    }

    /// What key `account` has spent, in cents.
    pub fn spent_cents(&self, account: usize) -> i64 {
        self.lock().spent_cents.get(account).copied().unwrap_or(0)
    }

    /// Key `account`'s balance: its own, else `--balance`.
    pub(super) fn balance_of(&self, account: usize) -> Option<i64> {
        let key = self.settings.api_keys.get(account);
        key.and_then(|key| key.balance).or(self.settings.balance)
    }

    /// How many tasks key `account` may have active: its own capacity, else `--capacity`.
    pub(super) fn capacity_of(&self, account: usize) -> Option<usize> {
        let key = self.settings.api_keys.get(account);
        key.and_then(|key| key.capacity).or(self.settings.capacity)
    }
}
