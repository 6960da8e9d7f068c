//! The progress display as a person at a terminal sees it: the real binary runs on a
//! pseudo-terminal against the simulator, Ctrl+C is typed into it, and the assertions
//! read the visible screen (see `common::terminal`); under a Chinese locale the bars'
//! labels and words are Chinese, aligned by terminal width.
#![cfg(unix)]

mod common;

use common::Project;
use common::batch::{FAST, storyboard};
use common::terminal::Terminal;
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};
use unicode_width::UnicodeWidthStr;

fn simulator(settings: SimSettings) -> RunningSim {
    sim::start_on_thread(SimSettings {
        seed: Some(11),
        ..settings
    })
    .expect("the simulator starts")
}

/// The binary on a terminal with the engine's fast timings (a human summary, not
/// `--json`; a request timeout of `request_timeout`).
fn start(project: &Project, sim: &RunningSim, request_timeout: &str) -> Terminal {
    let mut fast = for_a_person();
    let at = fast
        .iter()
        .position(|flag| *flag == "--request-timeout")
        .unwrap();
    fast[at + 1] = request_timeout;
    let mut command = project.sora_process();
    command
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .args(fast)
        .args(["--gen-count", "1"]);
    Terminal::spawn(&command)
}

/// [`start`] with `--provider chat` at the simulator's chat-completions side.
fn start_chat(project: &Project, sim: &RunningSim) -> Terminal {
    let mut command = project.sora_process();
    command
        .env("CHAT_API_KEY", sim::DEFAULT_KEY)
        .args(["--provider", "chat", "--base-url", &sim.base_url()])
        .args(for_a_person())
        .args(["--gen-count", "1"]);
    Terminal::spawn(&command)
}

/// The engine's fast timings, and a summary for a person (not `--json`).
fn for_a_person() -> Vec<&'static str> {
    FAST.iter()
        .copied()
        .filter(|flag| *flag != "--json")
        .collect()
}

/// The rows of the screen that are progress bars.
fn bar_rows(screen: &[String]) -> Vec<String> {
    screen
        .iter()
        .filter(|row| {
            let row = row.trim_start();
            row.starts_with("jobs [")
                || (row.starts_with("provider ") && row.contains("in flight"))
                || (row.starts_with("downloads ") && row.contains("downloading"))
        })
        .cloned()
        .collect()
}

/// After a run: no bar row is left on the screen, and the terminal echoes again.
fn assert_left_as_found(terminal: &Terminal, screen: &[String]) {
    let left = bar_rows(screen);
    assert!(
        left.is_empty(),
        "{left:?} left on the screen:\n{}",
        screen.join("\n")
    );
    assert!(
        terminal.echoes(),
        "the terminal no longer echoes what is typed"
    );
}

fn jobs_row(screen: &[String]) -> Option<&String> {
    screen
        .iter()
        .find(|row| row.trim_start().starts_with("jobs ["))
}

