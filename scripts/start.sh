#!/usr/bin/env bash
# Starts a thrust-namesrv and a thrust-broker together with local defaults
# (README's first command): name server on 127.0.0.1:9876, broker on 10911
# (and 10909), data under ./data. Ctrl-C (or SIGTERM) stops both.
#
#   scripts/start.sh [--release] [extra thrust-broker flags...]
set -euo pipefail
cd "$(dirname "$0")/.."

profile=debug
cargo_flags=()
if [ "${1:-}" = "--release" ]; then
    profile=release
    cargo_flags=(--release)
    shift
fi
cargo build "${cargo_flags[@]}" -p thrust-namesrv -p thrust-broker
target_dir="${CARGO_TARGET_DIR:-target}"
bin="$target_dir/$profile"
mkdir -p data/namesrv data/broker

"$bin/thrust-namesrv" -p 9876 --kv-config-path data/namesrv/kvConfig.json &
namesrv_pid=$!
stop() {
    trap - INT TERM EXIT
    kill -TERM "${broker_pid:-}" 2>/dev/null || true
    wait "${broker_pid:-}" 2>/dev/null || true
    kill -TERM "$namesrv_pid" 2>/dev/null || true
    wait "$namesrv_pid" 2>/dev/null || true
}
trap stop INT TERM EXIT
for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/9876) 2>/dev/null && break
    sleep 0.1
done
"$bin/thrust-broker" -n 127.0.0.1:9876 -c conf/broker.conf --store-path data/broker "$@" &
broker_pid=$!
echo "thrust-namesrv (pid $namesrv_pid) on 127.0.0.1:9876, thrust-broker (pid $broker_pid) on 10911; Ctrl-C stops both"
wait "$broker_pid"
