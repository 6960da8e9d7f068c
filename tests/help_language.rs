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

/// `sora-batch <args>`'s exit code and stderr under `LANG=<lang_env>`.
fn refused(lang_env: &str, args: &[&str]) -> (Option<i32>, String) {
    let project = Project::new();
    let output = project
        .sora()
        .env("LANG", lang_env)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    (output.status.code(), stderr)
}

#[test]
fn a_refused_flag_is_explained_in_the_users_language() {
    let (code, err) = refused("zh_CN.UTF-8", &["--poll-interval", "0s", "--dry-run"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--poll-interval 必须在 10 毫秒 到 1 小时 之间（收到的是 \"0s\"）"),
        "{err}"
    );
    let (code, err) = refused("zh_CN.UTF-8", &["--draw-size", "large", "--dry-run"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--draw-size 只适用于 --provider draw"),
        "{err}"
    );
    let (_, err) = refused(
        "zh_CN.UTF-8",
        &["--base-url", "api.sora.hk/v1", "--dry-run"],
    );
    assert!(err.contains("--base-url 缺少协议"), "{err}");
    // clap's own framing too: the label, the usage line, the pointer to --help.
    let (_, err) = refused("zh_CN.UTF-8", &["--draw-size", "large", "--dry-run"]);
    assert!(err.starts_with("错误：--draw-size"), "{err}");
    assert!(err.contains("用法：sora-batch [OPTIONS]"), "{err}");
    assert!(err.contains("更多信息请用 '--help'。"), "{err}");
    let (code, err) = refused("zh_CN.UTF-8", &["--no-such-flag"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.starts_with("错误："), "{err}");
    let (code, err) = refused("C", &["--draw-size", "large", "--dry-run"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--draw-size applies only to --provider draw, not to --provider sora-hk"),
        "{err}"
    );
    assert!(err.starts_with("error: --draw-size"), "{err}");
    assert!(err.contains("Usage: sora-batch [OPTIONS]"), "{err}");
    assert!(err.contains("For more information, try '--help'."), "{err}");
}
