//! The interface's language from the locale: under `LANG=zh_CN.UTF-8` the dry run's table
//! and the end-of-run summary are Chinese (and the table stays aligned, CJK characters
//! taking two columns); under `LANG=C` English; `--lang` overrides; JSON stays English.
//! Invalid storyboards' problems read whole in Chinese on the terminal (and in the
//! summary of skipped ones), in English in the log, `--json` and `--report`;
//! `review`, `select` and `balance` answer in the locale's language.

mod common;

use common::Project;
use common::batch::{RUN_TIMEOUT, fast_for_people, run, storyboard};
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
    assert!(out.contains("合计（2 个分镜脚本）"), "{out}");
    let table: Vec<&str> = out.lines().take(4).collect();
    assert!(table[0].starts_with("分镜脚本"), "{out}");
    // Each column ends at the same terminal column on every line of the table. Columns
    // are set apart by two spaces or more; a cell may hold one (`40 秒`).
    let ends = |line: &str| {
        let mut ends = Vec::new();
        let mut width = 0;
        let chars: Vec<char> = line.chars().collect();
        for (at, ch) in chars.iter().enumerate() {
            let gap_starts =
                *ch == ' ' && chars.get(at + 1) == Some(&' ') && at > 0 && chars[at - 1] != ' ';
            if gap_starts {
                ends.push(width);
            }
            width += UnicodeWidthStr::width(ch.encode_utf8(&mut [0; 4]) as &str);
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

/// A storyboard for openai whose first segment starts from an image on disk of another
/// size than the video, and whose second remixes the first.
fn image_and_remix_project() -> Project {
    let project = Project::new();
    project.write(
        "input/storyboard.json",
        r#"{"defaults": {"duration_seconds": 4, "gen_count": 1},
            "segments": [{"segment_index": 1, "prompt_text": "dawn", "image_url": "f.png"},
                         {"segment_index": 2, "prompt_text": "noon", "remix_of": {"segment": 1}}]}"#,
    );
    let image = common::images::png(1024, 768);
    std::fs::write(project.path().join("input/f.png"), image).unwrap();
    project
}

#[test]
fn the_dry_runs_images_remixes_and_warnings_are_chinese_under_a_chinese_locale() {
    let project = image_and_remix_project();
    let openai = ["--provider", "openai", "--fit-images"];
    let (code, out, err) = dry_run(&project, "zh_CN.UTF-8", &openai);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("磁盘上的参考图片："), "{out}");
    assert!(out.contains("PNG 1024x768，"), "{out}");
    assert!(out.contains("，加黑边到 1280x720"), "{out}");
    assert!(
        out.contains("input/storyboard.json：分镜 2 remix 分镜 1 的 v1"),
        "{out}"
    );
    let (_, english, _) = dry_run(&project, "C", &openai);
    assert!(english.contains("Reference images on disk:"), "{english}");
    assert!(english.contains(", letterboxed to 1280x720"), "{english}");
    assert!(
        english.contains("segment 2 remixes segment 1 v1"),
        "{english}"
    );

    // A provider that does not answer: the estimate falls back, and says so in Chinese.
    let project = self::project();
    let mut command = project.sora();
    command
        .env("LANG", "zh_CN.UTF-8")
        .env("SORA_API_KEY", "sk-never-shown")
        .args(["--dry-run", "--base-url", "http://127.0.0.1:9/v1"]);
    let output = command.output().unwrap();
    let shown = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(shown.contains("无法向服务商询问价格（"), "{shown}");
    assert!(!shown.contains("could not ask the provider"), "{shown}");
    let json = project
        .sora()
        .env("LANG", "zh_CN.UTF-8")
        .env("SORA_API_KEY", "sk-never-shown")
        .args(["--dry-run", "--json", "--base-url", "http://127.0.0.1:9/v1"])
        .output()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let warning = plan["warnings"][0].as_str().unwrap_or_default();
    assert!(
        warning.starts_with("could not ask the provider for prices"),
        "--json stays English: {plan}"
    );
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
        .args(fast_for_people())
        .timeout(RUN_TIMEOUT);
    let output = command.output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains("2 个已完成，0 个跳过（此前已完成），0 个失败。"),
        "{out}"
    );
    assert!(out.contains("服务商计费："), "{out}");
    // What happens to each job, as it happens, too.
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("2 个任务待生成，0 个已完成"), "{err}");
    assert!(
        err.contains("storyboard.json 分镜 1 v1：已提交，任务 task_"),
        "{err}"
    );
    assert!(err.contains("storyboard.json 分镜 1 v2：已保存 "), "{err}");
    // The log stays English.
    let log = std::fs::read_to_string(project.path().join("output/sora-batch.log")).unwrap();
    assert!(!log.contains("个已完成"), "{log}");
    assert!(
        log.contains("segment 1 v1: submitted as task task_"),
        "{log}"
    );
    assert!(log.contains("2 jobs to generate, 0 already done"), "{log}");
}

