//! The review page as a reader sees its content: each take with its status and link,
//! totals, superseded takes, and user text escaped.

use std::path::Path;

use super::takes::{Board, SegmentRow, Take, TakeStatus};
use super::*;
use crate::i18n::Lang;

fn row(index: u32, prompt: &str, takes: Vec<Take>) -> SegmentRow {
    SegmentRow {
        index,
        prompt: prompt.to_string(),
        director_intent: None,
        duration_seconds: 10,
        is_pro: false,
        resolution: crate::storyboard::Resolution::Horizontal,
        frame: (1280, 720),
        takes,
        superseded: Vec::new(),
    }
}

fn take(version: u32, status: TakeStatus) -> Take {
    Take {
        version,
        video: format!("storyboard/Segment_1/1_v{version}.mp4"),
        status,
    }
}

fn done(cents: i64) -> TakeStatus {
    TakeStatus::Done {
        bytes: Some(2_500_000),
        made_ms: Some(1_795_000_000_000),
        cost_cents: Some(cents),
        task_id: Some("task_42".to_string()),
    }
}

fn board(segments: Vec<SegmentRow>) -> Board {
    Board {
        shown: "input/storyboard.json".to_string(),
        key: "storyboard.json".to_string(),
        segments,
    }
}

#[test]
fn every_take_appears_with_its_status_and_only_done_ones_have_a_player() {
    let mut edited = row(2, "a ferry at dawn", vec![take(1, TakeStatus::NotMade)]);
    edited.superseded = vec!["storyboard/Segment_2/2_v1.superseded-20261127.mp4".to_string()];
    let boards = vec![board(vec![
        row(
            1,
            "a harbor at night",
            vec![
                take(1, done(30)),
                take(
                    2,
                    TakeStatus::Failed {
                        reason: crate::i18n::Message::plain("content policy"),
                    },
                ),
                take(
                    3,
                    TakeStatus::InFlight {
                        task_id: Some("task_7".to_string()),
                    },
                ),
            ],
        ),
        edited,
    ])];
    let html = page::render(&boards, "USD", Lang::En);
    assert!(
        html.contains(r#"src="storyboard/Segment_1/1_v1.mp4""#),
        "{html}"
    );
    assert!(!html.contains(r#"src="storyboard/Segment_1/1_v2.mp4""#));
    assert!(html.contains(r#"class="take status-failed""#));
    assert!(html.contains("content policy"));
    assert!(html.contains("task task_7; the next run collects it"));
    assert!(html.contains("not made yet"));
    assert!(html.contains("1 earlier take, set aside when the segment was edited"));
    assert!(html.contains(r#"src="storyboard/Segment_2/2_v1.superseded-20261127.mp4""#));
    assert!(
        html.contains("1 done · 1 failed · 1 in flight · billed $0.30"),
        "{html}"
    );
    assert!(html.contains(r#"preload="metadata""#));
    assert!(html.contains(r#"width="320" height="180""#));
    assert_eq!(
        html.matches("type=\"radio\"").count(),
        1,
        "only a done take is picked"
    );
    assert!(html.contains(r#"data-failed="true""#));
}

#[test]
fn user_text_is_escaped_and_links_are_percent_encoded() {
    let mut segment = row(
        1,
        "</script><img src=x onerror=alert(1)> & \"quotes\"",
        vec![Take {
            version: 1,
            video: "ep #1?/Segment_1/1_v1.mp4".to_string(),
            status: done(3),
        }],
    );
    segment.director_intent = Some("<b>bold</b>".to_string());
    let mut hostile = board(vec![segment]);
    hostile.key = "a\" onmouseover=\"alert(1).json".to_string();
    let html = page::render(&[hostile], "USD", Lang::En);
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(
        html.contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;")
    );
    assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"));
    assert!(!html.contains("onmouseover=\"alert"), "{html}");
    assert!(
        html.contains(r#"src="ep%20%231%3F/Segment_1/1_v1.mp4""#),
        "{html}"
    );
    let colon = page::render(
        &[board(vec![row(
            1,
            "p",
            vec![Take {
                version: 1,
                video: "take:1/Segment_1/1_v1.mp4".to_string(),
                status: done(3),
            }],
        )])],
        "USD",
        Lang::En,
    );
    assert!(
        colon.contains(r#"src="./take:1/Segment_1/1_v1.mp4""#),
        "not a scheme: {colon}"
    );
    assert_eq!(
        html.matches("<script>").count(),
        1,
        "only the page's own script"
    );
}

#[test]
fn the_page_needs_nothing_from_the_network() {
    let html = page::render(
        &[board(vec![row(1, "p", vec![take(1, done(1))])])],
        "USD",
        Lang::En,
    );
    for remote in ["http://", "https://", "//cdn", "@import", "url("] {
        assert!(!html.contains(remote), "{remote} in the page");
    }
}

#[test]
fn credits_are_counted_in_credits() {
    let html = page::render(
        &[board(vec![row(1, "p", vec![take(1, done(40))])])],
        "credits",
        Lang::En,
    );
    assert!(html.contains("billed 40 credits"), "{html}");
}

#[test]
fn the_page_speaks_the_interface_language() {
    let in_flight = TakeStatus::InFlight {
        task_id: Some("task_7".to_string()),
    };
    let boards = [board(vec![row(
        1,
        "p",
        vec![take(1, done(30)), take(2, in_flight)],
    )])];
    let html = page::render(&boards, "USD", Lang::Zh);
    assert!(html.contains(r#"<html lang="zh-CN">"#), "{html}");
    assert!(html.contains("审阅：1 个分镜脚本"), "{html}");
    assert!(
        html.contains("1 个完成 · 0 个失败 · 1 个在途 · 已计费 $0.30"),
        "{html}"
    );
    assert!(html.contains("分镜 1"), "{html}");
    assert!(html.contains("任务 task_7；下次运行会取回"), "{html}");
    assert!(html.contains("选 v1"), "{html}");
    // The script's words are in the page, for it to fill in.
    assert!(
        html.contains(r#"data-text="已选 %{picked}/%{total} 个分镜""#),
        "{html}"
    );
    assert!(!html.contains("segments picked"), "{html}");
    // The date is numbers only.
    assert!(html.contains("生成于 2026-11-18 "), "{html}");
    let english = page::render(&boards, "USD", Lang::En);
    assert!(english.contains(r#"<html lang="en">"#));
    assert!(english.contains("made 2026-11-18 "), "{english}");
}

#[test]
fn a_segments_facts_and_a_failed_takes_reason_are_in_the_interface_language() {
    let failed = TakeStatus::Failed {
        reason: crate::i18n::Message::new("failure.at_provider"),
    };
    let mut vertical = row(1, "p", vec![take(1, failed)]);
    vertical.resolution = crate::storyboard::Resolution::Vertical;
    let boards = [board(vec![vertical, row(2, "q", Vec::new())])];
    let html = page::render(&boards, "USD", Lang::Zh);
    assert!(html.contains("10 s · 普通 · 竖屏 · "), "{html}");
    assert!(html.contains("10 s · 普通 · 横屏 · "), "{html}");
    assert!(html.contains("在服务商处失败"), "{html}");
    assert!(
        !html.contains("normal") && !html.contains("vertical"),
        "{html}"
    );
    let english = page::render(&boards, "USD", Lang::En);
    assert!(english.contains("10 s · normal · vertical · "), "{english}");
    assert!(english.contains("failed at the provider"), "{english}");
}

#[test]
fn links_are_relative_to_the_page() {
    let page_dir = Path::new("/work/out");
    assert_eq!(
        relative_to(page_dir, Path::new("/work/out/sb/Segment_1/1_v1.mp4")),
        "sb/Segment_1/1_v1.mp4"
    );
    assert_eq!(
        relative_to(
            page_dir,
            Path::new("/work/input/sb_assets/Segment_1/1_v1.mp4")
        ),
        "../input/sb_assets/Segment_1/1_v1.mp4"
    );
}
