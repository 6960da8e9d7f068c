//! The one description of the storyboard format: every key, where it may appear, its JSON
//! type, the values it allows (from the constants the checks use), its default, its
//! documentation, and the one rule between keys (a length only pro mode offers needs
//! `is_pro`; the lengths are the provider's, see durations.rs). The checks
//! (fields.rs, values.rs) and the JSON Schema (schema.rs) are both derived from it, so
//! they cannot disagree about what a field is.

use super::{MAX_GEN_COUNT, Resolution};
use crate::i18n::Message;

/// Every key a segment may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    SegmentIndex,
    PromptText,
    ImageUrl,
    IsPro,
    DurationSeconds,
    Resolution,
    GenCount,
    DirectorIntent,
    Model,
    Size,
    RemixOf,
    Characters,
    StyleId,
}

/// The styles a chat gateway applies (PROTOCOLS.md section 3), as `style_id` names them.
pub const STYLES: [&str; 10] = [
    "festive",
    "retro",
    "news",
    "selfie",
    "handheld",
    "anime",
    "comic",
    "golden",
    "nostalgic",
    "kakalaka",
];

/// What a field's value must be: its JSON type and the values or range it allows.
pub(super) enum Kind {
    /// A whole number (JSON integer). `what` names the expectation in messages; `refused`
    /// explains a whole number outside `allowed`.
    Whole {
        what: fn() -> Message,
        allowed: Allowed,
        refused: fn(u32) -> Message,
    },
    /// `true` or `false`.
    Flag,
    /// Any text.
    Text,
    /// The prompt's text rules (text.rs): not blank, no control characters, bounded length.
    Prompt,
    /// An http(s) link to an image, or blank for none (text.rs, fields.rs).
    Link,
    /// A video length the provider offers in either mode (its `Durations`, a setting of
    /// the check); which mode offers it is the rule between fields.
    Duration,
    /// One of [`Resolution::ALL`], by name.
    Resolution,
    /// A frame size `WIDTHxHEIGHT`; which sizes the provider offers in the segment's
    /// mode is a rule between fields (fields.rs).
    Size,
    /// A provider's video id, or `{"segment": N, "version": V}` (continuity.rs).
    Remix,
    /// A list of `{"url": LINK, "timestamps": "START,END"}` (continuity.rs).
    Characters,
    /// One of [`STYLES`].
    Style,
}

/// The whole numbers a [`Kind::Whole`] field allows.
pub(super) enum Allowed {
    /// `min` or more (up to `u32::MAX`).
    From(u32),
    /// `min` to `max`, both included.
    Between(u32, u32),
}

impl Allowed {
    pub(super) fn contains(&self, number: u32) -> bool {
        match self {
            Allowed::From(min) => number >= *min,
            Allowed::Between(min, max) => (*min..=*max).contains(&number),
        }
    }
}

/// Where a field may appear, and what its absence means.
pub(super) enum Presence {
    /// Every segment must set it; `defaults` cannot. `missing` is the problem's message.
    Required { missing: fn() -> Message },
    /// A segment may set it, `defaults` too; else `fallback` applies.
    Optional { fallback: Fallback },
}

/// The value an optional field takes when neither the segment nor `defaults` set it.
pub(super) enum Fallback {
    Nothing,
    Flag(bool),
    /// The provider's length for a segment that sets none (`Durations::default`).
    Duration,
    Resolution(Resolution),
    /// The run's setting (`--gen-count`); the text says which, for the documentation.
    Setting(&'static str),
}

/// One field, fully described.
pub(super) struct Spec {
    pub name: &'static str,
    pub kind: Kind,
    pub presence: Presence,
    /// The documentation shown by editors; the allowed values and the default are added
    /// from `kind` and `presence` where they are plain.
    pub doc: &'static str,
}

impl Field {
    pub(super) const ALL: [Field; 13] = [
        Field::SegmentIndex,
        Field::PromptText,
        Field::ImageUrl,
        Field::IsPro,
        Field::DurationSeconds,
        Field::Resolution,
        Field::GenCount,
        Field::DirectorIntent,
        Field::Model,
        Field::Size,
        Field::RemixOf,
        Field::Characters,
        Field::StyleId,
    ];

    pub(super) fn spec(self) -> &'static Spec {
        &SPECS[self as usize]
    }

    pub(super) fn name(self) -> &'static str {
        self.spec().name
    }

    /// Whether `defaults` may set it (every field but a segment's identity and prompt).
    pub(super) fn has_default(self) -> bool {
        matches!(self.spec().presence, Presence::Optional { .. })
    }

    pub(super) fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.name() == name)
    }
}

