//! The JSON Schema of the storyboard format (`sora-batch schema`), so editors check
//! storyboards while they are written. It is derived from spec.rs, the description the
//! checks use too: each field's type, allowed values, default and documentation, and the
//! rule that the lengths only pro mode offers need it, as a conditional on the whole file.
//! The lengths and the prompt limit are the chosen provider's (`SegmentSettings`).

use serde_json::{Map, Value, json};

use super::spec::{Allowed, FILE_DOC, Fallback, Field, Kind, Presence, STYLES, TOP_KEYS, or_list};
use super::{Durations, Refusal, Resolution, SegmentSettings, continuity, text};

/// The schema as pretty-printed JSON, for a provider's lengths and prompt limit.
pub fn schema_json(settings: &SegmentSettings) -> String {
    serde_json::to_string_pretty(&schema(settings)).expect("a schema always serializes")
}

fn schema(settings: &SegmentSettings) -> Value {
    let mut schema = file_schema(settings);
    // A provider that offers the same lengths in both modes has no rule between them.
    if !settings.durations.pro_only().is_empty() {
        schema = with(schema, json!({"allOf": [pro_rule(&settings.durations)]}));
    }
    schema
}

fn file_schema(settings: &SegmentSettings) -> Value {
    let doc = |key: &str| {
        TOP_KEYS
            .iter()
            .find(|(name, _)| *name == key)
            .map_or("", |(_, doc)| *doc)
    };
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "sora-batch storyboard",
        "description": FILE_DOC,
        "type": "object",
        "properties": {
            "$schema": {"description": doc("$schema"), "type": "string"},
            "defaults": {
                "description": doc("defaults"),
                "anyOf": [{"$ref": "#/$defs/defaults"}, {"type": "null"}],
            },
            "segments": {
                "description": doc("segments"),
                "type": "array",
                "minItems": 1,
                "items": {"$ref": "#/$defs/segment"},
            },
        },
        "required": ["segments"],
        "patternProperties": comments(),
        "additionalProperties": false,
        "$defs": {
            "segment": level(Field::ALL.to_vec(), "One shot of the storyboard.", settings),
            "defaults": level(
                Field::ALL.into_iter().filter(|f| f.has_default()).collect(),
                "The optional segment fields, as the file's defaults.",
                settings,
            ),
        },
    })
}

/// Keys starting with `_` are comments anywhere; `additionalProperties` spares them.
fn comments() -> Value {
    json!({"^_": {"description": "A comment; ignored."}})
}

/// A segment, or `defaults`: an object of `fields` and comments, and nothing else.
fn level(fields: Vec<Field>, description: &str, settings: &SegmentSettings) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|field| (field.name().to_string(), field_schema(*field, settings)))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|field| !field.has_default())
        .map(|field| field.name())
        .collect();
    json!({
        "description": description,
        "type": "object",
        "properties": properties,
        "required": required,
        "patternProperties": comments(),
        "additionalProperties": false,
    })
}

/// One field: its type and allowed values from its kind, `null` ("not set") when it is
/// optional, its default and its documentation.
fn field_schema(field: Field, settings: &SegmentSettings) -> Value {
    let spec = field.spec();
    let optional = field.has_default();
    let of_type = |name: &str| match optional {
        true => json!({"type": [name, "null"]}),
        false => json!({"type": name}),
    };
    let one_of = |values: Vec<Value>| {
        let nothing = optional.then_some(Value::Null);
        json!({"enum": values.into_iter().chain(nothing).collect::<Vec<_>>()})
    };
    let mut description = spec.doc.to_string();
    let mut schema = match &spec.kind {
        Kind::Whole { allowed, .. } => match allowed {
            Allowed::From(min) => with(
                of_type("integer"),
                json!({"minimum": min, "maximum": u32::MAX}),
            ),
            Allowed::Between(min, max) => {
                with(of_type("integer"), json!({"minimum": min, "maximum": max}))
            }
        },
        Kind::Duration => {
            let values = settings.durations.all();
            description.push_str(&format!(" Allowed: {}.", or_list(&values)));
            one_of(values.iter().map(|v| json!(v)).collect())
        }
        Kind::Flag => of_type("boolean"),
        Kind::Text => of_type("string"),
        Kind::Prompt => {
            let limit = settings.max_prompt_chars;
            description.push_str(&format!(" At most {limit} characters."));
            let rules =
                json!({"minLength": 1, "maxLength": limit, "pattern": text::prompt_pattern()});
            with(of_type("string"), rules)
        }
        Kind::Link => with(of_type("string"), json!({"pattern": text::link_pattern()})),
        Kind::Resolution => {
            let names = Resolution::ALL.map(|r| json!(r.as_str()));
            let ratios: Vec<String> = Resolution::ALL
                .iter()
                .map(|r| r.ratio().to_string())
                .collect();
            let allowed: Vec<String> = Resolution::ALL
                .iter()
                .map(|r| format!("\"{}\" ({})", r.as_str(), r.ratio()))
                .collect();
            description.push_str(&format!(" Allowed: {}.", allowed.join(" or ")));
            with(one_of(names.to_vec()), json!({"enumDescriptions": ratios}))
        }
        Kind::Size => {
            let sizes = settings.sizes.all();
            match sizes.is_empty() {
                true => description.push_str(" This provider has none: only null is allowed."),
                false => description.push_str(&format!(" Allowed: {}.", sizes.join(", "))),
            }
            one_of(sizes.iter().map(|size| json!(size)).collect())
        }
        Kind::Remix | Kind::Characters | Kind::Style if refused(field, settings).is_some() => {
            description.push_str(" This provider refuses it: only null is allowed.");
            json!({"type": "null"})
        }
        Kind::Remix => {
            let take = json!({
                "type": "object",
                "properties": {
                    "segment": {"type": "integer", "minimum": 1, "maximum": u32::MAX},
                    "version": {"type": ["integer", "null"], "minimum": 1, "maximum": u32::MAX},
                },
                "required": ["segment"],
                "additionalProperties": false,
            });
            let id_pattern = match settings.remix_share_ids_only {
                true => continuity::SHARE_ID_PATTERN,
                false => continuity::ID_PATTERN,
            };
            let id = json!({"type": "string", "pattern": id_pattern});
            let link = json!({"type": "string", "pattern": continuity::SHARE_LINK_PATTERN});
            let take = settings.take_remix_refused.is_none().then_some(take);
            let choices: Vec<Value> = [Some(id), Some(link), take, Some(json!({"type": "null"}))]
                .into_iter()
                .flatten()
                .collect();
            json!({"anyOf": choices})
        }
        Kind::Style => {
            description.push_str(&format!(" Allowed: {}.", STYLES.join(", ")));
            one_of(STYLES.iter().map(|style| json!(style)).collect())
        }
        Kind::Characters => {
            let character = json!({
                "type": "object",
                "properties": {
                    "url": {"type": "string", "pattern": text::web_link_pattern()},
                    "timestamps": {"type": "string", "pattern": continuity::SECONDS_RANGE_PATTERN},
                },
                "required": ["url", "timestamps"],
                "additionalProperties": false,
            });
            with(
                of_type("array"),
                json!({"maxItems": continuity::MAX_CHARACTERS, "items": character}),
            )
        }
    };
    if field == Field::DurationSeconds {
        description.push_str(&pro_rule_doc(&settings.durations));
    }
    if let Presence::Optional { fallback } = &spec.presence {
        let default = match fallback {
            Fallback::Nothing => None,
            Fallback::Flag(flag) => Some(json!(flag)),
            Fallback::Duration => Some(json!(settings.durations.default)),
            Fallback::Resolution(resolution) => Some(json!(resolution.as_str())),
            Fallback::Setting(setting) => {
                description.push_str(&format!(" Default: {setting}."));
                None
            }
        };
        if let Some(default) = default {
            description.push_str(&format!(" Default: {default}."));
            schema = with(schema, json!({"default": default}));
        }
    }
    with(schema, json!({"description": description}))
}