#[test]
fn a_skipped_storyboards_problem_reads_in_chinese_in_the_summary_and_english_in_the_report() {
    let sim = sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.4),
        ..SimSettings::default()
    })
    .unwrap();
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("lantern", 1));
    project.write(
        "input/storyboard_bad.json",
        r#"{"segments": [{"segment_index": 1, "prompt_text": "a", "duration_seconds": 12}]}"#,
    );
    let report = project.path().join("report.json");
    let mut command = project.sora();
    command
        .env("LANG", "zh_CN.UTF-8")
        .env("SORA_API_KEY", sim::DEFAULT_KEY)
        .env("SORA_BASE_URL", sim.base_url())
        .args(fast_for_people())
        .args(["--skip-invalid", "--report"])
        .arg(&report)
        .timeout(RUN_TIMEOUT);
    let output = command.output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        out.contains("已跳过：input/storyboard_bad.json：分镜 1：duration_seconds：不支持 12 秒；"),
        "{out}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        report["skipped_storyboards"][0]["problems"][0],
        "input/storyboard_bad.json: segment 1: duration_seconds: 12 is not allowed; sora-hk \
         allows 10 or 15 (25 with is_pro)"
    );
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
        err.contains("3 个分镜脚本中有 1 个无效（共 1 个问题，见上方）；未提交任何任务。"),
        "{err}"
    );
    assert!(
        err.contains("--skip-invalid 只运行其余 2 个有效的分镜脚本"),
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

/// A finished run of two segments, one take each, and a picks file that picks segment 2
/// and names a storyboard that does not exist; then `review` and `select` under
/// `lang_env`: (review's stdout, select's stdout and stderr).
fn review_and_select(lang_env: &str) -> (String, String) {
    let sim = sim::start_on_thread(SimSettings {
        gen_seconds: GenSeconds(0.2, 0.4),
        ..SimSettings::default()
    })
    .unwrap();
    let project = Project::new();
    project.write("input/storyboard.json", &storyboard("lantern", 2));
    let (code, _, err) = run(&project, &sim, &["--gen-count", "1"]);
    assert_eq!(code, 0, "{err}");
    project.write(
        "output/picks.json",
        r#"[{"storyboard": "storyboard.json", "segment": 2, "version": 1},
            {"storyboard": "other.json", "segment": 1, "version": 1}]"#,
    );
    let command = |name: &str| {
        let output = project
            .sora()
            .env("LANG", lang_env)
            .arg(name)
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&output.stdout).to_string();
        out + &String::from_utf8_lossy(&output.stderr)
    };
    (command("review"), command("select"))
}

