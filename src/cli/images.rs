//! The flags about reference images on disk: `--fit-images` and `--image-host-cmd`, and
//! how they change what validation accepts (`storyboard::ImageRules`).

use clap::Args;
use clap::builder::BoolishValueParser;

use crate::storyboard::ImageRules;

#[derive(Debug, Clone, Args)]
pub struct ImageArgs {
    /// Letterbox a reference image on disk whose pixel size differs from the video's (openai
    /// takes only the video's size) into a copy in the state folder; the file itself is
    /// never changed
    #[arg(
        long,
        env = "SORA_FIT_IMAGES",
        value_parser = BoolishValueParser::new(),
        hide_env_values = true,
        help_heading = "Images"
    )]
    pub fit_images: bool,

    /// A command that uploads a reference image on disk and prints its public link as its
    /// last line of output, for providers that fetch links (sora-hk); split into words as a
    /// shell would but run without a shell or the API keys, once per distinct image (by
    /// SHA-256, links kept in the state folder), the file's absolute path appended as its
    /// last argument, at most 5 minutes each, e.g. "rclone-upload --public"
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