/// Why the provider refuses a field it cannot send, if it does.
fn refused(field: Field, settings: &SegmentSettings) -> Option<Refusal> {
    match field {
        Field::RemixOf => settings.remix_refused,
        Field::Characters => settings.characters_refused,
        Field::StyleId => settings.style_refused,
        _ => None,
    }
}

/// `base` with the keys of `more` added.
fn with(mut base: Value, more: Value) -> Value {
    if let (Value::Object(base), Value::Object(more)) = (&mut base, more) {
        base.extend(more);
    }
    base
}

/// The rule as the duration's documentation states it, with where editors show it.
fn pro_rule_doc(durations: &Durations) -> String {
    if durations.pro_only().is_empty() {
        return String::new();
    }
    format!(
        " {} needs \"is_pro\": true, set on the segment or in `defaults` (the segment's own \
         \"is_pro\", even false, wins); normal mode allows {}. Editors mark a missing or \
         false \"is_pro\" on the segment rather than this field: the schema checks the rule \
         on the whole file, the one place that sees both the segment and `defaults`.",
        or_list(&durations.pro_only()),
        or_list(durations.normal)
    )
}

/// `spec::needs_pro` as a schema. A segment's own `is_pro` and `duration_seconds` win
/// over `defaults`, and `null` means "not set"; the rule depends on both levels, so it
/// sits at the top: one branch per combination of what `defaults` sets, each asking of
/// every segment "if its duration is pro-only, it is pro".
fn pro_rule(durations: &Durations) -> Value {
    const PRO: &str = "is_pro";
    const DURATION: &str = "duration_seconds";
    let pro_only = json!({"enum": durations.pro_only()});
    let is_true = json!({"const": true});
    let in_defaults = |key: &str, value: &Value| json!({"required": ["defaults"], "properties": {"defaults": sets(key, value)}});
    let segments = |pro_from_defaults: bool, long_from_defaults: bool| {
        let or_unset = |key: &str, value: &Value, inherited: bool| match inherited {
            true => json!({"anyOf": [sets(key, value), unset(key)]}),
            false => sets(key, value),
        };
        let long = or_unset(DURATION, &pro_only, long_from_defaults);
        let pro = or_unset(PRO, &is_true, pro_from_defaults);
        json!({"properties": {"segments": {"items": {"if": long, "then": pro}}}})
    };
    let by_duration = |pro_from_defaults: bool| {
        json!({
            "if": in_defaults(DURATION, &pro_only),
            "then": segments(pro_from_defaults, true),
            "else": segments(pro_from_defaults, false),
        })
    };
    json!({
        "description": format!(
            "duration_seconds {} needs \"is_pro\": true, from the segment or else from `defaults`.",
            or_list(&durations.pro_only())
        ),
        "if": in_defaults(PRO, &is_true),
        "then": by_duration(true),
        "else": by_duration(false),
    })
}

/// An object without `key`, or with `key` set to `null`.
fn unset(key: &str) -> Value {
    json!({"type": "object", "properties": {key: {"type": "null"}}})
}

/// An object whose `key` is present and matches `value`.
fn sets(key: &str, value: &Value) -> Value {
    json!({"type": "object", "required": [key], "properties": {key: value}})
}