#[test]
fn review_and_select_answer_in_chinese_under_a_chinese_locale() {
    let (review, select) = review_and_select("zh_CN.UTF-8");
    assert!(
        review.contains("review.html：2 个版本已完成，0 个失败，0 个在途"),
        "{review}"
    );
    assert!(
        select.contains("storyboard.json：2 个版本放入 "),
        "{select}"
    );
    assert!(select.contains("；分镜 1 未挑选，使用 v1"), "{select}");
    assert!(
        select.contains("other.json 分镜 1 v1 不是 ./input 中任何分镜脚本的版本；已略过"),
        "{select}"
    );
}

#[test]
fn review_and_select_answer_in_english_under_the_c_locale() {
    let (review, select) = review_and_select("C");
    assert!(
        review.contains("review.html: 2 takes done, 0 failed, 0 in flight"),
        "{review}"
    );
    assert!(select.contains("storyboard.json: 2 takes in "), "{select}");
    assert!(
        select.contains("; no pick for segment 1, so v1"),
        "{select}"
    );
    assert!(
        select.contains("other.json segment 1 v1 is no take of the storyboards in ./input"),
        "{select}"
    );
}

/// `sora-batch balance` against a simulator with two keys, one of them unknown to it,
/// under `lang_env`: (exit code, stdout).
fn balance(lang_env: &str) -> (i32, String) {
    let sim = sim::start_on_thread(SimSettings::default()).unwrap();
    let project = Project::new();
    let keys = format!(
        r#"[{{"key": "{}"}}, {{"key": "sk-nobody-knows-this"}}]"#,
        sim::DEFAULT_KEY
    );
    let output = project
        .sora()
        .env("LANG", lang_env)
        .env("SORA_API_KEYS", keys)
        .args(["--base-url", &sim.base_url(), "balance"])
        .timeout(RUN_TIMEOUT)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout).to_string();
    let err = String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), out + &err)
}

#[test]
fn balance_answers_in_chinese_under_a_chinese_locale() {
    let (code, out) = balance("zh_CN.UTF-8");
    assert_eq!(code, 2, "{out}");
    assert!(out.starts_with("sora-hk（http://127.0.0.1:"), "{out}");
    assert!(out.contains("  key2  未知："), "{out}");
    assert!(out.contains("价格："), "{out}");
}

#[test]
fn balance_answers_in_english_under_the_c_locale() {
    let (code, out) = balance("C");
    assert_eq!(code, 2, "{out}");
    assert!(out.starts_with("sora-hk at http://127.0.0.1:"), "{out}");
    assert!(out.contains("  key2  unknown: "), "{out}");
    assert!(out.contains("Prices: "), "{out}");
}

