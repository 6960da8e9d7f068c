//! The provider's task list as the lost-create search reads it: a page of listed tasks,
//! and how well one fits a request. Lists are the least documented part of the APIs: a
//! field may be missing, spelled otherwise, or (prompts) cut short, so a listed task that
//! cannot be ruled out is never ruled out.

use super::Cost;
use crate::storyboard::{RemixOf, Segment};

/// One page of the provider's task list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecentPage {
    pub tasks: Vec<RecentTask>,
    /// Entries that could not be read (no id, no prompt): any of them could be the task
    /// searched for, so a search that met one cannot conclude the task is absent.
    pub unreadable: usize,
}

impl RecentPage {
    /// The end of the list: nothing on this page at all.
    pub fn is_end(&self) -> bool {
        self.tasks.is_empty() && self.unreadable == 0
    }
}

/// How well a listed task fits a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    No,
    /// The whole prompt is the same, and no other field differs.
    Exact,
    /// The list shows prompts cut short (see [`ListShape`]), this one is the start of
    /// ours, and no other field differs: it may be this request, or another that starts
    /// alike.
    Prefix,
    /// The listed prompt is the start of ours, but nothing shows whether the list cut it
    /// or it is a whole, shorter prompt: it cannot be taken, nor ruled out.
    MaybePrefix,
}

/// What a list's prompts say about whether it cuts them: a list that shortens prompts
/// shows every long one at the same length, so three different prompts at the longest
/// length seen are a cut (two could be a coincidence).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListShape {
    /// The longest listed prompt, in characters.
    longest: usize,
    /// Up to [`CUT_EVIDENCE`] different prompts of that length.
    at_longest: Vec<String>,
}

impl ListShape {
    pub fn see(&mut self, prompt: &str) {
        let prompt = prompt.trim();
        let chars = prompt.chars().count();
        if chars > self.longest {
            self.longest = chars;
            self.at_longest.clear();
        }
        if chars == self.longest
            && self.at_longest.len() < CUT_EVIDENCE
            && !self.at_longest.iter().any(|seen| seen == prompt)
        {
            self.at_longest.push(prompt.to_string());
        }
    }

    /// Whether this listed prompt was shown cut: it ends in an ellipsis (or in half a
    /// character, U+FFFD, that a cut by bytes left), or it is as long as the longest and
    /// other prompts are cut at that length too.
    fn cut(&self, listed: &str) -> bool {
        let chars = listed.chars().count();
        listed.ends_with(['…', '\u{FFFD}'])
            || listed.ends_with("...")
            || (chars >= SHORTEST_CUT
                && chars == self.longest
                && self.at_longest.len() >= CUT_EVIDENCE)
    }
}

/// A task as the provider's list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecentTask {
    pub task_id: String,
    pub prompt: String,
    /// Unix milliseconds, when the provider says.
    pub created_at_ms: Option<u64>,
    pub is_pro: Option<bool>,
    pub duration_seconds: Option<u32>,
    /// `horizontal`/`vertical`, when the list says.
    pub resolution: Option<String>,
    /// The reference image, when the list says: `Some(None)` means it says "none".
    pub image_url: Option<Option<String>>,
    /// What it cost, as the list says.
    pub cost_cents: Cost,
    /// The video it remixes, when the list says: `Some(None)` means it says "none".
    pub remixed_from: Option<Option<String>>,
}

/// Different prompts at one length that show a list cuts prompts there.
const CUT_EVIDENCE: usize = 3;

/// Listed prompts shorter than this are taken as whole: no list cuts prompts that short,
/// and treating `shot 5` as a possible start of `shot 50` would stall every search.
const SHORTEST_CUT: usize = 16;

/// Whether a listed frame (an orientation, or a size the dialect keeps as it is) can be
/// the segment's: its `size` when set (or that size's orientation), else its resolution.
fn shape_agrees(listed: &str, segment: &Segment) -> bool {
    match &segment.size {
        None => listed == segment.resolution.as_str(),
        Some(size) => {
            listed == size || super::sora_hk::orientation(size).as_deref() == Some(listed)
        }
    }
}

