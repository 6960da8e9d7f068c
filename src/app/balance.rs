//! `sora-batch balance`: what each configured key's account holds, and the provider's
//! prices where it tells them. Keys are shown by their label, never their text. A key the
//! provider refuses makes the command exit 2, so a script can check its keys before a
//! night's batch.

use std::fmt::Write;

use serde::Serialize;

use super::connect::{Connection, connect};
use super::{AppError, Exit};
use crate::cli::RunArgs;
use crate::i18n::{Message, text};
use crate::pricing::{self, Quote, money};
use crate::provider::{Provider, ProviderError};
use crate::report::prices_text;
use crate::ui::{Stream, emit, printable};
use unicode_width::UnicodeWidthStr;

/// The answer, as `--json` prints it. Field names are a public interface: add, never
/// rename.
#[derive(Debug, Serialize)]
struct BalanceReport {
    provider: &'static str,
    /// English in `--json`; the text answer says it in the interface's language.
    api: Message,
    currency: String,
    keys: Vec<KeyLine>,
    /// The prices runs would use, and where they came from.
    prices: crate::provider::Prices,
    price_unit: crate::provider::PriceUnit,
    price_source: pricing::PriceSource,
    /// The prices line of the text answer, in the interface's language.
    #[serde(skip)]
    price_text: String,
}

#[derive(Debug, Serialize)]
struct KeyLine {
    /// The key's label (never the key).
    label: String,
    /// In cents of `currency` (credits for a provider counting in credits); `None` when
    /// the provider has no balance call or did not answer.
    balance_cents: Option<i64>,
    /// Why the balance is not known: the key was refused, the provider did not answer,
    /// or it has no balance call.
    problem: Option<Message>,
    refused: bool,
    /// The provider has a balance call, and it did not answer for this key.
    #[serde(skip)]
    unanswered: bool,
}

/// Asks every key's account, prints the answers, and exits 2 when a key was refused (1
/// when a balance could not be read for another reason).
pub(super) async fn balance(args: &RunArgs) -> Result<Exit, AppError> {
    let connection = connect(args).await?;
    let capabilities = args.provider.capabilities();
    let keys = keys_of(&connection);
    if keys.is_empty() {
        return Err(AppError::NoKey {
            variable: capabilities.key_variable,
        });
    }
    let mut lines = Vec::new();
    let mut priced: Option<Quote> = None;
    for (label, provider) in keys {
        let quote = pricing::quote(args.price_settings(), capabilities, Some(provider)).await;
        let line = key_line(label, &quote, provider).await;
        if priced.is_none() && !line.refused {
            priced = Some(quote);
        }
        lines.push(line);
    }
    let quote = match priced {
        Some(quote) => quote,
        None => pricing::quote(args.price_settings(), capabilities, None).await,
    };
    let prices = quote.prices.prices();
    let report = BalanceReport {
        provider: args.provider.capabilities().name,
        api: connection.shown_url.clone(),
        price_text: {
            let unit = quote.prices.unit();
            let listed = prices_text(&prices, unit, quote.prices.tiers(), &quote.currency);
            let source = &quote.source_text;
            text("plan.prices", &[("prices", &listed), ("source", source)])
        },
        currency: quote.currency,
        keys: lines,
        prices,
        price_unit: quote.prices.unit(),
        price_source: quote.source,
    };
    let text = match args.json {
        true => format!(
            "{}\n",
            serde_json::to_string_pretty(&report).expect("serializes")
        ),
        false => report.text(),
    };
    emit(Stream::Stdout, &text)?;
    Ok(report.exit())
}

/// The keys of a connection with the provider each speaks through, by label.
fn keys_of(connection: &Connection) -> Vec<(String, &dyn Provider)> {
    connection
        .clients
        .iter()
        .map(|client| (client.label.clone(), &*client.provider))
        .collect()
}

/// One key's line: its balance, or why there is none. A provider without a balance call
/// is asked for its task list instead (if it has one), so a refused key is still found.
async fn key_line(label: String, quote: &Quote, provider: &dyn Provider) -> KeyLine {
    let capabilities = provider.capabilities();
    let mut refused = quote.key_refused.clone();
    let ask_list = refused.is_none() && !capabilities.has_balance && capabilities.lists_tasks;
    if ask_list
        && let Err(err @ (ProviderError::Unauthorized { .. } | ProviderError::ProxyRefused { .. })) =
            provider.recent(1).await
    {
        refused = Some(err.message());
    }
    let problem = match (&refused, quote.balance_cents) {
        (Some(why), _) => Some(why.clone()),
        (None, Some(_)) => None,
        (None, None) if !capabilities.has_balance => {
            Some(Message::new("balance.no_balance_call").with("provider", capabilities.name))
        }
        (None, None) => Some(
            quote
                .warnings
                .iter()
                .find(|warning| warning.key() == "quote.balance_unknown")
                .cloned()
                .unwrap_or_else(|| Message::new("balance.did_not_say")),
        ),
    };
    let balance_cents = quote.balance_cents.filter(|_| refused.is_none());
    KeyLine {
        label,
        balance_cents,
        problem,
        refused: refused.is_some(),
        unanswered: refused.is_none() && capabilities.has_balance && balance_cents.is_none(),
    }
}

impl BalanceReport {
    /// The answer for a person, in the interface's language (the provider's own words
    /// inside a problem stay as it said them).
    fn text(&self) -> String {
        let api = printable(self.api.shown());
        let header = text(
            "balance.header",
            &[("provider", &self.provider), ("api", &api)],
        );
        let mut out = format!("{header}\n");
        let width = self
            .keys
            .iter()
            .map(|key| key.label.width())
            .max()
            .unwrap_or(0);
        for key in &self.keys {
            let said = match (key.balance_cents, &key.problem) {
                (Some(cents), _) => money(cents, &self.currency),
                (None, Some(problem)) => text(
                    "balance.unknown_because",
                    &[("problem", &printable(problem.shown()))],
                ),
                (None, None) => text("balance.unknown", &[]),
            };
            let pad = " ".repeat(width - key.label.width());
            let _ = writeln!(out, "  {}{pad}  {said}", key.label);
        }
        let _ = writeln!(out, "{}", self.price_text);
        out
    }

    fn exit(&self) -> Exit {
        if self.keys.iter().any(|key| key.refused) {
            Exit::Invalid
        } else if self.keys.iter().any(|key| key.unanswered) {
            Exit::SomeFailed
        } else {
            Exit::Success
        }
    }
}
