#!/usr/bin/env bash
# Side-by-side benchmark: Apache RocketMQ (newest 5.3.x from Maven Central)
# against Thrust, on this machine, same disk, same workloads, alternating the
# systems run after run, each run from a fresh store.
#
# One run of a system = start name server + broker on a fresh store with
# ASYNC_FLUSH, a warm-up produce (not measured; lets the JVM compile its hot
# path), then W1 W2 W3 W4 W6 W7 JP one after the other, each on its own
# topic; then a fresh start with SYNC_FLUSH for W5. (Starting Apache's
# broker takes tens of seconds on this machine, so restarting per workload
# would not fit the time budget.)
#
#   scripts/bench-compare.sh [--quick] [--runs N] [--seconds S] [--out FILE] [--no-build]
#
# --report-only DIR writes the results file from the run JSONs in DIR (a
# previous run's $WORK/results) without running anything.
# --no-build uses the release binaries already in $CARGO_TARGET_DIR (or
# target/); a failed build also falls back to them when they exist.
#
# Workloads (issue 7), all driven by thrust-bench unless noted:
#   W1 1 KiB async, max rate        (ASYNC_FLUSH)  4 producers x 64 in flight
#   W2 1 KiB sync, 64 in flight     (ASYNC_FLUSH)  64 sync producers
#   W3 128 B async                  (ASYNC_FLUSH)
#   W4 16 KiB async                 (ASYNC_FLUSH)
#   W5 1 KiB sync, 64 in flight     (SYNC_FLUSH)
#   W6 e2e at half of RocketMQ's W1 median rate (latency percentiles)
#   W7 consume a backlog of 1 M 1 KiB messages (--quick: 200 k), or of what
#      could be sent in BACKLOG_MAX_S (120 s; --quick 40 s)
#   JP Apache's own benchmark Producer (rocketmq-example, compiled from the
#      source-release zip on Maven Central: the example jar is not published
#      there), 64 threads, 1 KiB, against both.
# Also: peak RSS (VmHWM) and idle RSS of each broker, time from spawn to the
# port accepting connections and to the first acknowledged send.
#
# Output: bench/results/<date>-<short commit>.md (or --out).
# Needs: cargo, java (17+), mvn, python3, unzip. Ports 29876/30911 (+30909,
# 30912 for Apache's VIP and HA ports) on 127.0.0.1 must be free.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RMQ_VERSION="${RMQ_VERSION:-5.3.3}"
CACHE="${THRUST_BENCH_CACHE:-$HOME/.cache/thrust-bench}/rocketmq-$RMQ_VERSION"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/release"
NS_PORT=29876
BROKER_PORT=30911
NS="127.0.0.1:$NS_PORT"
RUNS=3
SECONDS_PER_RUN=10
WARMUP=2
BACKLOG=1000000
BACKLOG_MAX_S=120
JP_SECONDS=25
WARMUP_RUN=10
OUT=""
QUICK=0
BUILD=1
BUILD_NOTE="built by this run"
REPORT_ONLY=""

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; RUNS=1; SECONDS_PER_RUN=5; WARMUP=1; BACKLOG=200000; BACKLOG_MAX_S=40; JP_SECONDS=22; WARMUP_RUN=5 ;;
    --runs) RUNS="$2"; shift ;;
    --seconds) SECONDS_PER_RUN="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    --no-build) BUILD=0; BUILD_NOTE="prebuilt (--no-build)" ;;
    --report-only) REPORT_ONLY="$2"; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