#[test]
fn before_the_first_video_lands_the_bars_show_an_estimated_eta_and_the_limit_in_words() {
    // Eight seconds a video: the provider reports progress long before any lands.
    let sim = simulator(SimSettings {
        gen_seconds: GenSeconds(8.0, 8.0),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("eta", 4));
    let mut terminal = start(&project, &sim, "1s");
    let screen = terminal.wait_for("an ETA with a number while no video has landed", |screen| {
        jobs_row(screen).is_some_and(|row| row.contains(" 0/4 ") && row.contains("ETA about"))
    });
    let jobs = jobs_row(&screen).unwrap();
    assert!(!jobs.contains("ETA 0s"), "{jobs}");
    let provider = screen
        .iter()
        .find(|row| row.trim_start().starts_with("provider "))
        .unwrap_or_else(|| panic!("no provider line:\n{}", screen.join("\n")));
    assert!(
        provider.contains(" in flight · at most 20 at once (full speed)"),
        "{provider}"
    );
}

#[test]
fn under_a_chinese_locale_the_bars_speak_chinese_with_their_labels_aligned() {
    let sim = simulator(SimSettings {
        gen_seconds: GenSeconds(8.0, 8.0),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("zh", 4));
    let mut command = project.sora_process();
    command
        .env("LANG", "zh_CN.UTF-8")
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .args(for_a_person())
        .args(["--gen-count", "1"]);
    let mut terminal = Terminal::spawn(&command);
    let screen = terminal.wait_for("the three bars in Chinese", |screen| {
        let has = |start: &str, word: &str| {
            screen
                .iter()
                .any(|row| row.trim_start().starts_with(start) && row.contains(word))
        };
        has("任务 [", "预计") && has("服务商 ", "个在途") && has("下载 ", "个进行中")
    });
    let provider = screen
        .iter()
        .find(|row| row.trim_start().starts_with("服务商 "))
        .unwrap();
    assert!(provider.contains("最多同时 20 个（全速）"), "{provider}");
    // The labels end in the same column: the bars' text starts at the same place.
    let label_end = |start: &str| {
        let row = screen
            .iter()
            .find(|row| row.trim_start().starts_with(start))
            .unwrap();
        row.find(start).unwrap() + start.len()
    };
    let widths: Vec<usize> = ["任务", "服务商", "下载"]
        .iter()
        .map(|label| {
            let end = label_end(label);
            let row = screen
                .iter()
                .find(|row| row.trim_start().starts_with(label))
                .unwrap();
            UnicodeWidthStr::width(&row[..end])
        })
        .collect();
    assert_eq!(widths, [10, 10, 10], "{}", screen.join("\n"));
    let (code, screen) = terminal.exit();
    assert_eq!(code, 0, "{}", screen.join("\n"));
    assert!(
        screen.iter().any(|row| row.contains("完成，用时")),
        "{}",
        screen.join("\n")
    );
}

#[test]
fn a_clean_chat_batch_shows_the_streams_progress_on_the_bars_until_it_is_done() {
    // Progress in the streams every 200 ms; no video lands before six seconds.
    let mut settings = SimSettings {
        gen_seconds: GenSeconds(6.0, 6.0),
        ..SimSettings::default()
    };
    settings.chat.chat_progress_every = std::time::Duration::from_millis(200);
    let sim = simulator(settings);
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("chat", 3));
    let mut terminal = start_chat(&project, &sim);
    // The ETA is estimated only from reported progress: here, the streams' own.
    terminal.wait_for("an ETA from the streams' progress", |screen| {
        jobs_row(screen).is_some_and(|row| row.contains(" 0/3 ") && row.contains("ETA about"))
    });
    let (code, screen) = terminal.exit();
    assert_eq!(code, 0, "{}", screen.join("\n"));
    assert_eq!(sim.stats().chat.creates, 3);
    assert_left_as_found(&terminal, &screen);
}

#[test]
fn after_ctrl_c_no_progress_bar_is_left_on_the_screen() {
    let sim = simulator(SimSettings {
        gen_seconds: GenSeconds(30.0, 30.0),
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("stop", 6));
    let mut terminal = start(&project, &sim, "1s");
    // Typed while the bars stand still, as a person usually does.
    terminal.wait_for("all six jobs in flight", |screen| {
        screen.iter().any(|row| row.contains("6 in flight"))
    });
    terminal.ctrl_c();
    let (code, screen) = terminal.exit();
    assert_eq!(code, 130, "{}", screen.join("\n"));
    assert!(
        screen
            .iter()
            .any(|row| row.contains("stopping: no new submissions")),
        "{}",
        screen.join("\n")
    );
    assert_left_as_found(&terminal, &screen);
}

#[test]
fn after_a_second_ctrl_c_no_progress_bar_is_left_on_the_screen() {
    // The create is never answered: after the first Ctrl+C the run waits for its answer
    // (up to the request timeout), so only the second one ends it, by exiting at once.
    let sim = simulator(SimSettings {
        hang: true,
        ..SimSettings::default()
    });
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("quit", 6));
    let mut terminal = start(&project, &sim, "5m");
    terminal.wait_for("creates in flight", |screen| {
        screen
            .iter()
            .any(|row| row.contains(" in flight") && !row.contains(" 0 in flight"))
    });
    terminal.ctrl_c();
    terminal.wait_for("the run stopping", |screen| {
        screen.iter().any(|row| row.contains("press Ctrl+C again"))
    });
    terminal.ctrl_c();
    let (code, screen) = terminal.exit();
    assert_eq!(code, 130, "{}", screen.join("\n"));
    assert!(
        screen.iter().any(|row| row.contains("quitting now")),
        "{}",
        screen.join("\n")
    );
    assert_left_as_found(&terminal, &screen);
}
