#!/usr/bin/env bash
# Runs the whole test suite under a sanitizer, in a build folder of its own:
#   scripts/sanitize.sh thread     ThreadSanitizer (what CI runs)
#   scripts/sanitize.sh address    AddressSanitizer (with LeakSanitizer off: the
#                                  Swift runtime's caches read as leaks)
# Further arguments go to `swift test` (e.g. --filter ServerTests). A sanitizer
# report fails the run: the test process exits non-zero when one was printed.
# Soak loops are sized down under sanitizers (CINDER_EXPORTER_SANITIZER), not skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:?usage: scripts/sanitize.sh thread|address [swift test arguments]}"
shift
case "$kind" in thread|address) ;; *) echo "sanitize.sh: thread or address, not $kind" >&2; exit 2 ;; esac

scripts/install-deps.sh test
export CINDER_EXPORTER_TEST_PYTHON="$PWD/.build/test-venv/bin/python"
export CINDER_EXPORTER_SANITIZER="$kind"
export TSAN_OPTIONS="${TSAN_OPTIONS:-second_deadlock_stack=1 history_size=4}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
scratch=".build-$kind"
swift build --build-tests --sanitize="$kind" --scratch-path "$scratch"
log="$(mktemp /tmp/cinder-exporter-sanitize.XXXXXX)"
trap 'rm -f "$log"' EXIT
status=0
swift test --skip-build --sanitize="$kind" --scratch-path "$scratch" --disable-swift-testing "$@" 2>&1 | tee "$log" || status=$?
reports=$(grep -c "WARNING: ThreadSanitizer\|ERROR: AddressSanitizer" "$log" || true)
echo "sanitize.sh: $kind: $reports sanitizer report(s), swift test exited $status" >&2
[ "$reports" -eq 0 ] && [ "$status" -eq 0 ]
