//! What a run tells its user at the end: the dry-run plan with its cost estimate, or the
//! summary of a real run, as text for people (and as JSON for machines). Every name and
//! message in the text is `printable`: a file name or provider message cannot drive the
//! terminal or start a line of its own.

mod images;
mod remixes;

use std::fmt::Display;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::engine::ExtraTake;
use crate::i18n::{Message, counted, text};
use crate::plan::{Plan, Tally};
use crate::pricing::{PriceSource, Quote, amount, money};
use crate::provider::{PriceUnit, Prices};
use crate::storyboard::Problem;
use crate::ui::printable;
pub use images::{ImageLine, image_lines};
pub use remixes::{RemixLine, remix_lines};

/// A provider's prices in words: `$0.10 per normal job, $0.50 per pro job, charged per
/// task`. `tiers`: what the two prices are for (`PriceModel::tiers`).
pub fn prices_text(
    prices: &Prices,
    unit: PriceUnit,
    (normal_tier, pro_tier): (&str, &str),
    currency: &str,
) -> String {
    let cost = |cents: u32| money(i64::from(cents), currency);
    let (normal, pro) = (cost(prices.normal_cents), cost(prices.pro_cents));
    let large = prices.pro_large_cents.map_or_else(String::new, |large| {
        text("prices.large", &[("large", &cost(large))])
    });
    let (normal_tier, pro_tier) = (text(normal_tier, &[]), text(pro_tier, &[]));
    let key = match unit {
        PriceUnit::Task => "prices.per_task",
        PriceUnit::Second => "prices.per_second",
    };
    let args: [(&str, &dyn Display); 5] = [
        ("normal", &normal),
        ("pro", &pro),
        ("large", &large),
        ("normal_tier", &normal_tier),
        ("pro_tier", &pro_tier),
    ];
    text(key, &args)
}

/// The dry run's answer. Field names are a public interface (`--json`): add, never rename.
#[derive(Debug, Serialize)]
pub struct PlanReport {
    pub jobs_total: u64,
    pub jobs_new: u64,
    pub jobs_changed: u64,
    pub jobs_done: u64,
    /// Submitted by an earlier run and still at the provider: not priced again.
    pub jobs_in_flight: u64,
    /// Failed at the provider in an earlier run: not submitted again, not priced.
    pub jobs_failed: u64,
    /// An earlier run's create got no answer and the provider cannot list its tasks:
    /// whether it was made and billed is unknown; not submitted again, not priced.
    pub jobs_unknown_outcome: u64,
    pub video_seconds: u64,
    pub estimated_cost_cents: u64,
    pub price_source: PriceSource,
    /// `price_source` in words, for the text.
    #[serde(skip)]
    pub price_source_text: String,
    pub balance_cents: Option<i64>,
    /// Per normal and pro job, or per second of their video: `price_unit` says which.
    pub prices: Prices,
    pub price_unit: PriceUnit,
    /// What the two prices are for, as the text names them (`PriceModel::tiers`).
    #[serde(skip)]
    pub price_tiers: (&'static str, &'static str),
    pub currency: String,
    pub storyboards: Vec<StoryboardLine>,
    /// Storyboards left out because they are invalid (only with --skip-invalid).
    pub invalid_storyboards: Vec<InvalidLine>,
    /// Paid tasks of earlier runs that no storyboard asks for any more: the next run
    /// collects them beside the planned takes, at no cost.
    pub extra_takes: Vec<ExtraTake>,
    /// The reference images on disk the plan's segments use, each once.
    pub reference_images: Vec<ImageLine>,
    /// The segments that remix a take or a video, and what.
    pub remixes: Vec<RemixLine>,
    pub warnings: Vec<Message>,
    /// Why the estimate cannot be trusted, when it cannot (the journal could not be read,
    /// so jobs already paid for may be priced as new); the dry run then exits 2.
    pub estimate_untrusted: Option<Message>,
}

