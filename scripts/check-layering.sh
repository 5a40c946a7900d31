#!/usr/bin/env bash
# Fails when a crate depends on another workspace crate outside the allowed
# graph of ../shared/DESIGN.md: storage,net -> core; broker -> core,storage,net;
# namesrv,bench -> core,net. No cycles, nothing reaches upward.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
allowed = {
    "thrust-core": set(),
    "thrust-net": {"thrust-core"},
    "thrust-storage": {"thrust-core"},
    "thrust-broker": {"thrust-core", "thrust-net", "thrust-storage"},
    "thrust-namesrv": {"thrust-core", "thrust-net"},
    "thrust-bench": {"thrust-core", "thrust-net"},
}
meta = json.load(sys.stdin)
names = {p["name"] for p in meta["packages"]}
bad = []
for p in meta["packages"]:
    if p["name"] not in allowed:
        bad.append(p["name"] + ": not in the layering allowlist")
        continue
    for d in p["dependencies"]:
        if d["name"] in names and d["name"] not in allowed[p["name"]] and d.get("kind") != "dev":
            bad.append(p["name"] + " -> " + d["name"] + " is not an allowed edge")
if bad:
    print("\n".join(bad)); sys.exit(1)
print("layering ok:", ", ".join(sorted(names)))
'
