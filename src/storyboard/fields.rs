//! The storyboard's structure: which keys exist where (from spec.rs), how a segment's
//! fields resolve against the file's `defaults`, the rule between fields, and the
//! suggestions offered for a mistyped key. Every check records its problem and goes on, so
//! one pass finds them all.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::decode::Parsed;
use super::images::is_link;
use super::spec::{Fallback, Field, Presence, TOP_KEYS, is_comment};
use super::suggest::{suggest, unknown_key};
use super::values::{self, Checked, describe, expected};
use super::{Location, Problem, Resolution, Segment, SegmentSettings, model_is_pro};
use super::{RemixOf, continuity, duplicates, is_share_id};
use crate::i18n::Message;

/// The optional fields as one level of a file (a segment, or its `defaults`) sets them,
/// by [`Field`].
#[derive(Debug, Default)]
struct Layer([Option<Checked>; Field::ALL.len()]);

impl Layer {
    fn get(&self, field: Field) -> Option<&Checked> {
        self.0[field as usize].as_ref()
    }
}

/// Gathers the problems of one file.
struct Problems<'a> {
    file: &'a Path,
    list: Vec<Problem>,
}

impl Problems<'_> {
    fn add(&mut self, location: &Location, field: Option<&str>, message: Message) {
        self.list.push(Problem {
            file: self.file.to_path_buf(),
            location: location.clone(),
            field: field.map(str::to_string),
            message,
        });
    }
}

/// Checks a parsed storyboard and resolves its segments: those without a problem, and
/// every problem found.
pub(super) fn check_file(
    parsed: &Parsed,
    file: &Path,
    settings: SegmentSettings,
) -> (Vec<Segment>, Vec<Problem>) {
    let mut problems = Problems {
        file,
        list: Vec::new(),
    };
    let value = &parsed.value;
    let listed = match value.get("segments") {
        Some(Value::Array(items)) => items.as_slice(),
        _ => &[],
    };
    for duplicate in &parsed.duplicates {
        let (location, field) = duplicates::locate(duplicate, listed);
        problems.add(&location, Some(&field), duplicates::message(duplicate));
    }
    let Some(top) = value.as_object() else {
        let message = Message::new("storyboard.top_not_object").with_text("found", describe(value));
        problems.add(&Location::File, None, message);
        return (Vec::new(), problems.list);
    };
    check_top_keys(top, &mut problems);
    let defaults = match top.get("defaults") {
        None | Some(Value::Null) => Layer::default(),
        Some(Value::Object(map)) => read_layer(map, &Location::Defaults, settings, &mut problems),
        Some(other) => {
            let message =
                Message::new("storyboard.defaults_not_object").with_text("found", describe(other));
            problems.add(&Location::File, Some("defaults"), message);
            Layer::default()
        }
    };
    let segments = check_segment_list(top.get("segments"), &mut problems);
    let mut first_use: HashMap<u32, usize> = HashMap::with_capacity(segments.len());
    let mut resolved = Vec::with_capacity(segments.len());
    for (offset, item) in segments.iter().enumerate() {
        let position = offset + 1;
        let Some(map) = item.as_object() else {
            let message =
                Message::new("storyboard.segment_not_object").with_text("found", describe(item));
            problems.add(&Location::Position { position }, None, message);
            continue;
        };
        let before = problems.list.len();
        let segment = check_segment(
            map,
            position,
            &defaults,
            settings,
            &mut first_use,
            &mut problems,
        );
        if problems.list.len() == before {
            resolved.extend(segment);
        }
    }
    let (resolved, chains) = continuity::check_takes(resolved, file);
    problems.list.extend(chains);
    (resolved, problems.list)
}

/// Flags unknown keys at the top level, and a `$schema` that is not text.
fn check_top_keys(top: &Map<String, Value>, problems: &mut Problems) {
    let names = TOP_KEYS.map(|(name, _)| name);
    for (key, value) in top {
        if is_comment(key) {
            continue;
        }
        if !names.contains(&key.as_str()) {
            problems.add(&Location::File, Some(key), unknown_key(key, &names));
        } else if key == "$schema" && !value.is_string() {
            // Editors read it as the schema's address; sora-batch ignores its text.
            let message = expected(Message::new("storyboard.what.schema"), value);
            problems.add(&Location::File, Some(key), message);
        }
    }
}

