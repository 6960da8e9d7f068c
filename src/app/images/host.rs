//! `--image-host-cmd`: (to be written) public links for images on disk.

use std::path::Path;

use crate::cli::RunArgs;
use crate::engine::JobSpec;

#[derive(Debug, thiserror::Error)]
pub enum HostError {}

pub(super) async fn prepare(
    _jobs: &mut [JobSpec],
    _state_dir: &Path,
    _args: &RunArgs,
) -> Result<(), HostError> {
    Ok(())
}
