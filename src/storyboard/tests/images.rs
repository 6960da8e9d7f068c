//! Reference images on disk: resolved against the storyboard's folder, read by their
//! header, hashed into the fingerprint, and held to what the provider takes.

use std::path::Path;

use super::super::{ImageFormat, ImageRules, MAX_IMAGE_BYTES, Segment, SegmentSettings, load};
use super::SETTINGS;

/// The first bytes of a PNG of `width` x `height`: all a header reader needs.
pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend(width.to_be_bytes());
    bytes.extend(height.to_be_bytes());
    bytes.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

const OPENAI: SegmentSettings = crate::provider::openai::CAPABILITIES.segment_settings(1);

/// Writes `input/story/storyboard.json` whose one segment has `image_url` and any `extra`
/// fields, and loads it.
fn load_with(
    dir: &Path,
    image_url: &str,
    extra: &str,
    settings: SegmentSettings,
) -> Result<Vec<Segment>, Vec<String>> {
    let folder = dir.join("input/story");
    std::fs::create_dir_all(&folder).unwrap();
    let image_url = serde_json::to_string(image_url).unwrap();
    let json = format!(
        r#"{{"segments": [{{"segment_index": 1, "prompt_text": "a", "image_url": {image_url}{extra}}}]}}"#
    );
    let path = folder.join("storyboard.json");
    std::fs::write(&path, json).unwrap();
    load(&path, Path::new("input/story/storyboard.json"), settings)
        .map_err(|problems| problems.iter().map(ToString::to_string).collect())
}

#[test]
fn a_relative_path_is_read_from_the_storyboards_folder_with_its_size_and_hash() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("input/story/frames")).unwrap();
    std::fs::write(
        dir.path().join("input/story/frames/first.png"),
        png(1280, 720),
    )
    .unwrap();
    let got = load_with(dir.path(), "frames/first.png", "", OPENAI).unwrap();
    let image = got[0].image_file.as_ref().expect("a file on disk");
    assert_eq!(got[0].image_url, None, "a path is not a link");
    assert_eq!(image.written, "frames/first.png");
    assert_eq!(image.path, dir.path().join("input/story/frames/first.png"));
    assert_eq!(
        (image.format, image.pixels()),
        (ImageFormat::Png, "1280x720".to_string())
    );
    assert_eq!(image.bytes, png(1280, 720).len() as u64);
    let expected = crate::storyboard::hex(&<sha2::Sha256 as sha2::Digest>::digest(png(1280, 720)));
    assert_eq!(image.sha256, expected);
}

#[test]
fn a_missing_file_names_where_it_was_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    let got = load_with(dir.path(), "frames/first.png", "", OPENAI).unwrap_err();
    assert_eq!(
        got,
        [
            r#"input/story/storyboard.json: segment 1: image_url: "frames/first.png" is not a link, and there is no file at input/story/frames/first.png; write an http(s) link, or a path relative to the storyboard's folder (or an absolute one)"#
        ]
    );
}

#[test]
fn a_file_that_is_not_a_png_jpeg_or_webp_is_refused_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("input/story")).unwrap();
    std::fs::write(dir.path().join("input/story/cat.png"), "GIF89a not really").unwrap();
    let got = load_with(dir.path(), "cat.png", "", OPENAI).unwrap_err();
    assert!(
        got[0].ends_with(
            r#"image_url: "cat.png" is not a PNG, JPEG or WebP image (read from its first bytes)"#
        ),
        "{got:?}"
    );
}

#[test]
fn an_image_over_the_size_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("input/story")).unwrap();
    let file = std::fs::File::create(dir.path().join("input/story/huge.png")).unwrap();
    file.set_len(MAX_IMAGE_BYTES + 1).unwrap();
    let got = load_with(dir.path(), "huge.png", "", OPENAI).unwrap_err();
    assert!(
        got[0].contains("over the 50.00 MiB limit for a reference image"),
        "{got:?}"
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_named_like_an_image_is_refused_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("input/story")).unwrap();
    let fifo = dir.path().join("input/story/frame.png");
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    let got = load_with(dir.path(), "frame.png", "", OPENAI).unwrap_err();
    assert!(got[0].contains("is not a regular file"), "{got:?}");
}

