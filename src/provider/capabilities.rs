//! What a provider can do, declared once per dialect as a constant: whether it lists its
//! tasks, which reference images it takes, its durations and sizes per mode, its price
//! model, whether it reports prices and a balance, whether downloads need the key, its
//! prompt limit. Validation, the dry run and the engine read this description, never the
//! dialect's name; it is known without a connection (`cli::ProviderKind::capabilities`),
//! so a dry run without a key still validates and prices.

use serde::Serialize;

use crate::storyboard::{Durations, ImageRules, Refusal, Segment, SegmentSettings, Sizes};

/// A dialect's description of itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// The dialect, as messages about what it allows name it (e.g. `sora-hk`).
    pub name: &'static str,
    /// It can list the account's recent tasks (`Provider::recent`), so a create whose
    /// answer was lost can be found again. Without it, such a create's outcome stays
    /// unknown and the job is never submitted again by itself (`engine::reconcile`).
    pub lists_tasks: bool,
    /// A task it accepted can be asked about by a later run (a task id it keeps). `false`
    /// for a chat gateway, whose job lives in one stream of one process: a task an
    /// earlier run left unfinished is an unknown outcome.
    pub tasks_outlive_run: bool,
    /// How it takes a reference image.
    pub image_inputs: &'static [ImageInput],
    /// It takes a reference image only at the video's frame size.
    pub image_must_match_frame: bool,
    /// It can remix a finished video (`remix_of`).
    pub remix: bool,
    /// A remix can carry a reference image too (`image_url` with `remix_of`); only
    /// meaningful with `remix`.
    pub remix_takes_image: bool,
    /// A take of this storyboard can be remixed: its finished videos carry an id a remix
    /// names (`TaskPhase::Completed::remix_id`); only meaningful with `remix`.
    pub remix_takes: bool,
    /// It reads a video to remix only as a Sora share id (`s_…`) or share link.
    pub remix_share_ids: bool,
    /// It applies a video style (`style_id`).
    pub styles: bool,
    /// It takes character references (`characters`).
    pub characters: bool,
    /// The video lengths it offers, with and without `is_pro`.
    pub durations: Durations,
    /// The frame sizes it offers per mode (`WIDTHxHEIGHT`); empty: it has no size
    /// parameter, and `resolution` alone picks the frame.
    pub sizes: PerMode<&'static [&'static str]>,
    /// The frame size a segment that sets no `size` gets, when the provider's sizes are
    /// not pixel sizes `resolution` can pick (draw's `small`/`large`); `None`: none.
    pub default_size: Option<&'static str>,
    /// How a job's price is reckoned, at its documented prices.
    pub price_model: PriceModel,
    /// The provider publishes those prices; `false`: they are a guess at a typical plan,
    /// and the dry run asks for the user's own.
    pub prices_documented: bool,
    /// What its prices and balance are counted in: `USD` (in cents), or `credits` (whole
    /// credits, which the price fields' "cents" then hold).
    pub currency: &'static str,
    /// The call that says its current prices (`Provider::pricing`), as messages name it
    /// (e.g. `GET /pricing`); `None`: it has none, its documented prices apply.
    pub live_prices: Option<&'static str>,
    /// It says the account's balance (`Provider::balance`).
    pub has_balance: bool,
    /// Its video downloads need the API key (`Provider::download_auth`).
    pub download_needs_key: bool,
    /// Its video links point at a cache kept for minutes (a chat gateway's): their
    /// downloads go ahead of others waiting for a slot.
    pub short_lived_links: bool,
    /// The longest prompt it takes, in characters.
    pub max_prompt_chars: usize,
    /// The environment variable its API key is read from, as messages name it.
    pub key_variable: &'static str,
    /// The environment variable that holds several of its keys, as a JSON list.
    pub keys_variable: &'static str,
}

impl Capabilities {
    /// Where its keys are read from (see `keys::KeySet::load`).
    pub const fn key_variables(&self) -> crate::keys::KeyVariables {
        crate::keys::KeyVariables {
            single: self.key_variable,
            list: self.keys_variable,
        }
    }

