//! Finding storyboard files: a recursive, sorted walk of the input folder that picks
//! `storyboard*.json` (any case) and skips hidden folders, the output folder and
//! `_template.json`. Symbolic links are followed; a link loop is reported and skipped.

use std::path::{Path, PathBuf};

use walkdir::{DirEntry, WalkDir};

/// What the walk found.
#[derive(Debug, Default)]
pub struct Found {
    /// Storyboard paths relative to the input folder, in sorted walk order.
    pub storyboards: Vec<PathBuf>,
    /// Folders that could not be read, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
    /// Things skipped that the user may want to know about (link loops).
    pub warnings: Vec<String>,
}

/// Is this file name a storyboard? `storyboard*.json`, case-insensitive.
pub fn is_storyboard_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    lower.starts_with("storyboard") && lower.ends_with(".json")
}

pub fn discover(input_dir: &Path, output_dir: &Path) -> Found {
    // Compare real paths: `./output` and `output/` are the same folder.
    let output_dir = output_dir.canonicalize().ok();
    let skip = |entry: &DirEntry| {
        entry.depth() > 0
            && entry.file_type().is_dir()
            && (entry.file_name().to_string_lossy().starts_with('.')
                || output_dir
                    .as_deref()
                    .is_some_and(|out| entry.path().canonicalize().is_ok_and(|real| real == out)))
    };
    let mut found = Found::default();
    let walk = WalkDir::new(input_dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| !skip(entry));
    for entry in walk {
        match entry {
            Ok(entry) => {
                let name = entry.file_name().to_string_lossy();
                if entry.file_type().is_file()
                    && is_storyboard_name(&name)
                    && !name.eq_ignore_ascii_case("_template.json")
                {
                    let relative = entry
                        .path()
                        .strip_prefix(input_dir)
                        .expect("walkdir yields paths under its root");
                    found.storyboards.push(relative.to_path_buf());
                }
            }
            Err(err) => {
                let path = err.path().map(Path::to_path_buf).unwrap_or_default();
                if let Some(ancestor) = err.loop_ancestor() {
                    found.warnings.push(format!(
                        "skipped {}: a symbolic link loop back to {}",
                        path.display(),
                        ancestor.display()
                    ));
                } else {
                    let reason = err
                        .io_error()
                        .map_or_else(|| err.to_string(), ToString::to_string);
                    found.unreadable.push((path, reason));
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storyboard_names_match_case_insensitively() {
        assert!(is_storyboard_name("storyboard.json"));
        assert!(is_storyboard_name("Storyboard_01.JSON"));
        assert!(is_storyboard_name("STORYBOARD-ep2.json"));
        assert!(!is_storyboard_name("my_storyboard.json"));
        assert!(!is_storyboard_name("storyboard.json.bak"));
        assert!(!is_storyboard_name("_template.json"));
    }

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "{}").unwrap();
    }

    #[test]
    fn walk_is_sorted_recursive_and_skips_hidden_and_output() {
        let root = tempfile::tempdir().unwrap();
        let input = root.path();
        for name in [
            "storyboard_b.json",
            "storyboard_a.json",
            "ep2/storyboard.json",
            "ep1/Storyboard_x.JSON",
            ".hidden/storyboard.json",
            "out/storyboard_old.json",
            "notes.json",
            "_template.json",
        ] {
            touch(&input.join(name));
        }
        let found = discover(input, &input.join("out"));
        let names: Vec<String> = found
            .storyboards
            .iter()
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .collect();
        assert_eq!(
            names,
            [
                "ep1/Storyboard_x.JSON",
                "ep2/storyboard.json",
                "storyboard_a.json",
                "storyboard_b.json"
            ]
        );
        assert!(found.unreadable.is_empty() && found.warnings.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_skipped_with_a_warning() {
        let root = tempfile::tempdir().unwrap();
        let input = root.path();
        touch(&input.join("a/storyboard.json"));
        std::os::unix::fs::symlink(input, input.join("a/loop")).unwrap();
        let found = discover(input, &input.join("output"));
        assert_eq!(found.storyboards, vec![PathBuf::from("a/storyboard.json")]);
        assert_eq!(found.warnings.len(), 1, "{:?}", found.warnings);
        assert!(found.warnings[0].contains("symbolic link loop"));
    }
}