WORK="$(mktemp -d /tmp/bench-compare.XXXXXX)"
RESULTS="$WORK/results"
mkdir -p "$RESULTS"
if [ -n "$REPORT_ONLY" ]; then RESULTS="$REPORT_ONLY"; BUILD=0; BUILD_NOTE="report only"; fi
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# --- build -----------------------------------------------------------------
if [ "$BUILD" = 1 ]; then
  log "building release binaries into $TARGET"
  if ! (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET" cargo build --release -q \
      -p thrust-bench -p thrust-broker -p thrust-namesrv); then
    log "build failed: falling back to the binaries already in $BIN"
    BUILD_NOTE="build failed; prebuilt binaries used"
  fi
fi
for b in thrust-bench thrust-broker thrust-namesrv; do
  [ -x "$BIN/$b" ] || { log "missing $BIN/$b"; exit 1; }
done
BIN_DATES="$(cd "$BIN" && stat -c '%n %y' thrust-bench thrust-broker thrust-namesrv | cut -c1-40 | tr '\n' ';')"

# --- Apache RocketMQ from Maven Central, cached ------------------------------
fetch_rocketmq() {
  mkdir -p "$CACHE"
  if [ ! -f "$CACHE/lib/rocketmq-broker-$RMQ_VERSION.jar" ]; then
    log "fetching Apache RocketMQ $RMQ_VERSION jars into $CACHE/lib"
    cat > "$CACHE/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>thrust.bench</groupId>
  <artifactId>rocketmq-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>rocketmq-namesrv</artifactId><version>$RMQ_VERSION</version></dependency>
    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>rocketmq-broker</artifactId><version>$RMQ_VERSION</version></dependency>
  </dependencies>
</project>
EOF
    (cd "$CACHE" && mvn -B -q dependency:copy-dependencies -DoutputDirectory=lib)
  fi
  local bench_dir="$CACHE/classes/org/apache/rocketmq/example/benchmark"
  if [ ! -f "$bench_dir/Producer.class" ]; then
    log "fetching the $RMQ_VERSION source release for the benchmark Producer"
    mvn -B -q dependency:copy -DoutputDirectory="$CACHE" \
      -Dartifact="org.apache.rocketmq:rocketmq-all:$RMQ_VERSION:zip:source-release"
    local zip="$CACHE/rocketmq-all-$RMQ_VERSION-source-release.zip"
    local src="rocketmq-all-$RMQ_VERSION/example/src/main/java/org/apache/rocketmq/example/benchmark"
    rm -rf "$CACHE/src" && mkdir -p "$CACHE/src" "$CACHE/classes"
    unzip -q -o "$zip" "$src/Producer.java" "$src/AclClient.java" -d "$CACHE/src"
    javac -nowarn -cp "$CACHE/lib/*" -d "$CACHE/classes" \
      "$CACHE/src/$src/Producer.java" "$CACHE/src/$src/AclClient.java" 2>/dev/null
  fi
  mkdir -p "$CACHE/home/conf"
}
[ -n "$REPORT_ONLY" ] || fetch_rocketmq

# --- process control -----------------------------------------------------------
NS_PID=""
BROKER_PID=""
stop_pid() {
  local pid="$1"
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
stop_all() { stop_pid "$BROKER_PID"; BROKER_PID=""; stop_pid "$NS_PID"; NS_PID=""; }
trap 'stop_all; rm -rf "$WORK/store"' EXIT

now_ms() { date +%s%3N; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 1200); do port_open "$1" && return 0; sleep 0.01; done
  return 1
}
rss_kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# start_system SYSTEM FLUSH: starts a name server and a broker on a fresh
# store; sets READY_PORT_MS, READY_SEND_MS and IDLE_RSS_KIB.
start_system() {
  local system="$1" flush="$2" store="$WORK/store"
  rm -rf "$store" && mkdir -p "$store"
  if [ "$system" = rocketmq ]; then
    local jvm=(java -Xms1g -Xmx1g -XX:+UseG1GC -Duser.home="$WORK/apache-home"
      -Drocketmq.client.logRoot="$WORK/apache-home/logs" -cp "$CACHE/lib/*")
    echo "listenPort=$NS_PORT" > "$WORK/namesrv.properties"
    ROCKETMQ_HOME="$CACHE/home" "${jvm[@]}" org.apache.rocketmq.namesrv.NamesrvStartup \
      -c "$WORK/namesrv.properties" > "$WORK/namesrv.log" 2>&1 &
    NS_PID=$!
    wait_port "$NS_PORT" || { log "Apache name server did not start"; cat "$WORK/namesrv.log" >&2; exit 1; }
    cat > "$WORK/broker.conf" <<EOF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerIP1=127.0.0.1
listenPort=$BROKER_PORT
namesrvAddr=$NS
storePathRootDir=$store
storePathCommitLog=$store/commitlog
brokerRole=ASYNC_MASTER
flushDiskType=$flush
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
EOF
    local t0; t0=$(now_ms)
    ROCKETMQ_HOME="$CACHE/home" "${jvm[@]}" org.apache.rocketmq.broker.BrokerStartup \
      -c "$WORK/broker.conf" > "$WORK/broker.log" 2>&1 &
    BROKER_PID=$!
  else
    "$BIN/thrust-namesrv" -p "$NS_PORT" --listen-addr 127.0.0.1 \
      --kv-config-path "$WORK/kv.json" > "$WORK/namesrv.log" 2>&1 &
    NS_PID=$!
    wait_port "$NS_PORT" || { log "thrust-namesrv did not start"; cat "$WORK/namesrv.log" >&2; exit 1; }
    sed -e "s|^flushDiskType=.*|flushDiskType=$flush|" "$ROOT/conf/broker.conf" > "$WORK/thrust-broker.conf"
    local t0; t0=$(now_ms)
    RUST_LOG=warn "$BIN/thrust-broker" -n "$NS" -c "$WORK/thrust-broker.conf" \
      --store-path "$store" --listen-port "$BROKER_PORT" > "$WORK/broker.log" 2>&1 &
    BROKER_PID=$!
  fi
  wait_port "$BROKER_PORT" || { log "$system broker did not open its port"; tail -20 "$WORK/broker.log" >&2; exit 1; }
  READY_PORT_MS=$(( $(now_ms) - t0 ))
  local ok=0
  for _ in $(seq 1 600); do
    if "$BIN/thrust-bench" produce -n "$NS" -t BenchTopic --create-topic --queues 8 \
        -c 1 -q --json --timeout-ms 1000 2>/dev/null | grep -q '"messages":1[,}]'; then
      ok=1; break
    fi
    sleep 0.05
  done
  [ "$ok" = 1 ] || { log "$system broker accepted no send"; tail -20 "$WORK/broker.log" >&2; exit 1; }
  READY_SEND_MS=$(( $(now_ms) - t0 ))
  IDLE_RSS_KIB=$(rss_kib "$BROKER_PID" VmRSS)
}

# record SYSTEM WORKLOAD RUN FILE: adds resource figures to the run's JSON.
record() {
  local system="$1" workload="$2" run="$3" file="$4"
  local peak; peak=$(rss_kib "$BROKER_PID" VmHWM)
  python3 - "$file" "$system" "$workload" "$run" "$peak" "$IDLE_RSS_KIB" \
    "$READY_PORT_MS" "$READY_SEND_MS" <<'EOF'
import json, sys
path, system, workload, run, peak, idle, port_ms, send_ms = sys.argv[1:9]
try:
    data = json.load(open(path))
except Exception as err:  # a failed run still gets a line
    data = {"failed": str(err)}
data.update(system=system, workload=workload, run=int(run), peak_rss_kib=int(peak or 0),
            idle_rss_kib=int(idle or 0), ready_port_ms=int(port_ms), ready_send_ms=int(send_ms))
json.dump(data, open(path, "w"))
EOF
}

BENCH_COMMON=(-n "$NS" -q --json --threads 1)
DUR=(--duration "$SECONDS_PER_RUN" --warmup "$WARMUP")

# run_workload SYSTEM WORKLOAD RUN (on the running broker)
run_workload() {
  local system="$1" w="$2" run="$3"
  local file="$RESULTS/$w-$system-$run.json" topic="Bench$w"
  local send=("${BENCH_COMMON[@]}" -t "$topic" --create-topic --queues 8)
  log "$w $system run $run"
  case "$w" in
    W1) "$BIN/thrust-bench" produce "${send[@]}" "${DUR[@]}" -s 1024 -m async -p 4 --inflight 64 > "$file" || true ;;
    W2|W5) "$BIN/thrust-bench" produce "${send[@]}" "${DUR[@]}" -s 1024 -m sync -p 64 > "$file" || true ;;
    W3) "$BIN/thrust-bench" produce "${send[@]}" "${DUR[@]}" -s 128 -m async -p 4 --inflight 64 > "$file" || true ;;
    W4) "$BIN/thrust-bench" produce "${send[@]}" "${DUR[@]}" -s 16384 -m async -p 4 --inflight 64 > "$file" || true ;;
    W6) "$BIN/thrust-bench" e2e "${send[@]}" "${DUR[@]}" -s 1024 -m async -p 4 --inflight 64 \
          --rate "$(w6_rate)" -g "bench_e2e_$run" > "$file" || true ;;
    W7) # The backlog is BACKLOG messages, or what could be sent in BACKLOG_MAX_S.
        "$BIN/thrust-bench" produce "${send[@]}" -c "$BACKLOG" -d "$BACKLOG_MAX_S" --warmup 0 \
          -s 1024 -m async -p 4 --inflight 64 > "$WORK/backlog.json" || true
        local backlog
        backlog=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["produce"]["messages"])' \
          "$WORK/backlog.json" 2>/dev/null || echo "$BACKLOG")
        "$BIN/thrust-bench" consume "${BENCH_COMMON[@]}" -t "$topic" -c "$backlog" --from first \
          -g "bench_backlog_$run" --idle-exit 10 > "$file" || true ;;
    JP) timeout "$JP_SECONDS" java -Xms512m -Xmx512m -Duser.home="$WORK/apache-home" \
          -cp "$CACHE/classes:$CACHE/lib/*" org.apache.rocketmq.example.benchmark.Producer \
          -n "$NS" -t "$topic" -w 64 -s 1024 -ri 1000 > "$WORK/jp.log" 2>&1 || true
        python3 - "$WORK/jp.log" > "$file" <<'EOF'
