//! Checks on the simulator's settings themselves.

use clap::Args;

use super::SimSettings;

#[test]
fn every_knob_is_in_the_readme_simulator_table() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## The provider simulator")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README has a simulator section");
    let command = SimSettings::augment_args(clap::Command::new("simulate"));
    for long in command.get_arguments().filter_map(|arg| arg.get_long()) {
        assert!(
            section.contains(&format!("`--{long}")),
            "--{long} is missing from README's simulator table"
        );
    }
}