#[derive(Debug, Serialize)]
pub struct StoryboardLine {
    pub path: PathBuf,
    pub jobs_new: u64,
    pub jobs_changed: u64,
    pub jobs_done: u64,
    pub jobs_in_flight: u64,
    pub jobs_failed: u64,
    pub video_seconds: u64,
    pub estimated_cost_cents: u64,
}

#[derive(Debug, Serialize)]
pub struct InvalidLine {
    pub path: PathBuf,
    pub problems: Vec<ProblemLine>,
}

/// A problem for JSON readers: its parts, and the line a person would read.
#[derive(Debug, Serialize)]
pub struct ProblemLine {
    #[serde(flatten)]
    pub problem: Problem,
    pub text: String,
}

impl From<&Problem> for ProblemLine {
    fn from(problem: &Problem) -> Self {
        ProblemLine {
            problem: problem.clone(),
            text: problem.to_string(),
        }
    }
}

impl PlanReport {
    pub fn new(plan: &Plan, quote: &Quote) -> Self {
        let (each, total) = plan.tallies(&quote.prices);
        let storyboards = plan
            .storyboards
            .iter()
            .zip(each)
            .map(|(storyboard, tally)| StoryboardLine {
                path: storyboard.shown.clone(),
                jobs_new: tally.new,
                jobs_changed: tally.changed,
                jobs_done: tally.done,
                jobs_in_flight: tally.in_flight,
                jobs_failed: tally.failed_before,
                video_seconds: tally.video_seconds,
                estimated_cost_cents: tally.cost_cents,
            })
            .collect();
        let mut warnings = quote.warnings.clone();
        if let Some(balance) = quote.balance_cents
            && total.cost_cents as i64 > balance
        {
            let estimate = amount(total.cost_cents as i64, &quote.currency);
            let balance = amount(balance, &quote.currency);
            let warning = Message::new("quote.over_balance")
                .with_text("estimate", estimate)
                .with_text("balance", balance);
            warnings.push(warning);
        }
        PlanReport {
            jobs_total: total.total(),
            jobs_new: total.new,
            jobs_changed: total.changed,
            jobs_done: total.done,
            jobs_in_flight: total.in_flight,
            jobs_failed: total.failed_before,
            jobs_unknown_outcome: total.unknown_outcome,
            video_seconds: total.video_seconds,
            estimated_cost_cents: total.cost_cents,
            price_source: quote.source,
            price_source_text: quote.source_text.clone(),
            balance_cents: quote.balance_cents,
            prices: quote.prices.prices(),
            price_unit: quote.prices.unit(),
            price_tiers: quote.prices.tiers(),
            currency: quote.currency.clone(),
            storyboards,
            invalid_storyboards: plan
                .invalid
                .iter()
                .map(|file| InvalidLine {
                    path: file.shown.clone(),
                    problems: file.problems.iter().map(ProblemLine::from).collect(),
                })
                .collect(),
            extra_takes: Vec::new(),
            reference_images: Vec::new(),
            remixes: remixes::remix_lines(plan),
            warnings,
            estimate_untrusted: None,
        }
    }

    /// Marks the estimate as not to be trusted, and why.
    pub fn untrusted_because(mut self, reason: Option<Message>) -> Self {
        self.estimate_untrusted = reason;
        self
    }

    pub fn with_reference_images(mut self, lines: Vec<ImageLine>) -> Self {
        self.reference_images = lines;
        self
    }

    pub fn with_extra_takes(mut self, extra_takes: Vec<ExtraTake>) -> Self {
        self.extra_takes = extra_takes;
        self
    }

