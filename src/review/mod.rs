//! The review page, `review.html` beside the state folder (`output/review.html`): every
//! take of every segment side by side with its status, to pick the best one of each; and
//! the picks it saves (`picks.json`), which `sora-batch select` turns into a selects
//! folder. The page is one file that needs no network: it works from disk, copied to
//! another machine, or served by any static file server.

mod page;
pub mod picks;
mod takes;

use std::io;
use std::path::{Path, PathBuf};

use crate::i18n::Lang;
use crate::journal::JournalState;
use crate::plan::Plan;

pub use page::Totals;
pub use takes::relative_to;

/// The page's file name.
pub const PAGE_NAME: &str = "review.html";

/// Where the page of a state folder goes: beside it, as the log does.
pub fn page_path(state_dir: &Path) -> PathBuf {
    crate::durable::parent_dir(state_dir).join(PAGE_NAME)
}

/// The page for `plan` (its jobs' states marked from the journal) in `lang`, with its
/// totals.
pub fn render(
    plan: &Plan,
    journal: &JournalState,
    page: &Path,
    currency: &str,
    lang: Lang,
) -> (String, Totals) {
    let page_dir = crate::durable::parent_dir(page);
    let boards = takes::boards(plan, journal, page_dir);
    (page::render(&boards, currency, lang), Totals::of(&boards))
}

/// Writes `html` to `page`, atomically (a reader never sees half a page), creating its
/// folder if needed.
pub fn write(page: &Path, html: &str) -> io::Result<()> {
    crate::durable::create_dir_all(crate::durable::parent_dir(page))?;
    crate::download::write_atomically(page, html.as_bytes())
}

#[cfg(test)]
mod tests;
