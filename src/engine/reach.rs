//! Whether the provider can be reached: when an API call last got an answer, and the
//! watch that stops the run when none has for `--give-up-after` (connections refused,
//! names that do not resolve, every answer a server error or a timeout). Without it a
//! dead provider keeps a run retrying for days.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use futures_util::future::BoxFuture;
use tokio::time::Instant;

use crate::provider::{Accepted, Provider, ProviderError, RecentPage, TaskStatus};
use crate::storyboard::Segment;

/// When the provider last answered, on both clocks: tokio's for the timing, the wall
/// clock for the message.
pub struct Reach {
    last: Mutex<(Instant, SystemTime)>,
    limit: Duration,
}

impl Reach {
    /// Counts from now: a run that never gets an answer gives up `limit` after it starts.
    pub fn new(limit: Duration) -> Self {
        Reach {
            last: Mutex::new((Instant::now(), SystemTime::now())),
            limit,
        }
    }

    /// Notes a call's outcome: anything the provider meant to say proves it is there.
    pub fn note<T>(&self, result: &Result<T, ProviderError>) {
        let answered = match result {
            Ok(_) => true,
            Err(error) => is_answer(error),
        };
        if answered {
            *self
                .last
                .lock()
                .unwrap_or_else(|poison| poison.into_inner()) = (Instant::now(), SystemTime::now());
        }
    }

    /// Resolves once no call has been answered for the limit, with when the last one was
    /// (or the run started).
    pub async fn lost(&self) -> SystemTime {
        loop {
            let (at, wall) = *self
                .last
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            let due = at.checked_add(self.limit);
            match due {
                Some(due) if Instant::now() < due => tokio::time::sleep_until(due).await,
                // A limit too far away to add is never reached.
                None => std::future::pending::<()>().await,
                Some(_) => return wall,
            }
        }
    }

    /// What a run that gives up says, and its summary repeats.
    pub fn message(&self, since: SystemTime) -> String {
        format!(
            "the provider has been unreachable since {} (no API call answered for {}: refused connections, failed lookups, server errors or timeouts); every job not done is left for the next run",
            humantime::format_rfc3339_seconds(since),
            humantime::format_duration(self.limit)
        )
    }
}

/// A rate limit, a refusal or "no such task" is the provider speaking; a server error, a
/// timeout, a refused connection or a lost create answer is not.
fn is_answer(error: &ProviderError) -> bool {
    !matches!(
        error,
        ProviderError::Transient { .. } | ProviderError::Ambiguous { .. }
    )
}

/// A provider whose every call is noted in a [`Reach`].
pub struct Watched<P: ?Sized> {
    pub reach: std::sync::Arc<Reach>,
    pub inner: std::sync::Arc<P>,
}

impl<P: Provider + ?Sized> Watched<P> {
    fn noted<'a, T: Send + 'a>(
        &'a self,
        call: BoxFuture<'a, Result<T, ProviderError>>,
    ) -> BoxFuture<'a, Result<T, ProviderError>> {
        Box::pin(async move {
            let result = call.await;
            self.reach.note(&result);
            result
        })
    }
}

impl<P: Provider + ?Sized> Provider for Watched<P> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn submit<'a>(
        &'a self,
        segment: &'a Segment,
    ) -> BoxFuture<'a, Result<Accepted, ProviderError>> {
        self.noted(self.inner.submit(segment))
    }

    fn status<'a>(&'a self, task_id: &'a str) -> BoxFuture<'a, Result<TaskStatus, ProviderError>> {
        self.noted(self.inner.status(task_id))
    }

    fn recent(&self, page: u32) -> BoxFuture<'_, Result<RecentPage, ProviderError>> {
        self.noted(self.inner.recent(page))
    }

    fn clock_offset_ms(&self) -> Option<i64> {
        self.inner.clock_offset_ms()
    }

    fn download_auth(&self, url: &url::Url) -> Option<String> {
        self.inner.download_auth(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> Result<(), ProviderError> {
        Err(ProviderError::Transient {
            message: "could not connect".to_string(),
            request_id: None,
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_provider_silent_for_the_limit_is_given_up_on_and_an_answer_resets_the_clock() {
        let reach = Reach::new(Duration::from_secs(900));
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(600)).await;
        reach.note(&refused());
        reach.note::<()>(&Err(ProviderError::Ambiguous {
            message: "reset".to_string(),
            retry_after: None,
        }));
        // Failures do not count: the limit runs from the start.
        reach.lost().await;
        assert_eq!(started.elapsed(), Duration::from_secs(900));

        let reach = Reach::new(Duration::from_secs(900));
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(600)).await;
        let before = SystemTime::now();
        // A rate limit is the provider speaking, as much as a success is.
        reach.note::<()>(&Err(ProviderError::RateLimited {
            retry_after: None,
            request_id: None,
        }));
        let since = reach.lost().await;
        assert_eq!(started.elapsed(), Duration::from_secs(1500));
        assert!(since >= before, "the message names the last answer");
        tokio::time::sleep(Duration::from_secs(1)).await;
        reach.note(&Ok(()));
        let again = Instant::now();
        reach.lost().await;
        assert_eq!(again.elapsed(), Duration::from_secs(900));
    }

    #[test]
    fn the_message_says_since_when_and_for_how_long() {
        let reach = Reach::new(Duration::from_secs(900));
        let message = reach.message(SystemTime::UNIX_EPOCH);
        assert!(
            message.contains("unreachable since 1970-01-01T00:00:00Z"),
            "{message}"
        );
        assert!(message.contains("15m"), "{message}");
    }
}
