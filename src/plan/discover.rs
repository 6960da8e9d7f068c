//! Finding storyboard files: a recursive, sorted walk of the input folder that picks
//! `storyboard*.json` (any case) and skips hidden folders, the output folder and
//! `_template.json`. Symbolic links are followed; a link loop, a link to nothing and
//! anything named like a storyboard that is not a file (a folder, a FIFO, a device, a
//! socket) are reported and skipped. The walk only looks at file types: nothing it finds
//! is opened, so a FIFO cannot hang it.

use std::fs::FileType;
use std::path::{Path, PathBuf};

use walkdir::{DirEntry, WalkDir};

use crate::i18n::Message;

/// What the walk found.
#[derive(Debug, Default)]
pub struct Found {
    /// Storyboard paths relative to the input folder, in sorted walk order.
    pub storyboards: Vec<PathBuf>,
    /// Folders that could not be read, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
    /// Things skipped that the user may want to know about (link loops).
    pub warnings: Vec<Message>,
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
                if !is_storyboard_name(&name) || name.eq_ignore_ascii_case("_template.json") {
                    continue;
                }
                if let Some(kind) = not_a_file(entry.file_type()) {
                    found.warnings.push(
                        Message::new("discover.not_a_file")
                            .with("path", shown(entry.path()))
                            .with_text("kind", kind),
                    );
                    continue;
                }
                let relative = entry
                    .path()
                    .strip_prefix(input_dir)
                    .expect("walkdir yields paths under its root");
                found.storyboards.push(relative.to_path_buf());
            }
            Err(err) => {
                let path = err.path().map(Path::to_path_buf).unwrap_or_default();
                if let Some(ancestor) = err.loop_ancestor() {
                    found.warnings.push(
                        Message::new("discover.link_loop")
                            .with("path", path.display())
                            .with("ancestor", ancestor.display()),
                    );
                } else if let Some(link) = broken_link(&path) {
                    found.warnings.push(
                        Message::new("discover.broken_link")
                            .with("path", shown(&path))
                            .with_text("link", link),
                    );
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

/// What a non-file is, for the warning that skips it; `None` for a regular file.
fn not_a_file(file_type: FileType) -> Option<Message> {
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        // Walked into all the same: storyboards inside it are found.
        return Some(Message::new("discover.kind.folder"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some(Message::new("discover.kind.fifo"));
        }
        if file_type.is_socket() {
            return Some(Message::new("discover.kind.socket"));
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return Some(Message::new("discover.kind.device"));
        }
    }
    Some(Message::new("discover.kind.other"))
}

/// Why a symbolic link leads nowhere, when `path` is one that does: its target does not
/// exist, or it points (through other links or not) back at itself.
fn broken_link(path: &Path) -> Option<Message> {
    let target = std::fs::read_link(path).ok()?;
    let err = std::fs::metadata(path).err()?;
    let link = match err.kind() {
        std::io::ErrorKind::NotFound => Message::new("discover.link_to_nothing"),
        _ if is_link_loop(&err) => Message::new("discover.link_to_itself"),
        _ => Message::new("discover.link_unreadable").with("err", err),
    };
    Some(link.with("target", shown(&target)))
}

/// A path for a warning, without `./` and with control characters in its names escaped.
fn shown(path: &Path) -> String {
    crate::ui::escaped(&super::tidy(path).display().to_string(), 300)
}

/// ELOOP: too many levels of symbolic links.
fn is_link_loop(err: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        err.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = err;
        false
    }
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
    fn mkfifo(path: &Path) {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates the file.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o644) }, 0);
    }

    #[cfg(unix)]
    #[test]
    fn things_named_like_storyboards_that_are_not_files_are_named_and_skipped() {
        let root = tempfile::tempdir().unwrap();
        let input = root.path();
        touch(&input.join("storyboard_dir.json/storyboard.json"));
        mkfifo(&input.join("storyboard_fifo.json"));
        let _socket =
            std::os::unix::net::UnixListener::bind(input.join("storyboard_sock.json")).unwrap();
        // A link to a FIFO is the FIFO: still never opened.
        std::os::unix::fs::symlink("storyboard_fifo.json", input.join("storyboard_link.json"))
            .unwrap();
        let found = discover(input, &input.join("output"));
        assert_eq!(
            found.storyboards,
            vec![PathBuf::from("storyboard_dir.json/storyboard.json")],
            "a folder named like a storyboard is still searched"
        );
        let at = |name: &str| input.join(name).display().to_string();
        assert_eq!(
            found
                .warnings
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec![
                format!(
                    "skipped {}: it is a folder, not a storyboard file",
                    at("storyboard_dir.json")
                ),
                format!(
                    "skipped {}: it is a FIFO (named pipe), not a storyboard file",
                    at("storyboard_fifo.json")
                ),
                format!(
                    "skipped {}: it is a FIFO (named pipe), not a storyboard file",
                    at("storyboard_link.json")
                ),
                format!(
                    "skipped {}: it is a socket, not a storyboard file",
                    at("storyboard_sock.json")
                ),
            ]
        );
        assert_eq!(
            found.warnings[1].words(crate::i18n::Lang::Zh),
            format!(
                "跳过 {}：它是一个 FIFO（命名管道），不是分镜脚本文件",
                at("storyboard_fifo.json")
            )
        );
        assert!(found.unreadable.is_empty(), "{:?}", found.unreadable);
    }

    #[cfg(unix)]
    #[test]
    fn dangling_and_self_referencing_links_are_named_as_such() {
        let root = tempfile::tempdir().unwrap();
        let input = root.path();
        touch(&input.join("storyboard_ok.json"));
        std::os::unix::fs::symlink("gone.json", input.join("storyboard_gone.json")).unwrap();
        std::os::unix::fs::symlink("storyboard_self.json", input.join("storyboard_self.json"))
            .unwrap();
        let found = discover(input, &input.join("output"));
        assert_eq!(found.storyboards, vec![PathBuf::from("storyboard_ok.json")]);
        assert!(found.unreadable.is_empty(), "{:?}", found.unreadable);
        let at = |name: &str| input.join(name).display().to_string();
        assert_eq!(
            found
                .warnings
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec![
                format!(
                    "skipped {}: a symbolic link to gone.json, which does not exist",
                    at("storyboard_gone.json")
                ),
                format!(
                    "skipped {}: a symbolic link to storyboard_self.json that leads back to itself",
                    at("storyboard_self.json")
                ),
            ]
        );
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
        assert!(found.warnings[0].to_string().contains("symbolic link loop"));
    }
}
