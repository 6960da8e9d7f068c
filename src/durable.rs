//! Making changes to folders survive a power cut. On POSIX a new name in a folder (a created
//! file or folder, a rename) is only durable once that folder itself is fsynced; Windows has
//! no folder fsync, and NTFS journals its folder changes itself.

use std::io;
use std::path::Path;

/// fsyncs the folder `dir`, so the names in it survive a power cut.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// `create_dir_all`, durably: the parent of every folder it creates is fsynced, so a power
/// cut cannot lose a new folder and, with it, what is written in it next (a journal's first
/// `submitting` line).
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    create_dir_all_with(dir, &mut sync_dir)
}

/// [`create_dir_all`] with the fsync passed in, so a test can see which folders it syncs.
pub(crate) fn create_dir_all_with(
    dir: &Path,
    sync: &mut dyn FnMut(&Path) -> io::Result<()>,
) -> io::Result<()> {
    // The folders that are missing now, deepest first. One made meanwhile by another
    // process is synced too, which is harmless.
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|folder| !folder.as_os_str().is_empty() && !folder.exists())
        .collect();
    std::fs::create_dir_all(dir)?;
    for created in missing.iter().rev() {
        sync(parent_dir(created))?;
    }
    Ok(())
}

/// The folder that holds `path`: `.` for a bare name.
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn recorder(synced: &mut Vec<PathBuf>) -> impl FnMut(&Path) -> io::Result<()> + '_ {
        |dir: &Path| {
            synced.push(dir.to_path_buf());
            Ok(())
        }
    }

    #[test]
    fn creating_nested_folders_syncs_the_parent_of_each_new_one() {
        let root = tempfile::tempdir().unwrap();
        let state = root.path().join("output/deep/.sora-batch");
        let mut synced = Vec::new();
        create_dir_all_with(&state, &mut recorder(&mut synced)).unwrap();
        assert!(state.is_dir());
        assert_eq!(
            synced,
            [
                root.path().to_path_buf(),
                root.path().join("output"),
                root.path().join("output/deep"),
            ]
        );
    }

    #[test]
    fn an_existing_folder_syncs_nothing() {
        let root = tempfile::tempdir().unwrap();
        let mut synced = Vec::new();
        create_dir_all_with(root.path(), &mut recorder(&mut synced)).unwrap();
        assert!(synced.is_empty(), "{synced:?}");
    }

    #[test]
    fn a_failed_sync_is_an_error() {
        let root = tempfile::tempdir().unwrap();
        let mut failing = |_: &Path| Err(io::Error::other("no fsync here"));
        let err = create_dir_all_with(&root.path().join("new"), &mut failing).unwrap_err();
        assert_eq!(err.to_string(), "no fsync here");
    }

    #[test]
    fn a_bare_name_lives_in_the_current_folder() {
        assert_eq!(parent_dir(Path::new("report.json")), Path::new("."));
        assert_eq!(parent_dir(Path::new("out/report.json")), Path::new("out"));
    }
}