    /// What validation needs from the provider, with the run's `gen_count`.
    pub const fn segment_settings(&self, gen_count: u32) -> SegmentSettings {
        SegmentSettings {
            gen_count,
            max_prompt_chars: self.max_prompt_chars,
            durations: self.durations,
            images: self.image_rules(),
            remix_refused: match self.remix {
                true => None,
                false => Some(Refusal::NoRemix),
            },
            remix_image_refused: match self.remix && !self.remix_takes_image {
                true => Some(Refusal::NoRemixImage),
                false => None,
            },
            characters_refused: match self.characters {
                true => None,
                false => Some(Refusal::NoCharacters),
            },
            take_remix_refused: match self.remix && !self.remix_takes {
                true => Some(Refusal::NoTakeRemix),
                false => None,
            },
            remix_share_ids_only: self.remix_share_ids,
            style_refused: match self.styles {
                true => None,
                false => Some(Refusal::NoStyles),
            },
            sizes: Sizes {
                normal: self.sizes.normal,
                pro: self.sizes.pro,
                default: self.default_size,
            },
        }
    }
}

impl Capabilities {
    /// What it does with reference images, before the run's flags change it.
    pub const fn image_rules(&self) -> ImageRules {
        let mut takes_files = false;
        let mut at = 0;
        while at < self.image_inputs.len() {
            takes_files |= matches!(
                self.image_inputs[at],
                ImageInput::UploadedFile | ImageInput::DataUrl
            );
            at += 1;
        }
        ImageRules {
            link_refused: None,
            file_refused: match takes_files {
                true => None,
                false => Some(Refusal::FilesNeedAHost),
            },
            must_match_frame: self.image_must_match_frame,
            fit: false,
            hosted: false,
        }
    }
}

/// How a provider takes a reference image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageInput {
    /// A public http(s) link it fetches itself.
    PublicUrl,
    /// The file's bytes, uploaded with the create (a multipart part).
    UploadedFile,
    /// The bytes inline as a `data:` URL.
    DataUrl,
}

/// One value for each mode: normal, and `"is_pro": true` (a dialect maps the modes to
/// its models, e.g. `sora-2` and `sora-2-pro`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerMode<T> {
    pub normal: T,
    pub pro: T,
}

impl<T: Copy> PerMode<T> {
    /// The value for a segment's mode.
    pub fn of(&self, segment: &Segment) -> T {
        match segment.is_pro {
            true => self.pro,
            false => self.normal,
        }
    }
}

/// Prices per mode, in cents: per task or per second of video, as the [`PriceModel`]
/// says. Field names are a public interface (the dry run's `--json` `prices`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Prices {
    pub normal_cents: u32,
    pub pro_cents: u32,
    /// Pro at a size larger than 720p (OpenAI's `1792x1024`, `1024x1792`); `None`: the
    /// pro price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pro_large_cents: Option<u32>,
}

/// The most pixels a frame has at the base price (720p: 1280x720).
const BASE_PIXELS: u64 = 1280 * 720;

impl Prices {
    fn of(&self, segment: &Segment) -> u64 {
        let pro = match (self.pro_large_cents, is_large(segment)) {
            (Some(large), true) => large,
            _ => self.pro_cents,
        };
        let mode = PerMode {
            normal: self.normal_cents,
            pro,
        };
        u64::from(mode.of(segment))
    }
}

/// Whether a segment's `size` is larger than 720p: more pixels, or draw's `large`.
fn is_large(segment: &Segment) -> bool {
    if segment.size.as_deref() == Some(LARGE) {
        return true;
    }
    let pixels = segment.size.as_deref().and_then(|size| {
        let (width, height) = size.split_once('x')?;
        Some(width.parse::<u64>().ok()? * height.parse::<u64>().ok()?)
    });
    pixels.is_some_and(|pixels| pixels > BASE_PIXELS)
}

/// The size name of the draw API's larger videos.
const LARGE: &str = "large";

/// How a job's price is reckoned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceModel {
    /// A price per task, whatever its length (Sora.hk).
    PerTask(Prices),
    /// A price per second of video (OpenAI).
    PerSecond(Prices),
    /// A price per task by its size, whatever its mode or length (the draw API):
    /// `normal_cents` for a 720p (`small`) video, `pro_cents` for a larger one (`large`).
    PerTaskBySize(Prices),
}

