//! The engine reads the task list by page number (`Provider::recent(page)`), OpenAI pages
//! it by cursor (`after=<the last id of the page before>`). This keeps, for each page read,
//! the id the next page starts after, so page `n` is asked for with page `n-1`'s last id;
//! a page whose predecessor was never read is reached by reading forward from page 1.
//!
//! List calls are made one at a time (the caller holds the lock on `Cursors`), so a cursor
//! is only ever replaced by one read later. A list only grows at the top (newest first),
//! so a later read of a page ends at the same video or a newer one: the next page then
//! shows some videos again (the search counts each id once) and never skips one. Skipping
//! is what could pay twice: a lost create missed reads as absent.
//!
//! `has_more` is not trusted to end the list: only an empty page does, at the cost of one
//! more call per search.

use std::collections::HashMap;
use std::future::Future;

use crate::provider::{ProviderError, RecentPage};

/// Videos asked for per list page when looking for a lost create.
pub const PAGE_SIZE: u32 = 50;

/// Where each page read so far ends.
#[derive(Debug, Default)]
pub struct Cursors {
    /// Page number → the id the following page starts after (`None`: the page gave no
    /// id to go on from).
    next: HashMap<u32, Option<String>>,
}

impl Cursors {
    /// Page `page` (1-based), read with `fetch(after)`, which answers a page and the id
    /// the next one starts after.
    pub async fn read<F, Fut>(&mut self, page: u32, fetch: F) -> Result<RecentPage, ProviderError>
    where
        F: Fn(Option<String>) -> Fut,
        Fut: Future<Output = Result<(RecentPage, Option<String>), ProviderError>>,
    {
        // The nearest earlier page whose end is known; from there, read forward.
        let mut at = (1..page)
            .rev()
            .find(|earlier| self.next.contains_key(earlier))
            .map_or(1, |known| known + 1);
        loop {
            let after = match at {
                1 => None,
                _ => match self.next.get(&(at - 1)).cloned().flatten() {
                    Some(after) => Some(after),
                    None => return Err(no_way_on(at)),
                },
            };
            let (listed, next) = fetch(after).await?;
            self.next.insert(at, next);
            if at == page || listed.is_end() {
                return Ok(if at == page {
                    listed
                } else {
                    RecentPage::default()
                });
            }
            at += 1;
        }
    }
}

fn no_way_on(page: u32) -> ProviderError {
    ProviderError::Transient {
        message: format!(
            "the provider's video list gives no id to read page {page} after (no \"last_id\" \
             and no \"id\" on the page before)"
        ),
        request_id: None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::provider::{Cost, RecentTask};

    /// A list of `total` videos, newest (`v{total}`) first, read in pages of two.
    fn listing(
        total: u32,
        calls: &Mutex<Vec<Option<String>>>,
        after: Option<String>,
    ) -> Result<(RecentPage, Option<String>), ProviderError> {
        calls.lock().unwrap().push(after.clone());
        let ids: Vec<String> = (1..=total).rev().map(|n| format!("v{n}")).collect();
        let start = match after {
            None => 0,
            Some(after) => ids.iter().position(|id| *id == after).unwrap() + 1,
        };
        let tasks: Vec<RecentTask> = ids
            .iter()
            .skip(start)
            .take(2)
            .map(|id| RecentTask {
                task_id: id.clone(),
                prompt: "p".to_string(),
                created_at_ms: None,
                is_pro: None,
                duration_seconds: None,
                resolution: None,
                image_url: None,
                cost_cents: Cost::Unstated,
                remixed_from: None,
            })
            .collect();
        let next = tasks.last().map(|task| task.task_id.clone());
        Ok((
            RecentPage {
                tasks,
                unreadable: 0,
            },
            next,
        ))
    }

    fn ids(page: &RecentPage) -> Vec<&str> {
        page.tasks
            .iter()
            .map(|task| task.task_id.as_str())
            .collect()
    }

    #[tokio::test]
    async fn pages_follow_one_another_by_the_last_id() {
        let calls = Mutex::new(Vec::new());
        let mut cursors = Cursors::default();
        let fetch = |after| std::future::ready(listing(5, &calls, after));
        assert_eq!(ids(&cursors.read(1, fetch).await.unwrap()), ["v5", "v4"]);
        assert_eq!(ids(&cursors.read(2, fetch).await.unwrap()), ["v3", "v2"]);
        assert_eq!(ids(&cursors.read(3, fetch).await.unwrap()), ["v1"]);
        assert!(cursors.read(4, fetch).await.unwrap().is_end());
        assert_eq!(
            *calls.lock().unwrap(),
            [
                None,
                Some("v4".to_string()),
                Some("v2".to_string()),
                Some("v1".to_string())
            ]
        );
    }

    #[tokio::test]
    async fn a_page_asked_for_out_of_turn_is_reached_by_reading_forward() {
        let calls = Mutex::new(Vec::new());
        let mut cursors = Cursors::default();
        let fetch = |after| std::future::ready(listing(5, &calls, after));
        assert_eq!(ids(&cursors.read(3, fetch).await.unwrap()), ["v1"]);
        assert_eq!(calls.lock().unwrap().len(), 3);
        assert!(
            cursors.read(9, fetch).await.unwrap().is_end(),
            "the list ends before page 9"
        );
    }

    #[tokio::test]
    async fn a_page_without_an_id_to_go_on_from_is_an_error_not_the_end() {
        let mut cursors = Cursors::default();
        let full = RecentPage {
            unreadable: 2,
            tasks: Vec::new(),
        };
        let fetch = |_| std::future::ready(Ok((full.clone(), None)));
        cursors.read(1, fetch).await.unwrap();
        let err = cursors.read(2, fetch).await.unwrap_err();
        assert!(
            matches!(&err, ProviderError::Transient { message, .. } if message.contains("page 2")),
            "{err:?}"
        );
    }
}
