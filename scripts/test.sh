#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test. The tests start
# their own throwaway MariaDB and Prometheus servers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
swift build
export CINDER_EXPORTER_TEST_PYTHON="$PWD/.build/test-venv/bin/python"
swift test --disable-swift-testing "$@"
