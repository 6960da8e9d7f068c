//! The review page's HTML: one self-contained file (its style and script inline, no font,
//! script or image from anywhere else), rendered with `maud`, which escapes every value:
//! a prompt holding `</script>` or `<img onerror>` is shown as text.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::takes::{Board, SegmentRow, Take, TakeStatus};
use crate::i18n::Lang;
use crate::pricing::amount;
use crate::storyboard::Resolution;

const STYLE: &str = include_str!("review.css");
const SCRIPT: &str = include_str!("review.js");

/// The longest side a player gets on the page, in CSS pixels.
const PLAYER_PX: u32 = 320;

/// What the page's header counts.
#[derive(Debug, Default, PartialEq)]
pub struct Totals {
    pub done: u64,
    pub failed: u64,
    pub in_flight: u64,
    pub billed_cents: i64,
}

impl Totals {
    pub fn of(boards: &[Board]) -> Totals {
        let mut totals = Totals::default();
        let takes = boards
            .iter()
            .flat_map(|board| &board.segments)
            .flat_map(|segment| &segment.takes);
        for take in takes {
            match &take.status {
                TakeStatus::Done { cost_cents, .. } => {
                    totals.done += 1;
                    totals.billed_cents += cost_cents.unwrap_or(0);
                }
                TakeStatus::Failed { .. } => totals.failed += 1,
                TakeStatus::InFlight { .. } | TakeStatus::UnknownOutcome => totals.in_flight += 1,
                TakeStatus::NotMade => {}
            }
        }
        totals
    }
}

