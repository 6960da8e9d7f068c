//! Reference images on disk made ready before the first create, once the state folder is
//! this run's: letterboxed copies at the video's size (`--fit-images`, fit.rs) and public
//! links for providers that fetch them (`--image-host-cmd`, host.rs). Only jobs still to
//! be submitted are prepared; the dry run prepares nothing.

mod fit;
mod host;
mod letterbox;

use std::path::Path;

use crate::cli::RunArgs;
use crate::engine::JobSpec;

/// Why the images could not be made ready; nothing has been submitted.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error(transparent)]
    Fit(#[from] fit::FitError),
    #[error(transparent)]
    Host(#[from] host::HostError),
}

/// Prepares the images of `jobs` that will be submitted, under the run's flags.
pub(super) async fn prepare(
    jobs: &mut [JobSpec],
    state_dir: &Path,
    args: &RunArgs,
) -> Result<(), ImageError> {
    fit::prepare(jobs, state_dir, args)?;
    host::prepare(jobs, state_dir, args).await?;
    Ok(())
}
