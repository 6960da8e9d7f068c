//! Storyboards that would share an output folder or a name in the journal. Each of the pair
//! would overwrite or adopt the other's videos, so every run would pay again for one of
//! them: both are refused before anything is spent. Folder names that differ only in case
//! count as the same folder, which they are on macOS and Windows.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{Layout, storyboard_key, tidy};
use crate::i18n::Message;
use crate::storyboard::{Location, Problem};

/// The problems of every storyboard that collides with another, by its place in
/// `storyboards` (paths relative to the input folder).
pub(super) fn collisions(
    storyboards: &[PathBuf],
    layout: &Layout,
) -> BTreeMap<usize, Vec<Problem>> {
    let dirs: Vec<PathBuf> = storyboards
        .iter()
        .map(|relative| layout.storyboard_dir(relative))
        .collect();
    let mut by_folder: HashMap<PathBuf, usize> = HashMap::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut problems: BTreeMap<usize, Vec<Problem>> = BTreeMap::new();
    for (this, relative) in storyboards.iter().enumerate() {
        let folder = fold(&dirs[this]);
        let key = storyboard_key(relative);
        let clash = match (by_folder.get(&folder), by_key.get(&key)) {
            (Some(&other), _) => Some((other, Clash::Folder)),
            (None, Some(&other)) => Some((other, Clash::Key(&key))),
            (None, None) => None,
        };
        if let Some((other, clash)) = clash {
            for (at, with) in [(this, other), (other, this)] {
                let message = clash.describe(&dirs[at], &dirs[with], layout, &storyboards[with]);
                problems.entry(at).or_default().push(Problem {
                    file: layout.shown_path(&storyboards[at]),
                    location: Location::File,
                    field: None,
                    message,
                });
            }
        }
        by_folder.entry(folder).or_insert(this);
        by_key.entry(key).or_insert(this);
    }
    problems
}

enum Clash<'a> {
    Folder,
    /// The same journal name: names whose bytes are not UTF-8 and read alike.
    Key(&'a str),
}

impl Clash<'_> {
    fn describe(&self, dir: &Path, other_dir: &Path, layout: &Layout, other: &Path) -> Message {
        let message = match self {
            Clash::Folder if dir == other_dir => {
                Message::new("storyboard.clash.folder").with("folder", tidy(dir).display())
            }
            Clash::Folder => Message::new("storyboard.clash.folder_case")
                .with("folder", tidy(dir).display())
                .with("other_folder", tidy(other_dir).display()),
            Clash::Key(key) => Message::new("storyboard.clash.journal").with("key", key),
        };
        message.with("other", layout.shown_path(other).display())
    }
}

/// A folder's path with every name lowercased (Unicode), where names differing only in
/// case meet. A name that is not UTF-8 keeps its bytes, lowercasing ASCII only, so two
/// distinct such names stay distinct.
fn fold(path: &Path) -> PathBuf {
    path.components()
        .map(|part| {
            let name = part.as_os_str();
            match name.to_str() {
                Some(text) => OsString::from(text.to_lowercase()),
                None => name.to_ascii_lowercase(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::OutputMode;

    fn layout(mode: OutputMode) -> Layout {
        Layout {
            input_dir: PathBuf::from("input"),
            output_dir: PathBuf::from("output"),
            mode,
        }
    }

    fn messages(found: &BTreeMap<usize, Vec<Problem>>) -> Vec<(usize, String)> {
        found
            .iter()
            .flat_map(|(at, problems)| problems.iter().map(move |p| (*at, p.to_string())))
            .collect()
    }

    #[test]
    fn the_same_stem_with_another_extension_case_is_one_folder() {
        let names = [
            PathBuf::from("storyboard_a.json"),
            PathBuf::from("storyboard_a.JSON"),
            PathBuf::from("storyboard_b.json"),
        ];
        let found = collisions(&names, &layout(OutputMode::Centralized));
        assert_eq!(
            messages(&found),
            [
                (
                    0,
                    "input/storyboard_a.json: writes to the same folder as input/storyboard_a.JSON (output/storyboard_a); rename one of them".to_string()
                ),
                (
                    1,
                    "input/storyboard_a.JSON: writes to the same folder as input/storyboard_a.json (output/storyboard_a); rename one of them".to_string()
                ),
            ]
        );
    }

    #[test]
    fn folders_that_differ_only_in_case_collide() {
        let names = [
            PathBuf::from("EP1/storyboard.json"),
            PathBuf::from("ep1/Storyboard.json"),
        ];
        let found = collisions(&names, &layout(OutputMode::InPlace));
        let all = messages(&found);
        assert_eq!(all.len(), 2, "{all:?}");
        assert_eq!(
            all[1].1,
            "input/ep1/Storyboard.json: writes to the same folder as input/EP1/storyboard.json \
             (input/ep1/Storyboard_assets and input/EP1/storyboard_assets differ only in case, \
             and are one folder on macOS and Windows); rename one of them"
        );
    }

    #[test]
    fn distinct_folders_do_not_collide() {
        let names = [
            PathBuf::from("storyboard_a.json"),
            PathBuf::from("ep1/storyboard_a.json"),
            PathBuf::from("storyboard_ä.json"),
            PathBuf::from("storyboard_a2.json"),
        ];
        assert!(collisions(&names, &layout(OutputMode::Centralized)).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_collide_only_in_the_journal() {
        use std::os::unix::ffi::OsStrExt;
        let names = [
            PathBuf::from(std::ffi::OsStr::from_bytes(b"storyboard_\xe9.json")),
            PathBuf::from(std::ffi::OsStr::from_bytes(b"storyboard_\xe8.json")),
        ];
        let found = collisions(&names, &layout(OutputMode::Centralized));
        let all = messages(&found);
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(
            all[0].1.ends_with(
                "has the same name in the journal as input/storyboard_\u{FFFD}.json (storyboard_\u{FFFD}.json: bytes of a file name that are not UTF-8 read as \u{FFFD}); rename one of them to plain UTF-8"
            ),
            "{all:?}"
        );
    }
}
