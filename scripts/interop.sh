#!/usr/bin/env bash
# Interop suite (issue 6): the unchanged Apache RocketMQ clients against Thrust.
#
# Builds thrust-namesrv and thrust-broker (release), starts them on 127.0.0.1
# with free ports and a fresh temporary store (2 shards), runs every client's
# scenarios, stops the servers (always), and prints one line per client and
# scenario ("PASS java5 send_batch") and a closing "N passed, M failed" line.
# Exits non-zero if anything failed.
#
#   scripts/interop.sh [java4|java5|go|rust ...]     (default: all clients)
#
# INTEROP_JAVA_TEST=Class[#method] runs only those Java tests (surefire -Dtest);
# INTEROP_KEEP=1 keeps the temporary directory (server logs, store, results).
#
# Clients (tests/interop/): java4 = rocketmq-client 4.9.x, java5 = 5.x (remoting
# client), both with rocketmq-tools (mqadmin); go = rocketmq-client-go/v2;
# rust = rocketmq-client-rust (tests/interop/rust, its own Cargo project).
# Needs: cargo, a JDK >= 17 with mvn, go. Maven and Go dependencies are fetched
# on first use (mvn -B, go mod download) and reused from the local caches after.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)

clients=("$@")
if [ ${#clients[@]} -eq 0 ]; then
    clients=(java4 java5 go rust)
fi

echo "== building thrust (release)"
if ! cargo build --release -q -p thrust-namesrv -p thrust-broker; then
    echo "FAIL thrust build"
    echo "0 passed, 1 failed"
    exit 1
fi
bin="${CARGO_TARGET_DIR:-$root/target}/release"

work=$(mktemp -d "${TMPDIR:-/tmp}/thrust-interop.XXXXXX")
results="$work/results.txt"
: >"$results"
namesrv_pid=""
broker_pid=""

stop_servers() {
    # A scenario may have restarted the broker (restart-broker.sh below):
    # the live broker's pid is in broker.pid.
    if [ -s "$work/broker.pid" ]; then
        broker_pid=$(cat "$work/broker.pid")
    fi
    for pid in "$broker_pid" "$namesrv_pid"; do
        if [ -n "$pid" ]; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    broker_pid=""
    namesrv_pid=""
}
cleanup() {
    stop_servers
    if [ "${INTEROP_KEEP:-0}" = 1 ]; then
        echo "(kept $work)"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
# A port p with p, p-2 (broker's second listener) and p+1 (HA) all free,
# below the kernel's ephemeral range: a port the clients' own connections
# may take at any moment is not "free" (seen: broker bind failed with
# "address already in use" on p-2).
ephemeral_low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
if [ -z "$ephemeral_low" ] || [ "$ephemeral_low" -lt 12000 ]; then
    ephemeral_low=32768
fi
free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((10002 + RANDOM % (ephemeral_low - 10004)))
        if ! port_busy "$p" && ! port_busy $((p - 2)) && ! port_busy $((p + 1)); then
            echo "$p"
            return 0
        fi
    done
    return 1
}
wait_port() { # up to 60 s: a loaded CI machine starts slowly
    for _ in $(seq 1 600); do
        port_busy "$1" && return 0
        sleep 0.1
    done
    return 1
}

ns_port=$(free_port)
broker_port=$(free_port)
while [ "$broker_port" = "$ns_port" ] || [ $((broker_port - 2)) = "$ns_port" ] || [ $((broker_port + 1)) = "$ns_port" ]; do
    broker_port=$(free_port)
done
namesrv="127.0.0.1:$ns_port"
broker="127.0.0.1:$broker_port"
cat >"$work/broker.conf" <<CONF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerIP1=127.0.0.1
listenPort=$broker_port
storePathRootDir=$work/store
flushDiskType=SYNC_FLUSH
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
defaultTopicQueueNums=8
maxMessageSize=4194304
longPollingEnable=true
shards=2
shardPlacement=unbound
CONF

echo "== starting thrust-namesrv on $namesrv, thrust-broker on $broker (logs in $work)"
"$bin/thrust-namesrv" -p "$ns_port" --kv-config-path "$work/kvConfig.json" >"$work/namesrv.log" 2>&1 &
namesrv_pid=$!
if ! wait_port "$ns_port"; then
    echo "FAIL thrust namesrv_start"
    tail -20 "$work/namesrv.log"
    echo "0 passed, 1 failed"
    exit 1
fi
# The broker runs under a keeper subshell that waits for it, so a killed
# broker is reaped at once: an unreaped (zombie) glommio broker keeps its
# io_uring-held listening sockets, and a restarted one could not bind.
(
    RUST_LOG="${RUST_LOG:-warn}" "$bin/thrust-broker" -n "$namesrv" -c "$work/broker.conf" \
        --shards 2 >>"$work/broker.log" 2>&1 &
    echo $! >"$work/broker.pid"
    wait $!
) &
if ! wait_port "$broker_port"; then
    echo "FAIL thrust broker_start"
    tail -20 "$work/broker.log"
    echo "0 passed, 1 failed"
    exit 1
fi
sleep 2 # first registration with the name server

# Scenario 7's broker restart: SIGKILL the broker (SYNC_FLUSH: every
# acknowledged message must survive), wait until its ports are released,
# start it again on the same store and wait until it serves. Java tests get
# the path in -Dthrust.restartBroker. Exit 0 once the new broker listens.
cat >"$work/restart-broker.sh" <<RESTART
#!/usr/bin/env bash
set -u
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/\$1") 2>/dev/null; }
pid=\$(cat "$work/broker.pid")
kill -KILL "\$pid" 2>/dev/null
for _ in \$(seq 1 300); do kill -0 "\$pid" 2>/dev/null || break; sleep 0.1; done
for _ in \$(seq 1 300); do
    port_busy $broker_port || port_busy $((broker_port - 2)) || break
    sleep 0.1
done
echo "== broker killed and restarted by a scenario at \$(date +%T)" >>"$work/broker.log"
: >"$work/broker.pid"
(
    RUST_LOG="${RUST_LOG:-warn}" "$bin/thrust-broker" -n "$namesrv" -c "$work/broker.conf" \
        --shards 2 >>"$work/broker.log" 2>&1 </dev/null &
    echo \$! >"$work/broker.pid"
    wait \$!
) >/dev/null 2>&1 &
for _ in \$(seq 1 600); do port_busy $broker_port && exit 0; sleep 0.1; done
exit 1
RESTART
chmod +x "$work/restart-broker.sh"

# Runs one client; its scenario lines are appended to $results. A client that
# printed no line at all (build or start-up failure) gets one FAIL line.
run_java() { # label profile
    local label=$1 profile=$2 log="$work/$1.log" before
    before=$(wc -l <"$results")
    echo "== $label (mvn -P $profile test, log: $log)"
    (cd tests/interop/java && timeout 900 mvn -B -q -P "$profile" \
        -Dthrust.namesrv="$namesrv" -Dthrust.broker="$broker" -Dthrust.results="$results" \
        -Dthrust.restartBroker="$work/restart-broker.sh" \
        ${INTEROP_JAVA_TEST:+-Dtest="$INTEROP_JAVA_TEST"} \
        -Dsurefire.failIfNoSpecifiedTests=false test) >"$log" 2>&1
    if [ "$(wc -l <"$results")" = "$before" ]; then
        echo "FAIL $label run  # no scenario ran, see $log" >>"$results"
        tail -30 "$log"
    fi
}
run_go() {
    local log="$work/go.log" before
    before=$(wc -l <"$results")
    echo "== go (rocketmq-client-go/v2, log: $log)"
    (cd tests/interop/go && go mod download && go build -o "$work/go-interop" . ) >"$log" 2>&1 &&
        timeout 600 "$work/go-interop" -namesrv "$namesrv" -broker "$broker" -results "$results" >>"$log" 2>&1
    if [ "$(wc -l <"$results")" = "$before" ]; then
        echo "FAIL go run  # no scenario ran, see $log" >>"$results"
        tail -30 "$log"
    fi
}

run_rust() {
    local log="$work/rust.log" before tgt="${CARGO_TARGET_DIR:-$root/target}/interop-rust"
    before=$(wc -l <"$results")
    echo "== rust (rocketmq-client-rust 1.0.0, log: $log)"
    (cd tests/interop/rust && CARGO_TARGET_DIR="$tgt" timeout 1200 cargo build --locked -q) >"$log" 2>&1 &&
        timeout 600 "$tgt/debug/thrust-interop-rust" -namesrv "$namesrv" -broker "$broker" \
            -results "$results" >>"$log" 2>&1
    if [ "$(wc -l <"$results")" = "$before" ]; then
        echo "FAIL rust run  # no scenario ran, see $log" >>"$results"
        tail -30 "$log"
    fi
}

for c in "${clients[@]}"; do
    case "$c" in
        java4) run_java java4 rmq4 ;;
        java5) run_java java5 rmq5 ;;
        go) run_go ;;
        rust) run_rust ;;
        *) echo "FAIL $c unknown_client" >>"$results" ;;
    esac
done

stop_servers
echo "== results"
cat "$results"
passed=$(grep -c '^PASS ' "$results")
failed=$(grep -c '^FAIL ' "$results")
echo "interop took $(($(date +%s) - started)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
