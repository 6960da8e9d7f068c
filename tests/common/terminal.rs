//! The binary on a pseudo-terminal, seen the way a person sees it: what it writes is
//! replayed into an in-memory terminal screen (`vt100`), keys are typed into it (Ctrl+C
//! reaches the process as the terminal's SIGINT), and assertions read the visible screen,
//! not raw escape codes.

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize};

/// Wide enough that no progress line wraps, tall enough that nothing a run prints
/// scrolls a line off the screen.
const ROWS: u16 = 100;
const COLS: u16 = 160;

pub struct Terminal {
    child: Box<dyn Child + Send + Sync>,
    typing: Box<dyn Write + Send>,
    screen: Arc<Mutex<vt100::Parser>>,
    reader: Option<JoinHandle<()>>,
    master: Box<dyn MasterPty + Send>,
}

impl Terminal {
    /// Runs `command` (program, arguments, folder and environment) on a new terminal.
    pub fn spawn(command: &std::process::Command) -> Self {
        let pair = portable_pty::native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut builder = CommandBuilder::new(command.get_program());
        builder.args(command.get_args());
        if let Some(dir) = command.get_current_dir() {
            builder.cwd(dir);
        }
        for (key, value) in command.get_envs() {
            match value {
                Some(value) => builder.env(key, value),
                None => builder.env_remove(key),
            }
        }
        builder.env("TERM", "xterm-256color");
        let child = pair
            .slave
            .spawn_command(builder)
            .expect("the binary starts");
        // Only the child holds the terminal's other end: its exit ends the stream.
        drop(pair.slave);
        let mut output = pair.master.try_clone_reader().unwrap();
        let typing = pair.master.take_writer().unwrap();
        let rows = NonZeroU16::new(ROWS).unwrap();
        let cols = NonZeroU16::new(COLS).unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let feed = screen.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(read @ 1..) = output.read(&mut buf) {
                feed.lock().unwrap().process(&buf[..read]);
            }
        });
        Terminal {
            child,
            typing,
            screen,
            reader: Some(reader),
            master: pair.master,
        }
    }

    /// The visible screen, row by row, trailing blanks trimmed.
    pub fn screen(&self) -> Vec<String> {
        let parser = self.screen.lock().unwrap();
        parser
            .screen()
            .rows(0, COLS)
            .map(|row| row.trim_end().to_string())
            .collect()
    }

    /// Waits until the screen shows what `ready` looks for; returns that screen.
    pub fn wait_for(&mut self, what: &str, ready: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the run ended ({status:?}) before the screen showed {what}:\n{}",
                    screen.join("\n")
                );
            }
            assert!(
                Instant::now() < deadline,
                "waited a minute for the screen to show {what}:\n{}",
                screen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the terminal echoes what is typed (as a shell expects it to, after a run).
    pub fn echoes(&self) -> bool {
        let fd = self.master.as_raw_fd().expect("the terminal's descriptor");
        // SAFETY: a zeroed termios is valid for tcgetattr to fill in; fd is open.
        let mut settings: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(fd, &mut settings) }, 0);
        settings.c_lflag & libc::ECHO != 0
    }

    /// Types Ctrl+C, as a person at the terminal does.
    pub fn ctrl_c(&mut self) {
        self.typing.write_all(b"\x03").unwrap();
        self.typing.flush().unwrap();
    }

    /// Waits for the run to exit: its exit code and the screen it left.
    pub fn exit(&mut self) -> (u32, Vec<String>) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "the run was still going a minute later:\n{}",
                    self.screen().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // Everything it wrote is on the screen once the stream ends.
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        (status.exit_code(), self.screen())
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
