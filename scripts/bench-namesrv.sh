#!/usr/bin/env bash
# Route-query benchmark of thrust-namesrv: many connections asking for topic
# routes; prints one JSON line (queries/s, latency percentiles). Extra
# arguments go to the benchmark, e.g. --connections 128 --depth 8 --seconds 10.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p thrust-namesrv --bench route_query -- "$@"
