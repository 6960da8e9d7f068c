//! Stamps the binary with where it came from, for `sora-batch --version`: the commit it
//! was built from (`unknown commit` outside a git checkout) and the build date (UTC;
//! `SOURCE_DATE_EPOCH` wins, for reproducible builds). Also rebuilds the crate when a
//! message catalog changes.

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn main() {
    let commit = git(&["rev-parse", "--short=10", "HEAD"]);
    let stamp = format!(
        "{} ({}, built {})",
        env!("CARGO_PKG_VERSION"),
        commit.map_or_else(|| "unknown commit".to_string(), |c| format!("commit {c}")),
        build_date()
    );
    println!("cargo:rustc-env=SORA_BATCH_VERSION={stamp}");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    // rust-i18n reads the catalogs in a macro, unseen by cargo: without this an edited or
    // added catalog would leave the old texts in the binary.
    println!("cargo:rerun-if-changed=src/i18n/locales");
    // A new commit or a checkout changes these; without them the stamp would go stale.
    // (Only files that exist: cargo reruns for a missing one on every build.)
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    let watched = ["HEAD", "packed-refs"].into_iter().chain(branch.as_deref());
    for path in watched {
        if let Some(file) = git(&["rev-parse", "--git-path", path])
            && std::path::Path::new(&file).exists()
        {
            println!("cargo:rerun-if-changed={file}");
        }
    }
}

/// The trimmed output of a git command that succeeded.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Today (or `SOURCE_DATE_EPOCH`) as YYYY-MM-DD, UTC.
fn build_date() -> String {
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|seconds| seconds.trim().parse().ok())
        .map(|seconds| UNIX_EPOCH + Duration::from_secs(seconds))
        .unwrap_or_else(SystemTime::now);
    let stamp = humantime::format_rfc3339_seconds(epoch).to_string();
    stamp[..10].to_string()
}