impl PriceModel {
    /// What one job of `segment` costs, in cents.
    pub fn price_of(&self, segment: &Segment) -> u64 {
        match self {
            PriceModel::PerTask(prices) => prices.of(segment),
            PriceModel::PerSecond(prices) => {
                prices.of(segment) * u64::from(segment.duration_seconds)
            }
            PriceModel::PerTaskBySize(prices) => u64::from(match is_large(segment) {
                true => prices.pro_cents,
                false => prices.normal_cents,
            }),
        }
    }

    /// The prices, in the model's unit.
    pub fn prices(&self) -> Prices {
        match self {
            PriceModel::PerTask(prices)
            | PriceModel::PerSecond(prices)
            | PriceModel::PerTaskBySize(prices) => *prices,
        }
    }

    /// The same model at other prices (the user's, or the provider's current ones).
    pub fn at(&self, prices: Prices) -> PriceModel {
        match self {
            PriceModel::PerTask(_) => PriceModel::PerTask(prices),
            PriceModel::PerSecond(_) => PriceModel::PerSecond(prices),
            PriceModel::PerTaskBySize(_) => PriceModel::PerTaskBySize(prices),
        }
    }

    /// The unit, as the dry run's `--json` names it: `task` or `second`.
    pub fn unit(&self) -> PriceUnit {
        match self {
            PriceModel::PerTask(_) | PriceModel::PerTaskBySize(_) => PriceUnit::Task,
            PriceModel::PerSecond(_) => PriceUnit::Second,
        }
    }

    /// What its two prices are for, as the plan's text names them: `normal job` and `pro
    /// job`, or `small video` and `large video`.
    pub fn tiers(&self) -> (&'static str, &'static str) {
        match self {
            PriceModel::PerTaskBySize(_) => ("tier.small_video", "tier.large_video"),
            PriceModel::PerTask(_) | PriceModel::PerSecond(_) => {
                ("tier.normal_job", "tier.pro_job")
            }
        }
    }
}

/// What a price is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceUnit {
    Task,
    Second,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(is_pro: bool, duration_seconds: u32) -> Segment {
        let mut segment = Segment::example("a lake");
        segment.is_pro = is_pro;
        segment.duration_seconds = duration_seconds;
        segment
    }

    #[test]
    fn price_of_a_task_ignores_its_length_and_price_per_second_multiplies_it() {
        let prices = Prices {
            normal_cents: 3,
            pro_cents: 30,
            pro_large_cents: None,
        };
        let per_task = PriceModel::PerTask(prices);
        assert_eq!(per_task.price_of(&segment(false, 10)), 3);
        assert_eq!(per_task.price_of(&segment(false, 15)), 3);
        assert_eq!(per_task.price_of(&segment(true, 25)), 30);
        let per_second = PriceModel::PerSecond(Prices {
            normal_cents: 10,
            pro_cents: 30,
            pro_large_cents: None,
        });
        assert_eq!(per_second.price_of(&segment(false, 4)), 40);
        assert_eq!(per_second.price_of(&segment(false, 12)), 120);
        assert_eq!(per_second.price_of(&segment(true, 8)), 240);
        assert_eq!(per_second.unit(), PriceUnit::Second);
        assert_eq!(
            per_task.at(per_second.prices()),
            PriceModel::PerTask(per_second.prices())
        );
    }

    #[test]
    fn price_of_pro_at_a_size_larger_than_720p_is_the_large_price() {
        let openai = crate::provider::openai::CAPABILITIES.price_model;
        let sized = |is_pro, size: &str| Segment {
            size: Some(size.to_string()),
            ..segment(is_pro, 8)
        };
        assert_eq!(openai.price_of(&sized(true, "1792x1024")), 400);
        assert_eq!(openai.price_of(&sized(true, "1024x1792")), 400);
        assert_eq!(openai.price_of(&sized(true, "720x1280")), 240);
        assert_eq!(openai.price_of(&segment(true, 8)), 240);
        assert_eq!(openai.price_of(&sized(false, "1280x720")), 80);
        let sora_hk = crate::provider::sora_hk::CAPABILITIES.price_model;
        assert_eq!(sora_hk.price_of(&sized(true, "1792x1024")), 30);
    }
}
