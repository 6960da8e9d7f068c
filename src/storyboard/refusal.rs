//! Why a run cannot send a field a storyboard sets (the provider has no such parameter,
//! or the run's settings rule it out), with the fix: a provider's capabilities and the
//! run's flags choose one, and the problem that names the field says it in the user's
//! language (the catalog's `storyboard.refusal.*`).

use crate::i18n::Message;

/// One reason a field or a reference image is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The provider cannot remix (`remix_of`).
    NoRemix,
    /// The provider's videos carry no id a remix of a take could name.
    NoTakeRemix,
    /// The provider applies no styles (`style_id`).
    NoStyles,
    /// The provider's remixes keep their source's frames and take no image.
    NoRemixImage,
    /// The provider takes no character references (`characters`).
    NoCharacters,
    /// The provider fetches images from public links only: a file needs a host.
    FilesNeedAHost,
    /// openai's multipart creates carry an image only as an uploaded file.
    MultipartLink,
}

impl Refusal {
    /// The reason and its fix, in words.
    pub fn message(self) -> Message {
        match self {
            Refusal::NoRemix => Message::new("storyboard.refusal.no_remix"),
            Refusal::NoTakeRemix => Message::new("storyboard.refusal.no_take_remix"),
            Refusal::NoStyles => Message::new("storyboard.refusal.no_styles"),
            Refusal::NoRemixImage => Message::new("storyboard.refusal.no_remix_image"),
            Refusal::NoCharacters => Message::new("storyboard.refusal.no_characters"),
            Refusal::FilesNeedAHost => Message::new("storyboard.refusal.files_need_a_host"),
            Refusal::MultipartLink => Message::new("storyboard.refusal.multipart_link"),
        }
    }
}
