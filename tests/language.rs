//! The interface's language from the locale: under `LANG=zh_CN.UTF-8` the dry run's table
//! and the end-of-run summary are Chinese (and the table stays aligned, CJK characters
//! taking two columns); under `LANG=C` English; `--lang` overrides; JSON stays English.
//! Invalid storyboards are framed in Chinese on the terminal, in English in the log.

mod common;

use common::Project;
use common::batch::{FAST, RUN_TIMEOUT, storyboard};
use sora_batch::sim::{self, GenSeconds, SimSettings};
use unicode_width::UnicodeWidthStr;

fn dry_run(project: &Project, lang_env: &str, args: &[&str]) -> (i32, String, String) {
    let mut command = project.sora();
    command.env("LANG", lang_env).args(["--dry-run"]).args(args);
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

fn project() -> Project {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("lantern", 2));
    project.write("input/第二集/storyboard_夜.json", &storyboard("night", 1));
    project
}

#[test]
fn a_chinese_locale_gets_a_chinese_dry_run_whose_table_stays_aligned() {
    let project = project();
    let (code, out, err) = dry_run(&project, "zh_CN.UTF-8", &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("试运行：未提交任何任务。"), "{out}");
    assert!(out.contains("合计（2 个分镜文件）"), "{out}");
    let table: Vec<&str> = out.lines().take(4).collect();
    assert!(table[0].starts_with("分镜文件"), "{out}");
    // Each column ends at the same terminal column on every line of the table.
    let ends = |line: &str| {
        let mut ends = Vec::new();
        let mut width = 0;
        let mut previous_blank = true;
        for ch in line.chars() {
            let blank = ch == ' ';
            if blank && !previous_blank {
                ends.push(width);
            }
            width += UnicodeWidthStr::width(ch.encode_utf8(&mut [0; 4]) as &str);
            previous_blank = blank;
        }
        ends.push(width);
        ends.into_iter().rev().take(7).collect::<Vec<_>>()
    };
    let first = ends(table[0]);
    for line in &table[1..] {
        assert_eq!(ends(line), first, "misaligned:\n{}", table.join("\n"));
    }
}

#[test]
fn the_c_locale_and_the_lang_flag_get_english() {
    let project = project();
    let (code, out, _) = dry_run(&project, "C", &[]);
    assert_eq!(code, 0);
    assert!(out.contains("Dry run: nothing was submitted."), "{out}");
    assert!(out.starts_with("storyboard"), "{out}");
    let (_, out, _) = dry_run(&project, "zh_CN.UTF-8", &["--lang", "en"]);
    assert!(out.contains("Dry run: nothing was submitted."), "{out}");
    let (_, out, _) = dry_run(&project, "C", &["--lang", "zh"]);
    assert!(out.contains("试运行"), "{out}");
}

#[test]
fn json_stays_english_under_a_chinese_locale() {
    let project = project();
    let (code, out, _) = dry_run(&project, "zh_CN.UTF-8", &["--json"]);
    assert_eq!(code, 0);
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["jobs_new"], 6, "{plan}");
    assert!(!out.contains("试运行"));
}

#[test]
fn a_run_under_a_chinese_locale_ends_with_a_chinese_summary() {
    let sim = sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.4),
        ..SimSettings::default()
    })
    .unwrap();
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("lantern", 1));
    let mut command = project.sora();
    command
        .env("LANG", "zh_CN.UTF-8")
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .args(FAST.iter().filter(|arg| **arg != "--json"))
        .timeout(RUN_TIMEOUT);
    let output = command.output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains("2 个已完成，0 个跳过（此前已完成），0 个失败。"),
        "{out}"
    );
    assert!(out.contains("服务商计费："), "{out}");
    // The log stays English.
    let log = std::fs::read_to_string(project.path().join("output/sora-batch.log")).unwrap();
    assert!(!log.contains("个已完成"), "{log}");
}

/// A project with one valid storyboard and one whose segment 2 has no prompt; a run of
/// it under `lang_env` (refused before anything is submitted): (exit code, stderr, the
/// log file).
fn invalid_run(lang_env: &str) -> (i32, String, String) {
    let project = project();
    project.write(
        "input/storyboard_bad.json",
        r#"{"segments": [{"segment_index": 2, "duration_seconds": 10}]}"#,
    );
    let output = project.sora().env("LANG", lang_env).output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr).to_string();
    let code = output.status.code().unwrap_or(-1);
    let log = std::fs::read_to_string(project.path().join("output/sora-batch.log")).unwrap();
    (code, err, log)
}

#[test]
fn invalid_storyboards_are_framed_in_chinese_on_the_terminal_and_english_in_the_log() {
    let (code, err, log) = invalid_run("zh_CN.UTF-8");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("storyboard_bad.json：分镜 2：prompt_text"),
        "{err}"
    );
    assert!(
        err.contains("3 个分镜文件中有 1 个无效（共 1 个问题，见上方）；未提交任何任务。"),
        "{err}"
    );
    assert!(
        err.contains("--skip-invalid 只运行其余 2 个有效的分镜文件"),
        "{err}"
    );
    assert!(!log.contains("分镜"), "{log}");
    assert!(
        log.contains("storyboard_bad.json: segment 2: prompt_text"),
        "{log}"
    );
    assert!(log.contains("1 of 3 storyboards is invalid"), "{log}");
}

#[test]
fn invalid_storyboards_read_in_english_under_the_c_locale() {
    let (code, err, _) = invalid_run("C");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("storyboard_bad.json: segment 2: prompt_text"),
        "{err}"
    );
    assert!(
        err.contains(
            "1 of 3 storyboards is invalid (1 problem, listed above); nothing was submitted. Fix \
             it, or pass --skip-invalid to run the 2 valid storyboards"
        ),
        "{err}"
    );
}
