//! Progress while a batch runs: three indicatif lines on a terminal (jobs with ETA, jobs in
//! flight against the breaker's limit, downloads with bytes and speed), or a plain
//! timestamped line every half minute when stderr is not a terminal (cron, CI). Log lines
//! are printed above the bars, never through them.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing_subscriber::fmt::MakeWriter;

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
    pub in_flight: u64,
    pub limit: u64,
    pub breaker: String,
    pub downloading: u64,
    pub downloaded_bytes: u64,
}

pub struct Bars {
    shown: Option<Shown>,
    plain_every: Option<Duration>,
    last_plain: Instant,
    last_bytes: (Instant, u64),
    speed: f64,
}

struct Shown {
    multi: MultiProgress,
    jobs: ProgressBar,
    flight: ProgressBar,
    downloads: ProgressBar,
}

impl Bars {
    /// Bars on a terminal; plain lines every `plain_every` elsewhere; nothing when quiet.
    pub fn new(total: u64, quiet: bool, plain_every: Duration) -> Self {
        let terminal = std::io::stderr().is_terminal();
        TIMESTAMPS.store(!terminal, Ordering::Relaxed);
        let shown = (terminal && !quiet).then(|| Shown::new(total));
        let plain_every = (!terminal && !quiet).then_some(plain_every);
        Bars {
            shown,
            plain_every,
            last_plain: Instant::now(),
            last_bytes: (Instant::now(), 0),
            speed: 0.0,
        }
    }

    /// Redraws from the engine's counters; call it a few times a second.
    pub fn update(&mut self, now: &Snapshot) {
        self.measure_speed(now.downloaded_bytes);
        let flight = format!(
            "{} in flight · limit {} ({})",
            now.in_flight, now.limit, now.breaker
        );
        let downloads = format!(
            "{} downloading · {} · {}/s",
            now.downloading,
            size(now.downloaded_bytes as f64),
            size(self.speed)
        );
        if let Some(shown) = &self.shown {
            shown.jobs.set_position(now.finished);
            shown.jobs.set_message(match now.failed {
                0 => String::new(),
                n => format!(" · {n} failed"),
            });
            shown.flight.set_message(flight);
            shown.downloads.set_message(downloads);
        } else if let Some(every) = self.plain_every
            && self.last_plain.elapsed() >= every
        {
            self.last_plain = Instant::now();
            tracing::info!(
                "progress: {}/{} finished ({} failed); provider: {flight}; downloads: {downloads}",
                now.finished,
                now.total,
                now.failed
            );
        }
    }

    fn measure_speed(&mut self, bytes: u64) {
        let (then, before) = self.last_bytes;
        let seconds = then.elapsed().as_secs_f64();
        if seconds >= 1.0 {
            let instant = bytes.saturating_sub(before) as f64 / seconds;
            // Smoothed, so the number can be read while it changes.
            self.speed = 0.5 * self.speed + 0.5 * instant;
            self.last_bytes = (Instant::now(), bytes);
        }
    }

    /// Removes the bars (the summary is printed after).
    pub fn finish(&mut self) {
        if let Some(shown) = self.shown.take() {
            *ACTIVE.lock().unwrap_or_else(|p| p.into_inner()) = None;
            for bar in [&shown.jobs, &shown.flight, &shown.downloads] {
                bar.finish_and_clear();
            }
            let _ = shown.multi.clear();
        }
        TIMESTAMPS.store(false, Ordering::Relaxed);
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Shown {
    fn new(total: u64) -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        let jobs = multi.add(ProgressBar::new(total));
        jobs.set_style(
            ProgressStyle::with_template(
                "{prefix:>10} [{bar:30.cyan/blue}] {pos}/{len}{msg} · {elapsed} elapsed · ETA {eta}",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        jobs.set_prefix("jobs");
        let line = |prefix: &'static str| {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{prefix:>10} {msg}").expect("the template is valid"),
            );
            bar.set_prefix(prefix);
            bar
        };
        let flight = line("provider");
        let downloads = line("downloads");
        *ACTIVE.lock().unwrap_or_else(|p| p.into_inner()) = Some(multi.clone());
        Shown {
            multi,
            jobs,
            flight,
            downloads,
        }
    }
}

/// Human-readable byte counts: `512 B`, `3.4 MiB`.
pub fn size(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes.max(0.0);
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} {}", UNITS[0])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
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
mod tests {
    use super::size;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(size(512.0), "512 B");
        assert_eq!(size(3.5 * 1024.0 * 1024.0), "3.5 MiB");
        assert_eq!(size(2.0 * 1024.0 * 1024.0 * 1024.0), "2.0 GiB");
    }
}