fn check_segment_list<'v>(value: Option<&'v Value>, problems: &mut Problems) -> &'v [Value] {
    let message = match value {
        Some(Value::Array(items)) if !items.is_empty() => return items,
        Some(Value::Array(_)) => Message::new("storyboard.segments.empty"),
        None | Some(Value::Null) => Message::new("storyboard.segments.missing"),
        Some(other) => {
            Message::new("storyboard.segments.not_a_list").with_text("found", describe(other))
        }
    };
    problems.add(&Location::File, Some("segments"), message);
    &[]
}

/// Checks one segment object; `None` when its identity or prompt is unusable. Other
/// problems are recorded and the caller discards the segment. `first_use` maps each
/// `segment_index` seen so far to its position, to catch duplicates.
fn check_segment(
    map: &Map<String, Value>,
    position: usize,
    defaults: &Layer,
    settings: SegmentSettings,
    first_use: &mut HashMap<u32, usize>,
    problems: &mut Problems,
) -> Option<Segment> {
    let (index, location) = identify(map, position, first_use, problems);
    let prompt = match values::required(Field::PromptText, map.get("prompt_text"), &settings) {
        Ok(Checked::Text(prompt)) => Some(prompt),
        Ok(_) => None,
        Err(message) => {
            if !misspelled(map, Field::PromptText) {
                problems.add(&location, Some("prompt_text"), message);
            }
            None
        }
    };
    let fields = Resolved {
        own: read_layer(map, &location, settings, problems),
        defaults,
        settings,
    };
    if let Some(message) = fields.pro_problem() {
        problems.add(&location, Some("duration_seconds"), message);
    }
    if let Some(message) = fields.image_url_problem() {
        problems.add(&location, Some("image_url"), message);
    }
    if let Some(message) = fields.remix_image_problem() {
        problems.add(&location, Some("image_url"), message);
    }
    if let Some(message) = fields.remix_problem() {
        problems.add(&location, Some("remix_of"), message);
    }
    if let Some(message) = fields.model_problem() {
        problems.add(&location, Some("model"), message);
    }
    if let Some(message) = fields.size_problem() {
        problems.add(&location, Some("size"), message);
    }
    for (field, refused) in [
        (Field::RemixOf, settings.remix_refused),
        (Field::Characters, settings.characters_refused),
        (Field::StyleId, settings.style_refused),
    ] {
        if let (Some(why), Some(_)) = (refused, fields.value(field)) {
            problems.add(&location, Some(field.name()), why.message());
        }
    }
    Some(fields.into_segment(index?, prompt?))
}

/// A segment's number, if usable, and the location its problems name: the number, or its
/// position when it has none or an earlier segment took it (then "segment 1" would point
/// at that one).
fn identify(
    map: &Map<String, Value>,
    position: usize,
    first_use: &mut HashMap<u32, usize>,
    problems: &mut Problems,
) -> (Option<u32>, Location) {
    let position_location = Location::Position { position };
    let index = match read_index(map.get("segment_index")) {
        Ok(index) => index,
        Err(message) => {
            if !misspelled(map, Field::SegmentIndex) {
                problems.add(&position_location, Some("segment_index"), message);
            }
            return (None, position_location);
        }
    };
    match first_use.get(&index).copied() {
        None => {
            first_use.insert(index, position);
            (Some(index), Location::Segment { index })
        }
        Some(first) => {
            let message = Message::new("storyboard.index_taken")
                .with("index", index)
                .with("first", first);
            problems.add(&position_location, Some("segment_index"), message);
            (Some(index), position_location)
        }
    }
}

/// A segment's optional fields as they resolve: its own value, else the file's default,
/// else the field's fallback (spec.rs).
struct Resolved<'a> {
    own: Layer,
    defaults: &'a Layer,
    settings: SegmentSettings,
}

