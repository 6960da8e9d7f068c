//! A key's request rate (`max_rpm`): at most N API calls made with it in any minute,
//! every kind counted (creates, status calls, task lists, prices, balance, downloads that
//! carry the key). A sliding window of the last N calls' moments, on tokio's clock (so
//! the paused clock of tests drives it), behind a fair lock: callers go in the order
//! they came.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::Mutex;
use tokio::time::{Instant, sleep_until};

use super::wrap::Around;
use crate::provider::ProviderError;

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct Rate {
    most: usize,
    /// When each of the latest calls (at most `most`) went, oldest first.
    sent: Mutex<VecDeque<Instant>>,
}

impl Rate {
    pub fn per_minute(most: u32) -> Self {
        let most = most.max(1) as usize;
        Rate {
            most,
            sent: Mutex::new(VecDeque::with_capacity(most)),
        }
    }

    /// Waits until a call may go, and counts it as sent.
    pub async fn take(&self) {
        let mut sent = self.sent.lock().await;
        Self::wait_for_room(&mut sent, self.most).await;
        sent.push_back(Instant::now());
    }

    async fn wait_for_room(sent: &mut VecDeque<Instant>, most: usize) {
        loop {
            let now = Instant::now();
            while sent
                .front()
                .is_some_and(|at| now.saturating_duration_since(*at) >= WINDOW)
            {
                sent.pop_front();
            }
            match sent.front() {
                Some(oldest) if sent.len() >= most => sleep_until(*oldest + WINDOW).await,
                _ => return,
            }
        }
    }
}

/// Every call made with the key first waits for its turn.
impl Around for Arc<Rate> {
    fn around<'a, T: Send + 'a>(
        &'a self,
        call: BoxFuture<'a, Result<T, ProviderError>>,
    ) -> BoxFuture<'a, Result<T, ProviderError>> {
        Box::pin(async move {
            self.take().await;
            call.await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn no_minute_holds_more_calls_than_the_rate() {
        let rate = Arc::new(Rate::per_minute(3));
        let start = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..7 {
            rate.take().await;
            sent.push(start.elapsed());
        }
        let secs: Vec<u64> = sent.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [0, 0, 0, 60, 60, 60, 120]);
        for (i, at) in sent.iter().enumerate() {
            let in_window = sent[i..]
                .iter()
                .filter(|later| **later - *at < WINDOW)
                .count();
            assert!(in_window <= 3, "{sent:?}");
        }
    }
}