#[test]
fn a_missing_file_is_named_missing_even_where_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let got = load_with(dir.path(), "fox.png", "", SETTINGS).unwrap_err();
    assert!(
        got[0].ends_with(r#"image_url: "fox.png" is not a link, and there is no file at input/story/fox.png; write an http(s) link, or a path relative to the storyboard's folder (or an absolute one)"#),
        "{got:?}"
    );
}

#[test]
fn a_provider_that_fetches_links_refuses_a_file_naming_the_fixes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("input/story")).unwrap();
    std::fs::write(dir.path().join("input/story/a.png"), png(1280, 720)).unwrap();
    let got = load_with(dir.path(), "a.png", "", SETTINGS).unwrap_err();
    assert!(
        got[0].ends_with(r#"image_url: "a.png" is a file on disk; this provider fetches reference images from public links: upload the image and write its https:// link, or pass --image-host-cmd CMD (a command that uploads a file and prints its link)"#),
        "{got:?}"
    );
    let hosted = SegmentSettings {
        images: ImageRules {
            file_refused: None,
            ..SETTINGS.images
        },
        ..SETTINGS
    };
    assert!(load_with(dir.path(), "a.png", "", hosted).is_ok());
}

#[test]
fn an_image_of_another_size_than_the_video_is_refused_unless_fitted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("input/story")).unwrap();
    std::fs::write(dir.path().join("input/story/square.png"), png(1024, 1024)).unwrap();
    std::fs::write(dir.path().join("input/story/tall.png"), png(720, 1280)).unwrap();
    let got = load_with(dir.path(), "square.png", "", OPENAI).unwrap_err();
    assert!(
        got[0].ends_with(r#"image_url: "square.png" is 1024x1024 pixels, but this provider takes a reference image only at the video's size, 1280x720; resize it, or pass --fit-images to send a letterboxed copy"#),
        "{got:?}"
    );
    let vertical = r#", "resolution": "vertical""#;
    assert!(load_with(dir.path(), "tall.png", vertical, OPENAI).is_ok());
    let fitted = SegmentSettings {
        images: ImageRules {
            fit: true,
            ..OPENAI.images
        },
        ..OPENAI
    };
    assert!(load_with(dir.path(), "square.png", "", fitted).is_ok());
}

#[test]
fn the_fingerprint_follows_the_images_bytes_not_its_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("input/story/old")).unwrap();
    std::fs::write(dir.path().join("input/story/a.png"), png(1280, 720)).unwrap();
    std::fs::write(dir.path().join("input/story/old/a.png"), png(1280, 720)).unwrap();
    let fingerprint =
        |written: &str| load_with(dir.path(), written, "", OPENAI).unwrap()[0].fingerprint();
    let first = fingerprint("a.png");
    assert_eq!(
        fingerprint("old/a.png"),
        first,
        "same bytes elsewhere: same video"
    );
    let mut edited = png(1280, 720);
    edited.extend(b"another picture");
    std::fs::write(dir.path().join("input/story/a.png"), edited).unwrap();
    assert_ne!(fingerprint("a.png"), first, "edited image: generated again");
    let without = Segment::example("a");
    assert_ne!(without.fingerprint(), first);
    let mut hosted = load_with(dir.path(), "old/a.png", "", OPENAI)
        .unwrap()
        .remove(0);
    hosted.image_url = Some("https://images.example/a.png".into());
    assert_eq!(
        hosted.fingerprint(),
        first,
        "where it is hosted changes nothing"
    );
}

#[test]
fn an_image_changed_after_checking_is_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("input/story")).unwrap();
    std::fs::write(dir.path().join("input/story/a.png"), png(1280, 720)).unwrap();
    let got = load_with(dir.path(), "a.png", "", OPENAI).unwrap();
    let image = got[0].image_file.as_ref().unwrap();
    assert_eq!(image.read_unchanged().unwrap(), png(1280, 720));
    std::fs::write(&image.path, png(720, 1280)).unwrap();
    let changed = image.read_unchanged().unwrap_err().to_string();
    assert!(
        changed.contains("changed since the run started"),
        "{changed}"
    );
}
