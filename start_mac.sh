#!/usr/bin/env bash
# Builds sora-batch in release mode (once; later runs rebuild only what changed) and runs it
# in the folder you call it from, with the arguments you pass, e.g.
#   cd ~/videos && ~/sora-batch/start_mac.sh --dry-run
# so ./input, ./output and .env are yours, not the repository's.
set -euo pipefail
repo="$(cd "$(dirname "$0")" && pwd)"

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo (the Rust toolchain) is not installed." >&2
  echo "Install it from https://rustup.rs, open a new terminal, and run $0 again." >&2
  exit 1
fi

bin="$repo/target/release/sora-batch"
if [ ! -x "$bin" ]; then
  echo "Building sora-batch in release mode (the first build takes a few minutes)..." >&2
  cargo build --release --locked --manifest-path "$repo/Cargo.toml"
else
  cargo build --release --locked --quiet --manifest-path "$repo/Cargo.toml"
fi
exec "$bin" "$@"
