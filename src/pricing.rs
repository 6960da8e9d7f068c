//! What a batch will cost before it runs: the provider's price model (its
//! `Capabilities`), at prices from the flags, from the provider's own answer, or its
//! documented ones, and the balance to compare against. Every job is priced by
//! `PriceModel::price_of`: the dry run, the plan's tally and budget mode alike.

use futures_util::future::BoxFuture;
use serde::Serialize;

use crate::i18n::{Message, text};

use crate::provider::{Capabilities, PriceModel, Prices, Provider, ProviderError};

/// The currency of a provider that prices in whole credits (`Capabilities::currency`).
pub const CREDITS: &str = "credits";

/// Where the prices of an estimate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    /// The price flags (or their environment variables): every price the model has.
    Settings,
    /// The provider's `GET /pricing`.
    Provider,
    /// The provider's documented prices, built in: there is no key to ask with.
    Default,
    /// The documented prices, because the provider did not answer `GET /pricing` (a
    /// warning says why). The same prices as `Default`, and so in JSON.
    #[serde(rename = "default")]
    Unanswered,
    /// Some prices from the settings, the others from the provider or the defaults.
    Mixed,
}

impl PriceSource {
    /// Where the prices came from, in the words of the provider `capabilities` describe.
    pub fn describe(self, capabilities: &Capabilities) -> String {
        let flags = match capabilities.price_model.prices().pro_large_cents {
            Some(_) => "--price-normal/--price-pro/--price-pro-large",
            None => "--price-normal/--price-pro",
        };
        if !capabilities.prices_documented && matches!(self, PriceSource::Default) {
            return text("price_source.assumed", &[("flags", &flags)]);
        }
        match (self, capabilities.live_prices) {
            (PriceSource::Settings, _) => text("price_source.settings", &[("flags", &flags)]),
            (PriceSource::Provider, Some(call)) => {
                text("price_source.provider", &[("call", &call)])
            }
            (PriceSource::Provider, None) => text("price_source.price_list", &[]),
            (PriceSource::Default, Some(_)) => {
                let variable = capabilities.key_variable;
                text("price_source.documented_ask", &[("variable", &variable)])
            }
            (PriceSource::Default, None) => text("price_source.documented", &[]),
            (PriceSource::Unanswered, _) => text("price_source.unanswered", &[]),
            (PriceSource::Mixed, _) => text("price_source.mixed", &[("flags", &flags)]),
        }
    }
}

/// Prices the user set, if any.
#[derive(Debug, Clone, Copy, Default)]
pub struct PriceSettings {
    pub normal_cents: Option<u32>,
    pub pro_cents: Option<u32>,
    /// Pro at the larger sizes; only a model with such a price (`Prices::pro_large_cents`)
    /// uses it.
    pub pro_large_cents: Option<u32>,
}

impl PriceSettings {
    /// `model` at these prices where set, its own (documented) prices elsewhere.
    pub fn applied_to(&self, model: PriceModel) -> PriceModel {
        let base = model.prices();
        model.at(self.applied_to_prices(base))
    }

    /// `base` with these prices where set. A model without a larger sizes' price charges
    /// pro the same at every size, and keeps doing so.
    fn applied_to_prices(&self, base: Prices) -> Prices {
        Prices {
            normal_cents: self.normal_cents.unwrap_or(base.normal_cents),
            pro_cents: self.pro_cents.unwrap_or(base.pro_cents),
            pro_large_cents: base
                .pro_large_cents
                .map(|documented| self.pro_large_cents.unwrap_or(documented)),
        }
    }

