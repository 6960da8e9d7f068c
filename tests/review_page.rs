//! The review page after a real run against the simulator: written beside the state
//! folder with every take in its place, made again by `sora-batch review`, opened from
//! disk in a real headless Chromium (every player loads its video's metadata, no console
//! error, a pick is kept), and the picks turned into a selects folder by `sora-batch
//! select`.

mod common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Project;
use common::batch::{run, storyboard};
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

fn simulator() -> RunningSim {
    sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.5),
        seed: Some(11),
        ..SimSettings::default()
    })
    .expect("the simulator starts")
}

/// A run of three segments, two takes each; segment 2's prompt is refused by the
/// simulator's content policy, so its takes fail.
fn finished_run(project: &Project, sim: &RunningSim) -> PathBuf {
    let board = storyboard("lantern", 3).replacen("lantern shot 2", "lantern FORBIDDEN shot", 1);
    project.write("input/storyboard.json", &board);
    let (code, summary, err) = run(project, sim, &[]);
    assert_eq!(code, 1, "segment 2 fails\n{err}\n{summary}");
    let page = project.path().join("output/review.html");
    assert!(page.is_file(), "the run wrote its review page\n{err}");
    page
}

#[test]
fn a_run_writes_its_review_page_with_every_take_and_review_writes_it_again() {
    let sim = simulator();
    let project = Project::new();
    let page = finished_run(&project, &sim);
    let html = std::fs::read_to_string(&page).unwrap();
    for done in ["1_v1", "1_v2", "3_v1", "3_v2"] {
        let segment = &done[..1];
        let link = format!(r#"src="storyboard/Segment_{segment}/{done}.mp4""#);
        assert!(html.contains(&link), "{link} on the page");
    }
    assert_eq!(html.matches(r#"class="take status-failed""#).count(), 2);
    assert!(html.contains("4 done · 2 failed · 0 in flight"), "{html}");

    std::fs::remove_file(&page).unwrap();
    let mut command = project.sora();
    command.args(["review"]);
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("review.html: 4 takes done, 2 failed, 0 in flight"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(&page).unwrap(),
        html,
        "the same page"
    );
}

#[test]
fn select_puts_the_picks_in_segment_order_with_a_concat_list() {
    let sim = simulator();
    let project = Project::new();
    finished_run(&project, &sim);
    project.write(
        "output/picks.json",
        r#"[{"storyboard": "storyboard.json", "segment": 3, "version": 2},
            {"storyboard": "other.json", "segment": 1, "version": 1}]"#,
    );
    let mut command = project.sora();
    command.args(["select"]);
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Segment 2 has no take on disk, and one pick names no storyboard: exit 1, said.
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("no pick for segment 1, so v1"), "{stdout}");
    assert!(
        stdout.contains("segment 2 left out: its v1 is not on disk"),
        "{stdout}"
    );
    assert!(
        stderr.contains("other.json segment 1 v1 is no take"),
        "{stderr}"
    );
    let selects = project.path().join("output/storyboard/selects");
    let take = |name: &str| std::fs::read(selects.join(name)).unwrap();
    let source =
        |name: &str| std::fs::read(project.path().join("output/storyboard").join(name)).unwrap();
    assert_eq!(take("01_1.mp4"), source("Segment_1/1_v1.mp4"));
    assert_eq!(take("02_3.mp4"), source("Segment_3/3_v2.mp4"));
    let list = std::fs::read_to_string(selects.join("selects.txt")).unwrap();
    assert_eq!(
        list,
        "ffconcat version 1.0\nfile '01_1.mp4'\nfile '02_3.mp4'\n"
    );
}

#[test]
fn a_picks_file_that_is_a_fifo_or_not_a_list_is_refused_by_name() {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("lantern", 1));
    project.write("bad.json", r#"{"picks": 1}"#);
    let mut command = project.sora();
    command.args(["select", "--picks", "bad.json"]);
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.json: not a picks file"), "{stderr}");
    #[cfg(unix)]
    {
        let fifo = project.path().join("fifo.json");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let mut command = project.sora();
        command
            .args(["select", "--picks", "fifo.json"])
            .timeout(Duration::from_secs(30));
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("it is not a regular file"), "{stderr}");
    }
}

/// Chromium from the system packages, or `None` (outside CI only: there its absence is a
/// failure, since `.ci/run` installs it).
fn chromium() -> Option<PathBuf> {
    let found = [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|path| path.is_file());
    if found.is_none() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "Chromium is missing; .ci/run installs it (apt-get install chromium)"
        );
        eprintln!(
            "skipped: no Chromium at /usr/bin/chromium (install it: apt-get install chromium)"
        );
    }
    found
}

