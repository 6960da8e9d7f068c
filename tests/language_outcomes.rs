//! How things ended, in the user's language: under `LANG=zh_CN.UTF-8` the terminal says
//! why a run stopped early, why a key was refused (dry run, `balance`), why a job failed
//! (an earlier run's failure), how an extra take ended and why a picks file is refused in
//! Chinese; `--json`, the log and `failed_jobs.json` keep the English.

mod common;

use common::Project;
use common::batch::{RUN_TIMEOUT, fast_for_people, storyboard};
use common::planted::{job_key, plant_submitted};
use serde_json::Value;
use sora_batch::sim::{self, GenSeconds, RunningSim, SimSettings};

/// What a run printed: (exit code, stdout, stderr).
struct Ran {
    code: i32,
    out: String,
    err: String,
}

/// The binary in `project` under `LANG=lang_env` with `SORA_API_KEY=key`, talking to
/// `sim` (when given), with `args` after the fast test settings.
fn run(
    project: &Project,
    lang_env: &str,
    sim: Option<&RunningSim>,
    key: &str,
    args: &[&str],
) -> Ran {
    let mut command = project.sora();
    command
        .env("LANG", lang_env)
        .args(args)
        .timeout(RUN_TIMEOUT);
    if let Some(sim) = sim {
        command
            .env("SORA_BASE_URL", sim.base_url())
            .env("SORA_API_KEY", key);
    }
    let output = command.output().unwrap();
    Ran {
        code: output.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&output.stdout).to_string(),
        err: String::from_utf8_lossy(&output.stderr).to_string(),
    }
}

fn simulator(fail_rate: f64) -> RunningSim {
    sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.4),
        fail_rate,
        seed: Some(5),
        ..SimSettings::default()
    })
    .expect("the simulator starts")
}

fn project() -> Project {
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("lantern", 1));
    project
}

#[test]
fn a_run_stopped_by_a_refused_key_says_why_in_chinese_and_in_english_in_json() {
    let sim = simulator(0.0);
    let project = project();
    let ran = run(
        &project,
        "zh_CN.UTF-8",
        Some(&sim),
        "sk-wrong",
        &fast_for_people().collect::<Vec<_>>(),
    );
    assert_eq!(ran.code, 2, "{}\n{}", ran.out, ran.err);
    assert!(
        ran.out
            .contains("提前停止：服务商拒绝了 API 密钥（HTTP 401）；请检查 SORA_API_KEY。"),
        "{}",
        ran.out
    );
    assert!(!ran.out.contains("the provider refused"), "{}", ran.out);

    let mut args: Vec<&str> = fast_for_people().collect();
    args.push("--json");
    let ran = run(&project, "zh_CN.UTF-8", Some(&sim), "sk-wrong", &args);
    let summary: Value = serde_json::from_str(&ran.out).unwrap_or_else(|_| panic!("{}", ran.out));
    assert_eq!(
        summary["stopped_because"],
        "the provider refused the API key (HTTP 401); check SORA_API_KEY",
        "{summary}"
    );
}

#[test]
fn a_refused_key_in_the_dry_run_is_named_in_chinese() {
    let sim = simulator(0.0);
    let project = project();
    let ran = run(
        &project,
        "zh_CN.UTF-8",
        Some(&sim),
        "sk-wrong",
        &["--dry-run"],
    );
    assert_eq!(ran.code, 2, "{}\n{}", ran.out, ran.err);
    assert!(
        ran.err.contains(
            "错误：服务商拒绝了 API 密钥（HTTP 401）；请检查 SORA_API_KEY；正式运行时会在这里停止"
        ),
        "{}",
        ran.err
    );
    // The plan's warnings are part of the report, on stdout.
    assert!(
        ran.out
            .contains("无法向服务商询问价格（服务商拒绝了 API 密钥（HTTP 401）"),
        "{}",
        ran.out
    );
    assert!(!ran.err.contains("the provider refused"), "{}", ran.err);
    assert!(!ran.out.contains("the provider refused"), "{}", ran.out);

    let ran = run(&project, "C", Some(&sim), "sk-wrong", &["--dry-run"]);
    assert!(
        ran.err.contains(
            "the provider refused the API key (HTTP 401); check SORA_API_KEY; a real run would stop here"
        ),
        "{}",
        ran.err
    );
}