impl RecentTask {
    /// Whether this task could be the answer to a create for `segment`: the same prompt
    /// (or its start, when the list cuts prompts: see [`ListShape`]), and no field the
    /// provider shows says otherwise. A remix is known by its source instead of its mode,
    /// length and frame, which are the source's, not the segment's.
    pub fn matches(&self, segment: &Segment, shape: &ListShape) -> Match {
        let remix_of = segment.remix_of.as_ref().map(RemixOf::target);
        let own_fields_agree = remix_of.is_some()
            || self.is_pro.is_none_or(|is_pro| is_pro == segment.is_pro)
                && self
                    .duration_seconds
                    .is_none_or(|seconds| seconds == segment.duration_seconds)
                && self
                    .resolution
                    .as_deref()
                    .is_none_or(|shape| shape_agrees(shape, segment));
        let fields_agree = own_fields_agree
            && self.source_agrees(remix_of)
            && self
                .image_url
                .as_ref()
                .is_none_or(|image| image.as_deref() == segment.image_url.as_deref());
        if !fields_agree {
            return Match::No;
        }
        let ours = segment.prompt.trim();
        let listed = self.prompt.trim();
        if listed == ours {
            return Match::Exact;
        }
        let start = listed
            .trim_end_matches(['…', '\u{FFFD}'])
            .trim_end_matches("...")
            .trim_end();
        let is_start = !start.is_empty() && start.len() < ours.len() && ours.starts_with(start);
        if !is_start {
            Match::No
        } else if shape.cut(listed) {
            Match::Prefix
        } else if listed.chars().count() >= SHORTEST_CUT {
            Match::MaybePrefix
        } else {
            Match::No
        }
    }
}

