//! What a run tells its user at the end: the dry-run plan with its cost estimate, or the
//! summary of a real run, as text for people (and as JSON for machines). Every name and
//! message in the text is `printable`: a file name or provider message cannot drive the
//! terminal or start a line of its own.

mod images;
mod remixes;

use std::fmt::Write;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::engine::ExtraTake;
use crate::plan::{Plan, Tally};
use crate::pricing::{PriceSource, Quote, money};
use crate::provider::{PriceUnit, Prices};
use crate::storyboard::Problem;
use crate::ui::{counted, plural, printable};
pub use images::{ImageLine, image_lines};
pub use remixes::{RemixLine, remix_lines};

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
    pub warnings: Vec<String>,
    /// Why the estimate cannot be trusted, when it cannot (the journal could not be read,
    /// so jobs already paid for may be priced as new); the dry run then exits 2.
    pub estimate_untrusted: Option<String>,
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
            warnings.push(format!(
                "the estimate ({}) exceeds your balance ({}); the run would submit the jobs that fit it, cheapest first, and name the rest",
                money(total.cost_cents as i64, &quote.currency),
                money(balance, &quote.currency)
            ));
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
    pub fn untrusted_because(mut self, reason: Option<String>) -> Self {
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
        let total_label = format!(
            "total ({})",
            counted(self.storyboards.len() as u64, "storyboard")
        );
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
        // Padded by the width a terminal gives each name (CJK characters take two columns).
        let width = rows
            .iter()
            .map(|(name, _)| name.width())
            .max()
            .unwrap_or(0)
            .max("storyboard".len());
        let padded = |name: &str| format!("{name}{}", " ".repeat(width - name.width()));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}  {:>5}  {:>7}  {:>9}  {:>6}  {:>5}  {:>9}  {:>9}",
            padded("storyboard"),
            "new",
            "changed",
            "in flight",
            "failed",
            "done",
            "video",
            "cost"
        );
        for (name, tally) in &rows {
            let _ = writeln!(
                out,
                "{}  {:>5}  {:>7}  {:>9}  {:>6}  {:>5}  {:>9}  {:>9}",
                padded(name),
                tally.new,
                tally.changed,
                tally.in_flight,
                tally.failed_before,
                tally.done,
                seconds(tally.video_seconds),
                cost(tally.cost_cents)
            );
        }
        let (normal, pro) = (self.prices.normal_cents, self.prices.pro_cents);
        let (normal, pro) = (cost(u64::from(normal)), cost(u64::from(pro)));
        let large = self
            .prices
            .pro_large_cents
            .map_or_else(String::new, |large| {
                format!(" ({} larger than 720p)", cost(u64::from(large)))
            });
        let (normal_tier, pro_tier) = self.price_tiers;
        let prices = match self.price_unit {
            PriceUnit::Task => {
                format!("{normal} per {normal_tier}, {pro}{large} per {pro_tier}, charged per task")
            }
            PriceUnit::Second => format!(
                "{normal} per second of normal video, {pro}{large} per second of pro video, charged per second"
            ),
        };
        out.push_str(&images::images_text(&self.reference_images));
        out.push_str(&remixes::remixes_text(&self.remixes));
        let _ = writeln!(out, "\nPrices: {prices} ({}).", self.price_source_text);
        if let Some(balance) = self.balance_cents {
            let _ = writeln!(out, "Balance: {}.", money(balance, &self.currency));
        }
        for warning in &self.warnings {
            let _ = writeln!(out, "warning: {}", printable(warning));
        }
        if !self.invalid_storyboards.is_empty() {
            let _ = writeln!(
                out,
                "Left out: {} (--skip-invalid).",
                counted(self.invalid_storyboards.len() as u64, "invalid storyboard")
            );
        }
        if self.jobs_in_flight > 0 {
            let n = self.jobs_in_flight;
            let _ = writeln!(
                out,
                "{} from an earlier run {} still at the provider: not priced again; the next run collects {}.",
                counted(n, "job"),
                plural(n, "is", "are"),
                plural(n, "it", "them")
            );
        }
        if self.jobs_failed > 0 {
            let _ = writeln!(
                out,
                "{} failed at the provider in an earlier run: not submitted again and not priced (edit the segment, or rerun with --retry-failed).",
                counted(self.jobs_failed, "job")
            );
        }
        if self.jobs_unknown_outcome > 0 {
            let n = self.jobs_unknown_outcome;
            let _ = writeln!(
                out,
                "{} ended an earlier run with a create that had no usable answer, or a stream without a result, which this provider cannot look up: unknown outcome at the provider (billed or not, sora-batch cannot tell); not submitted again and not priced (--resubmit-lost submits {} anyway, which may pay twice).",
                counted(n, "job"),
                plural(n, "it", "them")
            );
        }
        extra_takes_text(&mut out, &self.extra_takes, "the next run collects");
        if self.jobs_new + self.jobs_changed == 0 {
            out.push_str(if self.jobs_total == 0 {
                "Nothing to generate: no storyboard asks for a video.\n"
            } else if self.jobs_in_flight + self.jobs_failed + self.jobs_unknown_outcome == 0 {
                "Nothing to generate: every video is done.\n"
            } else {
                "Nothing new to pay for.\n"
            });
        }
        if let Some(reason) = &self.estimate_untrusted {
            let _ = writeln!(out, "ESTIMATE NOT TRUSTWORTHY: {}", printable(reason));
        }
        out.push_str("Dry run: nothing was submitted.\n");
        out
    }
}