#[test]
fn balance_names_a_refused_key_and_the_simulator_in_chinese_and_json_stays_english() {
    let sim = simulator(0.0);
    let project = project();
    let ran = run(
        &project,
        "zh_CN.UTF-8",
        Some(&sim),
        "sk-wrong",
        &["balance"],
    );
    assert_eq!(ran.code, 2, "{}\n{}", ran.out, ran.err);
    assert!(
        ran.out
            .contains("key1  未知：服务商拒绝了 API 密钥（HTTP 401）；请检查 SORA_API_KEY"),
        "{}",
        ran.out
    );
    let ran = run(
        &project,
        "zh_CN.UTF-8",
        Some(&sim),
        "sk-wrong",
        &["balance", "--json"],
    );
    let answer: Value = serde_json::from_str(&ran.out).unwrap_or_else(|_| panic!("{}", ran.out));
    assert_eq!(
        answer["keys"][0]["problem"],
        "the provider refused the API key (HTTP 401); check SORA_API_KEY",
        "{answer}"
    );

    let offline = ["balance", "--provider", "simulator"];
    let ran = run(&project, "zh_CN.UTF-8", None, "", &offline);
    assert_eq!(ran.code, 0, "{}\n{}", ran.out, ran.err);
    let header = ran.out.lines().next().unwrap_or_default();
    assert!(header.contains("（内置模拟器）"), "{}", ran.out);
    assert!(!header.contains("built-in"), "{}", ran.out);
    let ran = run(
        &project,
        "zh_CN.UTF-8",
        None,
        "",
        &[&offline[..], &["--json"]].concat(),
    );
    let answer: Value = serde_json::from_str(&ran.out).unwrap_or_else(|_| panic!("{}", ran.out));
    let api = answer["api"].as_str().unwrap();
    assert!(api.ends_with(" (the built-in simulator)"), "{answer}");
}

#[test]
fn a_failure_of_an_earlier_run_is_named_in_chinese_and_failed_jobs_json_stays_english() {
    let sim = simulator(1.0);
    let project = project();
    let mut args: Vec<&str> = fast_for_people().collect();
    args.extend(["--gen-count", "1"]);
    let first = run(&project, "zh_CN.UTF-8", Some(&sim), sim::DEFAULT_KEY, &args);
    assert_eq!(first.code, 1, "{}\n{}", first.out, first.err);

    let ran = run(&project, "zh_CN.UTF-8", Some(&sim), sim::DEFAULT_KEY, &args);
    assert_eq!(ran.code, 1, "{}\n{}", ran.out, ran.err);
    let failed = ran
        .out
        .lines()
        .find(|line| line.starts_with("  失败：storyboard.json 分镜 1 v1："))
        .unwrap_or_else(|| panic!("no failed line:\n{}", ran.out));
    assert!(
        failed.contains("：在之前的运行中于服务商处失败（任务 task_"),
        "{failed}"
    );
    assert!(
        failed.ends_with("；不会再次提交：请修改该分镜，或加上 --retry-failed 重新运行"),
        "{failed}"
    );

    let file = project.path().join("output/.sora-batch/failed_jobs.json");
    let listed: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let message = listed[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("failed at the provider in an earlier run (task task_")
            && message
                .ends_with("; not submitted again: edit the segment, or rerun with --retry-failed"),
        "{listed}"
    );
}

#[test]
fn an_extra_takes_end_is_said_in_chinese_and_stays_english_in_json() {
    let sim = simulator(0.0);
    let project = project();
    // An earlier run with --gen-count 2 left both its tasks at the provider.
    for version in 1..=2 {
        let key = job_key(&project, "storyboard.json", 1, version);
        let task = sim.create_task("lantern shot 1");
        plant_submitted(&project, &key, "lantern shot 1", &task);
    }
    // With --json the summary's text goes to stderr.
    let mut args: Vec<&str> = fast_for_people().collect();
    args.extend(["--gen-count", "1", "--json"]);
    let ran = run(&project, "zh_CN.UTF-8", Some(&sim), sim::DEFAULT_KEY, &args);
    assert_eq!(ran.code, 0, "{}\n{}", ran.out, ran.err);
    let extra = ran
        .err
        .lines()
        .find(|line| line.starts_with("  额外版本："))
        .unwrap_or_else(|| panic!("no extra take:\n{}", ran.err));
    assert!(extra.ends_with(".mp4（已完成）"), "{extra}");
    let summary: Value = serde_json::from_str(&ran.out).unwrap_or_else(|_| panic!("{}", ran.out));
    assert_eq!(summary["extra_takes"][0]["status"], "done", "{summary}");
}

#[test]
fn a_missing_picks_file_is_refused_in_the_locales_language() {
    let project = project();
    let select = ["select", "--picks", "picks.json"];
    let ran = run(&project, "zh_CN.UTF-8", None, "", &select);
    assert_eq!(ran.code, 2, "{}", ran.err);
    assert!(
        ran.err
            .contains("picks.json：无法读取选片文件：文件不存在；请在审阅页面"),
        "{}",
        ran.err
    );
    assert!(!ran.err.contains("cannot read"), "{}", ran.err);

    let ran = run(&project, "C", None, "", &select);
    assert!(
        ran.err
            .contains("picks.json: cannot read the picks file: there is none; pick takes"),
        "{}",
        ran.err
    );
}