    /// Where prices come from when these are set and the provider said `fetched` (when
    /// asked: `asked`), for a model whose prices are `base`.
    fn source(&self, base: Prices, fetched: bool, asked: bool) -> PriceSource {
        let large_set = base.pro_large_cents.is_none() || self.pro_large_cents.is_some();
        let all_set = self.normal_cents.is_some() && self.pro_cents.is_some() && large_set;
        let none_set = self.normal_cents.is_none()
            && self.pro_cents.is_none()
            && self.pro_large_cents.is_none();
        match (all_set, none_set) {
            (true, _) => PriceSource::Settings,
            (false, true) if fetched => PriceSource::Provider,
            (false, true) if asked => PriceSource::Unanswered,
            (false, true) => PriceSource::Default,
            (false, false) => PriceSource::Mixed,
        }
    }
}

/// Everything a cost estimate needs.
#[derive(Debug, Clone)]
pub struct Quote {
    /// The provider's price model, at the prices resolved.
    pub prices: PriceModel,
    pub source: PriceSource,
    /// Where the prices came from, as the plan's text says it.
    pub source_text: String,
    pub currency: String,
    pub balance_cents: Option<i64>,
    /// Provider calls that failed; the estimate falls back and says so.
    pub warnings: Vec<Message>,
    /// The provider refused the API key: a real run would stop at once.
    pub key_refused: Option<Message>,
}

/// Resolves prices in the model `capabilities` declare: settings first, then the provider
/// (when there is a key and it says its prices), then the documented ones. Asks for the
/// balance too when it can. Never fails: a provider that cannot be asked becomes a
/// warning. The dry run prices with it, and so does a run whose balance refused a job
/// (see `engine::budget`).
pub async fn quote(
    settings: PriceSettings,
    capabilities: &Capabilities,
    provider: Option<&dyn Provider>,
) -> Quote {
    let needs_pricing = settings.normal_cents.is_none() || settings.pro_cents.is_none();
    let (pricing, balance) = match provider {
        Some(provider) => {
            let pricing = (needs_pricing && capabilities.live_prices.is_some())
                .then(|| provider.pricing())
                .flatten();
            let balance = capabilities
                .has_balance
                .then(|| provider.balance())
                .flatten();
            tokio::join!(asked(pricing), asked(balance))
        }
        None => (None, None),
    };
    let mut warnings = Vec::new();
    let key_refused = refused_key(&pricing).or_else(|| refused_key(&balance));
    let pricing_asked = pricing.is_some();
    let fetched = match pricing {
        Some(Ok(pricing)) => Some(pricing),
        Some(Err(err)) => {
            warnings.push(Message::new("quote.prices_unknown").with_text("error", err.message()));
            None
        }
        None => None,
    };
    let balance_cents = match balance {
        Some(Ok(cents)) => Some(cents),
        Some(Err(err)) => {
            warnings.push(Message::new("quote.balance_unknown").with_text("error", err.message()));
            None
        }
        None => None,
    };
    let model = capabilities.price_model;
    let base = fetched.as_ref().map_or(model.prices(), |pricing| Prices {
        normal_cents: pricing.normal_cents,
        pro_cents: pricing.pro_cents,
        ..model.prices()
    });
    let source = settings.source(model.prices(), fetched.is_some(), pricing_asked);
    Quote {
        prices: model.at(settings.applied_to_prices(base)),
        source,
        source_text: source.describe(capabilities),
        currency: fetched.map_or_else(
            || capabilities.currency.to_string(),
            |pricing| pricing.currency,
        ),
        balance_cents,
        warnings,
        key_refused,
    }
}

/// A call's answer, when the provider has the call.
async fn asked<T>(
    call: Option<BoxFuture<'_, Result<T, ProviderError>>>,
) -> Option<Result<T, ProviderError>> {
    match call {
        Some(call) => Some(call.await),
        None => None,
    }
}

/// The provider's refusal of the key, if that is how a call ended.
fn refused_key<T>(result: &Option<Result<T, ProviderError>>) -> Option<Message> {
    match result {
        Some(Err(
            err @ (ProviderError::Unauthorized { .. } | ProviderError::ProxyRefused { .. }),
        )) => Some(err.message()),
        _ => None,
    }
}

/// [`amount`] in the interface's language, for text a person reads.
pub fn money(cents: i64, currency: &str) -> String {
    amount(cents, currency).shown()
}

