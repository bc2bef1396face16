#!/usr/bin/env bash
# Rerunnable benchmark (SPEC §8): builds the release binary, sets up the peer
# (query-exporter 5.0.2 in bench/.venv) and wrk, then runs bench/bench.py.
#   bench/run.sh            100, 1,000 and 10,000 services, 8 s per run (~6 min)
#   bench/run.sh --quick    100 and 1,000 services, 2 s per run (~1 min)
#   bench/run.sh --work     the work-in-flight collectors on and off over
#                           100,000 and 1,000,000 volumes, SQLite and MariaDB
#                           (bench/work.py, ~12 min; its flags follow --work)
# Other flags go to bench.py (--sizes, --duration, --no-peer, --output).
# Results: a table on stdout and bench-results/latest.json.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
    echo "bench: installing wrk (Debian package)" >&2
    apt-get update >/dev/null
    apt-get install -y --no-install-recommends wrk >/dev/null
fi

echo "bench: building the release binary" >&2
swift build -c release --static-swift-stdlib --scratch-path .build-bench >&2
binary="$(swift build -c release --static-swift-stdlib --scratch-path .build-bench --show-bin-path)/cinder-exporter"

venv=bench/.venv
if [ "${1:-}" != "--work" ] && ! "$venv/bin/python" -c 'import importlib.metadata as m; assert m.version("query-exporter") == "5.0.2"' 2>/dev/null; then
    echo "bench: installing query-exporter 5.0.2 into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/peer-requirements.txt
fi

# The plain-C floor (issue 15): same table, families and labels, no extras.
cfloor=.build-bench/cfloor
cc -O2 -Wall -o "$cfloor" bench/cfloor/cfloor.c $(pkg-config --cflags --libs sqlite3 libmicrohttpd)

if [ "${1:-}" = "--work" ]; then
    shift
    exec python3 bench/work.py --binary "$binary" "$@"
fi
exec python3 bench/bench.py --binary "$binary" --venv "$venv" --cfloor "$cfloor" "$@"
