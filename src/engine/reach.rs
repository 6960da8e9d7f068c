//! Whether the provider can be reached: since when its API calls have gone unanswered,
//! and the watch that stops the run when that has lasted `--give-up-after` (connections
//! refused, names that do not resolve, every answer a server error or a timeout).
//! Without it a dead provider keeps a run retrying for days. Only failures start the
//! clock: a run busy downloading makes no API calls for a while, and that is no outage.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use futures_util::future::BoxFuture;
use tokio::time::Instant;

use super::wrap::Around;
use crate::i18n::Message;
use crate::provider::ProviderError;

/// A moment on both clocks: tokio's for the timing, the wall clock for the message.
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    at: Instant,
    wall: SystemTime,
}

impl Moment {
    pub fn now() -> Self {
        Moment {
            at: Instant::now(),
            wall: SystemTime::now(),
        }
    }
}

/// What the user is told about the provider's reach.
#[derive(Debug, PartialEq)]
pub enum News {
    /// Calls go unanswered, and why.
    Outage(Message),
    /// Answers again after an outage the user was told of.
    Back,
}

/// Since when calls have gone unanswered, and whether the user has been told.
#[derive(Default)]
struct Outage {
    /// `None`: the latest call was answered.
    since: Option<Moment>,
    /// Calls unanswered in a row.
    calls: u32,
    told: bool,
}

/// Since when calls have gone unanswered (`None`: the latest one was answered).
pub struct Reach {
    outage: Mutex<Outage>,
    limit: Duration,
}

/// Unanswered calls in a row after which a server error or timeout is said at once (one
/// alone is the noise of any busy API; a refused connection is said at the first).
const TELL_AFTER_CALLS: u32 = 3;

impl Reach {
    pub fn new(limit: Duration) -> Self {
        Reach {
            outage: Mutex::default(),
            limit,
        }
    }

    fn outage(&self) -> std::sync::MutexGuard<'_, Outage> {
        self.outage
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Notes the outcome of a call that started at `started`: anything the provider
    /// meant to say proves it is there; a failure starts the clock if it is not running.
    /// Returns what to tell the user now, once per outage: its cause, so a mistyped host
    /// or a dead server is named at once, not after `--give-up-after`.
    pub fn note<T>(&self, started: Moment, result: &Result<T, ProviderError>) -> Option<News> {
        let error = match result {
            Err(error) if !is_answer(error) => error,
            _ => {
                let was_told = std::mem::take(&mut *self.outage()).told;
                return was_told.then_some(News::Back);
            }
        };
        let mut outage = self.outage();
        outage.since.get_or_insert(started);
        outage.calls += 1;
        let unreachable = matches!(error, ProviderError::Unreachable { .. });
        if outage.told || (!unreachable && outage.calls < TELL_AFTER_CALLS) {
            return None;
        }
        outage.told = true;
        Some(News::Outage(
            Message::new("reach.outage")
                .with_text("error", error.message())
                .with_duration("limit", self.limit),
        ))
    }

    fn failing_since(&self) -> Option<Moment> {
        self.outage().since
    }

    /// Resolves once calls have gone unanswered for the limit, with since when.
    pub async fn lost(&self) -> SystemTime {
        loop {
            let Some(since) = self.failing_since() else {
                // A failure noted meanwhile started no earlier than now: looking again
                // one limit later is soon enough.
                tokio::time::sleep(self.limit).await;
                continue;
            };
            match since.at.checked_add(self.limit) {
                Some(due) if Instant::now() < due => tokio::time::sleep_until(due).await,
                // A limit too far away to add is never reached.
                None => std::future::pending::<()>().await,
                Some(_) => return since.wall,
            }
        }
    }

    /// What a run that gives up says, and its summary repeats.
    pub fn message(&self, since: SystemTime) -> Message {
        Message::new("reach.gave_up")
            .with("since", humantime::format_rfc3339_seconds(since))
            .with_duration("limit", self.limit)
    }
}

/// A rate limit, a refusal or "no such task" is the provider speaking; a server error, a
/// timeout, a refused connection or a lost create answer is not.
fn is_answer(error: &ProviderError) -> bool {
    !matches!(
        error,
        ProviderError::Transient { .. }
            | ProviderError::Ambiguous { .. }
            | ProviderError::Unreachable { .. }
    )
}

