//! `--retry-failed FILE`: the jobs a failed-jobs file lists, for the run and its dry run
//! alike (a dry run that ignored the file would price a different batch).

use std::path::Path;

use tracing::warn;

use super::AppError;
use crate::engine::FailedJob;
use crate::i18n::Message;
use crate::journal::JobKey;

/// The jobs a failed-jobs file lists.
pub(super) struct FailedList {
    listed: Vec<FailedJob>,
}

impl FailedList {
    pub(super) fn read(file: &Path) -> Result<Self, AppError> {
        let unreadable = |reason: String| AppError::RetryFile {
            path: file.to_path_buf(),
            reason,
        };
        let text = std::fs::read(file).map_err(|err| unreadable(err.to_string()))?;
        let listed = serde_json::from_slice(&text).map_err(|err| unreadable(err.to_string()))?;
        Ok(FailedList { listed })
    }

    /// Whether the file lists this job (extra takes are collected, never retried).
    pub(super) fn lists(&self, key: &JobKey) -> bool {
        self.listed.iter().any(|failed| {
            !failed.extra
                && failed.storyboard == key.storyboard
                && failed.segment == key.segment
                && failed.version == key.version
        })
    }

    /// Says how many listed jobs the storyboards no longer ask for.
    pub(super) fn warn_if_gone(&self, found: usize, file: &Path) {
        let listed = self.listed.len();
        if found >= listed {
            return;
        }
        let gone = (listed - found) as u64;
        let message = Message::counted("retry.gone", gone)
            .with_text("listed", Message::counted("retry.jobs", listed as u64))
            .with("file", file.display());
        warn!(shown = %message.shown(), "{message}");
    }
}
