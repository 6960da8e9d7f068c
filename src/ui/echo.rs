//! Keys typed while the bars show are not echoed. The bars redraw themselves by moving the
//! cursor up as many rows as they drew, each padded to the terminal's width; an echoed
//! `^C` (or any key) lands after the last one and starts a row they do not know about,
//! so every redraw and the final clear start one row low and leave a stale bar behind.
//! Echo is restored when the bars go, including on the exits that skip the run's end.

/// The terminal's settings before echo was turned off, to restore.
#[cfg(unix)]
static SAVED: std::sync::Mutex<Option<libc::termios>> = std::sync::Mutex::new(None);

/// Turns echo off on stderr's terminal (where the bars are drawn).
#[cfg(unix)]
pub fn hold() {
    let mut saved = SAVED.lock().unwrap_or_else(|p| p.into_inner());
    if saved.is_some() {
        return;
    }
    // SAFETY: a zeroed termios is a valid value for tcgetattr to fill in.
    let mut settings: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: fd 2 and a valid pointer; failure (not a terminal) is checked.
    if unsafe { libc::tcgetattr(libc::STDERR_FILENO, &mut settings) } != 0 {
        return;
    }
    let mut quiet = settings;
    quiet.c_lflag &= !libc::ECHO;
    // SAFETY: as above; on failure nothing changed, so nothing is restored.
    if unsafe { libc::tcsetattr(libc::STDERR_FILENO, libc::TCSANOW, &quiet) } == 0 {
        *saved = Some(settings);
    }
}

/// Gives the terminal its echo back.
#[cfg(unix)]
pub fn release() {
    if let Some(settings) = SAVED.lock().unwrap_or_else(|p| p.into_inner()).take() {
        // SAFETY: fd 2 and settings read from it by `hold`.
        unsafe { libc::tcsetattr(libc::STDERR_FILENO, libc::TCSANOW, &settings) };
    }
}

#[cfg(not(unix))]
pub fn hold() {}

#[cfg(not(unix))]
pub fn release() {}