    /// The plan as a table, then prices, balance and warnings.
    pub fn to_text(&self) -> String {
        let cost = |cents: u64| money(cents as i64, &self.currency);
        let total = Tally {
            new: self.jobs_new,
            changed: self.jobs_changed,
            done: self.jobs_done,
            in_flight: self.jobs_in_flight,
            failed_before: self.jobs_failed,
            unknown_outcome: self.jobs_unknown_outcome,
            video_seconds: self.video_seconds,
            cost_cents: self.estimated_cost_cents,
        };
        let total_label = counted("plan.total", self.storyboards.len() as u64, &[]);
        let mut rows: Vec<(String, Tally)> = self
            .storyboards
            .iter()
            .map(|line| {
                let tally = Tally {
                    new: line.jobs_new,
                    changed: line.jobs_changed,
                    done: line.jobs_done,
                    in_flight: line.jobs_in_flight,
                    failed_before: line.jobs_failed,
                    unknown_outcome: 0,
                    video_seconds: line.video_seconds,
                    cost_cents: line.estimated_cost_cents,
                };
                (printable(line.path.display()), tally)
            })
            .collect();
        rows.push((total_label, total));
        let header = COLUMNS.map(|(key, _)| text(key, &[]));
        let mut table = vec![header];
        for (name, tally) in rows {
            table.push([
                name,
                tally.new.to_string(),
                tally.changed.to_string(),
                tally.in_flight.to_string(),
                tally.failed_before.to_string(),
                tally.done.to_string(),
                seconds(tally.video_seconds),
                cost(tally.cost_cents),
            ]);
        }
        let mut out = table_text(&table);
        let prices = prices_text(
            &self.prices,
            self.price_unit,
            self.price_tiers,
            &self.currency,
        );
        out.push_str(&images::images_text(&self.reference_images));
        out.push_str(&remixes::remixes_text(&self.remixes));
        out.push('\n');
        let source = &self.price_source_text;
        line(
            &mut out,
            text("plan.prices", &[("prices", &prices), ("source", source)]),
        );
        if let Some(balance) = self.balance_cents {
            let balance = money(balance, &self.currency);
            line(&mut out, text("plan.balance", &[("balance", &balance)]));
        }
        for warning in &self.warnings {
            line(
                &mut out,
                text("plan.warning", &[("warning", &printable(warning.shown()))]),
            );
        }
        let invalid = self.invalid_storyboards.len() as u64;
        for (key, n) in [
            ("plan.left_out", invalid),
            ("plan.in_flight", self.jobs_in_flight),
            ("plan.failed_before", self.jobs_failed),
            ("plan.unknown_outcome", self.jobs_unknown_outcome),
        ] {
            if n > 0 {
                line(&mut out, counted(key, n, &[]));
            }
        }
        extra_takes_text(&mut out, &self.extra_takes, "extra.to_collect");
        if self.jobs_new + self.jobs_changed == 0 {
            let key = if self.jobs_total == 0 {
                "plan.nothing_asked"
            } else if self.jobs_in_flight + self.jobs_failed + self.jobs_unknown_outcome == 0 {
                "plan.all_done"
            } else {
                "plan.nothing_new"
            };
            line(&mut out, text(key, &[]));
        }
        if let Some(reason) = &self.estimate_untrusted {
            line(
                &mut out,
                text("plan.untrusted", &[("reason", &printable(reason.shown()))]),
            );
        }
        line(&mut out, text("plan.dry_run", &[]));
        out
    }
}

