#!/usr/bin/env bash
# Fuzzes the parsers that take outside input (Sources/CinderExporterFuzz) with
# libFuzzer and AddressSanitizer, each target for the given time, starting
# from the committed seed corpus in Tests/FuzzCorpus/<target>.
#
#   scripts/fuzz.sh [SECONDS-PER-TARGET (default 60)] [TARGET...]
#
# Prints executions, new inputs and findings per target; exits 1 when a target
# crashed or broke an invariant. Everything it writes stays in .build-fuzz/:
# corpus/<target>/ (inputs found, reused by the next run), findings/<target>/
# (crash-*, timeout-*, oom-* inputs: replay one with
# `.build-fuzz/release/cinder-exporter-fuzz TARGET FILE`), logs/<target>.log.
#
# How it is built: libFuzzer's own main would clash with the program's, so
# the program keeps its main and calls LLVMFuzzerRunDriver from
# libclang_rt.fuzzer_no_main (forced in with -u: the declaration is weak so
# that the normal build links without it); Swift and C code get libFuzzer's
# coverage instrumentation and ASan. In the normal build the same binary
# replays the corpus (`swift run cinder-exporter-fuzz all`).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS-PER-TARGET] [TARGET...]" >&2; exit 2; }
scratch=.build-fuzz
binary=$scratch/release/cinder-exporter-fuzz

toolchain=$(dirname "$(readlink -f "$(command -v swiftc)")")/..
runtime=$(find "$toolchain/lib" -name "libclang_rt.fuzzer_no_main-$(uname -m).a" 2>/dev/null | head -1)
[[ -n "$runtime" ]] || { echo "fuzz.sh: libclang_rt.fuzzer_no_main-$(uname -m).a is not in the Swift toolchain at $toolchain" >&2; exit 2; }

# SwiftPM's lock files and libFuzzer's merge files go to TMPDIR: keep them here too.
mkdir -p "$scratch/tmp"
export TMPDIR=$PWD/$scratch/tmp
started=$SECONDS
# ld.gold warns "Cannot export local symbol" for sanitizer symbols: harmless.
if ! swift build --scratch-path "$scratch" -c release --product cinder-exporter-fuzz \
        --sanitize=address \
        -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
        -Xcc -fsanitize-coverage=inline-8bit-counters,pc-table,trace-cmp \
        -Xlinker "$runtime" -Xlinker -lstdc++ -Xlinker -u -Xlinker LLVMFuzzerRunDriver \
        > "$scratch/build.log" 2>&1; then
    grep -v "Cannot export local symbol" "$scratch/build.log" | tail -30 >&2
    echo "fuzz.sh: the fuzz build failed" >&2
    exit 1
fi
echo "fuzz build: $((SECONDS - started)) s"

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <(ls Tests/FuzzCorpus | grep -v '^fixtures$')
fi

# A finding aborts; Swift's own crash backtracer would then read memory
# behind ASan's back and add a report of its own: leave the trace to ASan.
export SWIFT_BACKTRACE=enable=no
failed=()
printf '%-16s %12s %10s %8s %9s\n' target executions exec/s new findings
for target in "${targets[@]}"; do
    seeds=Tests/FuzzCorpus/$target
    [[ -d "$seeds" ]] || { echo "fuzz.sh: no seed corpus $seeds" >&2; exit 2; }
    mkdir -p "$scratch/corpus/$target" "$scratch/findings/$target" "$scratch/logs"
    log=$scratch/logs/$target.log
    before=$(find "$scratch/findings/$target" -type f | wc -l)
    status=0
    # New inputs go to the first directory (ours), never into the committed seeds.
    "$binary" "$target" -max_total_time="$seconds" -print_final_stats=1 -max_len=4096 \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$scratch/findings/$target/" \
        "$scratch/corpus/$target" "$seeds" < /dev/null > "$log" 2>&1 || status=$?
    stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
    findings=$(( $(find "$scratch/findings/$target" -type f | wc -l) - before ))
    printf '%-16s %12s %10s %8s %9s\n' "$target" "$(stat number_of_executed_units)" \
        "$(stat average_exec_per_sec)" "$(stat new_units_added)" "$findings"
    if [[ $status -ne 0 ]]; then
        failed+=("$target")
        grep -E "INVARIANT BROKEN|ERROR: (AddressSanitizer|libFuzzer)|Fatal error|SUMMARY|Test unit written" "$log" | head -8 | sed 's/^/    /' >&2
    fi
done
echo "fuzzing took $((SECONDS - started)) s in all"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz.sh: findings in: ${failed[*]} (logs in $scratch/logs, inputs in $scratch/findings)" >&2
    exit 1
fi
