#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ for SECONDS each (default 60) and prints a
# one-line verdict per target. Needs the nightly toolchain and cargo-fuzz
# (installed here if missing). Not part of the CI test command.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=$(cd fuzz && cargo +nightly fuzz list)
failed=0
for t in $targets; do
    mkdir -p "fuzz/corpus/$t"
    if cargo +nightly fuzz run "$t" --fuzz-dir fuzz -- -max_total_time="$seconds" -max_len=65536 \
        >"fuzz/$t.log" 2>&1; then
        runs=$(grep -o 'Done [0-9]* runs' "fuzz/$t.log" | tail -1 || true)
        echo "fuzz $t: ok, ${seconds}s, ${runs:-?}"
    else
        echo "fuzz $t: CRASH (see fuzz/$t.log and fuzz/artifacts/$t)"
        failed=$((failed + 1))
    fi
done
[ "$failed" -eq 0 ]
