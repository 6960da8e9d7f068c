//! The MP4 check on files made by hand: what passes (64-bit sizes, a last box of size 0,
//! fragmented files, the simulator's videos) and what fails, with the reason it gives.

use super::super::mp4::{Problem, check};
use super::*;

/// The check's verdict on `bytes`: None when whole, else the problem's text.
fn verdict(bytes: &[u8]) -> Option<String> {
    let mut file = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut file, bytes).unwrap();
    match check(&mut file, bytes.len() as u64).unwrap() {
        Ok(()) => None,
        Err(Problem::NotMp4) => Some("not an MP4".to_string()),
        Err(Problem::Broken(problem)) => Some(problem),
    }
}

fn ftyp() -> Vec<u8> {
    mp4_box(b"ftyp", b"isom\0\0\x02\0isomiso2")
}

#[test]
fn whole_files_pass() {
    assert_eq!(verdict(&small_mp4(1, 2_000)), None);
    let served = crate::sim::Video::new("task-1", Some(300_000)).bytes();
    assert_eq!(verdict(&served), None, "the simulator's video");
    let fragmented = [
        ftyp(),
        mp4_box(b"moov", &[0; 20]),
        mp4_box(b"moof", &[0; 20]),
        mp4_box(b"mdat", &[0; 100]),
    ]
    .concat();
    assert_eq!(verdict(&fragmented), None, "fragmented");
    // A 64-bit size (1, then the size after the kind), and a last box running to the end.
    let mut large = ftyp();
    large.extend([0, 0, 0, 1]);
    large.extend(b"moov");
    large.extend(40u64.to_be_bytes());
    large.extend([0; 24]);
    large.extend([0, 0, 0, 0]);
    large.extend(b"mdat");
    large.extend([9; 1000]);
    assert_eq!(verdict(&large), None, "largesize and size 0");
}

#[test]
fn cut_spliced_or_incomplete_files_fail_saying_why() {
    let whole = small_mp4(1, 2_000);
    let cut = verdict(&whole[..1_500]).unwrap();
    assert!(
        cut.contains("its boxes end at byte 2000 but the file has 1500 bytes"),
        "{cut}"
    );
    assert!(cut.contains("mdat"), "{cut}");
    let longer = [whole.clone(), vec![0; 5]].concat();
    let trailing = verdict(&longer).unwrap();
    assert!(
        trailing.contains("inside a box header at byte 2000"),
        "{trailing}"
    );
    let no_moov = [ftyp(), mp4_box(b"mdat", &[0; 100])].concat();
    assert!(verdict(&no_moov).unwrap().contains("no moov box"));
    let no_media = [ftyp(), mp4_box(b"moov", &[0; 100])].concat();
    assert!(verdict(&no_media).unwrap().contains("no media data"));
    let mut impossible = ftyp();
    impossible.extend([0, 0, 0, 3]);
    impossible.extend(b"moov");
    assert!(verdict(&impossible).unwrap().contains("impossible size"));
}

#[test]
fn files_that_do_not_start_with_ftyp_are_not_mp4() {
    assert_eq!(verdict(b"<html>nope</html>").as_deref(), Some("not an MP4"));
    assert_eq!(verdict(b"abc").as_deref(), Some("not an MP4"));
    let moov_first = [mp4_box(b"moov", &[0; 8]), ftyp()].concat();
    assert_eq!(verdict(&moov_first).as_deref(), Some("not an MP4"));
}
