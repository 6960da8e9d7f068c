//! `sora-batch review` and `sora-batch select`, and the page a run writes at its end: the
//! plan read again from disk (which takes are done, which failed or are still at the
//! provider, from the sidecars and the journal), turned into `review.html`, or the picks
//! into selects folders. What they print is in the interface's language (the page
//! itself is English).

use std::path::{Path, PathBuf};

use tracing::{info, warn};

use super::{AppError, Exit, generate};
use crate::cli::RunArgs;
use crate::i18n::{Message, counted, text};
use crate::journal::{Journal, JournalState};
use crate::plan::{self, Layout, Plan};
use crate::review::{self, Totals, picks};
use crate::ui::{Stream, emit, printable};

/// The plan of `args` as the files and the journal say it is now.
fn current_plan(args: &RunArgs) -> Result<(Plan, Layout, JournalState), AppError> {
    let layout = args.layout();
    let mut plan = plan::build(&layout, args.segment_settings(), args.finished())?;
    // An unreadable journal only costs the page its failed and in-flight marks.
    let journal = Journal::read(&args.state_dir()).unwrap_or_else(|err| {
        let message = Message::new("review.no_journal").with_text("err", err.message());
        warn!(shown = %message.shown(), "{message}");
        JournalState::default()
    });
    let outlive = args.tasks_outlive_run();
    generate::mark_in_flight(&mut plan, &layout, &journal, false, args.provider, outlive);
    Ok((plan, layout, journal))
}

/// The page of `args`'s plan: where it goes, its HTML, and what it counts.
fn page_of(args: &RunArgs) -> Result<(PathBuf, String, Totals), AppError> {
    let (plan, _, journal) = current_plan(args)?;
    let page = review::page_path(&args.state_dir());
    let currency = args.provider.capabilities().currency;
    let lang = crate::i18n::current();
    let (html, totals) = review::render(&plan, &journal, &page, currency, lang);
    Ok((page, html, totals))
}

fn write(page: &Path, html: &str) -> Result<(), AppError> {
    review::write(page, html).map_err(|err| AppError::Review {
        path: page.to_path_buf(),
        reason: err.to_string(),
    })
}

/// After a run: the page, when there is anything to look at (a run that made nothing
/// writes none, and never removes a file). A page that cannot be written is a warning,
/// never the run's failure.
pub(super) fn after_run(args: &RunArgs) {
    let written = page_of(args).and_then(|(page, html, totals)| {
        let anything = totals.done + totals.failed + totals.in_flight > 0;
        if anything {
            write(&page, &html)?;
        }
        Ok(anything.then_some(page))
    });
    match written {
        Ok(Some(page)) => {
            let page = printable(plan::tidy(&page).display());
            let shown = text("review.after_run", &[("page", &page)]);
            info!(shown, "review every take at {page}");
        }
        Ok(None) => {}
        Err(err) => warn!(shown = %err.shown(), "{err}"),
    }
}

/// `sora-batch review [--open]`.
pub(super) fn review(args: &RunArgs, open: bool) -> Result<Exit, AppError> {
    let (page, html, totals) = page_of(args)?;
    write(&page, &html)?;
    let done = counted("review.takes", totals.done, &[]);
    let args: [(&str, &dyn std::fmt::Display); 4] = [
        ("page", &printable(plan::tidy(&page).display())),
        ("done", &done),
        ("failed", &totals.failed),
        ("in_flight", &totals.in_flight),
    ];
    emit(
        Stream::Stdout,
        &format!("{}\n", text("review.written", &args)),
    )?;
    if open && let Err(err) = opener::open(&page) {
        let page = printable(page.display());
        let shown = text("review.cannot_open", &[("page", &page), ("err", &err)]);
        warn!(
            shown,
            "cannot open {page} in a browser ({err}); open it by hand"
        );
    }
    Ok(Exit::Success)
}

/// `sora-batch select --picks FILE`.
pub(super) fn select(args: &RunArgs, picks_file: &Path) -> Result<Exit, AppError> {
    let picks = picks::read(picks_file).map_err(|err| AppError::Settings(err.message()))?;
    let (plan, layout, _) = current_plan(args)?;
    let (selected, unmatched) =
        picks::select(&plan, &layout, &picks).map_err(|err| AppError::Review {
            path: picks_file.to_path_buf(),
            reason: err.to_string(),
        })?;
    for pick in &unmatched {
        let file = printable(picks_file.display());
        let (shown_pick, pick) = (printable(pick.shown()), printable(pick));
        let input = printable(args.input_dir.display());
        let shown = text(
            "select.unmatched",
            &[("file", &file), ("pick", &shown_pick), ("input", &input)],
        );
        warn!(
            shown,
            "{file}: {pick} is no take of the storyboards in {input}; left out"
        );
    }
    let mut out = String::new();
    let mut missing = false;
    for board in &selected {
        let placed = counted(
            "review.takes",
            (board.picked + board.by_default.len()) as u64,
            &[],
        );
        let args: [(&str, &dyn std::fmt::Display); 3] = [
            ("storyboard", &printable(&board.storyboard)),
            ("takes", &placed),
            ("folder", &printable(plan::tidy(&board.folder).display())),
        ];
        out.push_str(&text("select.placed", &args));
        if !board.by_default.is_empty() {
            let list: Vec<String> = board.by_default.iter().map(u32::to_string).collect();
            // "segment 3" or "segments 3, 5": the noun agrees, no count is shown.
            let key = match list.len() {
                1 => "select.by_default.segment",
                _ => "select.by_default.segments",
            };
            let list = Message::new("text.as_is").with_list("text", list).shown();
            out.push_str(&text(key, &[("list", &list)]));
        }
        for (segment, version) in &board.missing {
            missing = true;
            let args: [(&str, &dyn std::fmt::Display); 2] =
                [("segment", segment), ("version", version)];
            out.push_str(&text("select.missing", &args));
        }
        out.push('\n');
    }
    emit(Stream::Stdout, &out)?;
    Ok(match missing || !unmatched.is_empty() {
        true => Exit::SomeFailed,
        false => Exit::Success,
    })
}