/// The end-of-run summary for people: counts, money, failures and what to do next, in
/// the interface's language.
pub fn summary_text(summary: &crate::engine::Summary) -> String {
    let mut out = String::new();
    let currency = match summary.currency.as_str() {
        "" => "USD",
        currency => currency,
    };
    let took = seconds(summary.wall_seconds.round() as u64);
    let headline = if summary.interrupted {
        "summary.interrupted"
    } else {
        "summary.finished"
    };
    let counts: [(&str, &dyn Display); 4] = [
        ("took", &took),
        ("done", &summary.done),
        ("skipped", &summary.skipped),
        ("failed", &summary.failed),
    ];
    line(&mut out, text(headline, &counts));
    let unknown = match summary.unknown_cost_tasks {
        0 => String::new(),
        tasks => {
            let estimate = money(summary.unknown_cost_estimate_cents as i64, currency);
            counted("summary.unknown_cost", tasks, &[("estimate", &estimate)])
        }
    };
    let billed = money(summary.billed_cents, currency);
    let bytes = indicatif::HumanBytes(summary.bytes_downloaded);
    let biller = if summary.simulated {
        "summary.billed_simulated"
    } else {
        "summary.billed"
    };
    let money_line: [(&str, &dyn Display); 3] = [
        ("billed", &billed),
        ("unknown", &unknown),
        ("bytes", &bytes),
    ];
    line(&mut out, text(biller, &money_line));
    if let Some(reason) = &summary.stopped_because {
        // `stopped_because` is the English of `--json`; the terminal says it in its language.
        let reason = summary
            .stop
            .as_ref()
            .map_or_else(|| reason.clone(), |stop| stop.message().shown());
        line(
            &mut out,
            text("summary.stopped", &[("reason", &printable(&reason))]),
        );
    }
    let unresolved = summary.unresolved.len() as u64;
    let at_provider = summary.left_in_flight.saturating_sub(unresolved);
    if at_provider > 0 {
        line(&mut out, counted("summary.at_provider", at_provider, &[]));
    }
    if unresolved > 0 {
        line(&mut out, counted("summary.unresolved", unresolved, &[]));
    }
    // Those the balance did not pay for have a line of their own.
    let unfit = summary
        .balance_shortfall
        .as_ref()
        .map_or(0, |shortfall| shortfall.jobs.len() as u64);
    let not_started = summary.not_started.saturating_sub(unfit);
    if not_started > 0 {
        line(&mut out, counted("summary.not_submitted", not_started, &[]));
    }
    if let Some(shortfall) = &summary.balance_shortfall {
        shortfall_text(&mut out, shortfall);
    }
    for (reason, count) in &summary.failed_by_reason {
        let reason = crate::engine::Failure::of_label(reason)
            .map_or_else(|| reason.clone(), |failure| failure.message().shown());
        line(
            &mut out,
            counted("summary.reason", *count, &[("reason", &printable(reason))]),
        );
    }
    for job in &summary.unresolved {
        let place = JobPlace::of(&job.storyboard, job.segment, job.version);
        let message = printable(job.message.shown());
        line(
            &mut out,
            text(
                "summary.unresolved_line",
                &place.with(("message", &message)),
            ),
        );
    }
    for failure in &summary.failures {
        let place = JobPlace::of(&failure.storyboard, failure.segment, failure.version);
        let message = printable(failure.message.shown());
        line(
            &mut out,
            text("summary.failed_line", &place.with(("message", &message))),
        );
    }
    skipped_text(&mut out, &summary.skipped_storyboards);
    extra_takes_text(&mut out, &summary.extra_takes, "extra.collected");
    if let Some(file) = &summary.failed_jobs_file {
        line(
            &mut out,
            text("summary.rerun_failed", &[("file", &printable(file))]),
        );
    }
    out
}

/// `text` and a line break, appended to `out`.
fn line(out: &mut String, text: String) {
    out.push_str(&text);
    out.push('\n');
}

/// The dry run's columns: their catalog keys and narrowest widths (the English ones).
const COLUMNS: [(&str, usize); 8] = [
    ("plan.column.storyboard", 0),
    ("plan.column.new", 5),
    ("plan.column.changed", 7),
    ("plan.column.in_flight", 9),
    ("plan.column.failed", 6),
    ("plan.column.done", 5),
    ("plan.column.video", 9),
    ("plan.column.cost", 9),
];

/// Rows of cells as aligned lines: the first column to the left, the others to the
/// right, each as wide as its widest cell in terminal columns (a CJK character takes two).
fn table_text(rows: &[[String; 8]]) -> String {
    let mut widths = COLUMNS.map(|(_, narrowest)| narrowest);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.width());
        }
    }
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(column, (cell, width))| {
                let pad = " ".repeat(width - cell.width());
                match column {
                    0 => format!("{cell}{pad}"),
                    _ => format!("{pad}{cell}"),
                }
            })
            .collect();
        line(&mut out, cells.join("  "));
    }
    out
}

/// A job as the texts name it: its storyboard (printable), segment and version.
struct JobPlace {
    storyboard: String,
    segment: u32,
    version: u32,
}