import json, re, sys
# The Producer prints, once a second after its first 10 s, the TPS and mean
# RT over a sliding 10 s window; the last such line is the figure taken.
text = open(sys.argv[1]).read()
lines = re.findall(r"Send TPS: (\d+) \| Max RT\(ms\): (\d+) \| Average RT\(ms\):\s*([\d.]+)", text)
tps, max_rt, avg_rt = (int(lines[-1][0]), int(lines[-1][1]), float(lines[-1][2])) if lines else (0, None, None)
print(json.dumps({"command": "apache-producer", "produce": {
    "msgs_per_s": tps, "mb_per_s": tps * 1024 / 1e6, "avg_rt_ms": avg_rt, "max_rt_ms": max_rt,
    "reports": len(lines)}}))
EOF
        ;;
  esac
  record "$system" "$w" "$run" "$file"
}

# run_system SYSTEM RUN: one run of every workload on SYSTEM.
run_system() {
  local system="$1" run="$2"
  start_system "$system" ASYNC_FLUSH
  log "$system run $run: ready (port ${READY_PORT_MS} ms, first send ${READY_SEND_MS} ms), warming up"
  "$BIN/thrust-bench" produce "${BENCH_COMMON[@]}" -t BenchWarmup --create-topic --queues 8 \
    --duration "$WARMUP_RUN" --warmup 0 -s 1024 -m async -p 4 --inflight 64 > /dev/null || true
  for w in W1 W2 W3 W4 W6 W7 JP; do run_workload "$system" "$w" "$run"; done
  stop_all
  start_system "$system" SYNC_FLUSH
  "$BIN/thrust-bench" produce "${BENCH_COMMON[@]}" -t BenchWarmup --create-topic --queues 8 \
    --duration "$WARMUP_RUN" --warmup 0 -s 1024 -m sync -p 64 > /dev/null || true
  run_workload "$system" W5 "$run"
  stop_all
}

