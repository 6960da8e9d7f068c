//! The one way a count is put into words: [`counted`] (`1 job`, `2 jobs`) and [`plural`]
//! for the words that agree with it (`is`/`are`, `it`/`them`).

/// `one` for a count of 1, else `many`: nouns, verbs and pronouns alike.
pub fn plural<'a>(count: impl Into<u64>, one: &'a str, many: &'a str) -> &'a str {
    if count.into() == 1 { one } else { many }
}

/// `1 storyboard`, `2 storyboards`, `0 jobs`: a count with its noun (regular plurals, or
/// a phrase whose last word takes the `s`: `1 paid task`, `3 paid tasks`).
pub fn counted(count: impl Into<u64>, noun: &str) -> String {
    let count = count.into();
    format!("{count} {noun}{}", plural(count, "", "s"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(counted(1u64, "job"), "1 job");
        assert_eq!(counted(0u64, "job"), "0 jobs");
        assert_eq!(counted(2u32, "paid task"), "2 paid tasks");
        assert_eq!(counted(u64::MAX, "job"), format!("{} jobs", u64::MAX));
        assert_eq!(plural(1u64, "is", "are"), "is");
        assert_eq!(plural(0u64, "is", "are"), "are");
        assert_eq!(plural(21u64, "it", "them"), "them");
    }
}