#[test]
fn the_page_plays_every_take_in_a_real_browser_and_keeps_a_pick() {
    let Some(chrome) = chromium() else {
        return;
    };
    let sim = simulator();
    let project = Project::new();
    let page = finished_run(&project, &sim);
    let url = url::Url::from_file_path(&page).unwrap();
    let (_browser, tab, problems) = open(chrome, url.as_str());

    let durations = wait_for_players(&tab, 4);
    assert!(
        durations.iter().all(|seconds| *seconds > 0.0),
        "{durations:?}"
    );
    tab.find_element("input.pick-input[value='2']")
        .unwrap()
        .click()
        .unwrap();
    let picked = tab
        .evaluate(
            "localStorage.getItem('sora-batch-picks:' + location.pathname)",
            false,
        )
        .unwrap();
    let picked = picked
        .value
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    assert!(
        picked.contains(r#""storyboard":"storyboard.json","segment":1,"version":2"#),
        "{picked}"
    );
    let marked = tab
        .evaluate("document.querySelectorAll('.take.picked').length", false)
        .unwrap();
    assert_eq!(marked.value, Some(serde_json::json!(1)));
    let count = tab
        .evaluate("document.getElementById('pick-count').textContent", false)
        .unwrap();
    assert_eq!(
        count.value,
        Some(serde_json::json!("1 of 3 segments picked"))
    );
    let shot = tab
        .capture_screenshot(
            headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption::Png,
            None,
            None,
            true,
        )
        .unwrap();
    std::fs::write(project.path().join("review.png"), &shot).unwrap();
    if let Ok(keep) = std::env::var("SORA_REVIEW_SCREENSHOT") {
        std::fs::write(keep, &shot).unwrap();
    }
    select_option(&tab, "failed");
    assert_eq!(
        visible_segments(&tab),
        vec![2],
        "only the segment that failed"
    );
    select_option(&tab, "unreviewed");
    assert_eq!(visible_segments(&tab), vec![2, 3], "segment 1 has its pick");
    assert!(
        problems.lock().unwrap().is_empty(),
        "{:?}",
        problems.lock().unwrap()
    );
}

#[test]
fn the_page_speaks_chinese_under_a_chinese_locale_in_a_real_browser() {
    let Some(chrome) = chromium() else {
        return;
    };
    let sim = simulator();
    let project = Project::new();
    let page = finished_run(&project, &sim);
    let output = project
        .sora()
        .env("LANG", "zh_CN.UTF-8")
        .arg("review")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let url = url::Url::from_file_path(&page).unwrap();
    let (_browser, tab, problems) = open(chrome, url.as_str());
    wait_for_players(&tab, 4);
    let text_of = |selector: &str| {
        let script = format!("document.querySelector('{selector}').textContent");
        tab.evaluate(&script, false).unwrap().value
    };
    assert_eq!(
        text_of("#pick-count"),
        Some(serde_json::json!("已选 0/3 个分镜"))
    );
    tab.find_element("input.pick-input[value='2']")
        .unwrap()
        .click()
        .unwrap();
    assert_eq!(
        text_of("#pick-count"),
        Some(serde_json::json!("已选 1/3 个分镜"))
    );
    assert_eq!(text_of("h3"), Some(serde_json::json!("分镜 1")));
    assert_eq!(text_of("#save-picks"), Some(serde_json::json!("保存选择")));
    assert!(
        problems.lock().unwrap().is_empty(),
        "{:?}",
        problems.lock().unwrap()
    );
}

#[test]
fn served_the_page_starts_from_the_picks_json_beside_it() {
    let Some(chrome) = chromium() else {
        return;
    };
    let sim = simulator();
    let project = Project::new();
    finished_run(&project, &sim);
    project.write(
        "output/picks.json",
        r#"[{"storyboard": "storyboard.json", "segment": 3, "version": 2}]"#,
    );
    let base = common::static_files::serve(&project.path().join("output"));
    let (_browser, tab, problems) = open(chrome, &format!("{base}review.html"));
    wait_for_players(&tab, 4);
    let started = Instant::now();
    let checked = loop {
        let checked = tab
            .evaluate(
                "Array.from(document.querySelectorAll('input.pick-input:checked'), \
                 i => i.closest('.segment').dataset.segment + ':' + i.value).join(',')",
                false,
            )
            .unwrap()
            .value;
        if checked != Some(serde_json::json!("")) || started.elapsed() > Duration::from_secs(20) {
            break checked;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(checked, Some(serde_json::json!("3:2")));
    assert!(
        problems.lock().unwrap().is_empty(),
        "{:?}",
        problems.lock().unwrap()
    );
}

fn select_option(tab: &headless_chrome::Tab, value: &str) {
    let script = format!(
        "(() => {{ const f = document.getElementById('filter'); f.value = '{value}'; \
         f.dispatchEvent(new Event('change')); return f.value; }})()"
    );
    let chosen = tab.evaluate(&script, false).unwrap().value;
    assert_eq!(chosen, Some(serde_json::json!(value)));
}

/// The segments the filter leaves on the page.
fn visible_segments(tab: &headless_chrome::Tab) -> Vec<u64> {
    let answer = tab
        .evaluate(
            "JSON.stringify(Array.from(document.querySelectorAll('.segment'))\
             .filter(s => !s.hidden).map(s => Number(s.dataset.segment)))",
            false,
        )
        .unwrap();
    let text = answer
        .value
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    serde_json::from_str(&text).unwrap()
}

/// A headless Chromium at `url` (1280 px wide), and the tab's console problems as they
/// come. The browser lives as long as the first value.
fn open(
    chrome: PathBuf,
    url: &str,
) -> (
    headless_chrome::Browser,
    Arc<headless_chrome::Tab>,
    Arc<Mutex<Vec<String>>>,
) {
    let options = headless_chrome::LaunchOptions {
        headless: true,
        sandbox: false,
        path: Some(chrome),
        window_size: Some((1280, 900)),
        idle_browser_timeout: Duration::from_secs(120),
        ..Default::default()
    };
    let browser = headless_chrome::Browser::new(options).expect("Chromium starts");
    let tab = browser.new_tab().unwrap();
    let problems = console_problems(&tab);
    tab.navigate_to(url).unwrap();
    tab.wait_until_navigated().unwrap();
    (browser, tab, problems)
}

/// Console errors and uncaught exceptions of the tab, as they come.
fn console_problems(tab: &headless_chrome::Tab) -> Arc<Mutex<Vec<String>>> {
    use headless_chrome::protocol::cdp::types::Event;
    let problems: Arc<Mutex<Vec<String>>> = Arc::default();
    tab.enable_runtime().unwrap();
    tab.enable_log().unwrap();
    let seen = problems.clone();
    tab.add_event_listener(Arc::new(move |event: &Event| match event {
        Event::RuntimeExceptionThrown(thrown) => {
            seen.lock()
                .unwrap()
                .push(format!("{:?}", thrown.params.exception_details));
        }
        Event::RuntimeConsoleAPICalled(call)
            if format!("{:?}", call.params.Type)
                .to_lowercase()
                .contains("error") =>
        {
            seen.lock().unwrap().push(format!("{:?}", call.params.args));
        }
        Event::LogEntryAdded(entry)
            if format!("{:?}", entry.params.entry.level)
                .to_lowercase()
                .contains("error") =>
        {
            seen.lock().unwrap().push(entry.params.entry.text.clone());
        }
        _ => {}
    }))
    .unwrap();
    problems
}

/// The durations of the page's `count` players once each has loaded its metadata.
fn wait_for_players(tab: &headless_chrome::Tab, count: usize) -> Vec<f64> {
    let started = Instant::now();
    loop {
        let answer = tab
            .evaluate(
                "JSON.stringify(Array.from(document.querySelectorAll('video'), v => \
                 ({loaded: v.dataset.loaded || '', duration: v.duration || 0})))",
                false,
            )
            .unwrap();
        let text = answer
            .value
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let players: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap_or_default();
        let loaded = players.iter().filter(|p| p["loaded"] == "true").count();
        assert!(
            !players.iter().any(|p| p["loaded"] == "error"),
            "a player could not load its video: {text}"
        );
        if players.len() == count && loaded == count {
            return players
                .iter()
                .map(|p| p["duration"].as_f64().unwrap())
                .collect();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "players not loaded after a minute: {text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_run_that_made_nothing_leaves_a_file_named_like_the_page_alone() {
    // A --state-dir elsewhere puts the page beside it, where a file of the user's may
    // have the same name: a run with nothing to show writes no page and removes nothing.
    let sim = simulator();
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("lantern", 1));
    let mine = project.write("output/review.html", "my own notes");
    let mut command = project.sora();
    command
        .env("SORA_API_KEY", "sk-not-the-simulators")
        .env("SORA_BASE_URL", sim.base_url())
        .args(common::batch::FAST)
        .timeout(common::batch::RUN_TIMEOUT);
    let (code, _, err) = common::batch::to_the_end(command);
    assert_eq!(code, 2, "the key is refused\n{err}");
    assert_eq!(std::fs::read_to_string(mine).unwrap(), "my own notes");
}