median_w1_rocketmq() {
  python3 - "$RESULTS" <<'EOF'
import glob, json, statistics, sys
rates = []
for path in glob.glob(sys.argv[1] + "/W1-rocketmq-*.json"):
    try:
        rates.append(json.load(open(path))["produce"]["msgs_per_s"])
    except Exception:
        pass
print(int(statistics.median(rates) / 2) if rates else 10000)
EOF
}

w6_rate() {
  local rate; rate=$(median_w1_rocketmq)
  echo "$rate" > "$WORK/w6_rate"
  echo "$rate"
}

START_S=$(date +%s)
[ -z "$REPORT_ONLY" ] || RUNS=0
for run in $(seq 1 "$RUNS"); do
  # Alternate which system goes first, run after run. RocketMQ goes first
  # in run 1 so that W6 has RocketMQ's W1 figure to take half of.
  if [ $((run % 2)) = 1 ]; then order=(rocketmq thrust); else order=(thrust rocketmq); fi
  for system in "${order[@]}"; do run_system "$system" "$run"; done
done
W6_RATE=$(cat "$WORK/w6_rate" 2>/dev/null || median_w1_rocketmq)
ELAPSED_S=$(( $(date +%s) - START_S ))

# --- results file --------------------------------------------------------------
COMMIT="$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
DIRTY="$(cd "$ROOT" && git status --porcelain 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)"
[ -n "$OUT" ] || OUT="$ROOT/bench/results/$(date +%Y-%m-%d)-$COMMIT.md"
mkdir -p "$(dirname "$OUT")"
DISK="$(df -h "$WORK" | awk 'NR==2 {print $1" ("$2", "$5" used)"}'); $(lsblk -d -o NAME,ROTA,MODEL 2>/dev/null | tr '\n' ';' | sed 's/  */ /g')"
python3 - "$RESULTS" "$OUT" <<EOF
import glob, json, statistics, sys
results, out = sys.argv[1], sys.argv[2]
runs = []
for path in sorted(glob.glob(results + "/*.json")):
    try:
        runs.append(json.load(open(path)))
    except Exception as err:
        print("skipping", path, err, file=sys.stderr)

