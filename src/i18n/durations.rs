//! Durations in words of the interface's language: [`parts`] (`1m 30s`), [`spoken`]
//! (any duration a setting or a message names, `500ms` too), [`rough`] (`about 4
//! minutes`' number and unit) and [`short`] (`7m`).

use std::time::Duration;

use indicatif::HumanDuration;

use super::Lang;

/// Whole days, hours, minutes and seconds, the zero ones left out (`1m 30s`, `0s`).
pub fn parts(lang: Lang, took: Duration) -> String {
    let seconds = took.as_secs();
    let units = [
        ("time.days", seconds / 86_400),
        ("time.hours", seconds / 3_600 % 24),
        ("time.minutes", seconds / 60 % 60),
        ("time.seconds", seconds % 60),
    ];
    let words: Vec<String> = units
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(key, n)| lang.counted(&format!("{key}.short"), *n, &[]))
        .collect();
    match words.is_empty() {
        true => lang.counted("time.seconds.short", 0, &[]),
        false => words.join(" "),
    }
}

/// A duration as a message names it: in English exactly as humantime writes it (`1m 30s`,
/// `500ms`, `1day`), in Chinese in whole units (`1 分钟 30 秒`), milliseconds under a
/// second.
pub fn spoken(lang: Lang, duration: Duration) -> String {
    match lang {
        Lang::En => humantime::format_duration(duration).to_string(),
        Lang::Zh if duration < Duration::from_secs(1) => {
            lang.counted("time.millis.short", duration.as_millis() as u64, &[])
        }
        Lang::Zh => parts(lang, duration),
    }
}

/// One rounded number and its unit, as indicatif's `HumanDuration` picks them
/// (`4 minutes`, `1 hour`).
pub fn rough(lang: Lang, left: Duration) -> String {
    // The compact form (`4m`) gives the number and the unit's letter.
    let compact = format!("{:#}", HumanDuration(left));
    let split = compact.find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
    let (number, unit) = compact.split_at(split);
    let key = match unit {
        "y" => "time.years",
        "w" => "time.weeks",
        "d" => "time.days",
        "h" => "time.hours",
        "m" => "time.minutes",
        _ => "time.seconds",
    };
    lang.counted(&format!("{key}.long"), number.parse().unwrap_or(0), &[])
}

/// Minutes rounded up, or seconds under a minute (`7m`, `45s`): precise enough for a
/// progress line.
pub fn short(lang: Lang, left: Duration) -> String {
    let seconds = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    match seconds >= 60 {
        true => lang.counted("time.minutes.short", seconds.div_ceil(60), &[]),
        false => lang.counted("time.seconds.short", seconds, &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_durations_read_as_humantime_and_indicatif_write_them() {
        for seconds in [0, 5, 59, 60, 90, 3_599, 3_661, 86_399, 90_061, 200_000] {
            let took = Duration::from_secs(seconds);
            assert_eq!(
                parts(Lang::En, took),
                humantime::format_duration(took).to_string()
            );
            assert_eq!(rough(Lang::En, took), HumanDuration(took).to_string());
        }
        assert_eq!(short(Lang::En, Duration::from_millis(400_500)), "7m");
        assert_eq!(short(Lang::En, Duration::from_secs(45)), "45s");
    }

    #[test]
    fn chinese_durations_read_in_chinese_units() {
        assert_eq!(parts(Lang::Zh, Duration::from_secs(90)), "1 分钟 30 秒");
        assert_eq!(rough(Lang::Zh, Duration::from_secs(250)), "4 分钟");
        assert_eq!(short(Lang::Zh, Duration::from_secs(45)), "45 秒");
        assert_eq!(spoken(Lang::Zh, Duration::from_millis(10)), "10 毫秒");
        assert_eq!(spoken(Lang::Zh, Duration::from_secs(86_400)), "1 天");
        assert_eq!(spoken(Lang::En, Duration::from_millis(1_500)), "1s 500ms");
        assert_eq!(spoken(Lang::En, Duration::from_secs(86_400)), "1day");
    }
}
