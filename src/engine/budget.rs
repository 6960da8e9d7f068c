//! What a run still submits once the provider has refused a create for lack of money. A
//! balance refusal is not a stop: the refused job "did not fit the balance" (it is not
//! submitted again in this run), and the run goes on in budget mode, where the jobs left go
//! cheapest first and each is submitted only if it costs less than the cheapest job the
//! balance refused so far and, when the provider can say its balance, fits what is left of
//! it. Each refusal lowers the bound, so a run is refused at most once per distinct price
//! (plus the creates already on their way), never in a loop.
//!
//! Prices and the balance are asked once, at the first refusal, the way the dry run asks
//! (`pricing::quote`): flags, else the provider's prices, else the documented ones.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::OnceCell;
use tracing::warn;

use crate::i18n::Message;
use crate::pricing::{self, PriceSettings, amount};
use crate::provider::PriceModel;
use crate::provider::Provider;
use crate::storyboard::Segment;

/// The budget rule, pure: what may still be sent after the balance refused a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Only jobs cheaper than this are sent: the price of the cheapest job refused.
    below: Option<u64>,
    /// The balance the provider reported when budget mode began, less what was sent since;
    /// `None` when the provider cannot say.
    left: Option<i64>,
}

impl Rule {
    pub fn new(balance_cents: Option<i64>) -> Self {
        Rule {
            below: None,
            left: balance_cents,
        }
    }

    /// The balance refused a job of this price.
    pub fn refused(&mut self, price_cents: u64) {
        self.below = Some(
            self.below
                .map_or(price_cents, |below| below.min(price_cents)),
        );
    }

    pub fn fits(&self, price_cents: u64) -> bool {
        self.below.is_none_or(|below| price_cents < below)
            && self
                .left
                .is_none_or(|left| i64::try_from(price_cents).is_ok_and(|price| price <= left))
    }

    /// Counts a job about to be sent against the balance; false if it does not fit.
    pub fn take(&mut self, price_cents: u64) -> bool {
        if !self.fits(price_cents) {
            return false;
        }
        if let Some(left) = &mut self.left {
            *left -= price_cents as i64;
        }
        true
    }

    /// A job taken that made no task after all (its create was refused or failed).
    pub fn give_back(&mut self, price_cents: u64) {
        if let Some(left) = &mut self.left {
            *left += price_cents as i64;
        }
    }

    pub fn left(&self) -> Option<i64> {
        self.left
    }
}

/// What the first balance refusal learnt: the prices, and the rule from then on.
struct Switched {
    prices: PriceModel,
    currency: String,
    rule: Mutex<Rule>,
}

/// The jobs that did not fit, as the summary reports them.
#[derive(Debug, Clone, Default)]
pub struct Shortfall {
    /// What is left of the balance as far as this run knows (`None`: the provider cannot
    /// say).
    pub left_cents: Option<i64>,
    pub currency: String,
}

/// The run's budget, shared by the feeder and every job.
pub(super) struct Budget {
    settings: PriceSettings,
    /// Set at once by the first refusal, so creates wait for the rule instead of going out.
    refused: AtomicBool,
    switched: OnceCell<Switched>,
}

fn locked(rule: &Mutex<Rule>) -> std::sync::MutexGuard<'_, Rule> {
    rule.lock().unwrap_or_else(|poison| poison.into_inner())
}

impl Budget {
    pub fn new(settings: PriceSettings) -> Self {
        Budget {
            settings,
            refused: AtomicBool::new(false),
            switched: OnceCell::new(),
        }
    }

    /// Whether the balance has refused a job: the run is in budget mode.
    pub fn active(&self) -> bool {
        self.refused.load(Ordering::Acquire)
    }

