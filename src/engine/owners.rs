//! Which of the provider's tasks are already some job's: a lost create's search must
//! never adopt one of them. Two kinds: tasks the journal names (and those this run
//! submits or adopts), and tasks whose videos are on disk already (their sidecars name
//! them; after compaction the journal no longer does). The second set is read from the
//! sidecars under the batch's storyboard folders the first time a search needs it:
//! searches are rare, and a run without one reads nothing more.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;

use tokio::sync::OnceCell;
use tracing::debug;

use super::JobSpec;
use crate::journal::JournalState;

/// A sidecar is a few kilobytes; anything much larger under that name is not one.
const LARGEST_SIDECAR: u64 = 1 << 20;

pub(super) struct Owners {
    claimed: Mutex<HashSet<String>>,
    /// The folders that hold the batch's videos (one per storyboard).
    folders: Vec<PathBuf>,
    on_disk: OnceCell<HashSet<String>>,
}

impl Owners {
    pub fn new(earlier: &JournalState, jobs: &[JobSpec]) -> Self {
        let claimed = earlier
            .iter()
            .filter_map(|(_, record)| record.task_id().map(str::to_string))
            .collect();
        Owners {
            claimed: Mutex::new(claimed),
            folders: super::storyboard_folders(jobs),
            on_disk: OnceCell::new(),
        }
    }

    pub fn claim(&self, task_id: &str) {
        self.lock().insert(task_id.to_string());
    }

    pub fn is_claimed(&self, task_id: &str) -> bool {
        self.lock().contains(task_id)
    }

    /// The tasks whose videos (current, set aside or extra) are on disk.
    pub async fn on_disk(&self) -> &HashSet<String> {
        self.on_disk
            .get_or_init(|| async {
                let folders = self.folders.clone();
                let found = tokio::task::spawn_blocking(move || tasks_in(&folders))
                    .await
                    .unwrap_or_default();
                debug!(
                    "{} {} on disk",
                    crate::ui::counted(found.len() as u64, "task"),
                    crate::ui::plural(found.len() as u64, "has its video", "have their videos")
                );
                found
            })
            .await
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.claimed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The task ids the sidecars under `folders` name (`Segment_*/…json*`, set-aside ones
/// included). Unreadable files are skipped: a task missed here is still excluded by time
/// or by the journal in all but rare cases, and the search does not stop for it.
fn tasks_in(folders: &[PathBuf]) -> HashSet<String> {
    #[derive(serde::Deserialize)]
    struct Named {
        task_id: Option<String>,
    }
    folders
        .iter()
        .flat_map(|folder| {
            walkdir::WalkDir::new(folder)
                .min_depth(2)
                .max_depth(2)
                .into_iter()
                .flatten()
        })
        .filter(|entry| {
            entry.file_type().is_file()
                && entry.file_name().to_string_lossy().contains(".json")
                && entry
                    .metadata()
                    .is_ok_and(|meta| meta.len() <= LARGEST_SIDECAR)
        })
        .filter_map(|entry| std::fs::read(entry.path()).ok())
        .filter_map(|bytes| serde_json::from_slice::<Named>(&bytes).ok()?.task_id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecars_current_and_set_aside_name_their_tasks() {
        let root = tempfile::tempdir().unwrap();
        let segment = root.path().join("storyboard/Segment_1");
        std::fs::create_dir_all(&segment).unwrap();
        let write = |name: &str, text: &str| std::fs::write(segment.join(name), text).unwrap();
        write("1_v1.json", r#"{"task_id": "t-current"}"#);
        write(
            "1_v1.superseded-20261126T070000Z.json",
            r#"{"task_id": "t-old"}"#,
        );
        write("1_v2.extra-9f2c1a7b.json", r#"{"task_id": "t-extra"}"#);
        write("1_v3.json", "not json");
        write("1_v1.mp4", "video bytes");
        let found = tasks_in(&[root.path().join("storyboard")]);
        let expected: HashSet<String> = ["t-current", "t-old", "t-extra"].map(String::from).into();
        assert_eq!(found, expected);
    }
}
