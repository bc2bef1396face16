#!/usr/bin/env bash
# Installs what is needed, builds the release binary and runs the exporter on
# a simulated Cinder database: open http://localhost:9876/ afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release
exec .build/release/cinder-exporter demo "$@"
