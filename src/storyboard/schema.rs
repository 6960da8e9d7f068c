//! The JSON Schema of the storyboard format (`sora-batch schema`), generated from the types
//! below so editors can check storyboards while they are written. These types only
//! document the format; fields.rs does the checking, and a unit test keeps the two in step.

#![allow(dead_code)] // the fields are read by schemars' derive, never by code

use schemars::JsonSchema;

/// A sora-batch storyboard: the segments (shots) to generate, and values they share.
/// Keys starting with `_` are comments and are ignored anywhere in the file.
#[derive(JsonSchema)]
#[schemars(
    title = "sora-batch storyboard",
    deny_unknown_fields,
    extend("patternProperties" = { "^_": { "description": "A comment; ignored." } })
)]
pub(super) struct StoryboardDoc {
    /// The JSON Schema this file follows, for editors (e.g. `./storyboard.schema.json`,
    /// written by `sora-batch schema`); ignored by sora-batch.
    #[serde(rename = "$schema")]
    schema: Option<String>,
    /// Values every segment of this file uses unless it sets its own. Precedence: segment,
    /// then these defaults, then the run's settings, then the built-in default.
    defaults: Option<DefaultsDoc>,
    /// The segments, each generated `gen_count` times.
    #[schemars(length(min = 1))]
    segments: Vec<SegmentDoc>,
}

/// One shot of the storyboard.
#[derive(JsonSchema)]
#[schemars(
    deny_unknown_fields,
    extend("patternProperties" = { "^_": { "description": "A comment; ignored." } })
)]
pub(super) struct SegmentDoc {
    /// The segment's number, unique in its file; names its output folder `Segment_<n>`.
    #[schemars(range(min = 1))]
    segment_index: u32,
    /// What the video should show; sent to the video model. Must not be blank or only
    /// invisible characters; no control characters but line breaks and tabs; at most
    /// 10000 characters.
    #[schemars(length(min = 1, max = 10000))]
    prompt_text: String,
    #[schemars(flatten)]
    shared: DefaultsDoc,
}

/// The optional segment fields, also allowed in `defaults`.
#[derive(JsonSchema)]
#[schemars(
    deny_unknown_fields,
    extend("patternProperties" = { "^_": { "description": "A comment; ignored." } })
)]
pub(super) struct DefaultsDoc {
    /// A reference image the video starts from: an http:// or https:// link (the provider
    /// fetches it), without spaces, line breaks, control or invisible characters. Empty or
    /// absent: text only.
    image_url: Option<String>,
    /// Pro mode: higher quality, slower, pricier, and the only mode offering 25 seconds.
    /// Default false.
    is_pro: Option<bool>,
    /// Video length in seconds: 10 or 15 in normal mode; 10, 15 or 25 in pro mode.
    /// Default 10.
    #[schemars(extend("enum" = [10, 15, 25, null]))]
    duration_seconds: Option<u32>,
    /// Frame orientation. Default horizontal.
    resolution: Option<ResolutionDoc>,
    /// How many versions to generate of this segment (each is a paid job). Default: the
    /// run's `--gen-count` (GEN_COUNT_PER_SEGMENT), itself 2 by default.
    #[schemars(range(min = 1, max = 100))]
    gen_count: Option<u32>,
    /// Notes for humans about the shot's purpose; never sent to the API.
    director_intent: Option<String>,
}

/// Frame orientation.
#[derive(JsonSchema)]
pub(super) enum ResolutionDoc {
    /// 16:9 landscape.
    #[schemars(rename = "horizontal")]
    Horizontal,
    /// 9:16 portrait.
    #[schemars(rename = "vertical")]
    Vertical,
}

/// The schema as pretty-printed JSON.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(StoryboardDoc);
    serde_json::to_string_pretty(&schema).expect("a schema always serializes")
}