    /// The prices and the balance, asked once at the first refusal.
    async fn switched(&self, provider: &dyn Provider) -> &Switched {
        self.switched
            .get_or_init(|| async {
                let capabilities = provider.capabilities();
                let quote = pricing::quote(self.settings, capabilities, Some(provider)).await;
                for warning in &quote.warnings {
                    warn!(shown = %warning.shown(), "{warning}");
                }
                Switched {
                    prices: quote.prices,
                    currency: quote.currency,
                    rule: Mutex::new(Rule::new(quote.balance_cents)),
                }
            })
            .await
    }

    /// The balance refused `segment`'s create: lowers the bound; its price.
    pub async fn refused(&self, provider: &dyn Provider, segment: &Segment) -> u64 {
        let first = !self.refused.swap(true, Ordering::AcqRel);
        let switched = self.switched(provider).await;
        let price = switched.prices.price_of(segment);
        let mut rule = locked(&switched.rule);
        rule.refused(price);
        if first {
            let cost = |cents: i64| amount(cents, &switched.currency);
            let message = match rule.left() {
                Some(left) => Message::new("budget.refused_within").with_text("left", cost(left)),
                None => Message::new("budget.refused"),
            }
            .with_text("price", cost(price as i64));
            warn!(shown = %message.shown(), "{message}");
        }
        price
    }

    /// The price of a job once in budget mode (before it, prices are not known).
    pub async fn price(&self, provider: &dyn Provider, segment: &Segment) -> Option<u64> {
        if !self.active() {
            return None;
        }
        Some(self.switched(provider).await.prices.price_of(segment))
    }

    /// Whether a job may be sent now, without counting it (the feeder's check).
    pub async fn fits(&self, provider: &dyn Provider, segment: &Segment) -> Result<(), u64> {
        if !self.active() {
            return Ok(());
        }
        let switched = self.switched(provider).await;
        let price = switched.prices.price_of(segment);
        match locked(&switched.rule).fits(price) {
            true => Ok(()),
            false => Err(price),
        }
    }

    /// Counts a job against the budget right before its create: a reservation to keep if
    /// the provider accepts it, else given back when dropped; `Err(price)` when it does
    /// not fit.
    pub async fn reserve(
        &self,
        provider: &dyn Provider,
        segment: &Segment,
    ) -> Result<Reservation<'_>, u64> {
        if !self.active() {
            return Ok(Reservation { taken: None });
        }
        let switched = self.switched(provider).await;
        let price = switched.prices.price_of(segment);
        if locked(&switched.rule).take(price) {
            Ok(Reservation {
                taken: Some((&switched.rule, price)),
            })
        } else {
            Err(price)
        }
    }

    /// Where the budget stands at the end, if the balance refused anything.
    pub fn shortfall(&self) -> Option<Shortfall> {
        let switched = self.switched.get()?;
        Some(Shortfall {
            left_cents: locked(&switched.rule).left(),
            currency: switched.currency.clone(),
        })
    }
}

/// A job's price counted against the balance while its create is out.
pub(super) struct Reservation<'a> {
    taken: Option<(&'a Mutex<Rule>, u64)>,
}

