//! `--image-host-cmd`: public links for reference images on disk, for providers that only
//! fetch links (sora-hk, the simulator). Before the first create, each image of a job still
//! to be submitted is uploaded by the user's command, once per distinct image (by
//! SHA-256); the links are kept in the state folder (cache.rs), so a rerun uploads
//! nothing again. The link becomes the segment's `image_url`, so the create sends it and
//! the journal records it; the fingerprint keeps the image's hash, so where it is hosted
//! never makes a job new. Any failure stops the run before anything is submitted.

mod cache;
mod command;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::Path;

use clap::ValueEnum;
use tracing::{info, warn};

use crate::cli::{ProviderKind, RunArgs};
use crate::engine::JobSpec;
use crate::i18n::Message;
use crate::plan::JobState;
use crate::storyboard::{LocalImage, Segment};
use cache::Cache;
use command::{Failure, HOST_TIMEOUT, HostCommand};

/// Why the images could not be given links; nothing has been submitted.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    BadCommand {
        command: String,
        reason: String,
    },
    Upload {
        image: String,
        command: String,
        failure: Failure,
    },
    Changed {
        image: String,
        reason: Message,
    },
    Cache {
        path: String,
        reason: String,
    },
}

crate::display_from_message!(HostError);

impl HostError {
    /// What went wrong and the fix, in any language (`Display` is its English).
    pub fn message(&self) -> Message {
        match self {
            HostError::BadCommand { command, reason } => Message::new("image.host.bad_command")
                .with("command", command)
                .with("reason", reason),
            HostError::Upload {
                image,
                command,
                failure,
            } => Message::new("image.host.upload")
                .with("image", image)
                .with("command", command)
                .with_text("failure", failure.message()),
            HostError::Changed { image, reason } => Message::new("image.host.changed")
                .with("image", image)
                .with_text("reason", reason.clone()),
            HostError::Cache { path, reason } => Message::new("image.host.cache")
                .with("path", path)
                .with("reason", reason),
        }
    }
}

pub(super) async fn prepare(
    jobs: &mut [JobSpec],
    state_dir: &Path,
    args: &RunArgs,
) -> Result<(), HostError> {
    let Some(text) = &args.images.image_host_cmd else {
        return Ok(());
    };
    // A provider that takes the file itself (openai) sends it as it is.
    if args
        .provider
        .capabilities()
        .image_rules()
        .file_refused
        .is_none()
    {
        return Ok(());
    }
    let images = to_host(jobs);
    if images.is_empty() {
        return Ok(());
    }
    let command = HostCommand::parse(text).map_err(|reason| HostError::BadCommand {
        command: crate::ui::escaped(text, 200),
        reason,
    })?;
    let links = host_all(&command, &images, state_dir).await?;
    set_links(jobs, &links);
    Ok(())
}

/// The distinct images (by SHA-256) of the jobs that will be submitted, in job order.
fn to_host(jobs: &[JobSpec]) -> Vec<&LocalImage> {
    let mut seen = std::collections::HashSet::new();
    jobs.iter()
        .filter(|job| needs_link(job))
        .filter_map(|job| job.segment.image_file.as_ref())
        .filter(|image| seen.insert(image.sha256.as_str()))
        .collect()
}

fn needs_link(job: &JobSpec) -> bool {
    job.state != JobState::Done && !job.extra && job.segment.image_file.is_some()
}

/// Each image's link, by SHA-256: from the cache, else from the command (saved to the
/// cache at once, so an upload is never repeated after a later one fails).
async fn host_all(
    command: &HostCommand,
    images: &[&LocalImage],
    state_dir: &Path,
) -> Result<HashMap<String, String>, HostError> {
    let (mut cache, warning) = Cache::load(state_dir);
    if let Some(warning) = warning {
        warn!(shown = %warning.shown(), "{warning}");
    }
    let hidden = key_variables();
    let mut links = HashMap::new();
    for image in images {
        let link = match cache.link(&image.sha256) {
            Some(link) => link.to_string(),
            None => {
                let link = upload(command, image, &hidden).await?;
                cache.insert(&image.sha256, &link);
                cache.save().map_err(|err| HostError::Cache {
                    path: crate::ui::printable(cache.path().display()),
                    reason: err.to_string(),
                })?;
                let hosted = Message::new("events.hosted")
                    .with("image", image.shown())
                    .with("link", &link);
                info!(shown = %hosted.shown(), "{hosted}");
                link
            }
        };
        links.insert(image.sha256.clone(), link);
    }
    Ok(links)
}

/// Runs the command on one image, once its bytes are checked to be the ones validated
/// (what the fingerprint holds).
async fn upload(
    command: &HostCommand,
    image: &LocalImage,
    hidden: &[&str],
) -> Result<String, HostError> {
    image
        .read_unchanged()
        .map_err(|reason| HostError::Changed {
            image: image.shown(),
            reason,
        })?;
    // Absolute, so it never reads as an option and the command may change folders.
    let path = std::path::absolute(&image.path).unwrap_or_else(|_| image.path.clone());
    command
        .host(&path, hidden, HOST_TIMEOUT)
        .await
        .map_err(|failure| HostError::Upload {
            image: image.shown(),
            command: crate::ui::escaped(command.text(), 200),
            failure,
        })
}

/// Every provider's API key variables (one key, and a list): the command is the user's,
/// but no key is its business.
fn key_variables() -> Vec<&'static str> {
    let mut variables: Vec<&'static str> = ProviderKind::value_variants()
        .iter()
        .flat_map(|kind| {
            let capabilities = kind.capabilities();
            [capabilities.key_variable, capabilities.keys_variable]
        })
        .collect();
    variables.sort_unstable();
    variables.dedup();
    variables
}

/// Sets the link as `image_url` of every job that will be submitted; jobs that shared a
/// segment share the new one.
fn set_links(jobs: &mut [JobSpec], links: &HashMap<String, String>) {
    let linked = super::rebuild(jobs, needs_link, |segment| {
        let link = segment
            .image_file
            .as_ref()
            .and_then(|image| links.get(&image.sha256));
        Ok::<_, std::convert::Infallible>(link.map(|link| Segment {
            image_url: Some(link.clone()),
            ..segment.clone()
        }))
    });
    let Ok(()) = linked;
}
