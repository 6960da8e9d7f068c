//! A provider wrapped by something that acts around each of its calls (`reach`: noting
//! whether the provider answered; `rate`: waiting for the key's turn). The `Provider`
//! plumbing is written here once; a wrapper says only what it does around a call.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::provider::{Accepted, Pricing, Provider, ProviderError, RecentPage, TaskStatus};
use crate::storyboard::Segment;

/// What a wrapper does around each API call.
pub trait Around: Send + Sync {
    fn around<'a, T: Send + 'a>(
        &'a self,
        call: BoxFuture<'a, Result<T, ProviderError>>,
    ) -> BoxFuture<'a, Result<T, ProviderError>>;
}

/// `inner`, with `around` around every API call (what only describes the provider,
/// like its name or capabilities, passes straight through).
pub struct Wrapped<A> {
    pub around: A,
    pub inner: Arc<dyn Provider>,
}

impl<A: Around> Provider for Wrapped<A> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn capabilities(&self) -> &'static crate::provider::Capabilities {
        self.inner.capabilities()
    }

    fn submit<'a>(
        &'a self,
        segment: &'a Segment,
    ) -> BoxFuture<'a, Result<Accepted, ProviderError>> {
        self.around.around(self.inner.submit(segment))
    }

    fn status<'a>(&'a self, task_id: &'a str) -> BoxFuture<'a, Result<TaskStatus, ProviderError>> {
        // An answer this process gives itself is no call: nothing to pace or to note.
        match self.inner.status_is_local(task_id) {
            true => self.inner.status(task_id),
            false => self.around.around(self.inner.status(task_id)),
        }
    }

    fn status_is_local(&self, task_id: &str) -> bool {
        self.inner.status_is_local(task_id)
    }

    fn recent(&self, page: u32) -> BoxFuture<'_, Result<RecentPage, ProviderError>> {
        self.around.around(self.inner.recent(page))
    }

    fn clock_offset_ms(&self) -> Option<i64> {
        self.inner.clock_offset_ms()
    }

    fn download_auth(&self) -> Option<crate::download::DownloadAuth> {
        self.inner.download_auth()
    }

    fn api_is_local(&self) -> bool {
        self.inner.api_is_local()
    }

    fn let_go(&self, task_id: &str) -> bool {
        self.inner.let_go(task_id)
    }

    fn pricing(&self) -> Option<BoxFuture<'_, Result<Pricing, ProviderError>>> {
        self.inner.pricing().map(|call| self.around.around(call))
    }

    fn balance(&self) -> Option<BoxFuture<'_, Result<i64, ProviderError>>> {
        self.inner.balance().map(|call| self.around.around(call))
    }
}
