//! `--help` in the user's language: Chinese under a Chinese locale, `--lang zh` or
//! `SORA_LANG=zh` (read before clap parses, as clap prints help while parsing), English
//! under `LANG=C`; the flags, variables and defaults themselves are the same in both.

mod common;

use common::Project;

/// `sora-batch <args>`'s stdout under `LANG=<lang_env>`, and whether it succeeded.
fn help(lang_env: &str, env: &[(&str, &str)], args: &[&str]) -> String {
    let project = Project::new();
    let mut command = project.sora();
    command
        .env("LANG", lang_env)
        .envs(env.iter().copied())
        .args(args);
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn help_is_chinese_under_a_chinese_locale() {
    let out = help("zh_CN.UTF-8", &[], &["--help"]);
    for text in [
        "用法：sora-batch [OPTIONS]",
        "命令:",
        "输入与输出:",
        "（递归）扫描 storyboard*.json 文件的文件夹",
        "显示计划和预估费用",
        "chat（sora2api 之类的 chat-completions 网关）",
        "退出码：0 全部完成",
        // What a person types stays as it is.
        "--input-dir <DIR>",
        "[env: SORA_INPUT_DIR]",
        "GEN_COUNT_PER_SEGMENT",
    ] {
        assert!(out.contains(text), "--help lacks {text:?}:\n{out}");
    }
    assert!(!out.contains("Folder scanned"), "{out}");
}

#[test]
fn a_subcommands_help_is_chinese_too() {
    let out = help("zh_CN.UTF-8", &[], &["review", "--help"]);
    assert!(out.contains("用默认浏览器打开页面"), "{out}");
    assert!(out.contains("选项:"), "{out}");
    assert!(out.contains("显示帮助"), "{out}");
    let out = help("C", &[], &["help", "select"]);
    assert!(out.contains("The picks the review page saved"), "{out}");
}

#[test]
fn the_flag_and_the_variable_choose_the_language_of_help() {
    let chinese = help("C", &[], &["--lang", "zh", "-h"]);
    assert!(chinese.contains("用法："), "{chinese}");
    let chinese = help("C", &[("SORA_LANG", "zh")], &["-h"]);
    assert!(chinese.contains("用法："), "{chinese}");
    let english = help("zh_CN.UTF-8", &[], &["-h", "--lang=en"]);
    assert!(english.contains("Usage: sora-batch"), "{english}");
    assert!(
        english.contains("Folder scanned (recursively)"),
        "{english}"
    );
    assert!(!english.contains("用法"), "{english}");
}