impl RecentTask {
    /// Whether the video this task remixes (if the list says) can be the request's:
    /// none for a plain create (`remix_of` `None`); for a remix, its target, or any
    /// video while the target is not known (`Some(None)`).
    fn source_agrees(&self, remix_of: Option<Option<&str>>) -> bool {
        let Some(listed) = &self.remixed_from else {
            return true;
        };
        match (listed.as_deref(), remix_of) {
            (None, None) => true,
            (Some(_), None) | (None, Some(_)) => false,
            (Some(listed), Some(target)) => target.is_none_or(|target| target == listed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment() -> Segment {
        Segment::example("a red fox")
    }

    fn listed() -> RecentTask {
        RecentTask {
            task_id: "t1".to_string(),
            prompt: " a red fox ".to_string(),
            created_at_ms: Some(1),
            is_pro: Some(false),
            duration_seconds: Some(10),
            resolution: Some("horizontal".to_string()),
            image_url: Some(None),
            cost_cents: Cost::Cents(3),
            remixed_from: Some(None),
        }
    }

    #[test]
    fn a_lost_task_at_a_segments_own_size_matches_it_and_no_other() {
        let large = Segment {
            is_pro: true,
            size: Some("1792x1024".to_string()),
            ..segment()
        };
        let listed_large = RecentTask {
            is_pro: Some(true),
            resolution: Some("1792x1024".to_string()),
            ..listed()
        };
        let shape = ListShape::default();
        assert_eq!(listed_large.matches(&large, &shape), Match::Exact);
        let pro = Segment {
            is_pro: true,
            ..segment()
        };
        assert_eq!(listed_large.matches(&pro, &shape), Match::No);
        let tall = Segment {
            size: Some("1024x1792".to_string()),
            ..large
        };
        assert_eq!(listed_large.matches(&tall, &shape), Match::No);
    }

    #[test]
    fn a_lost_remix_matches_by_its_source_not_by_the_sources_length_or_frame() {
        let remix = |target: Option<&str>| Segment {
            remix_of: Some(match target {
                Some(id) => RemixOf::Video(id.to_string()),
                None => RemixOf::Take {
                    segment: 1,
                    version: 1,
                    source: "f".to_string(),
                    target: None,
                },
            }),
            ..segment()
        };
        // The source's length, mode and frame, not the segment's.
        let listed_remix = |source: Option<&str>| RecentTask {
            is_pro: Some(true),
            duration_seconds: Some(12),
            resolution: Some("1792x1024".to_string()),
            remixed_from: Some(source.map(str::to_string)),
            ..listed()
        };
        let shape = ListShape::default();
        let of_v1 = listed_remix(Some("video_1"));
        assert_eq!(of_v1.matches(&remix(Some("video_1")), &shape), Match::Exact);
        assert_eq!(of_v1.matches(&remix(Some("video_2")), &shape), Match::No);
        assert_eq!(
            of_v1.matches(&remix(None), &shape),
            Match::Exact,
            "a take whose id is not known yet cannot rule a source out"
        );
        assert_eq!(
            of_v1.matches(&segment(), &shape),
            Match::No,
            "a remix is no create"
        );
        assert_eq!(
            listed_remix(None).matches(&remix(Some("video_1")), &shape),
            Match::No,
            "a plain video is no remix"
        );
        let silent = RecentTask {
            remixed_from: None,
            ..listed_remix(None)
        };
        assert_eq!(
            silent.matches(&remix(Some("video_1")), &shape),
            Match::Exact
        );
        assert_eq!(
            silent.matches(&segment(), &shape),
            Match::No,
            "a plain create's own fields still count"
        );
    }

    #[test]
    fn a_lost_task_matches_only_the_same_request() {
        assert_eq!(
            listed().matches(&segment(), &ListShape::default()),
            Match::Exact
        );
        let vertical = RecentTask {
            resolution: Some("vertical".to_string()),
            ..listed()
        };
        assert_eq!(
            vertical.matches(&segment(), &ListShape::default()),
            Match::No,
            "other shape"
        );
        let with_image = RecentTask {
            image_url: Some(Some("https://x/y.png".to_string())),
            ..listed()
        };
        assert_eq!(
            with_image.matches(&segment(), &ListShape::default()),
            Match::No,
            "other image"
        );
        let silent = RecentTask {
            resolution: None,
            image_url: None,
            is_pro: None,
            duration_seconds: None,
            ..listed()
        };
        assert_eq!(
            silent.matches(&segment(), &ListShape::default()),
            Match::Exact,
            "fields the list omits cannot rule it out"
        );
    }

    #[test]
    fn a_shortened_prompt_matches_by_its_start_only() {
        let long = Segment {
            prompt: format!("a red fox {}", "runs through snow ".repeat(20)),
            ..segment()
        };
        let cut = |text: &str| RecentTask {
            prompt: text.to_string(),
            ..listed()
        };
        let head: String = long.prompt.chars().take(200).collect();
        let mut cuts_at_200 = ListShape::default();
        cuts_at_200.see(&head);
        cuts_at_200.see(&format!("{:x<200}", "another long prompt, cut"));
        cuts_at_200.see(&format!("{:y<200}", "and one more of them, cut"));
        assert_eq!(cut(&head).matches(&long, &cuts_at_200), Match::Prefix);
        let no_shape = ListShape::default();
        for marked in [
            format!("{head}…"),
            format!("{head}..."),
            format!("{head}\u{FFFD}"),
        ] {
            assert_eq!(
                cut(&marked).matches(&long, &no_shape),
                Match::Prefix,
                "{marked}"
            );
        }
        assert_eq!(
            cut(&head).matches(&long, &no_shape),
            Match::MaybePrefix,
            "nothing shows the list cuts: a whole, shorter prompt is as likely"
        );
        assert_eq!(cut("a blue fox").matches(&long, &no_shape), Match::No);
        assert_eq!(
            cut("…").matches(&long, &no_shape),
            Match::No,
            "nothing to compare"
        );
        let longer = format!("{} and more", long.prompt);
        assert_eq!(
            cut(&longer).matches(&long, &no_shape),
            Match::No,
            "a longer prompt"
        );
        let vertical = RecentTask {
            resolution: Some("vertical".to_string()),
            ..cut(&head)
        };
        assert_eq!(
            vertical.matches(&long, &cuts_at_200),
            Match::No,
            "other fields still count"
        );
    }

    #[test]
    fn a_short_prompt_is_never_taken_for_the_start_of_a_longer_one() {
        let fifty = Segment {
            prompt: "chaos shot 50".to_string(),
            ..segment()
        };
        let five = RecentTask {
            prompt: "chaos shot 5".to_string(),
            ..listed()
        };
        let mut shape = ListShape::default();
        shape.see("chaos shot 5");
        shape.see("chaos shot 6");
        assert_eq!(five.matches(&fifty, &shape), Match::No);
    }

    #[test]
    fn versions_of_one_prompt_do_not_make_a_cut() {
        let mut shape = ListShape::default();
        let prompt = "a lighthouse at dusk, slow push-in";
        shape.see(prompt);
        shape.see(prompt);
        assert!(!shape.cut(prompt), "one prompt twice is no cut");
        shape.see("a harbour at night, gulls circling");
        assert!(
            !shape.cut(prompt),
            "two prompts of one length can be a coincidence"
        );
        shape.see("a market at noon, stalls and crowd");
        assert!(
            shape.cut(prompt),
            "three different prompts cut at one length"
        );
    }
}