impl Reservation<'_> {
    /// The provider accepted the job: its price stays counted.
    pub fn keep(mut self) {
        self.taken = None;
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if let Some((rule, price)) = self.taken.take() {
            locked(rule).give_back(price);
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::future::BoxFuture;

    use super::*;
    use crate::provider::ProviderError;

    #[test]
    fn before_any_refusal_everything_fits() {
        let rule = Rule::new(None);
        assert!(rule.fits(30));
        assert!(rule.fits(u64::MAX));
    }

    #[test]
    fn a_refused_price_admits_only_cheaper_jobs_and_each_refusal_lowers_the_bound() {
        let mut rule = Rule::new(None);
        rule.refused(30);
        assert!(!rule.fits(30), "the same price is refused again");
        assert!(!rule.fits(31));
        assert!(rule.take(3));
        assert!(
            rule.take(3),
            "without a known balance, only the bound limits"
        );
        rule.refused(3);
        assert!(!rule.fits(3));
        assert!(rule.fits(2));
        rule.refused(30);
        assert!(!rule.fits(3), "a dearer refusal never raises the bound");
    }

    #[test]
    fn a_known_balance_admits_jobs_while_they_fit_what_is_left() {
        let mut rule = Rule::new(Some(10));
        rule.refused(30);
        assert!(rule.take(3));
        assert!(rule.take(3));
        assert!(rule.take(3));
        assert_eq!(rule.left(), Some(1));
        assert!(!rule.take(3), "1 cent left");
        rule.give_back(3);
        assert!(rule.take(3), "a create that made no task frees its price");
        assert!(!Rule::new(Some(2)).fits(3));
        assert!(Rule::new(Some(3)).fits(3), "exactly the balance fits");
        assert!(
            !Rule::new(Some(-5)).fits(0),
            "an overdrawn balance fits nothing"
        );
    }

    #[test]
    fn refusals_are_bounded_by_the_distinct_prices() {
        // However the jobs come, a rule that is refused each time it admits a job is
        // refused at most once per distinct price.
        let prices = [30, 3, 30, 3, 30, 3, 3, 3, 30];
        let mut rule = Rule::new(None);
        let mut refusals = 0;
        for price in prices {
            if rule.take(price) {
                refusals += 1;
                rule.refused(price);
            }
        }
        assert_eq!(refusals, 2);
    }

    /// A provider that only says its balance.
    struct Balance(i64);

    impl Provider for Balance {
        fn name(&self) -> &'static str {
            "balance-only"
        }
        fn capabilities(&self) -> &'static crate::provider::Capabilities {
            &crate::provider::sora_hk::CAPABILITIES
        }
        fn submit<'a>(
            &'a self,
            _: &'a Segment,
        ) -> BoxFuture<'a, Result<crate::provider::Accepted, ProviderError>> {
            unreachable!("the budget never creates")
        }
        fn status<'a>(
            &'a self,
            _: &'a str,
        ) -> BoxFuture<'a, Result<crate::provider::TaskStatus, ProviderError>> {
            unreachable!("the budget never polls")
        }
        fn recent(
            &self,
            _: u32,
        ) -> BoxFuture<'_, Result<crate::provider::RecentPage, ProviderError>> {
            unreachable!("the budget never lists")
        }
        crate::engine::tests::plain_calls!();
        fn let_go(&self, _: &str) -> bool {
            true
        }
        fn balance(&self) -> Option<BoxFuture<'_, Result<i64, ProviderError>>> {
            Some(Box::pin(async { Ok(self.0) }))
        }
    }

    #[tokio::test]
    async fn budget_mode_prices_jobs_the_way_the_dry_run_does_and_reservations_not_kept_come_back()
    {
        let budget = Budget::new(PriceSettings {
            normal_cents: Some(3),
            pro_cents: Some(30),
            pro_large_cents: None,
        });
        let provider = Balance(7);
        let normal = Segment::example("a lake");
        let mut pro = Segment::example("a storm");
        pro.is_pro = true;
        let before = budget
            .reserve(&provider, &pro)
            .await
            .expect("no refusal yet");
        before.keep();
        assert_eq!(budget.price(&provider, &normal).await, None);
        assert_eq!(budget.refused(&provider, &pro).await, 30);
        assert!(budget.active());
        assert_eq!(budget.fits(&provider, &pro).await, Err(30));
        assert_eq!(budget.fits(&provider, &normal).await, Ok(()));
        let first = budget.reserve(&provider, &normal).await.expect("3 of 7");
        first.keep();
        let second = budget.reserve(&provider, &normal).await.expect("3 of 4");
        assert_eq!(
            budget.reserve(&provider, &normal).await.err(),
            Some(3),
            "1 left"
        );
        drop(second);
        assert!(
            budget.reserve(&provider, &normal).await.is_ok(),
            "given back"
        );
        let shortfall = budget.shortfall().expect("in budget mode");
        assert_eq!(shortfall.left_cents, Some(4));
        assert_eq!(shortfall.currency, "USD");
    }
}