/// The whole page, in `lang`. `currency`: what costs are counted in (`USD`, `credits`).
pub fn render(boards: &[Board], currency: &str, lang: Lang) -> String {
    let totals = Totals::of(boards);
    let billed = amount(totals.billed_cents, currency).words(lang);
    let counts = lang.text(
        "page.totals",
        &[
            ("done", &totals.done),
            ("failed", &totals.failed),
            ("in_flight", &totals.in_flight),
            ("billed", &billed),
        ],
    );
    let html_lang = match lang {
        Lang::En => "en",
        Lang::Zh => "zh-CN",
    };
    let page = html! {
        (DOCTYPE)
        html lang=(html_lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // No icon to fetch: the page asks nothing of the network or the disk.
                link rel="icon" href="data:,";
                title { (lang.counted("page.title", boards.len() as u64, &[])) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { (lang.text("page.heading", &[])) }
                    p.totals { (counts) }
                    div.controls {
                        label {
                            (lang.text("page.show", &[]))
                            select #filter {
                                option value="all" { (lang.text("page.filter.all", &[])) }
                                option value="failed" { (lang.text("page.filter.failed", &[])) }
                                option value="unreviewed" {
                                    (lang.text("page.filter.unreviewed", &[]))
                                }
                            }
                        }
                        button #save-picks type="button" { (lang.text("page.save", &[])) }
                        // The script fills these in: their words come with them.
                        span #pick-count data-text=(lang.text("page.picked", &[])) {}
                        span #save-status role="status" data-text=(lang.text("page.saved", &[])) {}
                    }
                }
                main {
                    @for (number, board) in boards.iter().enumerate() {
                        (board_section(number, board, currency, lang))
                    }
                    @if boards.is_empty() {
                        p { (lang.text("page.empty", &[])) }
                    }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    page.into_string()
}

fn board_section(number: usize, board: &Board, currency: &str, lang: Lang) -> Markup {
    html! {
        section.board aria-labelledby=(format!("board-{number}")) {
            h2 id=(format!("board-{number}")) { (board.shown) }
            @for segment in &board.segments {
                (segment_article(number, board, segment, currency, lang))
            }
        }
    }
}

fn segment_article(
    number: usize,
    board: &Board,
    segment: &SegmentRow,
    currency: &str,
    lang: Lang,
) -> Markup {
    let failed = segment
        .takes
        .iter()
        .any(|take| matches!(take.status, TakeStatus::Failed { .. }));
    let group = format!("pick-{number}-{}", segment.index);
    let mode = match segment.is_pro {
        true => lang.text("page.mode_pro", &[]),
        false => lang.text("page.mode_normal", &[]),
    };
    let orientation = match segment.resolution {
        Resolution::Horizontal => lang.text("page.horizontal", &[]),
        Resolution::Vertical => lang.text("page.vertical", &[]),
    };
    let index: &dyn std::fmt::Display = &segment.index;
    let superseded = segment.superseded.len() as u64;
    html! {
        article.segment data-storyboard=(board.key) data-segment=(segment.index)
            data-failed=(failed) data-picked="false" {
            div.meta {
                h3 { (lang.text("page.segment", &[("index", index)])) }
                p.prompt { (segment.prompt) }
                @if let Some(intent) = &segment.director_intent {
                    p.intent { (lang.text("page.intent", &[("intent", intent)])) }
                }
                p.facts {
                    (segment.duration_seconds) " s · " (mode) " · " (orientation)
                    " · " (segment.frame.0) "×" (segment.frame.1)
                }
            }
            div.takes role="radiogroup" aria-label=(lang.text("page.takes_of", &[("index", index)])) {
                @for take in &segment.takes {
                    (take_figure(take, segment, &group, currency, lang))
                }
            }
            @if !segment.superseded.is_empty() {
                details.superseded {
                    summary { (lang.counted("page.superseded", superseded, &[])) }
                    div.takes {
                        @for video in &segment.superseded {
                            figure.take {
                                (player(video, segment.frame))
                                figcaption.detail { (video.rsplit('/').next().unwrap_or(video)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn take_figure(
    take: &Take,
    segment: &SegmentRow,
    group: &str,
    currency: &str,
    lang: Lang,
) -> Markup {
    let status = take.status.word();
    let words = status_words(&take.status, lang);
    let version: &dyn std::fmt::Display = &take.version;
    let (width, height) = player_size(segment.frame);
    html! {
        figure class=(format!("take status-{status}")) data-version=(take.version) {
            @if matches!(take.status, TakeStatus::Done { .. }) {
                (player(&take.video, segment.frame))
            } @else {
                div.placeholder style=(format!("width:{width}px;height:{height}px")) {
                    "v" (take.version) ": " (words)
                }
            }
            figcaption {
                span.status { (words) } " v" (take.version) " "
                span.length {}
                (take_details(&take.status, currency, lang))
                @if matches!(take.status, TakeStatus::Done { .. }) {
                    br;
                    label.pick {
                        input.pick-input type="radio" name=(group) value=(take.version);
                        (lang.text("page.pick", &[("version", version)]))
                    }
                }
            }
        }
    }
}

fn take_details(status: &TakeStatus, currency: &str, lang: Lang) -> Markup {
    match status {
        TakeStatus::Done {
            bytes,
            made_ms,
            cost_cents,
            task_id,
        } => html! {
            span.detail {
                @if let Some(bytes) = bytes { " · " (bytesize::ByteSize(*bytes).display().si()) }
                @if let Some(ms) = made_ms { (lang.text("page.made", &[("at", &made_at(*ms))])) }
                @if let Some(cents) = cost_cents { " · " (amount(*cents, currency).words(lang)) }
                @if let Some(task) = task_id { (lang.text("page.task", &[("task", task)])) }
            }
        },
        TakeStatus::Failed { reason } => html! { p.reason { (reason.words(lang)) } },
        TakeStatus::InFlight {
            task_id: Some(task),
        } => html! {
            span.detail { (lang.text("page.in_flight_task", &[("task", task)])) }
        },
        TakeStatus::InFlight { task_id: None } => html! {
            span.detail { (lang.text("page.in_flight", &[])) }
        },
        TakeStatus::UnknownOutcome => html! {
            span.detail { (lang.text("page.unknown", &[])) }
        },
        TakeStatus::NotMade => html! {},
    }
}

fn status_words(status: &TakeStatus, lang: Lang) -> String {
    match status {
        TakeStatus::Done { .. } => lang.text("page.status.done", &[]),
        TakeStatus::Failed { .. } => lang.text("page.status.failed", &[]),
        TakeStatus::InFlight { .. } => lang.text("page.status.in_flight", &[]),
        TakeStatus::UnknownOutcome => lang.text("page.status.unknown", &[]),
        TakeStatus::NotMade => lang.text("page.status.not_made", &[]),
    }
}

fn player(video: &str, frame: (u32, u32)) -> Markup {
    let (width, height) = player_size(frame);
    html! {
        video controls preload="metadata" src=(link(video)) width=(width) height=(height) {}
    }
}

/// The frame scaled so that its longest side is [`PLAYER_PX`].
fn player_size((width, height): (u32, u32)) -> (u32, u32) {
    let longest = width.max(height).max(1);
    (
        (width * PLAYER_PX / longest).max(1),
        (height * PLAYER_PX / longest).max(1),
    )
}

/// What cannot stand as it is in a URL path segment (non-ASCII is always encoded).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'\'')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A relative path as a URL path: each segment percent-encoded (`#`, `?`, `%` and spaces
/// in a storyboard's name must not end or change the link).
fn link(relative: &str) -> String {
    let encoded = relative
        .split('/')
        .map(|part| percent_encoding::utf8_percent_encode(part, PATH_SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/");
    // A first segment holding `:` (`take:1/…`) would read as a URL scheme.
    match encoded
        .split('/')
        .next()
        .is_some_and(|first| first.contains(':'))
    {
        true => format!("./{encoded}"),
        false => encoded,
    }
}

/// `2026-11-27 01:05 UTC`: numbers only, the same in every language.
fn made_at(unix_ms: u64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(unix_ms);
    let text = humantime::format_rfc3339_seconds(time).to_string();
    // `2026-11-27T01:05:00Z`, shortened to what a reviewer needs.
    text.get(..16).map_or(text.clone(), |short| {
        format!("{} UTC", short.replace('T', " "))
    })
}
