//! Errors and warnings in the user's language: under `LANG=zh_CN.UTF-8` the terminal's
//! `error:`/`warning:` labels and the messages after them are Chinese (a provider's own
//! words left as it said them), under `LANG=C` English; the log file stays English.

mod common;

use std::fs::File;

use common::Project;
use common::batch::{RUN_TIMEOUT, fast_for_people, storyboard};
use sora_batch::sim::{self, GenSeconds, SimSettings};

/// What a run printed: (exit code, stdout, stderr, the log file).
struct Ran {
    code: i32,
    err: String,
    log: String,
}

/// The binary in `project` under `LANG=lang_env`, talking to `base_url` with the
/// simulator's key, `env` set on top.
fn run_in(project: &Project, lang_env: &str, base_url: &str, env: &[(&str, &str)]) -> Ran {
    let mut command = project.sora();
    command
        .env("LANG", lang_env)
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", base_url)
        .args(fast_for_people())
        .timeout(RUN_TIMEOUT);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let log =
        std::fs::read_to_string(project.path().join("output/sora-batch.log")).unwrap_or_default();
    Ran {
        code: output.status.code().unwrap_or(-1),
        err: String::from_utf8_lossy(&output.stderr).to_string(),
        log,
    }
}

/// A project of one storyboard of one segment.
fn project() -> Project {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("lantern", 1));
    project
}

/// Nothing listens here: runs that stop before any call never find out.
const NO_PROVIDER: &str = "http://127.0.0.1:9";

#[test]
fn a_state_folder_held_by_another_run_is_refused_in_chinese_and_logged_in_english() {
    let project = project();
    let state = project.path().join("output/.sora-batch");
    std::fs::create_dir_all(&state).unwrap();
    // Held as another run holds it: the OS lock, no details written yet.
    let held = File::create(state.join("lock")).unwrap();
    held.lock().unwrap();

    let ran = run_in(&project, "zh_CN.UTF-8", NO_PROVIDER, &[]);
    assert_eq!(ran.code, 75, "{}", ran.err);
    assert!(
        ran.err
            .contains("错误：另一个 sora-batch 运行（正在启动）正在使用状态文件夹 "),
        "{}",
        ran.err
    );
    assert!(
        ran.err
            .contains("；请等它结束，或用 --state-dir 指定另一个状态文件夹"),
        "{}",
        ran.err
    );
    assert!(!ran.err.contains("error:"), "{}", ran.err);
    assert!(
        ran.log
            .contains("ERROR another sora-batch run (just starting) is using the state folder"),
        "{}",
        ran.log
    );
    assert!(
        !ran.log.contains("错误") && !ran.log.contains("状态文件夹"),
        "{}",
        ran.log
    );

    let ran = run_in(&project, "C", NO_PROVIDER, &[]);
    assert_eq!(ran.code, 75, "{}", ran.err);
    assert!(
        ran.err
            .contains("error: another sora-batch run (just starting) is using the state folder "),
        "{}",
        ran.err
    );
    assert!(
        ran.err
            .contains("; wait for it to finish, or pass a different --state-dir"),
        "{}",
        ran.err
    );
}

#[test]
fn a_bad_list_of_keys_is_refused_in_the_locales_language() {
    let project = project();
    let keys = r#"[{"key": "sk-first-key-000"}, {"key": "sk-second-key-00", "weight": 0}]"#;
    let env = [("SORA_API_KEYS", keys), ("SORA_API_KEY", "")];
    let ran = run_in(&project, "zh_CN.UTF-8", NO_PROVIDER, &env);
    assert_eq!(ran.code, 2, "{}", ran.err);
    assert!(
        ran.err
            .contains("错误：SORA_API_KEYS：第 2 项：\"weight\" 必须是 1 到 "),
        "{}",
        ran.err
    );
    assert!(
        ran.log
            .contains("SORA_API_KEYS: entry 2: \"weight\" must be a whole number from 1 to"),
        "{}",
        ran.log
    );

    let ran = run_in(&project, "C", NO_PROVIDER, &env);
    assert_eq!(ran.code, 2, "{}", ran.err);
    assert!(
        ran.err
            .contains("error: SORA_API_KEYS: entry 2: \"weight\" must be a whole number from 1 to"),
        "{}",
        ran.err
    );
}

#[test]
fn half_a_proxy_setting_is_refused_in_chinese_under_a_chinese_locale() {
    let project = project();
    let env = [("PROXY_PORT", "7890")];
    let ran = run_in(&project, "zh_CN.UTF-8", NO_PROVIDER, &env);
    assert_eq!(ran.code, 2, "{}", ran.err);
    assert!(
        ran.err.contains(
            "错误：设置了 PROXY_PORT 却没有设置 PROXY_HOST；请两个都设置（PROXY_HOST=127.0.0.1 \
             PROXY_PORT=7890），或都不设置"
        ),
        "{}",
        ran.err
    );
    let ran = run_in(&project, "C", NO_PROVIDER, &env);
    assert!(
        ran.err
            .contains("error: PROXY_PORT is set but PROXY_HOST is not; set both"),
        "{}",
        ran.err
    );
}

