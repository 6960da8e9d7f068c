//! `--fit-images`: (to be written) letterboxed copies in the state folder.

use std::path::Path;

use crate::cli::RunArgs;
use crate::engine::JobSpec;

#[derive(Debug, thiserror::Error)]
pub enum FitError {}

pub(super) fn prepare(
    _jobs: &mut [JobSpec],
    _state_dir: &Path,
    _args: &RunArgs,
) -> Result<(), FitError> {
    Ok(())
}