def get(run, *path):
    value = run
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value

def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None

def fmt(v, digits=0):
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"

def ratio(rmq, thr, higher_better=True):
    if not rmq or not thr:
        return "-"
    return f"{(thr / rmq if higher_better else rmq / thr):.2f}x"

names = {
    "W1": "W1 1 KiB async, max rate (4 producers x 64 in flight)",
    "W2": "W2 1 KiB sync, 64 in flight",
    "W3": "W3 128 B async, max rate",
    "W4": "W4 16 KiB async, max rate",
    "W5": "W5 1 KiB sync, 64 in flight, SYNC_FLUSH",
    "W6": "W6 e2e at $W6_RATE msg/s (half of RocketMQ's W1 median so far; async, 4 x 64)",
    "W7": "W7 consume a backlog of up to $BACKLOG 1 KiB messages (as many as were sent in $BACKLOG_MAX_S s; see messages per run)",
    "JP": "JP Apache benchmark Producer, 64 sync threads, 1 KiB (its last report: TPS and mean RT over a 10 s window)",
}
lines = []
p = lines.append
p("# thrust-bench side-by-side: Apache RocketMQ $RMQ_VERSION vs Thrust $COMMIT$DIRTY")
p("")
p("Produced by \`scripts/bench-compare.sh $( [ $QUICK = 1 ] && echo --quick )\` on $(date -u +%Y-%m-%dT%H:%MZ), "
  "in $ELAPSED_S s; $RUNS run(s) per workload and system, alternating, fresh store each run.")