#[test]
fn a_damaged_journal_is_named_in_chinese_with_its_line_and_the_fix() {
    let project = project();
    project.write(
        "output/.sora-batch/journal.jsonl",
        "not a journal line\nnor this one\n",
    );
    let ran = run_in(&project, "zh_CN.UTF-8", NO_PROVIDER, &[]);
    assert_eq!(ran.code, 2, "{}", ran.err);
    assert!(ran.err.starts_with("错误："), "{}", ran.err);
    assert!(
        ran.err
            .contains("journal.jsonl：第 1 行：无法读取这条记录（"),
        "{}",
        ran.err
    );
    assert!(
        ran.err
            .contains("任务记录被改动过或已损坏。请修复或删除这一行"),
        "{}",
        ran.err
    );
    assert!(
        ran.log
            .contains("journal.jsonl: line 1: cannot read this entry ("),
        "{}",
        ran.log
    );
}

#[test]
fn a_bad_dot_env_line_is_refused_in_the_locales_language() {
    let project = project();
    project.write(".env", "SORA_QUIET=1\nTHIS IS NOT A SETTING\n");
    let bad_env = |lang_env: &str| {
        let output = project.sora().env("LANG", lang_env).output().unwrap();
        let err = String::from_utf8_lossy(&output.stderr).to_string();
        (output.status.code(), err)
    };
    let (code, err) = bad_env("zh_CN.UTF-8");
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err,
        "错误：.env：第 2 行：无法解析这项设置；请写成 NAME=value（含空格的值要加引号：NAME=\"a b\"）\n"
    );
    let (code, err) = bad_env("C");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.starts_with("error: .env: line 2: cannot parse this setting; write it as NAME=value"),
        "{err}"
    );
}

#[test]
fn a_job_that_fails_at_the_provider_is_warned_in_chinese_with_the_providers_words() {
    let sim = sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.4),
        fail_rate: 1.0,
        seed: Some(7),
        ..SimSettings::default()
    })
    .unwrap();
    let project = project();
    let ran = run_in(&project, "zh_CN.UTF-8", &sim.base_url(), &[]);
    assert_eq!(ran.code, 1, "{}", ran.err);
    let warning = ran
        .err
        .lines()
        .find(|line| line.contains("在服务商处失败："))
        .unwrap_or_else(|| panic!("no failure warning:\n{}", ran.err));
    // Not on a terminal, so the line starts with a timestamp.
    let warning = &warning[warning.find("警告：").expect("the warning label")..];
    let (job, said) = warning
        .strip_prefix("警告：storyboard.json 分镜 1 v")
        .and_then(|rest| rest.split_once("：在服务商处失败："))
        .unwrap_or_else(|| panic!("{warning}"));
    // The provider's words after it are its own, and the log keeps the English line.
    assert!(said.is_ascii() && !said.is_empty(), "{warning}");
    let english = format!("storyboard.json segment 1 v{job}: failed at the provider: {said}");
    assert!(ran.log.contains(&english), "{english}\n{}", ran.log);
    assert!(!ran.log.contains("警告"), "{}", ran.log);
}

#[test]
fn the_summary_gives_why_jobs_failed_in_chinese_while_failed_jobs_json_stays_english() {
    // Never finished within the poll timeout: a failure whose reason sora-batch words.
    let sim = sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(60.0, 60.0),
        ..SimSettings::default()
    })
    .unwrap();
    let project = project();
    let mut command = project.sora();
    command
        .env("LANG", "zh_CN.UTF-8")
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .args(fast_for_people())
        .args(["--gen-count", "1", "--poll-timeout", "1s"])
        .timeout(RUN_TIMEOUT);
    let output = command.output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("  1 个任务：在服务商处超时"), "{out}");
    let failed = out
        .lines()
        .find(|line| line.starts_with("  失败：storyboard.json 分镜 1 v1："))
        .unwrap_or_else(|| panic!("no failed line:\n{out}"));
    assert!(
        failed.contains("仍未完成；再次运行会继续跟进，不会重复付费"),
        "{failed}"
    );

    let file = project.path().join("output/.sora-batch/failed_jobs.json");
    let listed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let message = listed[0]["message"].as_str().unwrap();
    assert!(
        message.contains("was still not finished after")
            && message.ends_with("a rerun picks it up again without paying twice"),
        "{listed}"
    );
    assert_eq!(listed[0]["reason"], "timed out at the provider", "{listed}");
}
