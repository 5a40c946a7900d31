#!/usr/bin/env bash
# Message-query benchmark (issue 9): what the key index costs on sends and how
# fast keys are looked up, on one Thrust name server + 2-shard broker
# (release, async flush, fresh store per case) on 127.0.0.1.
#
#   scripts/bench-query.sh [--seconds S] [--runs R] [--size BYTES] [--segment-mb MB]
#
# --segment-mb sets mappedFileSizeCommitLog (default 1024, Apache's 1 GiB);
# a small value makes the lookups search sealed index files, not only the
# active segment's in-memory index.
#
# Cases, alternated run by run (R runs each, medians reported):
#   plain      sends without KEYS, index on (messageIndexEnable=true)
#   keys       sends with a KEYS property per message, index on
#   keys-off   sends with KEYS, index off (messageIndexEnable=false)
# then, on the store the last "keys" run left, QUERY_MESSAGE lookups of
# random existing keys (as queryMsgByKey: whole time range, maxNum 32) at
# 1 and 16 lookups in flight.
# Prints a markdown table; raw JSON lines are kept in $BENCH_QUERY_OUT
# (default: a temporary directory, printed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=10
runs=3
size=1024
segment_mb=1024
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        --segment-mb) segment_mb=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

cargo build --release -q -p thrust-namesrv -p thrust-broker -p thrust-bench
bin="${CARGO_TARGET_DIR:-$root/target}/release"
out=${BENCH_QUERY_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/bench-query.XXXXXX")}
mkdir -p "$out"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 30000))
        if ! port_busy "$p" && ! port_busy $((p - 2)) && ! port_busy $((p + 1)); then
            echo "$p"; return 0
        fi
    done
    return 1
}
wait_port() {
    for _ in $(seq 1 600); do port_busy "$1" && return 0; sleep 0.1; done
    return 1
}

ns_port=$(free_port)
"$bin/thrust-namesrv" -p "$ns_port" --kv-config-path "$out/kv.json" >"$out/namesrv.log" 2>&1 &
ns_pid=$!
broker_pid=""
stop_broker() {
    if [ -n "$broker_pid" ]; then
        kill -TERM "$broker_pid" 2>/dev/null || true
        wait "$broker_pid" 2>/dev/null || true
        broker_pid=""
    fi
}
cleanup() {
    stop_broker
    kill -TERM "$ns_pid" 2>/dev/null || true
    wait "$ns_pid" 2>/dev/null || true
    rm -rf "$out/store"
}
trap cleanup EXIT
wait_port "$ns_port" || { echo "name server did not start" >&2; exit 1; }
namesrv="127.0.0.1:$ns_port"

start_broker() { # index_enable
    stop_broker
    rm -rf "$out/store"
    local port
    port=$(free_port)
    cat >"$out/broker.conf" <<CONF
brokerIP1=127.0.0.1
listenPort=$port
storePathRootDir=$out/store
flushDiskType=ASYNC_FLUSH
messageIndexEnable=$1
mappedFileSizeCommitLog=$((segment_mb * 1024 * 1024))
CONF
    "$bin/thrust-broker" -n "$namesrv" -c "$out/broker.conf" --shards 2 >>"$out/broker.log" 2>&1 &
    broker_pid=$!
    wait_port "$port" || { echo "broker did not start" >&2; exit 1; }
    sleep 1
}

produce() { # case keys_flag
    local topic="Q_$1_$RANDOM"
    "$bin/thrust-bench" produce -n "$namesrv" -t "$topic" --create-topic --queues 8 \
        -s "$size" -m async -p 2 --inflight 64 --threads 1 -d "$seconds" --warmup 1 \
        $2 -q --json >"$out/$1.json.tmp"
    jq -c --arg case "$1" --arg topic "$topic" '{case: $case, topic: $topic,
        msgs_per_s: .produce.msgs_per_s, p99_us: .produce.latency_us.p99,
        errors: .produce.errors_total}' "$out/$1.json.tmp" | tee -a "$out/produce.jsonl"
}

command -v jq >/dev/null || { echo "needs jq" >&2; exit 1; }
: >"$out/produce.jsonl"
for run in $(seq 1 "$runs"); do
    echo "== run $run"
    start_broker true;  produce plain ""
    start_broker true;  produce keys "--keys"
    start_broker false; produce keys-off "--keys"
done
# Lookups go to a store filled by one more "keys" run (index on); keys
# k0 .. k(messages-1) exist there (warm-up sends are keyed too).
: >"$out/query.jsonl"
start_broker true
produce keys "--keys" >/dev/null
topic=$(jq -r .params.topic "$out/keys.json.tmp")
messages=$(jq -r '.produce.messages' "$out/keys.json.tmp")
for inflight in 1 16; do
    "$bin/thrust-bench" query -n "$namesrv" -t "$topic" --keys "$messages" \
        --concurrency "$inflight" -d "$seconds" --warmup 1 -q --json >"$out/query.json.tmp"
    jq -c --arg inflight "$inflight" '{inflight: $inflight, lookups_per_s: .query.msgs_per_s,
        p50_us: .query.latency_us.p50, p99_us: .query.latency_us.p99,
        misses: .query.errors_total}' "$out/query.json.tmp" | tee -a "$out/query.jsonl"
done

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print 0; else print a[int((NR+1)/2)]}'; }
echo
echo "| send case ($size B async, 2 shards) | msg/s (median of $runs) | p99 µs | vs plain |"
echo "| --- | --- | --- | --- |"
plain=$(grep '"case":"plain"' "$out/produce.jsonl" | jq -r .msgs_per_s | median)
for c in plain keys keys-off; do
    rate=$(grep "\"case\":\"$c\"" "$out/produce.jsonl" | jq -r .msgs_per_s | median)
    p99=$(grep "\"case\":\"$c\"" "$out/produce.jsonl" | jq -r .p99_us | median)
    printf "| %s | %.0f | %s | %.2f |\n" "$c" "$rate" "$p99" "$(awk -v a="$rate" -v b="$plain" 'BEGIN{print (b>0)?a/b:0}')"
done
echo
echo "| lookups in flight ($segment_mb MiB segments) | lookups/s | p50 µs | p99 µs | misses | keys in store |"
echo "| --- | --- | --- | --- | --- | --- |"
while read -r line; do
    printf "| %s | %.0f | %s | %s | %s | %s |\n" "$(jq -r .inflight <<<"$line")" \
        "$(jq -r .lookups_per_s <<<"$line")" "$(jq -r .p50_us <<<"$line")" \
        "$(jq -r .p99_us <<<"$line")" "$(jq -r .misses <<<"$line")" "$messages"
done <"$out/query.jsonl"
echo
echo "raw results: $out"