impl JobPlace {
    fn of(storyboard: &str, segment: u32, version: u32) -> Self {
        JobPlace {
            storyboard: printable(storyboard),
            segment,
            version,
        }
    }

    /// The placeholders `storyboard`, `segment` and `version`, and `more`.
    fn with<'a>(&'a self, more: (&'a str, &'a dyn Display)) -> [(&'a str, &'a dyn Display); 4] {
        [
            ("storyboard", &self.storyboard),
            ("segment", &self.segment),
            ("version", &self.version),
            more,
        ]
    }
}

/// The storyboards `--skip-invalid` left out, each with its first problem.
fn skipped_text(out: &mut String, skipped: &[crate::engine::SkippedStoryboard]) {
    if skipped.is_empty() {
        return;
    }
    line(
        out,
        counted("summary.skipped_files", skipped.len() as u64, &[]),
    );
    for file in skipped {
        let more = match file.problems.len().saturating_sub(1) as u64 {
            0 => String::new(),
            more => counted("summary.more_problems", more, &[]),
        };
        let problem = file.problems.first().map_or_else(
            || printable(&file.path),
            |problem| printable(problem.words(crate::i18n::current())),
        );
        line(
            out,
            text(
                "summary.skipped_line",
                &[("problem", &problem), ("more", &more)],
            ),
        );
    }
}

/// The most jobs that did not fit the balance the text names; JSON lists them all.
const UNFIT_SHOWN: usize = 5;

/// The jobs the balance did not pay for: how many, the balance, the fix, the first few.
fn shortfall_text(out: &mut String, shortfall: &crate::engine::BalanceShortfall) {
    let cost = |cents: i64| money(cents, &shortfall.currency);
    let n = shortfall.jobs.len() as u64;
    let left = shortfall.balance_cents.map_or_else(String::new, |left| {
        text("shortfall.left", &[("left", &cost(left))])
    });
    let needed = cost(shortfall.needed_cents as i64);
    line(
        out,
        counted("shortfall.line", n, &[("left", &left), ("cost", &needed)]),
    );
    for job in shortfall.jobs.iter().take(UNFIT_SHOWN) {
        let place = JobPlace::of(&job.storyboard, job.segment, job.version);
        let price = cost(job.price_cents as i64);
        line(out, text("shortfall.job", &place.with(("price", &price))));
    }
    if shortfall.jobs.len() > UNFIT_SHOWN {
        let more = shortfall.jobs.len() - UNFIT_SHOWN;
        line(out, text("shortfall.more", &[("n", &more)]));
    }
}

/// The extra takes, one line each: paid tasks no storyboard asks for any more. `key`:
/// the catalog's header, `extra.collected` or `extra.to_collect`.
fn extra_takes_text(out: &mut String, takes: &[ExtraTake], key: &str) {
    if takes.is_empty() {
        return;
    }
    line(out, counted(key, takes.len() as u64, &[]));
    for take in takes {
        let status = match extra_status(take.status) {
            Some(words) => text("extra_take.status", &[("status", &words.shown())]),
            None => String::new(),
        };
        let path = printable(&take.path);
        line(
            out,
            text("extra.line", &[("path", &path), ("status", &status)]),
        );
    }
}

/// How collecting an extra take ended, in words (`None`: `to_collect`, said by the header).
fn extra_status(status: &str) -> Option<Message> {
    Some(match status {
        "to_collect" => return None,
        "done" => Message::new("extra_take.done"),
        "failed" => Message::new("extra_take.failed"),
        "left_in_flight" => Message::new("extra_take.left_in_flight"),
        "not_created" => Message::new("extra_take.not_created"),
        other => Message::plain(other.replace('_', " ")),
    })
}

/// `2m 10s`, or `0s` (`2 分钟 10 秒`).
fn seconds(total: u64) -> String {
    crate::i18n::durations::parts(crate::i18n::current(), Duration::from_secs(total))
}

#[cfg(test)]
mod tests;