impl Resolved<'_> {
    fn value(&self, field: Field) -> Option<Checked> {
        if let Some(set) = self.own.get(field).or_else(|| self.defaults.get(field)) {
            return Some(set.clone());
        }
        let Presence::Optional { fallback } = &field.spec().presence else {
            return None;
        };
        match fallback {
            Fallback::Nothing => None,
            Fallback::Flag(flag) => Some(Checked::Flag(*flag)),
            Fallback::Duration => Some(Checked::Number(self.settings.durations.default)),
            Fallback::Resolution(resolution) => Some(Checked::Resolution(*resolution)),
            Fallback::Setting(_) => Some(Checked::Number(self.settings.gen_count)),
        }
    }

    // The fields read with `number` and `resolution` have a fallback in spec.rs, so the
    // `default()`s below never apply (a unit test checks the fallbacks).
    fn number(&self, field: Field) -> u32 {
        match self.value(field) {
            Some(Checked::Number(number)) => number,
            _ => u32::default(),
        }
    }

    fn resolution(&self) -> Resolution {
        match self.value(Field::Resolution) {
            Some(Checked::Resolution(resolution)) => resolution,
            _ => Resolution::default(),
        }
    }

    fn text(&self, field: Field) -> Option<String> {
        match self.value(field) {
            Some(Checked::Text(text)) => Some(text),
            _ => None,
        }
    }

    /// Pro mode: `is_pro`, or a model whose name says pro (`sora-2-pro…`).
    fn is_pro(&self) -> bool {
        let pro_model = self.model().as_deref().and_then(model_is_pro) == Some(true);
        pro_model || self.is_pro_set()
    }

    fn is_pro_set(&self) -> bool {
        matches!(self.value(Field::IsPro), Some(Checked::Flag(true)))
    }

    /// Where a field's value came from, as a problem says it: ` (from "defaults")` when
    /// the segment does not set it itself.
    fn origin(&self, field: Field) -> Message {
        match self.own.get(field) {
            None => Message::new("storyboard.origin.defaults"),
            Some(_) => Message::new("storyboard.plain").with("value", ""),
        }
    }

    /// A model known not to be pro (`sora-2`) with `is_pro`: the request would say one
    /// mode and the price, lengths and task search the other.
    fn model_problem(&self) -> Option<Message> {
        let model = self.model()?;
        if !(self.is_pro_set() && model_is_pro(&model) == Some(false)) {
            return None;
        }
        Some(
            Message::new("storyboard.model_not_pro")
                .with("model", model)
                .with_text("origin", self.origin(Field::Model)),
        )
    }

    /// The model to send, if set and not blank.
    fn model(&self) -> Option<String> {
        self.text(Field::Model)
            .filter(|model| !model.trim().is_empty())
    }

    /// A size the provider does not offer in the segment's mode: the message names the
    /// sizes it does offer, or `resolution` when it has none.
    fn size_problem(&self) -> Option<Message> {
        let size = self.text(Field::Size)?;
        let sizes = self.settings.sizes;
        let offered = sizes.of(self.is_pro());
        let message = if sizes.all().is_empty() {
            Message::new("storyboard.size.none")
        } else if offered.contains(&size.as_str()) {
            return None;
        } else if !self.is_pro() && sizes.pro.contains(&size.as_str()) {
            Message::new("storyboard.size.needs_pro").with_list("list", offered)
        } else {
            Message::new("storyboard.size.not_offered").with_list("list", offered)
        };
        Some(
            message
                .with("size", size)
                .with_text("origin", self.origin(Field::Size))
                .with("provider", self.settings.durations.provider),
        )
    }

    /// The rule between fields (a length one mode offers needs that mode), broken: the
    /// message says so.
    fn pro_problem(&self) -> Option<Message> {
        let seconds = self.number(Field::DurationSeconds);
        self.settings.durations.mode_problem(
            seconds,
            self.is_pro(),
            self.origin(Field::DurationSeconds),
        )
    }

    /// An image with a remix, for a provider whose remixes take none: the message names
    /// both fields and where the image came from.
    fn remix_image_problem(&self) -> Option<Message> {
        let why = self.settings.remix_image_refused?;
        self.value(Field::RemixOf)?;
        self.text(Field::ImageUrl)?;
        Some(
            Message::new("storyboard.remix.no_image")
                .with_text("origin", self.origin(Field::ImageUrl))
                .with("provider", self.settings.durations.provider)
                .with_text("why", why.message()),
        )
    }

    /// A remix the provider can send no request for: a take, where its videos carry no id
    /// a remix can name, or a video by an id that is not a Sora share id, where only those
    /// are read. The message says where `remix_of` came from, and what to write instead.
    fn remix_problem(&self) -> Option<Message> {
        let Some(Checked::Remix(remix)) = self.value(Field::RemixOf) else {
            return None;
        };
        let message = match remix {
            RemixOf::Take {
                segment, version, ..
            } => Message::new("storyboard.remix.no_take")
                .with("segment", segment)
                .with("version", version)
                .with_text("why", self.settings.take_remix_refused?.message()),
            RemixOf::Video(id) if self.settings.remix_share_ids_only && !is_share_id(&id) => {
                Message::new("storyboard.remix.not_share_id").with("id", id)
            }
            RemixOf::Video(_) => return None,
        };
        Some(
            message
                .with_text("origin", self.origin(Field::RemixOf))
                .with("provider", self.settings.durations.provider),
        )
    }

    /// An image link the run's settings cannot send (`ImageRules::link_refused`); files
    /// are checked against the disk later (images.rs).
    fn image_url_problem(&self) -> Option<Message> {
        let why = self.settings.images.link_refused?;
        self.text(Field::ImageUrl).filter(|text| is_link(text))?;
        Some(
            Message::new("storyboard.link_refused")
                .with_text("origin", self.origin(Field::ImageUrl))
                .with_text("why", why.message()),
        )
    }

    fn into_segment(self, index: u32, prompt: String) -> Segment {
        Segment {
            index,
            prompt,
            image_url: self.text(Field::ImageUrl),
            is_pro: self.is_pro(),
            duration_seconds: self.number(Field::DurationSeconds),
            resolution: self.resolution(),
            gen_count: self.number(Field::GenCount),
            director_intent: self.text(Field::DirectorIntent),
            model: self.model(),
            size: self
                .text(Field::Size)
                .or_else(|| self.settings.sizes.default.map(str::to_string)),
            image_file: None,
            remix_of: match self.value(Field::RemixOf) {
                Some(Checked::Remix(remix)) => Some(remix),
                _ => None,
            },
            characters: match self.value(Field::Characters) {
                Some(Checked::Characters(characters)) => characters,
                _ => Vec::new(),
            },
            style_id: self.text(Field::StyleId),
        }
    }
}