/// `$1.23` for US dollars, `40 credits` (`40 积分`) for credits (whole ones: the "cents"
/// of a provider that counts in credits are its credits), `1.23 EUR` for anything else.
pub fn amount(cents: i64, currency: &str) -> Message {
    if currency == CREDITS {
        return Message::new("money.credits").with("n", cents);
    }
    Message::plain(in_currency(cents, currency))
}

/// `cents` written as money in `currency` is: `$1.23`, `1.23 EUR`.
fn in_currency(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let (whole, rest) = (cents.unsigned_abs() / 100, cents.unsigned_abs() % 100);
    if currency.eq_ignore_ascii_case("USD") {
        format!("{sign}${whole}.{rest:02}")
    } else {
        format!("{sign}{whole}.{rest:02} {currency}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_formats() {
        assert_eq!(money(0, "USD"), "$0.00");
        assert_eq!(money(1234, "usd"), "$12.34");
        assert_eq!(money(-5, "USD"), "-$0.05");
        assert_eq!(money(300, "CNY"), "3.00 CNY");
        assert_eq!(money(300, CREDITS), "300 credits");
    }

    use crate::provider::sora_hk::CAPABILITIES;

    #[tokio::test]
    async fn without_a_provider_settings_then_defaults_apply() {
        let quote = quote(PriceSettings::default(), &CAPABILITIES, None).await;
        assert_eq!(quote.prices, CAPABILITIES.price_model);
        assert_eq!(quote.source, PriceSource::Default);
        assert_eq!(quote.balance_cents, None);
        let settings = PriceSettings {
            normal_cents: Some(5),
            ..PriceSettings::default()
        };
        let quote = super::quote(settings, &CAPABILITIES, None).await;
        assert_eq!(
            quote.prices,
            PriceModel::PerTask(Prices {
                normal_cents: 5,
                pro_cents: 30,
                pro_large_cents: None,
            })
        );
        assert_eq!(quote.source, PriceSource::Mixed);
        let both = PriceSettings {
            normal_cents: Some(5),
            pro_cents: Some(50),
            pro_large_cents: None,
        };
        let quote = super::quote(both, &CAPABILITIES, None).await;
        assert_eq!(quote.source, PriceSource::Settings);
    }

    #[test]
    fn a_larger_sizes_price_applies_only_to_a_model_that_has_one() {
        let large = PriceSettings {
            pro_large_cents: Some(70),
            ..PriceSettings::default()
        };
        let openai = crate::provider::openai::CAPABILITIES.price_model;
        assert_eq!(large.applied_to(openai).prices().pro_large_cents, Some(70));
        assert_eq!(
            PriceSettings::default()
                .applied_to(openai)
                .prices()
                .pro_large_cents,
            Some(50)
        );
        // Sora.hk charges pro the same at every size: no larger sizes' price appears.
        let sora_hk = CAPABILITIES.price_model;
        assert_eq!(large.applied_to(sora_hk), sora_hk);
    }

    #[test]
    fn where_prices_came_from_is_said_in_the_providers_words() {
        assert_eq!(
            PriceSource::Default.describe(&CAPABILITIES),
            "the provider's documented prices; set SORA_API_KEY to ask for current ones"
        );
        assert_eq!(
            PriceSource::Provider.describe(&CAPABILITIES),
            "from the provider's GET /pricing"
        );
        let no_price_call = Capabilities {
            live_prices: None,
            ..CAPABILITIES
        };
        assert_eq!(
            PriceSource::Default.describe(&no_price_call),
            "the provider's documented prices",
            "no key would tell more"
        );
        let draw = &crate::provider::draw::CAPABILITIES;
        assert_eq!(
            PriceSource::Default.describe(draw),
            "assumed prices: the provider publishes none; set --price-normal/--price-pro to your plan's"
        );
        assert_eq!(
            PriceSource::Settings.describe(draw),
            "from --price-normal/--price-pro"
        );
    }
}
