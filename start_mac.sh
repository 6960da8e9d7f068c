#!/usr/bin/env bash
# Builds sora-batch in release mode (once; later runs rebuild only what changed) and runs it
# from this folder with the arguments you pass, e.g.  ./start_mac.sh --dry-run
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo (the Rust toolchain) is not installed." >&2
  echo "Install it from https://rustup.rs, open a new terminal, and run ./start_mac.sh again." >&2
  exit 1
fi

bin=target/release/sora-batch
if [ ! -x "$bin" ]; then
  echo "Building sora-batch in release mode (the first build takes a few minutes)..." >&2
  cargo build --release --locked
else
  cargo build --release --locked --quiet
fi
exec "$bin" "$@"
