//! Where a setting's value came from, for error messages: a value a user never typed (it
//! came from a variable in the environment or `.env`) is named by that variable, so the
//! fix is made where the value lives.

/// `--flag`, or `VARIABLE (from the environment or .env)` when the flag was not given on
/// the command line and its variable is set.
pub fn setting_name(arg: &clap::Arg) -> String {
    match variable_of(arg) {
        Some(variable) => variable,
        None => arg
            .get_long()
            .map_or_else(|| arg.get_id().to_string(), |long| format!("--{long}")),
    }
}

/// `VARIABLE (from the environment or .env)` when that is where `arg`'s value came from.
pub fn variable_of(arg: &clap::Arg) -> Option<String> {
    let is_set = |variable: &str| std::env::var_os(variable).is_some();
    from_variable(arg, std::env::args_os().skip(1), is_set)
        .map(|variable| crate::i18n::text("cli.from_variable", &[("variable", &variable)]))
}

/// The variable that gave `arg` its value, if the arguments do not give it.
fn from_variable(
    arg: &clap::Arg,
    mut args: impl Iterator<Item = std::ffi::OsString>,
    is_set: impl Fn(&str) -> bool,
) -> Option<String> {
    let variable = arg.get_env()?.to_string_lossy().into_owned();
    if !is_set(&variable) {
        return None;
    }
    let typed = arg.get_long().is_some_and(|long| {
        let flag = format!("--{long}");
        args.any(|given| {
            let given = given.to_string_lossy();
            given == flag || given.starts_with(&format!("{flag}="))
        })
    });
    (!typed).then_some(variable)
}

/// The flag an error's `InvalidArg` context names (`--output-mode <MODE>`), as an `Arg`.
pub fn arg_named<'a>(command: &'a clap::Command, shown: &str) -> Option<&'a clap::Arg> {
    let long = shown.split_whitespace().next()?.strip_prefix("--")?;
    command
        .get_arguments()
        .find(|arg| arg.get_long() == Some(long))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_named_by_its_variable_only_when_no_flag_gave_it() {
        let arg = clap::Arg::new("gen_count")
            .long("gen-count")
            .env("GEN_COUNT_PER_SEGMENT");
        let args = |list: &[&str]| {
            list.iter()
                .map(std::ffi::OsString::from)
                .collect::<Vec<_>>()
                .into_iter()
        };
        let set = |_: &str| true;
        assert_eq!(
            from_variable(&arg, args(&["--dry-run"]), set).as_deref(),
            Some("GEN_COUNT_PER_SEGMENT")
        );
        assert_eq!(from_variable(&arg, args(&["--gen-count", "2"]), set), None);
        assert_eq!(from_variable(&arg, args(&["--gen-count=2"]), set), None);
        assert_eq!(from_variable(&arg, args(&[]), |_| false), None);
    }
}
