//! Reference image links for a provider that takes images only inline (a chat gateway
//! ignores links and reads `data:` URLs): before the first create, each distinct link of
//! a job still to be submitted is fetched once, under the rules of video links (http(s)
//! only, no hop to this machine or a private network unless the API is there too), at
//! most 50 MiB, and must be a PNG, JPEG or WebP image, as a file on disk must. It is kept
//! in the state folder, `images/fetched/<SHA-256 of the link>.image` (`kept`), and a
//! rerun reuses it while it still hashes to its record. The job then carries it as an
//! image on disk, which the provider sends inline; the fingerprint still holds the link.
//! Any failure stops the run before anything is submitted.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use indicatif::HumanBytes;
use sha2::{Digest, Sha256};
use tracing::{debug, info};

use super::kept;
use crate::cli::RunArgs;
use crate::engine::JobSpec;
use crate::i18n::Message;
use crate::provider::ImageInput;
use crate::storyboard::{LocalImage, MAX_IMAGE_BYTES, Segment, hex};

/// The fetched images' folder, in the state folder.
const FOLDER: &str = "images/fetched";

/// Why a link could not be made an image to send; nothing has been submitted.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    Refused {
        link: String,
        reason: String,
    },
    Unreachable {
        link: String,
        reason: String,
    },
    NotAnImage {
        link: String,
        reason: String,
    },
    Write {
        link: String,
        folder: String,
        source: std::io::Error,
    },
}

crate::display_from_message!(FetchError);

impl FetchError {
    /// What went wrong and the fix, in any language (`Display` is its English).
    pub fn message(&self) -> Message {
        match self {
            FetchError::Refused { link, reason } => Message::new("image.fetch_refused")
                .with("link", link)
                .with("reason", reason),
            FetchError::Unreachable { link, reason } => Message::new("image.unreachable")
                .with("link", link)
                .with("reason", reason),
            FetchError::NotAnImage { link, reason } => Message::new("image.not_an_image")
                .with("link", link)
                .with("reason", reason),
            FetchError::Write {
                link,
                folder,
                source,
            } => Message::new("image.fetched_unwritable")
                .with("link", link)
                .with("folder", folder)
                .with("source", source),
        }
    }
}

/// Points each job still to be submitted whose `image_url` is a link at its fetched copy,
/// fetching the links not kept yet, each once.
pub(super) async fn prepare(
    jobs: &mut [JobSpec],
    state_dir: &Path,
    args: &RunArgs,
) -> Result<(), FetchError> {
    let inputs = args.provider.capabilities().image_inputs;
    if inputs.contains(&ImageInput::PublicUrl) || !inputs.contains(&ImageInput::DataUrl) {
        return Ok(());
    }
    let fetcher = Fetcher {
        http: crate::download::Http::new(args.request_timeout),
        local_links: crate::download::is_local(&args.api_url()),
        folder: state_dir.join(FOLDER),
    };
    let links: BTreeSet<&str> = jobs
        .iter()
        .filter(|job| super::may_create(job))
        .filter_map(|job| link_of(&job.segment))
        .collect();
    let mut images: HashMap<String, LocalImage> = HashMap::new();
    for link in links {
        images.insert(link.to_string(), fetcher.image(link).await?);
    }
    super::rebuild(jobs, super::may_create, |segment| {
        let image = link_of(segment).and_then(|link| images.get(link));
        Ok::<_, FetchError>(image.map(|image| Segment {
            image_file: Some(image.clone()),
            ..segment.clone()
        }))
    })
}

/// The segment's image link, when it has one and no file.
fn link_of(segment: &Segment) -> Option<&str> {
    let link = segment.image_url.as_deref()?;
    (segment.image_file.is_none() && crate::storyboard::is_link(link)).then_some(link)
}

struct Fetcher {
    http: crate::download::Http,
    local_links: bool,
    folder: PathBuf,
}

impl Fetcher {
    /// The image at `link`: the kept copy if it checks, else fetched and kept now.
    async fn image(&self, link: &str) -> Result<LocalImage, FetchError> {
        // Without its query: a signed storage link's signature is a credential of sorts.
        let unsigned = link.split(['?', '#']).next().unwrap_or_default();
        let shown = format!("\"{}\"", crate::ui::escaped(unsigned, 200));
        let path = self
            .folder
            .join(format!("{}.image", hex(&Sha256::digest(link))));
        if let Some((bytes, sha256)) = kept::checked(&path) {
            debug!(
                "reusing the fetched reference image {shown}: {}",
                path.display()
            );
            return described(link, &shown, path, &bytes, sha256);
        }
        let bytes = self.fetch(link, &shown).await?;
        let sha256 = hex(&Sha256::digest(&bytes));
        let image = described(link, &shown, path.clone(), &bytes, sha256.clone())?;
        kept::keep(&path, &bytes, &sha256).map_err(|source| FetchError::Write {
            link: shown.clone(),
            folder: crate::ui::printable(self.folder.display()),
            source,
        })?;
        let fetched = Message::new("events.fetched_image")
            .with("image", &shown)
            .with("pixels", image.pixels())
            .with("size", HumanBytes(image.bytes))
            .with("path", path.display());
        info!(shown = %fetched.shown(), "{fetched}");
        Ok(image)
    }

    /// The bytes at `link`, at most [`MAX_IMAGE_BYTES`].
    async fn fetch(&self, link: &str, shown: &str) -> Result<Vec<u8>, FetchError> {
        let unreachable = |reason: String| FetchError::Unreachable {
            link: shown.to_string(),
            reason,
        };
        let url = url::Url::parse(link).map_err(|err| unreachable(err.to_string()))?;
        let refused = |reason: String| FetchError::Refused {
            link: shown.to_string(),
            reason,
        };
        crate::download::check_url(&url, self.local_links).map_err(|why| refused(why.into()))?;
        let response = crate::download::get_checked(&self.http, &url, self.local_links)
            .await
            .map_err(|err| match err {
                crate::download::DownloadError::RefusedLink { reason, .. } => refused(reason),
                other => unreachable(other.to_string()),
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(unreachable(format!("it answered HTTP {status}")));
        }
        let limit = usize::try_from(MAX_IMAGE_BYTES).unwrap_or(usize::MAX);
        crate::provider::capped_body(response, limit)
            .await
            .map_err(|err| match err {
                crate::provider::BodyError::TooLarge => FetchError::NotAnImage {
                    link: shown.to_string(),
                    reason: format!(
                        "it is over the {} limit for a reference image",
                        HumanBytes(MAX_IMAGE_BYTES)
                    ),
                },
                crate::provider::BodyError::Broken(err) => unreachable(err.to_string()),
            })
    }
}

/// `bytes` (kept at `path`) as an image on disk, when they are one.
fn described(
    link: &str,
    shown: &str,
    path: PathBuf,
    bytes: &[u8],
    sha256: String,
) -> Result<LocalImage, FetchError> {
    let (format, width, height) =
        crate::storyboard::describe_image(bytes).map_err(|reason| FetchError::NotAnImage {
            link: shown.to_string(),
            reason,
        })?;
    Ok(LocalImage {
        written: link.to_string(),
        path,
        format,
        width,
        height,
        bytes: bytes.len() as u64,
        sha256,
        fitted: None,
    })
}

#[cfg(test)]
mod tests;