/// The end-of-run summary for people: counts, money, failures and what to do next.
pub fn summary_text(summary: &crate::engine::Summary) -> String {
    let mut out = String::new();
    let currency = match summary.currency.as_str() {
        "" => "USD",
        currency => currency,
    };
    let took = seconds(summary.wall_seconds.round() as u64);
    let _ = writeln!(
        out,
        "{} in {took}: {} done, {} skipped (already done), {} failed.",
        if summary.interrupted {
            "Interrupted"
        } else {
            "Finished"
        },
        summary.done,
        summary.skipped,
        summary.failed
    );
    let unknown = match summary.unknown_cost_tasks {
        0 => String::new(),
        tasks => format!(
            " and {} of unknown cost (about {} at the run's prices)",
            counted(tasks, "task"),
            money(summary.unknown_cost_estimate_cents as i64, currency)
        ),
    };
    let biller = if summary.simulated {
        "Billed by the simulator (simulated money: nothing was spent)"
    } else {
        "Billed by the provider"
    };
    let _ = writeln!(
        out,
        "{biller}: {}{unknown}; downloaded {}.",
        money(summary.billed_cents, currency),
        indicatif::HumanBytes(summary.bytes_downloaded)
    );
    if let Some(reason) = &summary.stopped_because {
        let _ = writeln!(out, "Stopped early: {}.", printable(reason));
    }
    let unresolved = summary.unresolved.len() as u64;
    let at_provider = summary.left_in_flight.saturating_sub(unresolved);
    if at_provider > 0 {
        let _ = writeln!(
            out,
            "{} {} still at the provider: run again to collect {} (nothing is paid twice).",
            counted(at_provider, "job"),
            plural(at_provider, "is", "are"),
            plural(at_provider, "it", "them")
        );
    }
    if unresolved > 0 {
        let _ = writeln!(
            out,
            "{} may be billed with no video to show for it (a create with no usable answer, or a stream without a result), and no one can tell: not submitted again (listed below).",
            counted(unresolved, "job")
        );
    }
    // Those the balance did not pay for have a line of their own.
    let unfit = summary
        .balance_shortfall
        .as_ref()
        .map_or(0, |shortfall| shortfall.jobs.len() as u64);
    let not_started = summary.not_started.saturating_sub(unfit);
    if not_started > 0 {
        let _ = writeln!(out, "{} not submitted.", counted(not_started, "job"));
    }
    if let Some(shortfall) = &summary.balance_shortfall {
        shortfall_text(&mut out, shortfall);
    }
    for (reason, count) in &summary.failed_by_reason {
        let _ = writeln!(out, "  {}: {}", counted(*count, "job"), printable(reason));
    }
    for job in &summary.unresolved {
        let _ = writeln!(
            out,
            "  unresolved: {} segment {} v{}: {}",
            printable(&job.storyboard),
            job.segment,
            job.version,
            printable(&job.message)
        );
    }
    for failure in &summary.failures {
        let _ = writeln!(
            out,
            "  failed: {} segment {} v{}: {}",
            printable(&failure.storyboard),
            failure.segment,
            failure.version,
            printable(&failure.message)
        );
    }
    let skipped_files = summary.skipped_storyboards.len() as u64;
    if skipped_files > 0 {
        let _ = writeln!(
            out,
            "{} skipped (--skip-invalid): none of {} jobs ran; fix {} and run again:",
            counted(skipped_files, "invalid storyboard"),
            crate::ui::plural(skipped_files, "its", "their"),
            crate::ui::plural(skipped_files, "it", "them"),
        );
    }
    for skipped in &summary.skipped_storyboards {
        let more = skipped.problems.len().saturating_sub(1) as u64;
        let _ = writeln!(
            out,
            "  skipped: {}{}",
            skipped
                .problems
                .first()
                .map_or_else(|| printable(&skipped.path), printable),
            match more {
                0 => String::new(),
                more => format!(
                    " (and {more} more {})",
                    crate::ui::plural(more, "problem", "problems")
                ),
            }
        );
    }
    extra_takes_text(&mut out, &summary.extra_takes, "collected");
    if let Some(file) = &summary.failed_jobs_file {
        let _ = writeln!(
            out,
            "Rerun just the failed jobs: sora-batch --retry-failed {}",
            printable(file)
        );
    }
    out
}