/// A project whose storyboards are each wrong in another way: a mistyped key, a length
/// sora-hk does not offer, an image file that is not there, a key written twice, and two
/// files that would share an output folder. A run of it under `lang_env` with `args`:
/// (exit code, stdout, stderr, the log file if any).
fn many_problems_run(lang_env: &str, args: &[&str]) -> (i32, String, String, String) {
    let project = Project::new();
    let segment = |fields: &str| format!(r#"{{"segments": [{{"segment_index": 1, {fields}}}]}}"#);
    project.write(
        "input/storyboard_typo.json",
        &segment(r#""promt_text": "a lantern""#),
    );
    project.write(
        "input/storyboard_long.json",
        &segment(r#""prompt_text": "a lantern", "duration_seconds": 12"#),
    );
    project.write(
        "input/storyboard_image.json",
        &segment(r#""prompt_text": "a lantern", "image_url": "frames/gone.png""#),
    );
    project.write(
        "input/storyboard_twice.json",
        &segment(r#""prompt_text": "a lantern", "is_pro": true, "is_pro": false"#),
    );
    project.write("input/storyboard_a.json", &storyboard("lantern", 1));
    project.write("input/storyboard_a.JSON", &storyboard("night", 1));
    let output = project
        .sora()
        .env("LANG", lang_env)
        .args(args)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout).to_string();
    let err = String::from_utf8_lossy(&output.stderr).to_string();
    // A dry run writes no log.
    let log = std::fs::read_to_string(project.path().join("output/sora-batch.log"));
    (
        output.status.code().unwrap_or(-1),
        out,
        err,
        log.unwrap_or_default(),
    )
}

/// The English lines of [`many_problems_run`]'s problems, as the log and `--json` keep
/// them (and as the `C` locale shows them).
const ENGLISH_PROBLEMS: [&str; 5] = [
    r#"input/storyboard_typo.json: segment 1: promt_text: unknown field; did you mean "prompt_text"?"#,
    "input/storyboard_long.json: segment 1: duration_seconds: 12 is not allowed; sora-hk allows 10 or 15 (25 with is_pro)",
    r#"input/storyboard_image.json: segment 1: image_url: "frames/gone.png" is not a link, and there is no file at input/frames/gone.png"#,
    "input/storyboard_twice.json: segment 1: is_pro: is written 2 times in the same object; only the last value would count",
    "input/storyboard_a.JSON: writes to the same folder as input/storyboard_a.json (output/storyboard_a); rename one of them",
];

#[test]
fn problems_read_whole_in_chinese_under_a_chinese_locale_and_stay_english_in_the_log() {
    let (code, _, err, log) = many_problems_run("zh_CN.UTF-8", &[]);
    assert_eq!(code, 2, "{err}");
    for chinese in [
        r#"storyboard_typo.json：分镜 1：promt_text：未知字段；是不是想写 "prompt_text"？"#,
        "storyboard_long.json：分镜 1：duration_seconds：不支持 12 秒；sora-hk 支持 10 或 15 秒（带 is_pro 时还支持 25 秒）",
        r#"storyboard_image.json：分镜 1：image_url："frames/gone.png" 不是链接，input/frames/gone.png 处也没有这个文件"#,
        "storyboard_twice.json：分镜 1：is_pro：在同一个对象中写了 2 次；只有最后一个值会生效",
        "storyboard_a.JSON：与 input/storyboard_a.json 写入同一个文件夹（output/storyboard_a）；请给其中一个改名",
    ] {
        assert!(err.contains(chinese), "no {chinese:?} in:\n{err}");
    }
    for english in ENGLISH_PROBLEMS {
        assert!(
            !err.contains(english),
            "English {english:?} on a Chinese terminal:\n{err}"
        );
        assert!(log.contains(english), "no {english:?} in the log:\n{log}");
    }
    for chinese in ["未知字段", "不允许", "文件夹", "没有这个文件", "生效"] {
        assert!(!log.contains(chinese), "{chinese} in the log:\n{log}");
    }
}

#[test]
fn problems_read_in_english_under_the_c_locale() {
    let (code, _, err, _) = many_problems_run("C", &[]);
    assert_eq!(code, 2, "{err}");
    for english in ENGLISH_PROBLEMS {
        assert!(err.contains(english), "no {english:?} in:\n{err}");
    }
    assert!(!err.contains("未知字段"), "{err}");
}

#[test]
fn json_problem_lines_stay_english_under_a_chinese_locale() {
    let (code, out, err, _) = many_problems_run("zh_CN.UTF-8", &["--dry-run", "--json"]);
    assert_eq!(code, 2, "{err}");
    let answer: serde_json::Value = serde_json::from_str(&out).expect(&out);
    let problems = answer["problems"].as_array().expect("a list of problems");
    let texts: Vec<&str> = problems
        .iter()
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    for english in ENGLISH_PROBLEMS {
        assert!(
            texts.iter().any(|text| text.starts_with(english)),
            "no {english:?} in {texts:#?}"
        );
    }
    let typo = problems
        .iter()
        .find(|p| p["field"] == "promt_text")
        .expect("the mistyped key's problem");
    assert_eq!(
        typo["message"],
        r#"unknown field; did you mean "prompt_text"?"#
    );
    assert!(!out.contains("未知字段"), "{out}");
}
