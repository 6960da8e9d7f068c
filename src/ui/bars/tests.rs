use std::time::Duration;

use super::{Snapshot, downloads_words, jobs_words, plain_line, right_aligned};
use crate::i18n::Lang;

fn snapshot(eta: Option<Duration>) -> Snapshot {
    Snapshot {
        total: 6,
        finished: 2,
        failed: 1,
        provider: "3 个在途 · 最多同时 20 个（全速）".into(),
        provider_logged: "3 in flight · at most 20 at once (full speed)".into(),
        downloading: 1,
        downloaded_bytes: 3 * 1024 * 1024 + 512 * 1024,
        eta,
    }
}

#[test]
fn the_jobs_line_says_estimating_until_there_is_a_basis_never_0s() {
    let words = jobs_words(Lang::En, &snapshot(None), Duration::from_secs(5));
    assert_eq!(
        words,
        "1 failed · 5s elapsed · ETA: estimating until a job reports progress"
    );
}

#[test]
fn the_jobs_line_gives_the_estimate_in_words() {
    let words = jobs_words(
        Lang::En,
        &snapshot(Some(Duration::from_secs(250))),
        Duration::from_secs(90),
    );
    assert_eq!(words, "1 failed · 1m 30s elapsed · ETA about 4 minutes");
    let overdue = jobs_words(
        Lang::En,
        &snapshot(Some(Duration::ZERO)),
        Duration::from_secs(90),
    );
    assert!(overdue.ends_with("ETA: any moment"), "{overdue}");
}

#[test]
fn the_downloads_line_reads_bytes_and_speed_like_people_write_them() {
    assert_eq!(
        downloads_words(Lang::En, &snapshot(None), 1.5 * 1024.0 * 1024.0),
        "1 downloading · 3.50 MiB · 1.50 MiB/s"
    );
}

#[test]
fn the_plain_line_for_logs_carries_the_same_words_as_the_bars() {
    let now = snapshot(Some(Duration::from_secs(250)));
    let jobs = jobs_words(Lang::En, &now, Duration::from_secs(90));
    let downloads = downloads_words(Lang::En, &now, 0.0);
    assert_eq!(
        plain_line(&now, &jobs, &downloads),
        "progress: 2/6 jobs · 1 failed · 1m 30s elapsed · ETA about 4 minutes; provider: 3 in \
         flight · at most 20 at once (full speed); downloads: 1 downloading · 3.50 MiB · 0 B/s"
    );
}

#[test]
fn in_chinese_the_bars_speak_chinese_and_their_labels_fill_the_same_columns() {
    let words = jobs_words(
        Lang::Zh,
        &snapshot(Some(Duration::from_secs(250))),
        Duration::from_secs(90),
    );
    assert_eq!(words, "1 个失败 · 已用 1 分钟 30 秒 · 预计还需约 4 分钟");
    assert_eq!(
        downloads_words(Lang::Zh, &snapshot(None), 0.0),
        "1 个进行中 · 3.50 MiB · 0 B/s"
    );
    // "服务商" is six columns wide: four spaces make ten, as "  provider" does.
    assert_eq!(right_aligned("服务商", 10), "    服务商");
    assert_eq!(right_aligned("provider", 10), "  provider");
}