/// Every call's outcome is noted, and an outage or its end said.
impl Around for std::sync::Arc<Reach> {
    fn around<'a, T: Send + 'a>(
        &'a self,
        call: BoxFuture<'a, Result<T, ProviderError>>,
    ) -> BoxFuture<'a, Result<T, ProviderError>> {
        Box::pin(async move {
            // From the first poll, not from when the call was built: a call that queued
            // for its key's rate was not yet waiting on the provider.
            let started = Moment::now();
            let result = call.await;
            match self.note(started, &result) {
                Some(News::Outage(cause)) => tracing::warn!(shown = %cause.shown(), "{cause}"),
                Some(News::Back) => {
                    let back = Message::new("reach.back");
                    tracing::info!(shown = %back.shown(), "{back}");
                }
                None => {}
            }
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed() -> Result<(), ProviderError> {
        Err(ProviderError::Unreachable {
            message: "connection refused".to_string(),
        })
    }

    #[test]
    fn an_outage_is_named_once_at_once_for_refusals_and_after_three_server_errors() {
        let reach = Reach::new(Duration::from_secs(900));
        let outage = |news: Option<News>| matches!(news, Some(News::Outage(cause)) if cause.to_string().contains("connection refused") || cause.to_string().contains("HTTP 502"));
        assert!(outage(reach.note(Moment::now(), &failed())));
        assert_eq!(reach.note(Moment::now(), &failed()), None, "said once");
        assert_eq!(reach.note(Moment::now(), &Ok(())), Some(News::Back));
        assert_eq!(reach.note(Moment::now(), &Ok(())), None);
        let server_error: Result<(), ProviderError> = Err(ProviderError::Transient {
            message: "HTTP 502".to_string(),
            request_id: None,
        });
        assert_eq!(reach.note(Moment::now(), &server_error), None);
        assert_eq!(reach.note(Moment::now(), &server_error), None);
        assert!(outage(reach.note(Moment::now(), &server_error)));
    }

    #[tokio::test(start_paused = true)]
    async fn calls_unanswered_for_the_limit_give_the_provider_up_since_the_first_of_them() {
        let reach = Reach::new(Duration::from_secs(900));
        tokio::time::sleep(Duration::from_secs(600)).await;
        let first = Moment::now();
        // A call that hangs until its deadline counts from when it was sent.
        tokio::time::sleep(Duration::from_secs(60)).await;
        reach.note(first, &failed());
        reach.note::<()>(
            Moment::now(),
            &Err(ProviderError::Ambiguous {
                message: "reset".to_string(),
                retry_after: None,
            }),
        );
        let since = reach.lost().await;
        assert_eq!(Instant::now() - first.at, Duration::from_secs(900));
        assert_eq!(since, first.wall);
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_stops_the_clock_and_quiet_is_no_outage() {
        let reach = Reach::new(Duration::from_secs(900));
        reach.note(Moment::now(), &failed());
        tokio::time::sleep(Duration::from_secs(600)).await;
        // A rate limit is the provider speaking, as much as a success is.
        reach.note::<()>(
            Moment::now(),
            &Err(ProviderError::RateLimited {
                retry_after: None,
                request_id: None,
            }),
        );
        // Hours of downloads without an API call: no reason to give up.
        let quiet = tokio::time::timeout(Duration::from_secs(4 * 3600), reach.lost()).await;
        assert!(quiet.is_err(), "gave up on a provider that answered");
        let failing = Moment::now();
        reach.note(failing, &failed());
        tokio::time::sleep(Duration::from_secs(300)).await;
        reach.note(Moment::now(), &failed());
        reach.lost().await;
        assert_eq!(Instant::now() - failing.at, Duration::from_secs(900));
    }

    #[test]
    fn the_message_says_since_when_and_for_how_long() {
        let reach = Reach::new(Duration::from_secs(900));
        let message = reach.message(SystemTime::UNIX_EPOCH).to_string();
        assert!(
            message.contains("unreachable since 1970-01-01T00:00:00Z"),
            "{message}"
        );
        assert!(message.contains("15m"), "{message}");
    }
}