/// Is `field` absent because an unknown key of `map` is its misspelling? Then a "missing"
/// problem would only repeat the unknown-key one, which already names the fix.
fn misspelled(map: &Map<String, Value>, field: Field) -> bool {
    let absent = map.get(field.name()).is_none_or(Value::is_null);
    let names = Field::ALL.map(Field::name);
    absent
        && map.keys().any(|key| {
            !is_comment(key)
                && Field::from_name(key).is_none()
                && suggest(key, &names) == Some(field.name())
        })
}

/// Reads the optional fields of a segment or of `defaults`, and flags unknown keys.
fn read_layer(
    map: &Map<String, Value>,
    location: &Location,
    settings: SegmentSettings,
    problems: &mut Problems,
) -> Layer {
    let in_defaults = *location == Location::Defaults;
    let mut layer = Layer::default();
    for (key, value) in map {
        if is_comment(key) {
            continue;
        }
        let Some(field) = Field::from_name(key) else {
            let allowed: Vec<&str> = Field::ALL
                .into_iter()
                .filter(|field| !in_defaults || field.has_default())
                .map(Field::name)
                .collect();
            problems.add(location, Some(key), unknown_key(key, &allowed));
            continue;
        };
        if !field.has_default() {
            if in_defaults {
                let message = Message::new("storyboard.no_default");
                problems.add(location, Some(key), message);
            }
            continue;
        }
        match values::check(&field.spec().kind, value, &settings) {
            Ok(checked) => layer.0[field as usize] = checked,
            Err(message) => problems.add(location, Some(key), message),
        }
    }
    layer
}

/// A segment's number, or why it has none.
pub(super) fn read_index(value: Option<&Value>) -> Result<u32, Message> {
    values::required_number(Field::SegmentIndex, value)
}
