//! What the steps of a job's life share: the task a job owns at the provider, and the
//! small helpers every step uses. Its own module so the steps (`job` → `reconcile`,
//! `wait`, `fetch`) depend on it in a line, never on each other in a circle.

use std::time::Duration;

use tokio::time::Instant;

use super::gate::Permit;
use super::outcome::JobOutcome;
use super::{Context, unix_ms};

/// A task at the provider that this job owns.
pub(super) struct Owned {
    pub task_id: String,
    /// The index of the API key that made it: its status calls and download use that key.
    pub key: usize,
    pub cost_cents: Option<i64>,
    /// When it was submitted (unix ms), for the poll schedule and the sidecar.
    pub submitted_ms: u64,
    /// Held from submission until the provider says the task has finished.
    pub permit: Option<Permit>,
}

/// How a job that the run stopped before it began ends.
pub(super) fn not_started(ctx: &Context) -> JobOutcome {
    JobOutcome::NotStarted(
        ctx.stop_reason()
            .map_or_else(|| "stopped".to_string(), |r| r.short()),
    )
}

/// Durations in messages, to the millisecond at most.
pub(super) fn round(duration: Duration) -> Duration {
    Duration::from_millis(duration.as_millis() as u64)
}

/// How long ago a unix-ms moment was, as a tokio instant (for the poll schedule).
pub(super) fn instant_of(at_ms: u64) -> Instant {
    let ago = Duration::from_millis(unix_ms().saturating_sub(at_ms));
    Instant::now().checked_sub(ago).unwrap_or_else(Instant::now)
}
