#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (README's second command).
# Formatting, lints, the crate-layering rule, then every test of the workspace
# (unit, property and integration tests; the integration tests start real
# thrust-namesrv / thrust-broker processes on 127.0.0.1).
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