p("")
p("## Machine and versions")
p("")
p("- CPU: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')")
p("- Memory: $(free -g | awk '/Mem:/ {print $2}') GiB; kernel $(uname -r)")
p("- Disk (store under $WORK): $DISK")
p("- Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared; numbers are noisy)")
p("- Apache RocketMQ $RMQ_VERSION (Maven Central jars), $(java -version 2>&1 | head -1 | tr -d '"'), -Xms1g -Xmx1g G1")
p("- Thrust $COMMIT$DIRTY, broker conf/broker.conf (shards = CPUs, unbound), $(rustc --version)")
p("- Binaries: $BUILD_NOTE; $BIN_DATES")
p("- thrust-bench drives both: 1 worker thread, 1 connection; duration ${SECONDS_PER_RUN} s after ${WARMUP} s warm-up;")
p("  after each broker start a ${WARMUP_RUN} s unmeasured produce warms both up (JIT for the JVM)")
p("- Peak RSS is VmHWM read after each workload; the broker runs W1..W7, JP in sequence, so it is cumulative")
p("")
p("## Results (medians; ratio = Thrust / RocketMQ for rates, RocketMQ / Thrust for latencies)")
for w in ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "JP"]:
    sel = {s: [r for r in runs if r.get("workload") == w and r.get("system") == s] for s in ("rocketmq", "thrust")}
    if not sel["rocketmq"] and not sel["thrust"]:
        continue
    p("")
    p(f"### {names[w]}")
    p("")
    p("| metric | RocketMQ | Thrust | ratio |")
    p("| --- | ---: | ---: | ---: |")
    streams = ["produce", "consume"] if w in ("W6",) else (["consume"] if w == "W7" else ["produce"])
    for stream in streams:
        label = "e2e " if stream == "consume" and w == "W6" else ""
        m = {s: med([get(r, stream, "msgs_per_s") for r in sel[s]]) for s in sel}
        p(f"| {stream} msg/s | {fmt(m['rocketmq'])} | {fmt(m['thrust'])} | {ratio(m['rocketmq'], m['thrust'])} |")
        mb = {s: med([get(r, stream, "mb_per_s") for r in sel[s]]) for s in sel}
        p(f"| {stream} MB/s | {fmt(mb['rocketmq'], 1)} | {fmt(mb['thrust'], 1)} | {ratio(mb['rocketmq'], mb['thrust'])} |")
        if w == "JP":
            rt = {s: med([get(r, stream, "avg_rt_ms") for r in sel[s]]) for s in sel}
            p(f"| avg RT ms | {fmt(rt['rocketmq'], 3)} | {fmt(rt['thrust'], 3)} | {ratio(rt['rocketmq'], rt['thrust'], False)} |")
            continue
        for q in ("p50", "p90", "p99", "p999", "p9999", "max"):
            v = {s: med([get(r, stream, "latency_us", q) for r in sel[s]]) for s in sel}
            p(f"| {label}{stream} {q} us | {fmt(v['rocketmq'])} | {fmt(v['thrust'])} | {ratio(v['rocketmq'], v['thrust'], False)} |")
        e = {s: med([get(r, stream, "errors_total") for r in sel[s]]) for s in sel}
        p(f"| {stream} errors | {fmt(e['rocketmq'])} | {fmt(e['thrust'])} | |")
    for key, title in (("peak_rss_kib", "broker peak RSS MiB"), ("idle_rss_kib", "broker idle RSS MiB")):
        v = {s: med([get(r, key) for r in sel[s]]) for s in sel}
        v = {s: (x / 1024 if x else None) for s, x in v.items()}
        p(f"| {title} | {fmt(v['rocketmq'], 1)} | {fmt(v['thrust'], 1)} | {ratio(v['rocketmq'], v['thrust'], False)} |")

p("")
p("## Start-up (medians over every start)")
p("")
p("| metric | RocketMQ | Thrust |")
p("| --- | ---: | ---: |")
for key, title in (("ready_port_ms", "spawn to port open, ms"), ("ready_send_ms", "spawn to first acknowledged send, ms"),
                   ("idle_rss_kib", "idle RSS after start, MiB")):
    v = {s: med([get(r, key) for r in runs if r.get("system") == s]) for s in ("rocketmq", "thrust")}
    if key.endswith("kib"):
        v = {s: (x / 1024 if x else None) for s, x in v.items()}
    p(f"| {title} | {fmt(v['rocketmq'], 1)} | {fmt(v['thrust'], 1)} |")
p("")
p("The first acknowledged send includes starting thrust-bench, creating the topic (UPDATE_AND_CREATE_TOPIC) "
  "and waiting for its route on the name server, polled every 50 ms.")
p("")
p("## Every run")
p("")
p("| workload | system | run | msg/s | MB/s | p50 us | p99 us | p99.9 us | max us | errors | peak RSS MiB | ready ms |")
p("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in sorted(runs, key=lambda r: (r.get("workload", ""), r.get("run", 0), r.get("system", ""))):
    stream = "consume" if r.get("workload") == "W7" else "produce"
    rows = [stream] + (["consume"] if r.get("workload") == "W6" else [])
    for s in rows:
        p(f"| {r.get('workload')}{' e2e' if r.get('workload') == 'W6' and s == 'consume' else ''} | {r.get('system')} | {r.get('run')} "
          f"| {fmt(get(r, s, 'msgs_per_s'))} | {fmt(get(r, s, 'mb_per_s'), 1)} | {fmt(get(r, s, 'latency_us', 'p50'))} "
          f"| {fmt(get(r, s, 'latency_us', 'p99'))} | {fmt(get(r, s, 'latency_us', 'p999'))} | {fmt(get(r, s, 'latency_us', 'max'))} "
          f"| {fmt(get(r, s, 'errors_total'))} | {fmt((get(r, 'peak_rss_kib') or 0) / 1024, 1)} | {get(r, 'ready_send_ms')} |")
open(out, "w").write("\n".join(lines) + "\n")
print(out)
EOF
log "results: $OUT"