/// The most jobs that did not fit the balance the text names; JSON lists them all.
const UNFIT_SHOWN: usize = 5;

/// The jobs the balance did not pay for: how many, the balance, the fix, the first few.
fn shortfall_text(out: &mut String, shortfall: &crate::engine::BalanceShortfall) {
    let cost = |cents: i64| money(cents, &shortfall.currency);
    let n = shortfall.jobs.len() as u64;
    let left = shortfall
        .balance_cents
        .map_or_else(String::new, |left| format!(" ({} left)", cost(left)));
    let _ = writeln!(
        out,
        "{} did not fit the provider's balance{left}; {} {}: top up your account and run again to make {}.",
        counted(n, "job"),
        plural(n, "it costs", "together they cost"),
        cost(shortfall.needed_cents as i64),
        plural(n, "it", "them")
    );
    for job in shortfall.jobs.iter().take(UNFIT_SHOWN) {
        let _ = writeln!(
            out,
            "  did not fit: {} segment {} v{} ({})",
            printable(&job.storyboard),
            job.segment,
            job.version,
            cost(job.price_cents as i64)
        );
    }
    if shortfall.jobs.len() > UNFIT_SHOWN {
        let _ = writeln!(
            out,
            "  … and {} more (the --json summary and --report list them all)",
            shortfall.jobs.len() - UNFIT_SHOWN
        );
    }
}

/// The extra takes, one line each: paid tasks no storyboard asks for any more.
fn extra_takes_text(out: &mut String, takes: &[ExtraTake], verb: &str) {
    if takes.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{} of earlier runs no storyboard asks for any more (a lower gen_count, or a segment edited while it was at the provider); {verb} beside the planned takes:",
        counted(takes.len() as u64, "paid task")
    );
    for take in takes {
        let status = match take.status {
            "to_collect" => String::new(),
            status => format!(" ({})", status.replace('_', " ")),
        };
        let _ = writeln!(out, "  extra take: {}{status}", printable(&take.path));
    }
}

/// `2m 10s`, or `0s`.
fn seconds(total: u64) -> String {
    humantime::format_duration(Duration::from_secs(total)).to_string()
}

#[cfg(test)]
mod tests;
