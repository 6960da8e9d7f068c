//! Progress while a batch runs: three indicatif lines on a terminal (jobs with the ETA,
//! jobs in flight against the breaker's limit in words, downloads with bytes and speed), or
//! a plain timestamped line in the same words every half minute when stderr is not a
//! terminal (cron, CI). Log lines are printed above the bars, never through them; the bars
//! leave the screen when the run ends, however it ends. The bars speak the interface's
//! language (their labels padded by terminal width, CJK characters taking two columns);
//! the plain line is a log line, so English.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing_subscriber::fmt::MakeWriter;
use unicode_width::UnicodeWidthStr;

use crate::i18n::{Lang, durations};

/// The bars while they show; log lines go through it so they land above them.
static ACTIVE: Mutex<Option<MultiProgress>> = Mutex::new(None);
/// Whether log lines carry a timestamp: in plain (non-terminal) progress mode.
pub(super) static TIMESTAMPS: AtomicBool = AtomicBool::new(false);

/// Where a batch stands, as the engine counts it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub total: u64,
    pub finished: u64,
    pub failed: u64,
    /// Jobs in flight, the limit and the breaker's mode, in the interface's words.
    pub provider: String,
    /// The same in English, for the plain line (a log line).
    pub provider_logged: String,
    pub downloading: u64,
    pub downloaded_bytes: u64,
    /// The time until the batch is done; `None` while nothing gives a basis for a number.
    pub eta: Option<Duration>,
}

/// The three lines: bars on a terminal, hidden elsewhere (the downloads bar still
/// measures the speed for the plain line).
pub struct Bars {
    multi: Option<MultiProgress>,
    jobs: ProgressBar,
    provider: ProgressBar,
    downloads: ProgressBar,
    lang: Lang,
    started: Instant,
    plain_every: Option<Duration>,
    last_plain: Instant,
}

impl Bars {
    /// Bars on a terminal; plain lines every `plain_every` elsewhere; nothing when quiet.
    pub fn new(total: u64, quiet: bool, plain_every: Duration) -> Self {
        let terminal = std::io::stderr().is_terminal();
        TIMESTAMPS.store(!terminal, Ordering::Relaxed);
        let multi = (terminal && !quiet)
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4)));
        let lang = crate::i18n::current();
        let line = |len: Option<u64>, label: &str, template: &str| {
            let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden());
            let bar = match &multi {
                Some(multi) => multi.add(bar),
                None => bar,
            };
            let style = ProgressStyle::with_template(template).expect("the template is valid");
            bar.set_style(style.progress_chars("=> "));
            bar.set_prefix(right_aligned(&lang.text(label, &[]), 10));
            bar
        };
        let jobs = line(
            Some(total),
            "progress.label.jobs",
            "{prefix} [{bar:30.cyan/blue}] {pos}/{len} · {msg}",
        );
        let provider = line(None, "progress.label.provider", "{prefix} {msg}");
        let downloads = line(None, "progress.label.downloads", "{prefix} {msg}");
        if let Some(multi) = &multi {
            *ACTIVE.lock().unwrap_or_else(|p| p.into_inner()) = Some(multi.clone());
            super::echo::hold();
        }
        Bars {
            multi,
            jobs,
            provider,
            downloads,
            lang,
            started: Instant::now(),
            plain_every: (!terminal && !quiet).then_some(plain_every),
            last_plain: Instant::now(),
        }
    }

    /// Redraws from the engine's counters; call it a few times a second.
    pub fn update(&mut self, now: &Snapshot) {
        // indicatif's estimator smooths the speed from the positions it is given.
        self.downloads.set_position(now.downloaded_bytes);
        let elapsed = self.started.elapsed();
        let speed = self.downloads.per_sec();
        if self.multi.is_some() {
            self.jobs.set_position(now.finished);
            self.jobs.set_message(jobs_words(self.lang, now, elapsed));
            self.provider.set_message(now.provider.clone());
            self.downloads
                .set_message(downloads_words(self.lang, now, speed));
        } else if let Some(every) = self.plain_every
            && self.last_plain.elapsed() >= every
        {
            self.last_plain = Instant::now();
            let jobs = jobs_words(Lang::En, now, elapsed);
            let downloads = downloads_words(Lang::En, now, speed);
            tracing::info!("{}", plain_line(now, &jobs, &downloads));
        }
    }

    /// Removes the bars (the summary is printed after).
    pub fn finish(&mut self) {
        if self.multi.take().is_some() {
            for bar in [&self.jobs, &self.provider, &self.downloads] {
                bar.finish_and_clear();
            }
            clear();
        }
        TIMESTAMPS.store(false, Ordering::Relaxed);
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Takes the bars off the screen for good, whoever holds them: the run's end, or a
/// process exit that skips it (a second Ctrl+C), which must not leave them behind.
pub fn clear() {
    if let Some(multi) = ACTIVE.lock().unwrap_or_else(|p| p.into_inner()).take() {
        let _ = multi.clear();
        // Nothing draws them again, whatever still updates them.
        multi.set_draw_target(ProgressDrawTarget::hidden());
        super::echo::release();
    }
}

/// `label` with spaces in front to fill `columns` terminal columns (a Chinese character
/// takes two).
fn right_aligned(label: &str, columns: usize) -> String {
    let pad = columns.saturating_sub(label.width());
    format!("{}{label}", " ".repeat(pad))
}

/// After `3/6` on the jobs line: failures, time so far and the ETA.
fn jobs_words(lang: Lang, now: &Snapshot, elapsed: Duration) -> String {
    let failed = (now.failed > 0).then(|| lang.text("progress.failed", &[("n", &now.failed)]));
    // Whole seconds: "1m 30s elapsed", not a rounded "2 minutes".
    let took = durations::parts(lang, elapsed);
    let elapsed = lang.text("progress.elapsed", &[("took", &took)]);
    let eta = match now.eta {
        None => lang.text("progress.eta.estimating", &[]),
        Some(left) if left < Duration::from_secs(1) => lang.text("progress.eta.any_moment", &[]),
        Some(left) => {
            let left = durations::rough(lang, left);
            lang.text("progress.eta.about", &[("left", &left)])
        }
    };
    [failed, Some(elapsed), Some(eta)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The three lines in one, for logs that are not a terminal.
fn plain_line(now: &Snapshot, jobs: &str, downloads: &str) -> String {
    format!(
        "progress: {}/{} jobs · {jobs}; provider: {}; downloads: {downloads}",
        now.finished, now.total, now.provider_logged
    )
}

/// The downloads line: how many, the bytes so far, the speed.
fn downloads_words(lang: Lang, now: &Snapshot, bytes_per_sec: f64) -> String {
    let bytes = HumanBytes(now.downloaded_bytes);
    let speed = HumanBytes(bytes_per_sec as u64);
    let args: [(&str, &dyn std::fmt::Display); 3] = [
        ("n", &now.downloading),
        ("bytes", &bytes),
        ("speed", &speed),
    ];
    lang.text("progress.downloads", &args)
}

/// The tracing writer for stderr: a whole event is written at once, above the bars when
/// they show.
pub struct StderrAboveBars;

impl<'a> MakeWriter<'a> for StderrAboveBars {
    type Writer = LineBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        LineBuffer(Vec::with_capacity(256))
    }
}

pub struct LineBuffer(Vec<u8>);

impl Write for LineBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineBuffer {
    fn drop(&mut self) {
        let write = || {
            let _ = std::io::stderr().lock().write_all(&self.0);
        };
        match ACTIVE.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some(multi) => multi.suspend(write),
            None => write(),
        }
    }
}

#[cfg(test)]
mod tests;
