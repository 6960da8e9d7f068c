//! Keys typed while the bars show are not echoed. The bars redraw themselves by moving the
//! cursor up as many rows as they drew, each padded to the terminal's width; an echoed
//! `^C` (or any key) lands after the last one and starts a row they do not know about,
//! so every redraw and the final clear start one row low and leave a stale bar behind.
//! Echo is restored when the bars go, including on the exits that skip the run's end.
//! A run in the background (`&`) leaves the terminal alone.

/// The terminal's settings before echo was turned off, to restore.
#[cfg(unix)]
static SAVED: std::sync::Mutex<Option<libc::termios>> = std::sync::Mutex::new(None);

/// Turns echo off on stderr's terminal (where the bars are drawn), if the run is in the
/// terminal's foreground.
#[cfg(unix)]
pub fn hold() {
    let mut saved = SAVED.lock().unwrap_or_else(|p| p.into_inner());
    // SAFETY: plain calls on fd 2; tcgetpgrp fails (-1) when it is not a terminal.
    let foreground = unsafe { libc::tcgetpgrp(libc::STDERR_FILENO) == libc::getpgrp() };
    if saved.is_some() || !foreground {
        return;
    }
    // SAFETY: a zeroed termios is a valid value for tcgetattr to fill in.
    let mut settings: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: fd 2 and a valid pointer; failure (not a terminal) is checked.
    if unsafe { libc::tcgetattr(libc::STDERR_FILENO, &mut settings) } != 0 {
        return;
    }
    if let Some(quiet) = without_echo(&settings)
        && set(&quiet)
    {
        *saved = Some(settings);
    }
}

/// `settings` with echo off; `None` when echo is off already, as another run in the same
/// terminal left it while its bars show: saving that state and restoring it at our end
/// would leave the terminal silent after both runs.
#[cfg(unix)]
fn without_echo(settings: &libc::termios) -> Option<libc::termios> {
    if settings.c_lflag & libc::ECHO == 0 {
        return None;
    }
    let mut quiet = *settings;
    quiet.c_lflag &= !libc::ECHO;
    Some(quiet)
}

/// Gives the terminal its echo back.
#[cfg(unix)]
pub fn release() {
    if let Some(settings) = SAVED.lock().unwrap_or_else(|p| p.into_inner()).take() {
        set(&settings);
    }
}

/// Applies terminal settings. SIGTTOU is blocked meanwhile: a run sent to the background
/// since (Ctrl+Z, `bg`) would otherwise be stopped for touching the terminal at its end.
#[cfg(unix)]
fn set(settings: &libc::termios) -> bool {
    // SAFETY: signal sets are initialised by sigemptyset before use; the thread's mask is
    // restored as it was; tcsetattr gets fd 2 and a valid termios.
    unsafe {
        let mut block: libc::sigset_t = std::mem::zeroed();
        let mut before: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut block);
        libc::sigaddset(&mut block, libc::SIGTTOU);
        libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut before);
        let done = libc::tcsetattr(libc::STDERR_FILENO, libc::TCSANOW, settings) == 0;
        libc::pthread_sigmask(libc::SIG_SETMASK, &before, std::ptr::null_mut());
        done
    }
}

#[cfg(not(unix))]
pub fn hold() {}

#[cfg(not(unix))]
pub fn release() {}

#[cfg(all(test, unix))]
mod tests {
    use super::without_echo;

    #[test]
    fn a_terminal_already_silent_is_left_alone_so_it_is_never_restored_silent() {
        // SAFETY: a zeroed termios is a valid value (all flags off).
        let mut settings: libc::termios = unsafe { std::mem::zeroed() };
        assert!(without_echo(&settings).is_none());
        settings.c_lflag = libc::ECHO | libc::ICANON;
        let quiet = without_echo(&settings).unwrap();
        assert_eq!(quiet.c_lflag, libc::ICANON);
    }
}
