//! The flags about reference images on disk: `--fit-images` and `--image-host-cmd`, and
//! how they change what validation accepts (`storyboard::ImageRules`). Their help texts are
//! in the `help` catalogs.

use clap::Args;
use clap::builder::BoolishValueParser;

use crate::storyboard::ImageRules;

#[derive(Debug, Clone, Args)]
pub struct ImageArgs {
    #[arg(
        long,
        env = "SORA_FIT_IMAGES",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        help_heading = "Images"
    )]
    pub fit_images: bool,

    #[arg(
        long,
        env = "SORA_IMAGE_HOST_CMD",
        hide_env_values = true,
        value_name = "CMD",
        help_heading = "Images"
    )]
    pub image_host_cmd: Option<String>,
}

impl ImageArgs {
    /// `rules`, the provider's, as these flags change them.
    pub fn applied_to(&self, mut rules: ImageRules) -> ImageRules {
        rules.fit |= self.fit_images;
        if self.image_host_cmd.is_some() && rules.file_refused.is_some() {
            rules.file_refused = None;
            rules.hosted = true;
        }
        rules
    }
}
