//! Reference images made ready before the first create, once the state folder is this
//! run's: links fetched for providers that take images only inline (fetched.rs),
//! letterboxed copies at the video's size (`--fit-images`, fit.rs) and public links for
//! providers that fetch them (`--image-host-cmd`, host.rs), the files kept in the state
//! folder checked by their hash (kept.rs). Only jobs still to
//! be submitted are prepared; the dry run prepares nothing.

mod fetched;
mod fit;
mod host;
mod kept;
mod letterbox;

use std::path::Path;

use crate::cli::RunArgs;
use crate::engine::JobSpec;

/// Why the images could not be made ready; nothing has been submitted.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error(transparent)]
    Fetch(#[from] fetched::FetchError),
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
    // First: a fetched image may need fitting too.
    fetched::prepare(jobs, state_dir, args).await?;
    fit::prepare(jobs, state_dir, args)?;
    host::prepare(jobs, state_dir, args).await?;
    Ok(())
}