/// In the order of [`Field::ALL`] (a unit test checks).
const SPECS: [Spec; 13] = [
    Spec {
        name: "segment_index",
        kind: Kind::Whole {
            what: || Message::new("storyboard.what.from_one"),
            allowed: Allowed::From(1),
            refused: |n| Message::new("storyboard.index_from_one").with("n", n),
        },
        presence: Presence::Required {
            missing: || Message::new("storyboard.missing.segment_index"),
        },
        doc: "The segment's number, unique in its file; names its output folder `Segment_<n>`.",
    },
    Spec {
        name: "prompt_text",
        kind: Kind::Prompt,
        presence: Presence::Required {
            missing: || Message::new("storyboard.missing.prompt_text"),
        },
        doc: "What the video should show; sent to the video model. Must not be blank or only \
              invisible characters; no control characters but line breaks and tabs.",
    },
    Spec {
        name: "image_url",
        kind: Kind::Link,
        presence: Presence::Optional {
            fallback: Fallback::Nothing,
        },
        doc: "A reference image the video starts from: an http:// or https:// link (the \
              provider fetches it), without spaces, line breaks, control or invisible \
              characters; or a PNG, JPEG or WebP file's path, relative to the storyboard's \
              folder or absolute. Empty or absent: text only.",
    },
    Spec {
        name: "is_pro",
        kind: Kind::Flag,
        presence: Presence::Optional {
            fallback: Fallback::Flag(false),
        },
        doc: "Pro mode: higher quality, slower, pricier, and the only mode offering the \
              longest videos.",
    },
    Spec {
        name: "duration_seconds",
        kind: Kind::Duration,
        presence: Presence::Optional {
            fallback: Fallback::Duration,
        },
        doc: "Video length in seconds; which lengths are allowed depends on the provider.",
    },
    Spec {
        name: "resolution",
        kind: Kind::Resolution,
        presence: Presence::Optional {
            fallback: Fallback::Resolution(Resolution::Horizontal),
        },
        doc: "Frame orientation.",
    },
    Spec {
        name: "gen_count",
        kind: Kind::Whole {
            what: || Message::new("storyboard.what.versions"),
            allowed: Allowed::Between(1, MAX_GEN_COUNT),
            refused: |n| {
                Message::new("storyboard.gen_count_range")
                    .with("n", n)
                    .with("max", MAX_GEN_COUNT)
            },
        },
        presence: Presence::Optional {
            fallback: Fallback::Setting(
                "the run's `--gen-count` (GEN_COUNT_PER_SEGMENT), itself 2 by default",
            ),
        },
        doc: "How many versions to generate of this segment (each is a paid job).",
    },
    Spec {
        name: "director_intent",
        kind: Kind::Text,
        presence: Presence::Optional {
            fallback: Fallback::Nothing,
        },
        doc: "Notes for humans about the shot's purpose; never sent to the API.",
    },
    Spec {
        name: "model",
        kind: Kind::Text,
        presence: Presence::Optional {
            fallback: Fallback::Nothing,
        },
        doc: "The model name to send (OpenAI dialect), instead of `sora-2` or, with \
              `is_pro`, `sora-2-pro`; for gateways that name their models otherwise. A \
              name starting with `sora-2-pro` makes the segment pro (its lengths, sizes \
              and prices); any other name leaves that to `is_pro`.",
    },
    Spec {
        name: "size",
        kind: Kind::Size,
        presence: Presence::Optional {
            fallback: Fallback::Nothing,
        },
        doc: "The frame size in pixels, `WIDTHxHEIGHT` (e.g. `1792x1024`), instead of the \
              one `resolution` picks (`1280x720` or `720x1280`); one of the sizes the \
              provider offers in the segment's mode (OpenAI: the larger sizes are pro \
              only). Providers without a size parameter (sora-hk) refuse it: use \
              `resolution`.",
    },
    Spec {
        name: "remix_of",
        kind: Kind::Remix,
        presence: Presence::Optional {
            fallback: Fallback::Nothing,
        },
        doc: "Make this shot a remix of another video: the provider's id for a video made \
              elsewhere (`\"video_68d7…\"`, `\"s_68e8…\"`, or a Sora share link \
              `https://sora.chatgpt.com/p/s_68e8…`), or a take of this storyboard, \
              `{\"segment\": 3, \"version\": 1}`, which is then generated first and remixed \
              once done. Providers without remixing (sora-hk) refuse it; chat gateways \
              remix only a published Sora video, by its share link or `s_…` id.",
    },
    Spec {
        name: "characters",
        kind: Kind::Characters,
        presence: Presence::Optional {
            fallback: Fallback::Nothing,
        },
        doc: "Character references for providers that take them (draw): a list of \
              `{\"url\": LINK to a video of the character, \"timestamps\": \"START,END\"}` \
              in seconds, e.g. `\"0,3\"`. Other providers refuse it.",
    },
    Spec {
        name: "style_id",
        kind: Kind::Style,
        presence: Presence::Optional {
            fallback: Fallback::Nothing,
        },
        doc: "A video style the provider applies (chat gateways), e.g. `\"anime\"`. Other \
              providers refuse it.",
    },
];

/// The keys of the file's top level, with their documentation.
pub(super) const TOP_KEYS: [(&str, &str); 3] = [
    (
        "$schema",
        "The JSON Schema this file follows, for editors (e.g. `./storyboard.schema.json`, \
         written by `sora-batch schema`); ignored by sora-batch.",
    ),
    (
        "defaults",
        "Values every segment of this file uses unless it sets its own. Precedence: segment, \
         then these defaults, then the run's settings, then the built-in default.",
    ),
    (
        "segments",
        "The segments, each generated `gen_count` times.",
    ),
];

/// The documentation of the whole file.
pub(super) const FILE_DOC: &str = "A sora-batch storyboard: the segments (shots) to generate, \
    and values they share. Keys starting with `_` are comments and are ignored anywhere in \
    the file.";

/// Keys that start with `_` are comments, anywhere in the file.
pub(super) fn is_comment(key: &str) -> bool {
    key.starts_with('_')
}

/// `10, 15 or 25` (`10、15 或 25`).
pub(super) fn or_list(values: &[u32]) -> Message {
    match values {
        [] => Message::new("storyboard.plain").with("value", ""),
        [only] => Message::new("storyboard.plain").with("value", only),
        [rest @ .., last] => Message::new("storyboard.or_list")
            .with_list("rest", rest)
            .with("last", last),
    }
}
