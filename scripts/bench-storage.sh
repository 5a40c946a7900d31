#!/usr/bin/env bash
# Storage benchmark, in one go on the same disk:
#   1. fio: sequential O_DIRECT writes (1 MiB blocks, 4 in flight) = the
#      disk's bandwidth; 4 KiB O_DIRECT writes with fdatasync after each =
#      the disk's synchronous write rate and latency.
#   2. Thrust's store (storage-bench, release build): append throughput with
#      ASYNC_FLUSH for 128 B, 1 KiB and 4 KiB records; SYNC_FLUSH throughput
#      and p50/p99 acknowledgement latency at 1, 16 and 256 appenders.
# Each Thrust figure is printed as a ratio to fio's.
#
# Usage: scripts/bench-storage.sh [dir] (default /tmp/thrust-bench-storage;
# it is emptied). SECONDS_PER_RUN (default 5) sets each run's length;
# STORAGE_BENCH=<path> runs that storage-bench binary instead of building
# one (to compare two builds back to back).
set -euo pipefail

dir="${1:-/tmp/thrust-bench-storage}"
seconds="${SECONDS_PER_RUN:-5}"
here="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$here/target}"

if ! command -v fio >/dev/null; then
    echo "fio is not installed (apt-get install -y fio)" >&2
    exit 1
fi
if [ -n "${STORAGE_BENCH:-}" ]; then
    bench="$STORAGE_BENCH"
else
    (cd "$here" && cargo build --release -q -p thrust-storage --bin storage-bench)
    bench="$target/release/storage-bench"
fi

rm -rf "$dir"
mkdir -p "$dir"
results="$(mktemp)"
trap 'rm -f "$results"; rm -rf "$dir"' EXIT

fio_json() {
    fio --output-format=json --directory="$dir" --direct=1 --ioengine=libaio \
        --rw=write --size=2G --runtime="$seconds" --time_based --group_reporting "$@"
}

echo "fio: sequential O_DIRECT write, 1 MiB x 4 in flight ..." >&2
fio_json --name=seq --bs=1M --iodepth=4 > "$dir/fio-seq.json"
echo "fio: 4 KiB O_DIRECT write + fdatasync each ..." >&2
fio_json --name=sync --bs=4k --iodepth=1 --fdatasync=1 --size=256M > "$dir/fio-sync.json"
rm -f "$dir"/seq.* "$dir"/sync.*

run() {
    rm -rf "$dir/store"
    echo "thrust: $*" >&2
    "$bench" "$dir/store" "$@" "$seconds" >> "$results"
}
for size in 128 1024 4096; do run async "$size" 1; done
for appenders in 1 16 256; do run sync 1024 "$appenders"; done

python3 - "$dir/fio-seq.json" "$dir/fio-sync.json" "$results" <<'PY'
import json, sys
seq = json.load(open(sys.argv[1]))["jobs"][0]["write"]
sync_job = json.load(open(sys.argv[2]))["jobs"][0]
sync = sync_job["write"]
fio_mib = seq["bw_bytes"] / 2**20
fio_sync_iops = sync["iops"]
sync_lat = sync_job.get("sync", {}).get("lat_ns", {}).get("percentile", {})
write_lat = sync["clat_ns"]["percentile"]
def pct(d, key):
    return d.get(key, 0) / 1000
fio_p50 = pct(write_lat, "50.000000") + pct(sync_lat, "50.000000")
fio_p99 = pct(write_lat, "99.000000") + pct(sync_lat, "99.000000")
rows = [json.loads(line) for line in open(sys.argv[3])]
print(f"fio seq write 1MiB x4: {fio_mib:.0f} MiB/s; "
      f"fio 4KiB write+fdatasync: {fio_sync_iops:.0f} ops/s, "
      f"p50 {fio_p50:.0f} us, p99 {fio_p99:.0f} us (write+sync)")
print()
print("| run | records/s | MiB/s | vs fio | p50 us | p99 us |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    if r["mode"] == "async":
        name = f"async {r['record_bytes']} B"
        ratio = r["mib_per_s"] / fio_mib
        vs = f"{ratio:.2f} x bw"
    else:
        name = f"sync 1 KiB x {r['appenders']} appenders"
        ratio = r["records_per_s"] / fio_sync_iops
        vs = f"{ratio:.2f} x sync ops"
    print(f"| {name} | {r['records_per_s']:.0f} | {r['mib_per_s']:.1f} | {vs} "
          f"| {r['p50_us']} | {r['p99_us']} |")
PY
