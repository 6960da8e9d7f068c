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

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::cli::RunArgs;
use crate::engine::JobSpec;
use crate::plan::JobState;
use crate::storyboard::Segment;

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

impl ImageError {
    /// What went wrong and the fix, in any language (`Display` is its English).
    pub fn message(&self) -> crate::i18n::Message {
        match self {
            ImageError::Fetch(err) => err.message(),
            ImageError::Fit(err) => err.message(),
            ImageError::Host(err) => err.message(),
        }
    }
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

/// Whether this run may send a create for the job: not when its video is done, when it
/// failed before (sent again only with `--retry-failed`, which plans it anew), or when it
/// is an extra take. A job in flight may be: a create whose answer was lost is sent again.
fn may_create(job: &JobSpec) -> bool {
    !job.extra && !matches!(job.state, JobState::Done | JobState::FailedBefore)
}

/// Gives each job that `wants` the segment `change` makes of its own, where it makes one;
/// `change` sees each segment once, and the jobs that shared one (its versions) share the
/// new one. The fingerprints stay: how an image is sent is not what is asked for.
fn rebuild<E>(
    jobs: &mut [JobSpec],
    wants: impl Fn(&JobSpec) -> bool,
    mut change: impl FnMut(&Segment) -> Result<Option<Segment>, E>,
) -> Result<(), E> {
    // By the segment a job had, kept alive so its address names it alone.
    let mut rebuilt: HashMap<*const Segment, (Arc<Segment>, Option<Arc<Segment>>)> = HashMap::new();
    for job in jobs.iter_mut().filter(|job| wants(job)) {
        let key = Arc::as_ptr(&job.segment);
        let new = match rebuilt.get(&key) {
            Some((_, new)) => new.clone(),
            None => {
                let new = change(&job.segment)?.map(Arc::new);
                rebuilt.insert(key, (job.segment.clone(), new.clone()));
                new
            }
        };
        if let Some(new) = new {
            job.segment = new;
        }
    }
    Ok(())
}
