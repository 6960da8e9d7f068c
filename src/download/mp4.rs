//! Whether a downloaded file is a whole MP4, checked before it may take its final name: it
//! starts with an `ftyp` box, its top-level boxes follow one another to exactly the end of
//! the file (a box may run to the end with size 0), and among them are a `moov` (the index
//! a player needs) and media data (`mdat`, or `moof` in a fragmented file). A server that
//! announces too short a `Content-Length`, or a splice of two files, fails this even when
//! every size the server announced matched.
//!
//! Box headers are read with `mp4-atom` (32-bit sizes, 64-bit `largesize`, size 0), one
//! seek per top-level box: a 1 GB video has a handful of them, so the check costs a few
//! reads, never a second pass over the file. Nothing inside the boxes is decoded: a
//! provider's video with a box the crate does not know must still pass.

use std::io::{self, Seek, SeekFrom};

use mp4_atom::{FourCC, Header, ReadFrom};

/// What is wrong with a file that is not a whole MP4.
#[derive(Debug)]
pub enum Problem {
    /// It does not start with an `ftyp` box: an error page or some other file.
    NotMp4,
    /// It starts like an MP4 but is not whole; the text says what is wrong.
    Broken(String),
}

/// Walks the top-level boxes of `file` (`len` bytes). Errors reading the file are
/// passed on as they are, so the caller can tell them from a broken video.
pub fn check(file: &mut std::fs::File, len: u64) -> io::Result<Result<(), Problem>> {
    let mut kinds = Vec::new();
    let mut at = 0;
    while at < len {
        file.seek(SeekFrom::Start(at))?;
        let header = match Header::read_from(file) {
            Ok(header) => header,
            Err(mp4_atom::Error::Io(err)) if err.kind() != io::ErrorKind::UnexpectedEof => {
                return Err(err);
            }
            Err(mp4_atom::Error::InvalidSize) => {
                return Ok(broken(format!(
                    "the box at byte {at} has an impossible size"
                )));
            }
            Err(_) if at == 0 => return Ok(Err(Problem::NotMp4)),
            Err(_) => {
                let problem =
                    format!("the file ends inside a box header at byte {at} ({len} bytes)");
                return Ok(broken(problem));
            }
        };
        if kinds.is_empty() && header.kind != FourCC::new(b"ftyp") {
            return Ok(Err(Problem::NotMp4));
        }
        let body = file.stream_position()?;
        let end = match header.size {
            Some(size) => body.saturating_add(size as u64),
            None => len,
        };
        if end > len {
            let kind = header.kind;
            return Ok(broken(format!(
                "its boxes end at byte {end} but the file has {len} bytes (the {kind} box at \
                 byte {at} is cut short)"
            )));
        }
        kinds.push(header.kind);
        at = end;
    }
    Ok(complete(&kinds))
}

/// The boxes a playable file needs, given the top-level kinds in order.
fn complete(kinds: &[FourCC]) -> Result<(), Problem> {
    let has = |kind: &[u8; 4]| kinds.contains(&FourCC::new(kind));
    if kinds.is_empty() {
        return Err(Problem::NotMp4);
    }
    if !has(b"moov") {
        return broken("no moov box (the index a player needs)".to_string());
    }
    if !has(b"mdat") && !has(b"moof") {
        return broken("no media data (neither an mdat nor a moof box)".to_string());
    }
    Ok(())
}

fn broken(problem: String) -> Result<(), Problem> {
    Err(Problem::Broken(problem))
}
