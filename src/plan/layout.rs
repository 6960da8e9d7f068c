//! Where each job's files go: the output modes and the deterministic paths of a video.

use std::path::{Component, Path, PathBuf};

use serde::Serialize;

/// Where videos are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
pub enum OutputMode {
    /// Under --output-dir, mirroring the input folders: <output-dir>/<folder>/<storyboard>/…
    #[value(name = "centralized")]
    #[serde(rename = "centralized")]
    Centralized,
    /// Beside each storyboard, in <storyboard>_assets/…
    #[value(name = "in_place", alias = "in-place")]
    #[serde(rename = "in_place")]
    InPlace,
}

/// The input and output folders and how videos are placed.
#[derive(Debug, Clone)]
pub struct Layout {
    pub input_dir: PathBuf,
    pub output_dir: PathBuf,
    pub mode: OutputMode,
}

impl Layout {
    /// The folder that holds every video of a storyboard, given the storyboard's path
    /// relative to the input folder.
    /// The name is the storyboard's own bytes, so distinct names (even ones that are not
    /// valid UTF-8) get distinct folders.
    pub fn storyboard_dir(&self, relative: &Path) -> PathBuf {
        let folder = relative.parent().unwrap_or(Path::new(""));
        let stem = relative.file_stem().unwrap_or_default();
        match self.mode {
            OutputMode::Centralized => self.output_dir.join(folder).join(stem),
            OutputMode::InPlace => {
                let mut name = stem.to_os_string();
                name.push("_assets");
                self.input_dir.join(folder).join(name)
            }
        }
    }

    /// A storyboard's path as messages show it: the input folder as the user gave it, minus
    /// any `./`.
    pub fn shown_path(&self, relative: &Path) -> PathBuf {
        tidy(&self.input_dir.join(relative))
    }
}

/// `<storyboard dir>/Segment_<index>/<index>_v<version>.mp4`
pub fn video_path(storyboard_dir: &Path, index: u32, version: u32) -> PathBuf {
    storyboard_dir
        .join(format!("Segment_{index}"))
        .join(format!("{index}_v{version}.mp4"))
}

/// How the journal names a storyboard: its path relative to the input folder, with `/` on
/// every system. Bytes that are not UTF-8 read as `\u{FFFD}`, so two such names can read
/// the same: planning refuses that pair (see `collide`).
pub fn storyboard_key(relative: &Path) -> String {
    relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Drops `.` components, so `./input/a.json` prints as `input/a.json`.
pub fn tidy(path: &Path) -> PathBuf {
    let tidied: PathBuf = path
        .components()
        .filter(|part| *part != Component::CurDir)
        .collect();
    if tidied.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        tidied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(mode: OutputMode) -> Layout {
        Layout {
            input_dir: PathBuf::from("./input"),
            output_dir: PathBuf::from("out"),
            mode,
        }
    }

    #[test]
    fn centralized_mirrors_input_folders() {
        let layout = layout(OutputMode::Centralized);
        let dir = layout.storyboard_dir(Path::new("ep1/storyboard_a.json"));
        assert_eq!(dir, PathBuf::from("out/ep1/storyboard_a"));
        assert_eq!(
            video_path(&dir, 3, 2),
            PathBuf::from("out/ep1/storyboard_a/Segment_3/3_v2.mp4")
        );
        let top = layout.storyboard_dir(Path::new("storyboard.json"));
        assert_eq!(top, PathBuf::from("out/storyboard"));
    }

    #[test]
    fn in_place_writes_beside_the_storyboard() {
        let layout = layout(OutputMode::InPlace);
        let dir = layout.storyboard_dir(Path::new("ep1/storyboard_a.json"));
        assert_eq!(tidy(&dir), PathBuf::from("input/ep1/storyboard_a_assets"));
        assert_eq!(
            tidy(&video_path(&dir, 1, 1)),
            PathBuf::from("input/ep1/storyboard_a_assets/Segment_1/1_v1.mp4")
        );
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_get_folders_of_their_own() {
        use std::os::unix::ffi::OsStrExt;
        let latin1 = Path::new(std::ffi::OsStr::from_bytes(b"storyboard_\xe9t\xe9.json"));
        let other = Path::new(std::ffi::OsStr::from_bytes(b"storyboard_\xe8t\xe8.json"));
        for mode in [OutputMode::Centralized, OutputMode::InPlace] {
            let layout = layout(mode);
            let (a, b) = (layout.storyboard_dir(latin1), layout.storyboard_dir(other));
            assert_ne!(a, b, "{mode:?}");
            assert!(a.as_os_str().as_bytes().ends_with(match mode {
                OutputMode::Centralized => b"storyboard_\xe9t\xe9".as_slice(),
                OutputMode::InPlace => b"storyboard_\xe9t\xe9_assets".as_slice(),
            }));
        }
    }

    #[test]
    fn journal_keys_use_slashes() {
        assert_eq!(
            storyboard_key(&Path::new("ep1").join("storyboard_a.json")),
            "ep1/storyboard_a.json"
        );
    }

    #[test]
    fn shown_paths_drop_dot_components() {
        let layout = layout(OutputMode::Centralized);
        assert_eq!(
            layout.shown_path(Path::new("ep1/storyboard_a.json")),
            PathBuf::from("input/ep1/storyboard_a.json")
        );
        assert_eq!(tidy(Path::new("./")), PathBuf::from("."));
    }
}
