#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (README's second command).
# Formatting, lints, the crate-layering rule, then every test of the workspace
# (unit, property and integration tests; the integration tests start real
# thrust-namesrv / thrust-broker processes on 127.0.0.1), then the interop
# suite: the official Java clients (4.9.x and 5.x) with mqadmin, the Go
# client and the Rust client against a release build (scripts/interop.sh;
# needs a JDK >= 17 with Maven, and Go; about 20 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== crate layering"
bash scripts/check-layering.sh
echo "== cargo test"
cargo test --workspace --all-targets
echo "== interop (scripts/interop.sh)"
bash scripts/interop.sh
