//! The plan's remixes, as the dry run shows them: which segment remixes which take of its
//! storyboard (generated first, then remixed) or which video made elsewhere.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::i18n::text;
use crate::plan::Plan;
use crate::storyboard::RemixOf;

/// One remixing segment.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct RemixLine {
    pub storyboard: PathBuf,
    pub segment: u32,
    /// What it remixes.
    pub remixes: Remixed,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Remixed {
    /// A take of the same storyboard.
    Take { segment: u32, version: u32 },
    /// A video made elsewhere, by its provider id.
    Video(String),
}

/// Every remixing segment of the plan, by storyboard and segment.
pub fn remix_lines(plan: &Plan) -> Vec<RemixLine> {
    let mut lines: BTreeMap<(usize, u32), RemixLine> = BTreeMap::new();
    for job in &plan.jobs {
        let Some(remix) = &job.segment.remix_of else {
            continue;
        };
        let remixes = match remix {
            RemixOf::Take {
                segment, version, ..
            } => Remixed::Take {
                segment: *segment,
                version: *version,
            },
            RemixOf::Video(id) => Remixed::Video(id.clone()),
        };
        lines
            .entry((job.storyboard, job.segment.index))
            .or_insert_with(|| RemixLine {
                storyboard: plan.storyboards[job.storyboard].shown.clone(),
                segment: job.segment.index,
                remixes,
            });
    }
    lines.into_values().collect()
}

/// The lines as the dry run's text shows them, one storyboard a line.
pub fn remixes_text(lines: &[RemixLine]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut by_storyboard: BTreeMap<&PathBuf, Vec<String>> = BTreeMap::new();
    for line in lines {
        let segment: &dyn std::fmt::Display = &line.segment;
        let remix = match &line.remixes {
            Remixed::Take {
                segment: source,
                version,
            } => text(
                "plan.remix_take",
                &[
                    ("segment", segment),
                    ("source", source),
                    ("version", version),
                ],
            ),
            Remixed::Video(id) => {
                let video = crate::ui::escaped(id, 60);
                text(
                    "plan.remix_video",
                    &[("segment", segment), ("video", &video)],
                )
            }
        };
        by_storyboard
            .entry(&line.storyboard)
            .or_default()
            .push(remix);
    }
    let mut out = format!("\n{}\n", text("plan.remixes", &[]));
    let joiner = text("plan.list_joiner", &[]);
    for (storyboard, remixes) in by_storyboard {
        let shown = crate::ui::printable(storyboard.display());
        let remixes = remixes.join(&joiner);
        let line = text(
            "plan.remix_line",
            &[("storyboard", &shown), ("remixes", &remixes)],
        );
        out.push_str(&format!("  {line}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remixes_read_one_storyboard_a_line_naming_what_each_segment_remixes() {
        let line = |storyboard: &str, segment, remixes| RemixLine {
            storyboard: PathBuf::from(storyboard),
            segment,
            remixes,
        };
        let lines = [
            line(
                "input/a.json",
                2,
                Remixed::Take {
                    segment: 1,
                    version: 1,
                },
            ),
            line(
                "input/a.json",
                3,
                Remixed::Take {
                    segment: 2,
                    version: 2,
                },
            ),
            line("input/b.json", 1, Remixed::Video("video_68d7".into())),
        ];
        assert_eq!(
            remixes_text(&lines),
            "\nRemixes (a take is generated before the shots remixing it):\n  \
             input/a.json: segment 2 remixes segment 1 v1; segment 3 remixes segment 2 v2\n  \
             input/b.json: segment 1 remixes video video_68d7\n"
        );
        assert_eq!(remixes_text(&[]), "");
        let json = serde_json::to_value(&lines[0]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"storyboard": "input/a.json", "segment": 2,
                               "remixes": {"take": {"segment": 1, "version": 1}}})
        );
    }
}
